/**
 * The device side of the Firmata protocol (2.5, as StandardFirmata speaks
 * it), sans I/O: `FirmataRequestParser` turns the bytes a host sends into
 * requests, and the encoders below build the answers. Only what a relay
 * controller needs; anything else parses as `other` and is ignored.
 *
 * Firmata is MIDI-shaped: a byte with the top bit set starts a command, data
 * bytes are 7-bit. A command byte arriving before the current command is
 * complete abandons it (as StandardFirmata does), a data byte with no command
 * is dropped, and a sysex longer than MAX_SYSEX_BYTES is dropped whole: no
 * input makes the parser throw or grow without bound.
 */

export const Firmata = {
  digitalMessage: 0x90,
  analogMessage: 0xe0,
  reportAnalog: 0xc0,
  reportDigital: 0xd0,
  startSysex: 0xf0,
  setPinMode: 0xf4,
  setDigitalPinValue: 0xf5,
  endSysex: 0xf7,
  reportVersion: 0xf9,
  systemReset: 0xff,
} as const;

export const Sysex = {
  analogMappingQuery: 0x69,
  analogMappingResponse: 0x6a,
  capabilityQuery: 0x6b,
  capabilityResponse: 0x6c,
  pinStateQuery: 0x6d,
  pinStateResponse: 0x6e,
  queryFirmware: 0x79,
} as const;

export const PinMode = { input: 0x00, output: 0x01, analog: 0x02, pullup: 0x0b } as const;

/** The protocol version we announce (StandardFirmata 2.5.x). */
export const PROTOCOL_VERSION = { major: 2, minor: 5 } as const;
/** StandardFirmata's MAX_DATA_BYTES: a longer sysex is not a request it knows. */
export const MAX_SYSEX_BYTES = 64;
/** Firmata addresses at most 128 pins (7-bit pin numbers). */
export const MAX_PINS = 128;

export type FirmataRequest =
  | { readonly kind: 'report-version' }
  | { readonly kind: 'system-reset' }
  /** Values for the 8 pins of a port (bit i: pin port*8+i). */
  | { readonly kind: 'digital-port'; readonly port: number; readonly value: number }
  | { readonly kind: 'set-pin-mode'; readonly pin: number; readonly mode: number }
  | { readonly kind: 'set-digital-pin'; readonly pin: number; readonly value: 0 | 1 }
  | { readonly kind: 'query-firmware' }
  | { readonly kind: 'capability-query' }
  | { readonly kind: 'analog-mapping-query' }
  | { readonly kind: 'pin-state-query'; readonly pin: number }
  /** A well-formed command this device does not act on (analog writes, reporting, other sysex). */
  | { readonly kind: 'other'; readonly command: number };

/** Data bytes that follow each non-sysex command (by command nibble or whole byte). */
function dataLength(command: number): number | null {
  switch (command & 0xf0) {
    case Firmata.digitalMessage:
    case Firmata.analogMessage:
      return 2;
    case Firmata.reportAnalog:
    case Firmata.reportDigital:
      return 1;
  }
  switch (command) {
    case Firmata.setPinMode:
    case Firmata.setDigitalPinValue:
      return 2;
    case Firmata.reportVersion:
    case Firmata.systemReset:
      return 0;
  }
  return null;
}

function decodeCommand(command: number, data: readonly number[]): FirmataRequest {
  const [a = 0, b = 0] = data;
  switch (command & 0xf0) {
    case Firmata.digitalMessage:
      return { kind: 'digital-port', port: command & 0x0f, value: a | (b << 7) };
  }
  switch (command) {
    case Firmata.setPinMode:
      return { kind: 'set-pin-mode', pin: a, mode: b };
    case Firmata.setDigitalPinValue:
      return { kind: 'set-digital-pin', pin: a, value: b === 0 ? 0 : 1 };
    case Firmata.reportVersion:
      return { kind: 'report-version' };
    case Firmata.systemReset:
      return { kind: 'system-reset' };
  }
  return { kind: 'other', command };
}

function decodeSysex(data: readonly number[]): FirmataRequest {
  const [command = 0, first] = data;
  switch (command) {
    case Sysex.queryFirmware:
      return { kind: 'query-firmware' };
    case Sysex.capabilityQuery:
      return { kind: 'capability-query' };
    case Sysex.analogMappingQuery:
      return { kind: 'analog-mapping-query' };
    case Sysex.pinStateQuery:
      return first === undefined
        ? { kind: 'other', command: Firmata.startSysex }
        : { kind: 'pin-state-query', pin: first };
  }
  return { kind: 'other', command: Firmata.startSysex };
}

