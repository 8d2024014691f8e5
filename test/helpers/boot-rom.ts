/**
 * The boot ROM of two boards in a CorePair: which image each board last
 * confirmed, and reboots of stopped boards into what they asked for (done
 * at once): a stop with `other-test` boots the other image on trial,
 * `confirmed` the image last confirmed.
 */
import type { AnyApp } from '../../firmware/app.ts';
import type { CorePair } from './core-pair.ts';

export class BootRom {
  readonly confirmed: [AnyApp, AnyApp];
  #effectsSeen = 0;

  /** Both boards confirmed `from`; `to` is the image in their other slot. */
  constructor(
    readonly pair: CorePair,
    readonly from: AnyApp,
    readonly to: AnyApp,
  ) {
    this.confirmed = [from, from];
  }

  /** Reads the effects since the last call: confirms, and reboots. */
  step(): void {
    const { pair } = this;
    for (const { board, effect } of pair.effects.slice(this.#effectsSeen)) {
      if (effect.kind === 'confirm') this.confirmed[board] = pair.apps[board];
      if (effect.kind !== 'reboot' || pair.cores[board] != null) continue;
      const confirmed = this.confirmed[board];
      const other = confirmed === this.from ? this.to : this.from;
      if (effect.boot === 'other-test')
        pair.boot(board, { testMode: true, otherVersion: confirmed.version }, other);
      else pair.boot(board, { testMode: false, otherVersion: other.version }, confirmed);
    }
    this.#effectsSeen = pair.effects.length;
  }
}
