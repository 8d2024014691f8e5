/**
 * A Linux board's lines to its partner on GPIO, built from the profile: the
 * fence (a pulse on the partner's reset) and the DSR substitute (our liveness
 * on an output, the partner's on an input) for UARTs without modem lines.
 */

import type { FenceLine, PortLink } from '../node/board.ts';
import { type BoardLines, type DsrGpio, FENCE_PULSE_MS_DEFAULT } from '../profile.ts';
import { describeLine, type Gpio } from './gpio.ts';

/** The fence the profile wires, pulsed through `gpio`; `{ wired: false }` where none is. */
export function gpioFence(lines: BoardLines, gpio: Gpio, log: (line: string) => void): FenceLine {
  const spec = lines.fenceGpio;
  if (!lines.fenceToPartnerReset || spec === undefined) return { wired: false };
  const ms = spec.pulseMs ?? FENCE_PULSE_MS_DEFAULT;
  return {
    wired: true,
    // The takeover does not wait for the pulse: the partner is reset as soon as the line can be driven.
    pulse: () => {
      log(`fence: pulsing ${describeLine(spec)} for ${ms} ms`);
      gpio.pulse(spec, ms).then(
        () => log('fence: pulse done'),
        (error: Error) => log(`fence failed: ${error.message}`),
      );
    },
  };
}

/** The interconnect ports with DTR and DSR carried by the GPIO pair, and the lines to release. */
export interface GpioLiveness {
  readonly interconnect: readonly PortLink[];
  close(): Promise<void>;
}

/**
 * Wraps the interconnect ports so that DTR drives `dsr.toPartner` and DSR
 * reads `dsr.fromPartner`. One wire each way stands for every path: the
 * runtime raises DTR on all paths together and the board drops it on all
 * together, so the last call wins. Our line starts deasserted (no image runs yet).
 */
export async function gpioLiveness(
  ports: readonly PortLink[],
  dsr: DsrGpio,
  gpio: Gpio,
): Promise<GpioLiveness> {
  const output = await gpio.output(dsr.toPartner, false);
  // The board samples DSR every millisecond: it reads the level the watch last saw.
  const input = await gpio.input(dsr.fromPartner, () => {});
  let writes = Promise.resolve();
  const setLiveness = (high: boolean) => {
    writes = writes.then(() => output.set(high)).catch(() => {});
  };
  return {
    interconnect: ports.map(
      (port): PortLink => ({
        baud: port.baud,
        write: (bytes) => port.write(bytes),
        onData: (handler) => port.onData(handler),
        setDtr: setLiveness,
        dsr: async () => input.asserted,
        drain: () => port.drain(),
      }),
    ),
    close: async () => {
      await writes;
      await input.close();
      await output.close();
    },
  };
}
