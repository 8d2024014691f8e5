/**
 * A board's own clock: `world * (1 + drift) + offset`. Every call into a
 * board's core reads this clock, and every time a core asks for (a wake-up)
 * is turned back into world time, so a fast or a skewed board sees the
 * world consistently wrong, as a real one does.
 */
import type { ClockSpec } from './fault-model.ts';

export class BoardClock {
  /** The latest reading given: readings never go back, whatever the rounding. */
  #lastMs = Number.NEGATIVE_INFINITY;

  constructor(readonly spec: ClockSpec) {}

  /** The board's reading at world time `worldMs`, and at least `floorMs`. */
  at(worldMs: number, floorMs = Number.NEGATIVE_INFINITY): number {
    const { drift, offsetMs } = this.spec;
    const reading = drift === 0 && offsetMs === 0 ? worldMs : worldMs * (1 + drift) + offsetMs;
    this.#lastMs = Math.max(this.#lastMs, reading, floorMs);
    return this.#lastMs;
  }

  /** The world time at which this clock reads `boardMs`. */
  worldAt(boardMs: number): number {
    const { drift, offsetMs } = this.spec;
    return drift === 0 && offsetMs === 0 ? boardMs : (boardMs - offsetMs) / (1 + drift);
  }
}
