/**
 * When a takeover had a failure behind it. The world notes, in world time,
 * every stall of a board, every reset of a board (power pull, fence, its
 * own reboot) and every moment a fault on a path started or ended; a
 * takeover is then judged against the window just before it.
 *
 * A takeover by board X of the old primary Y has **a failure behind it**
 * when, within the window W before it (the silence takeover time plus two
 * heartbeat intervals: the longest that can pass between Y's failure and
 * X's decision), at least one of these held:
 *   - Y was not powered, or Y was reset (pulled, fenced, rebooted);
 *   - Y was stalled for the suspicion time or longer (counted up to now
 *     for a stall still running);
 *   - no path worked both ways for the whole window: every path had a cut
 *     in at least one direction, noise in either direction, or the hub
 *     (the wires) stalled, at some point in the window.
 * Otherwise the takeover is **false** (`falseTakeovers`). A false takeover
 * where some path did have a fault in the window, and neither board had a
 * stall of any length in it, was caused by one path failing alone: that is
 * the violation `false-takeover-one-path`. False takeovers with nothing at
 * all behind them (say a stall shorter than the suspicion time that met a
 * heartbeat's phase, or clock drift) are counted and reported, not
 * violations.
 */

interface Interval {
  readonly from: number;
  to: number;
}

export type TakeoverVerdict = 'failure-behind' | 'false' | 'false-one-path';

export class TakeoverJudge {
  readonly #stalls: Interval[][] = [[], []];
  readonly #lastResetAt = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  readonly #pathTouchedAt: number[];

  constructor(
    pathCount: number,
    /** A path is silent after this long without a frame. */
    readonly suspicionMs: number,
    /** How far back a takeover looks for its cause. */
    readonly windowMs: number,
  ) {
    this.#pathTouchedAt = Array.from({ length: pathCount }, () => Number.NEGATIVE_INFINITY);
  }

  /** Board `index` stalls from `from` until `to` (planned). */
  stalled(index: 0 | 1, from: number, to: number): void {
    const stalls = this.#stalls[index] as Interval[];
    const last = stalls[stalls.length - 1];
    if (last !== undefined && last.to >= from) last.to = Math.max(last.to, to);
    else stalls.push({ from, to });
    // Old intervals can no longer matter: keep the list short.
    if (stalls.length > 8) stalls.shift();
  }

  /** A stall ends early (the board was reset). */
  stallEnded(index: 0 | 1, at: number): void {
    const last = this.#stalls[index]?.at(-1);
    if (last !== undefined && last.to > at) last.to = at;
  }

  reset(index: 0 | 1, at: number): void {
    this.#lastResetAt[index] = at;
  }

  /** A fault on `path` started or ended at `at`. */
  pathTouched(path: number, at: number): void {
    if (path < this.#pathTouchedAt.length) this.#pathTouchedAt[path] = at;
  }

  /**
   * Judges a takeover by board `by` at `now`. `cleanNow[path]` says whether
   * the path has no fault at this moment (both directions, hub running).
   */
  judge(
    by: 0 | 1,
    now: number,
    oldPrimaryPowered: boolean,
    cleanNow: readonly boolean[],
  ): TakeoverVerdict {
    const old = by === 0 ? 1 : 0;
    const from = now - this.windowMs;
    if (!oldPrimaryPowered || (this.#lastResetAt[old] ?? Number.NEGATIVE_INFINITY) >= from)
      return 'failure-behind';
    const overlapping = (index: 0 | 1) =>
      (this.#stalls[index] ?? []).filter((s) => s.to >= from && s.from <= now);
    const longStall = overlapping(old).some(
      (s) => Math.min(s.to, now) - s.from >= this.suspicionMs,
    );
    if (longStall) return 'failure-behind';
    const cleanThroughout = cleanNow.map(
      (clean, path) => clean && (this.#pathTouchedAt[path] ?? 0) < from,
    );
    if (!cleanThroughout.some(Boolean)) return 'failure-behind';
    const somePathFaulty = cleanThroughout.some((clean) => !clean);
    const anyStall = overlapping(0).length > 0 || overlapping(1).length > 0;
    return somePathFaulty && !anyStall ? 'false-one-path' : 'false';
  }
}
