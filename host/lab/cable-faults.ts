/**
 * The cable fault model, defined once: what one direction of a simulated
 * cable can be made to do wrong. Both simulated cables carry it, the
 * deterministic simulator's (host/simulator/cable.ts, virtual time) and the
 * lab hub's (hub/line.ts, real time), and everything that asks for a fault
 * names it the same way: the hub's control API, the lab daemon, `tandem
 * cable`, the dashboard and the HIL fault classes.
 *
 * A cut drops the data of its direction (cut both ways, a cable is
 * unplugged and DSR drops too); loss, corruption and duplication are drawn
 * once per write, in that order; the delay is added to every byte. When a
 * cut takes effect and how the bytes are paced is each cable's own.
 */

/** One direction of a cable: `a` is its first end (processor 1 on an interconnect path). */
export type CableDirection = 'a-to-b' | 'b-to-a';

/** What a fault names: one direction, or both. */
export const CABLE_DIRECTION_CHOICES = ['a-to-b', 'b-to-a', 'both'] as const;
export type CableDirectionChoice = (typeof CABLE_DIRECTION_CHOICES)[number];

export interface LineFaults {
  /** Data in this direction is cut (one-way or, with the other direction, two-way). */
  cut: boolean;
  /** Chance that a write loses a random run of its bytes. */
  lossRate: number;
  /** Chance that a write has one bit flipped. */
  corruptRate: number;
  /** Chance that a write arrives twice. */
  duplicateRate: number;
  /** Extra latency added to every write, ms. */
  delayMs: number;
}

/** The faults drawn per write, each a chance from 0 to 1. */
export const FAULT_RATES = ['lossRate', 'corruptRate', 'duplicateRate'] as const;
export type FaultRate = (typeof FAULT_RATES)[number];

/** The longest delay a line adds. */
export const LINE_DELAY_MS_MAX = 60_000;

export function noFaults(): LineFaults {
  return { cut: false, lossRate: 0, corruptRate: 0, duplicateRate: 0, delayMs: 0 };
}

/** No fault of any kind is set. */
export function isFaultFree(faults: LineFaults): boolean {
  return !faults.cut && FAULT_RATES.every((rate) => faults[rate] === 0) && faults.delayMs === 0;
}

/**
 * What one write becomes on a line with `faults` (the cut and the delay
 * aside, which are the cable's to apply): a run of its bytes lost, one bit
 * flipped, and whether it arrives twice. `random` is drawn in that order,
 * only for the faults that are set, so a seeded cable repeats itself.
 */
export function faultedWrite(
  bytes: Uint8Array,
  faults: LineFaults,
  random: () => number,
): { readonly data: Uint8Array; readonly twice: boolean } {
  let data = bytes;
  if (faults.lossRate > 0 && random() < faults.lossRate) {
    const from = Math.floor(random() * data.length);
    const to = from + 1 + Math.floor(random() * (data.length - from));
    data = concatBytes(data.subarray(0, from), data.subarray(to));
  }
  if (faults.corruptRate > 0 && random() < faults.corruptRate && data.length > 0) {
    data = data.slice();
    const at = Math.floor(random() * data.length);
    data[at] = (data[at] ?? 0) ^ (1 << Math.floor(random() * 8));
  }
  const twice = faults.duplicateRate > 0 && random() < faults.duplicateRate;
  return { data, twice };
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
