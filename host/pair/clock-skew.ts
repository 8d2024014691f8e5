/**
 * How far a board's journal clock may be from the host's, measured the way
 * NTP and Cristian's algorithm do: the host notes its clock before it asks
 * (`sentMs`) and after the answer comes (`receivedMs`); the board put its own
 * clock in the answer (`boardMs`). The board read its clock somewhere in
 * between, so its skew (board minus host) lies in
 * [boardMs - receivedMs, boardMs - sentMs]. Within one power-on a board keeps
 * one clock offset, so the brackets of all its answers are intersected: the
 * quickest round trip sets the width.
 */

/** The skew of one board's clock against the host's, in ms (board minus host). */
export interface SkewBracket {
  readonly loMs: number;
  readonly hiMs: number;
  readonly samples: number;
}

/** One board's skew brackets, one per power-on. */
export class ClockSkew {
  readonly #byPowerOn = new Map<number, SkewBracket>();

  /** One answer: host clock before asking and after the answer, the board's clock in it. */
  add(powerOn: number, sentMs: number, boardMs: number, receivedMs: number): void {
    const lo = boardMs - receivedMs;
    const hi = boardMs - sentMs;
    const before = this.#byPowerOn.get(powerOn);
    if (before === undefined) {
      this.#byPowerOn.set(powerOn, { loMs: lo, hiMs: hi, samples: 1 });
      return;
    }
    let loMs = Math.max(before.loMs, lo);
    let hiMs = Math.min(before.hiMs, hi);
    // Brackets that no longer meet: the board's clock drifted against ours (a crystal
    // on a real board). Keep the hull of both, which covers the drift.
    if (loMs > hiMs) {
      loMs = Math.min(before.loMs, lo);
      hiMs = Math.max(before.hiMs, hi);
    }
    this.#byPowerOn.set(powerOn, { loMs, hiMs, samples: before.samples + 1 });
  }

  /** Every power-on's bracket. */
  get brackets(): readonly SkewBracket[] {
    return [...this.#byPowerOn.values()];
  }

  /**
   * The most this board's clock was off the host's over every power-on
   * measured (the offset itself plus the bracket's uncertainty), or null
   * when the board never told its clock.
   */
  get boundMs(): number | null {
    const brackets = this.brackets;
    if (brackets.length === 0) return null;
    return Math.max(...brackets.map((b) => Math.max(Math.abs(b.loMs), Math.abs(b.hiMs))));
  }

  get samples(): number {
    return this.brackets.reduce((sum, b) => sum + b.samples, 0);
  }
}
