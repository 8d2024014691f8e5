/**
 * A board in the deterministic simulator: power, two image slots with
 * MCUboot-style test/confirm/revert, and the pair core running the image.
 * Everything outside the core (cables, clients) is the world's business.
 */
import type { AnyApp } from '../../firmware/app.ts';
import type { PairConfig } from '../../firmware/runtime/config.ts';
import { PairCore } from '../../firmware/runtime/core.ts';
import type { BootChoice } from '../../firmware/runtime/messages.ts';

export type AppLoader = (version: string) => AnyApp;

export class SimBoard {
  powered = true;
  core: PairCore | null = null;
  /** Versions held by slots 0 and 1. */
  readonly slots: [string, string];
  active: 0 | 1 = 0;
  /** Running the active slot on trial: a reset before confirm goes back to the other. */
  trial = false;
  /** The next boot tries the other slot. */
  #tryOtherNextBoot = false;
  #bootCount = 0;

  constructor(
    readonly processor: 1 | 2,
    readonly config: PairConfig,
    readonly loadApp: AppLoader,
    slots: [string, string],
    readonly seed: number,
  ) {
    this.slots = slots;
  }

  get version(): string {
    return this.slots[this.active];
  }

  get otherVersion(): string {
    return this.slots[this.active === 0 ? 1 : 0];
  }

  /** Power lost or reset pulled: the core vanishes; a trial image reverts. */
  reset(): void {
    this.core = null;
    if (this.trial) {
      this.active = this.active === 0 ? 1 : 0;
      this.trial = false;
    }
  }

  /** The core asked to reboot. */
  scheduleReboot(boot: BootChoice): void {
    this.reset();
    if (boot === 'other-test') this.#tryOtherNextBoot = true;
  }

  confirm(): void {
    this.trial = false;
  }

  /** Boot ROM: pick the slot, start the core. */
  boot(now: number): PairCore {
    if (this.#tryOtherNextBoot) {
      this.#tryOtherNextBoot = false;
      this.active = this.active === 0 ? 1 : 0;
      this.trial = true;
    }
    this.#bootCount += 1;
    const core = new PairCore(
      this.config,
      this.loadApp(this.version),
      {
        incarnation: this.#bootCount,
        testMode: this.trial,
        otherVersion: this.otherVersion,
        seed: (this.seed * 31 + this.#bootCount) >>> 0,
      },
      now,
    );
    this.core = core;
    return core;
  }
}