export class FirmataRequestParser {
  /** The command byte being collected, or null between commands. */
  #command: number | null = null;
  readonly #data: number[] = [];
  /** A sysex that outgrew MAX_SYSEX_BYTES: skip to its END_SYSEX. */
  #skippingSysex = false;

  /** Feeds received bytes; returns the requests they complete, in order. */
  push(bytes: Uint8Array): FirmataRequest[] {
    const out: FirmataRequest[] = [];
    for (const byte of bytes) {
      const request = this.#byte(byte);
      if (request !== null) out.push(request);
    }
    return out;
  }

  #byte(byte: number): FirmataRequest | null {
    if (byte >= 0x80) return this.#commandByte(byte);
    if (this.#skippingSysex) return null;
    if (this.#command === null) return null; // a data byte with no command: noise
    if (this.#command === Firmata.startSysex) {
      if (this.#data.length >= MAX_SYSEX_BYTES) {
        this.#reset();
        this.#skippingSysex = true;
        return null;
      }
      this.#data.push(byte);
      return null;
    }
    this.#data.push(byte);
    return this.#complete();
  }

  #commandByte(byte: number): FirmataRequest | null {
    if (byte === Firmata.endSysex) {
      const wasSysex = this.#command === Firmata.startSysex;
      const data = [...this.#data];
      this.#skippingSysex = false;
      this.#reset();
      return wasSysex && data.length > 0 ? decodeSysex(data) : null;
    }
    // Any other command byte starts a new command and abandons an unfinished one.
    this.#skippingSysex = false;
    this.#reset();
    if (byte === Firmata.startSysex) {
      this.#command = byte;
      return null;
    }
    if (dataLength(byte) === null) return null; // not a command we know: skip to the next
    this.#command = byte;
    return this.#complete();
  }

  #complete(): FirmataRequest | null {
    const command = this.#command;
    if (command === null || command === Firmata.startSysex) return null;
    if (this.#data.length < (dataLength(command) ?? 0)) return null;
    const request = decodeCommand(command, this.#data);
    this.#reset();
    return request;
  }

  #reset(): void {
    this.#command = null;
    this.#data.length = 0;
  }
}

// ---------------------------------------------------------------------------
// Answers

/** What a pin can do, for the capability response: mode and resolution in bits. */
export interface PinCapability {
  readonly modes: readonly (readonly [mode: number, resolutionBits: number])[];
  /** The analog channel of an analog input pin, or null. */
  readonly analogChannel: number | null;
}

export function encodeReportVersion(): Uint8Array {
  return Uint8Array.of(Firmata.reportVersion, PROTOCOL_VERSION.major, PROTOCOL_VERSION.minor);
}

/** The firmware name and version, the name as 7-bit pairs of its bytes (at most 48 of them). */
export function encodeFirmwareReport(name: string): Uint8Array {
  const bytes = [...Buffer.from(name, 'utf8').subarray(0, 48)];
  return Uint8Array.of(
    Firmata.startSysex,
    Sysex.queryFirmware,
    PROTOCOL_VERSION.major,
    PROTOCOL_VERSION.minor,
    ...bytes.flatMap((byte) => [byte & 0x7f, byte >> 7]),
    Firmata.endSysex,
  );
}

export function encodeCapabilityResponse(pins: readonly PinCapability[]): Uint8Array {
  return Uint8Array.of(
    Firmata.startSysex,
    Sysex.capabilityResponse,
    ...pins.flatMap((pin) => [...pin.modes.flat(), 0x7f]),
    Firmata.endSysex,
  );
}

export function encodeAnalogMappingResponse(pins: readonly PinCapability[]): Uint8Array {
  return Uint8Array.of(
    Firmata.startSysex,
    Sysex.analogMappingResponse,
    ...pins.map((pin) => pin.analogChannel ?? 0x7f),
    Firmata.endSysex,
  );
}

/** A pin's mode and state (for an output: the value written; 7 bits is all a relay pin needs). */
export function encodePinStateResponse(pin: number, mode: number, state: number): Uint8Array {
  return Uint8Array.of(
    Firmata.startSysex,
    Sysex.pinStateResponse,
    pin & 0x7f,
    mode & 0x7f,
    state & 0x7f,
    Firmata.endSysex,
  );
}
