/**
 * Who holds a copy of the application state, and why each board that does
 * not lost it: the rule that decides whether a cold start is an excused
 * double failure or a violation (issue 9, defect 16).
 *
 * A board holds a copy while its core is a backup or serves (primary in any
 * form, including a primary that handed its roles over and waits to be
 * stopped). When a board stops holding one, the loss is put down to
 *   - `fault`: the fault schedule took it: the world pulled the board's
 *     power, or fenced a board that was itself stalled (the fence is then
 *     the designed answer to that board's own failure);
 *   - `switch`: an online replacement took it by design: the old backup
 *     stopped at step a, or the old primary that handed its roles to a new
 *     version that was then lost. Until the state is durable (issue 10) a
 *     pull in that window takes the only copy; such losses are counted
 *     apart, never as passes;
 *   - `core`: anything else: a fence of a running board that no fault
 *     explains, a reboot or stop the core chose, a core that dropped its
 *     state or stepped down.
 * A board that has not held a copy since the seed began counts as `fault`
 * (it never had one to lose; the pair never had it twice).
 *
 * A retained app (issue 10) keeps a copy on each board's store, which no
 * power loss takes: with `retained`, no cold start is ever excused.
 *
 * A cold start, once clients have been acknowledged, is excused as a double
 * failure only when both boards' last losses are `fault`: the schedule
 * itself took both copies, in a window where the other board held none for
 * a fault of its own. One `fault` and one `switch` is a loss in a switch's
 * window, counted apart. Every other cold start is `state-lost`: a single
 * fault, with the core's help, took the only copies.
 */
export type CopyLoss = 'fault' | 'switch' | 'core';

export class StateCopies {
  constructor(
    /** The app's state is on each board's durable store too, which outlives power loss. */
    readonly retained = false,
  ) {}

  readonly #holds = [false, false];
  readonly #cause: CopyLoss[] = ['fault', 'fault'];
  readonly #why = ['never held a copy', 'never held a copy'];

  /** The world takes board `index`'s copy (power pull, fence) for `cause`. */
  taken(index: 0 | 1, cause: CopyLoss, why: string): void {
    if (!this.#holds[index]) return;
    this.#holds[index] = false;
    this.#cause[index] = cause;
    this.#why[index] = why;
  }

  /** After every step: a board that stopped holding a copy on its own gave it up (`core`). */
  observe(index: 0 | 1, holds: boolean, role: string): void {
    // A stop is put down by the role event that says who asked for it (see the world).
    if (role === 'stopped' && this.#holds[index]) return;
    if (this.#holds[index] && !holds) {
      this.#cause[index] = 'core';
      this.#why[index] = `its core went ${role}`;
    }
    this.#holds[index] = holds;
  }

  /** Both copies were taken by faults: a cold start now is an excused double failure. */
  get doubleFault(): boolean {
    if (this.retained) return false;
    return this.#cause[0] === 'fault' && this.#cause[1] === 'fault';
  }

  /** One copy taken by a fault while a switch had taken the other by design. */
  get inSwitchWindow(): boolean {
    if (this.retained) return false;
    const causes = [...this.#cause].sort().join(' ');
    return causes === 'fault switch';
  }

  describe(): string {
    return [0, 1]
      .map((i) => `P${i + 1} lost its copy by ${this.#cause[i]} (${this.#why[i]})`)
      .join('; ');
  }
}
