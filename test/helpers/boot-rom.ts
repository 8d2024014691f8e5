/**
 * The boot ROM of two boards in a CorePair: which image each board last
 * confirmed, and reboots of stopped boards into what they asked for, at
 * once or `bootMs` after the stop (a slow board): a stop with `other-test` boots the other image on trial,
 * `confirmed` the image last confirmed. A board a fence resets boots the
 * image last confirmed too (one on trial reverts), its other slot kept.
 */
import type { AnyApp } from '../../firmware/app.ts';
import type { BootChoice } from '../../firmware/runtime/messages.ts';
import type { CorePair } from './core-pair.ts';

export class BootRom {
  readonly confirmed: [AnyApp, AnyApp];
  #effectsSeen = 0;
  /** Reboots asked for and not yet done. */
  #reboots: { readonly atMs: number; readonly board: 0 | 1; readonly boot: BootChoice }[] = [];

  /** Both boards confirmed `from`; `to` is the image in their other slot. */
  constructor(
    readonly pair: CorePair,
    readonly from: AnyApp,
    readonly to: AnyApp,
    readonly bootMs = 0,
  ) {
    this.confirmed = [from, from];
    pair.bootAfterReset = (board) => this.#bootConfirmed(board);
  }

  #bootConfirmed(board: 0 | 1): void {
    const confirmed = this.confirmed[board];
    const other = confirmed === this.from ? this.to : this.from;
    this.pair.boot(board, { testMode: false, otherVersion: other.version }, confirmed);
  }

  /** Reads the effects since the last call (confirms, and reboots), and boots the boards due. */
  step(): void {
    const { pair } = this;
    for (const { board, effect } of pair.effects.slice(this.#effectsSeen)) {
      if (effect.kind === 'confirm') this.confirmed[board] = pair.apps[board];
      if (effect.kind === 'reboot')
        this.#reboots.push({ atMs: pair.nowMs + this.bootMs, board, boot: effect.boot });
    }
    this.#effectsSeen = pair.effects.length;
    for (const { board, boot } of this.#reboots.filter((r) => r.atMs <= pair.nowMs)) {
      if (pair.cores[board] != null) continue;
      const confirmed = this.confirmed[board];
      const other = confirmed === this.from ? this.to : this.from;
      if (boot === 'other-test')
        pair.boot(board, { testMode: true, otherVersion: confirmed.version }, other);
      else this.#bootConfirmed(board);
    }
    this.#reboots = this.#reboots.filter((r) => r.atMs > pair.nowMs);
  }
}
