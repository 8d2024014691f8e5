/**
 * The lab's relay controller: a simulated Arduino Uno running StandardFirmata
 * with a relay module, on the `relay-board` end of the lab's `relay` cable.
 * A HIL rig (hil/rig.ts, johnny-five over firmata-io) opens the other end
 * exactly as it opens a real Arduino; only the serial binding differs.
 *
 * Like StandardFirmata it announces its version and firmware name when the
 * host opens the port (raises DTR), answers the version, firmware,
 * capability, analog-mapping and pin-state queries, and drives pins on
 * SET_PIN_MODE, DIGITAL_MESSAGE and SET_DIGITAL_PIN_VALUE. Opening the port
 * does not reset it (an Uno with auto-reset disabled): the relays keep their
 * state across rig sessions.
 *
 * The relays are wired as the lab's rig profile says (relays.rig.json
 * beside this file, `LAB_RIG_PROFILE_FILE`; a HIL rig on the lab reads the
 * same file):
 * a pin driven HIGH energises its relay; a line runs through the relay's
 * normally-open or normally-closed contact. A board is powered while its
 * power contact conducts and its reset contact (if wired) does not; every
 * change of that is handed to `setPowered` (the daemon's power rails).
 *
 * Bytes it does not understand are ignored (see firmata-device.ts); nothing
 * a host sends makes it throw.
 */
import type { BindingInterface } from '@serialport/bindings-interface';
import type { SerialPortStream } from '@serialport/stream';
import { closeSerialPort, openSerialPort } from '../../boards/open-serial-port.ts';
import type { RigProfile, RigRelay } from '../../boards/rig-profile.ts';
import {
  encodeAnalogMappingResponse,
  encodeCapabilityResponse,
  encodeFirmwareReport,
  encodePinStateResponse,
  encodeReportVersion,
  type FirmataRequest,
  FirmataRequestParser,
  type PinCapability,
  PinMode,
} from './firmata-device.ts';

/**
 * The lab's relay wiring, as a rig profile of kind 'sim': the lab is wired
 * by it, and `tandem hil --rig sim` drives the relays by it unless given
 * another profile.
 */
export const LAB_RIG_PROFILE_FILE = new URL('relays.rig.json', import.meta.url);

/** StandardFirmata's line rate. */
export const RELAY_BAUD = 57600;
export const FIRMWARE_NAME = 'StandardFirmata.ino';
/** How often the controller looks at DSR to see a host open the port. */
const DTR_POLL_MS = 20;

/** An Uno: pins 0-1 are the serial line, 2-13 digital, 14-19 also analog inputs A0-A5. */
export const UNO_PINS: readonly PinCapability[] = Array.from({ length: 20 }, (_, pin) => {
  if (pin < 2) return { modes: [], analogChannel: null };
  const digital: (readonly [number, number])[] = [
    [PinMode.input, 1],
    [PinMode.output, 1],
    [PinMode.pullup, 1],
  ];
  return pin < 14
    ? { modes: digital, analogChannel: null }
    : { modes: [...digital, [PinMode.analog, 10]], analogChannel: pin - 14 };
});

interface Wire {
  readonly processor: 1 | 2;
  readonly line: 'power' | 'reset';
  readonly relay: RigRelay;
}

export interface RelayControllerOptions {
  readonly binding: BindingInterface;
  /** The serial path of the controller's end of the cable. */
  readonly path: string;
  readonly profile: RigProfile;
  /** Called on every change of a board's supply, and once for each board at start. */
  readonly setPowered: (processor: 1 | 2, on: boolean) => void;
}

export class RelayController {
  readonly #parser = new FirmataRequestParser();
  readonly #modes: number[] = [];
  readonly #values: number[] = [];
  readonly #wires = new Map<number, Wire>();
  readonly #powered = new Map<1 | 2, boolean>();
  #hostOpen = false;
  #poll: ReturnType<typeof setInterval> | null = null;

  private constructor(
    readonly port: SerialPortStream,
    readonly options: RelayControllerOptions,
  ) {
    for (const board of options.profile.boards) {
      if (board.power !== undefined) {
        this.#wires.set(board.power.pin, {
          processor: board.processor,
          line: 'power',
          relay: board.power,
        });
      }
      if (board.reset !== undefined) {
        this.#wires.set(board.reset.pin, {
          processor: board.processor,
          line: 'reset',
          relay: board.reset,
        });
      }
    }
    this.#systemReset();
    for (const processor of [1, 2] as const) {
      const on = this.#boardPowered(processor);
      this.#powered.set(processor, on);
      options.setPowered(processor, on);
    }
    port.on('data', (chunk: Buffer) => {
      for (const request of this.#parser.push(chunk)) this.#handle(request);
    });
    this.#poll = setInterval(() => this.#watchHost(), DTR_POLL_MS);
  }

  static async start(options: RelayControllerOptions): Promise<RelayController> {
    const port = await openSerialPort(options.binding, options.path, RELAY_BAUD);
    return new RelayController(port, options);
  }

  /** Whether the relays currently power a board (for tests and logs). */
  powered(processor: 1 | 2): boolean {
    return this.#powered.get(processor) ?? false;
  }

  async close(): Promise<void> {
    if (this.#poll !== null) clearInterval(this.#poll);
    this.#poll = null;
    await closeSerialPort(this.port);
  }

  /** StandardFirmata's sketch start-up: announce the version and firmware on a host's open. */
  #watchHost(): void {
    this.port.get((error, status) => {
      if (error || status === undefined || status === null) return;
      const open = status.dsr === true;
      if (open && !this.#hostOpen) this.#announce();
      this.#hostOpen = open;
    });
  }

  #announce(): void {
    this.#send(encodeReportVersion());
    this.#send(encodeFirmwareReport(FIRMWARE_NAME));
  }

  #send(bytes: Uint8Array): void {
    this.port.write(Buffer.from(bytes));
  }

  #handle(request: FirmataRequest): void {
    switch (request.kind) {
      case 'report-version':
        this.#send(encodeReportVersion());
        return;
      case 'query-firmware':
        this.#send(encodeFirmwareReport(FIRMWARE_NAME));
        return;
      case 'capability-query':
        this.#send(encodeCapabilityResponse(UNO_PINS));
        return;
      case 'analog-mapping-query':
        this.#send(encodeAnalogMappingResponse(UNO_PINS));
        return;
      case 'pin-state-query': {
        const mode = this.#modes[request.pin];
        if (mode !== undefined) {
          this.#send(encodePinStateResponse(request.pin, mode, this.#values[request.pin] ?? 0));
        }
        return;
      }
      case 'system-reset':
        this.#systemReset();
        break;
      case 'set-pin-mode':
        this.#setPinMode(request.pin, request.mode);
        break;
      case 'set-digital-pin':
        this.#write(request.pin, request.value);
        break;
      case 'digital-port':
        for (let bit = 0; bit < 8; bit++) {
          this.#write(request.port * 8 + bit, (request.value >> bit) & 1);
        }
        break;
      case 'other':
        return;
    }
    this.#applyRelays();
  }

  /** StandardFirmata's systemResetCallback: digital pins outputs at LOW, analog pins analog. */
  #systemReset(): void {
    UNO_PINS.forEach((pin, index) => {
      this.#values[index] = 0;
      this.#modes[index] =
        pin.modes.length === 0
          ? PinMode.input
          : pin.analogChannel === null
            ? PinMode.output
            : PinMode.analog;
    });
  }

  #setPinMode(pin: number, mode: number): void {
    const capability = UNO_PINS[pin];
    if (capability === undefined || !capability.modes.some(([m]) => m === mode)) return;
    this.#modes[pin] = mode;
    if (mode !== PinMode.output) this.#values[pin] = 0;
  }

  /** A write to an output latches the level; to an input it sets the pull-up, which drives no relay. */
  #write(pin: number, value: number): void {
    if (pin >= UNO_PINS.length || (UNO_PINS[pin]?.modes.length ?? 0) === 0) return;
    const mode = this.#modes[pin];
    if (mode === PinMode.output || mode === PinMode.input || mode === PinMode.pullup) {
      this.#values[pin] = value;
    }
  }

  #conducts(pin: number): boolean {
    const wire = this.#wires.get(pin);
    if (wire === undefined) return false;
    const energised = this.#modes[pin] === PinMode.output && this.#values[pin] === 1;
    return wire.relay.contact === 'normally-open' ? energised : !energised;
  }

  #boardPowered(processor: 1 | 2): boolean {
    let powered = false;
    let held = false;
    for (const [pin, wire] of this.#wires) {
      if (wire.processor !== processor) continue;
      if (wire.line === 'power') powered = this.#conducts(pin);
      else held = this.#conducts(pin);
    }
    return powered && !held;
  }

  #applyRelays(): void {
    for (const processor of [1, 2] as const) {
      const on = this.#boardPowered(processor);
      if (on === this.#powered.get(processor)) continue;
      this.#powered.set(processor, on);
      this.options.setPowered(processor, on);
    }
  }
}
