/**
 * A board in the deterministic simulator: power, two image slots with
 * MCUboot-style test/confirm/revert, and the pair core running the image.
 * The host pushes images into the inactive slot; a push cut short by a
 * power loss leaves that slot partial, and the boot ROM never boots or
 * reports a partial slot. Everything outside the board (cables, clients,
 * the host's timing) is the world's business.
 */
import type { AnyApp } from '../../firmware/app.ts';
import type { DurableRegion } from '../../firmware/hal.ts';
import type { PairConfig } from '../../firmware/runtime/config.ts';
import type { BootChoice } from '../../firmware/runtime/messages.ts';
import { type CoreEngine, NODE_CORES, type SimCore } from './sim-core.ts';

export type AppLoader = (version: string) => AnyApp;

/**
 * Bytes of one image in a slot. The ledger images of the final build are
 * 68,768 (1.0.0) and 71,035 (2.0.0) bytes; every simulated image is taken
 * to be this size, so a push takes the time a real one does.
 */
export const IMAGE_BYTES = 70_000;

/** One image slot: the version being or having been written, and how much of it is in flash. */
export interface Slot {
  /** '' when the slot was never written. */
  version: string;
  /** Bytes of the image in flash; the image is whole at IMAGE_BYTES. */
  written: number;
}

export class SimBoard {
  powered = true;
  core: SimCore | null = null;
  /** Slots 0 and 1. */
  readonly slots: readonly [Slot, Slot];
  active: 0 | 1 = 0;
  /** Running the active slot on trial: a reset before confirm goes back to the other. */
  trial = false;
  /** What the boot ROM did on the last boot that the world should log, if anything. */
  bootNote = '';
  /** The next boot tries the other slot. */
  #tryOtherNextBoot = false;
  #bootCount = 0;

  constructor(
    readonly processor: 1 | 2,
    readonly config: PairConfig,
    readonly loadApp: AppLoader,
    /** Versions in slots 0 and 1 at the start ('' for an empty slot); slot 0 runs. */
    slots: readonly [string, string],
    readonly seed: number,
    /** The board's durable store: it keeps its bytes when the board loses power. */
    readonly store: DurableRegion | null = null,
    /** What runs the core (PairCore in this process unless given). */
    readonly engine: CoreEngine = NODE_CORES,
  ) {
    const slot = (version: string): Slot => ({
      version,
      written: version === '' ? 0 : IMAGE_BYTES,
    });
    this.slots = [slot(slots[0]), slot(slots[1])];
  }

  get version(): string {
    return this.slots[this.active].version;
  }

  get otherIndex(): 0 | 1 {
    return this.active === 0 ? 1 : 0;
  }

  /** What the boot ROM reports for the inactive slot: a whole image's version, or '' . */
  get otherVersion(): string {
    return whole(this.slots[this.otherIndex]) ? this.slots[this.otherIndex].version : '';
  }

  /** Power lost or reset pulled: the core vanishes; a trial image reverts. */
  reset(): void {
    this.core = null;
    if (this.trial) {
      this.active = this.otherIndex;
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

  /**
   * The host starts (or resumes) writing `version` into the inactive slot.
   * A partial image of the same version is resumed where it stopped, unless
   * `fresh`; anything else is erased first. Returns the offset it starts at.
   */
  beginPush(version: string, fresh: boolean): number {
    const slot = this.slots[this.otherIndex];
    if (fresh || slot.version !== version || whole(slot)) {
      slot.version = version;
      slot.written = 0;
    }
    return slot.written;
  }

  /** A push has put its image in flash up to `offset` in slot `index` (whole at IMAGE_BYTES). */
  pushedTo(index: 0 | 1, offset: number): void {
    const slot = this.slots[index];
    slot.written = Math.min(IMAGE_BYTES, Math.max(slot.written, Math.floor(offset)));
  }

  /** Boot ROM: pick the slot, start the core. A partial slot is never booted. */
  boot(now: number): SimCore {
    this.bootNote = '';
    if (this.#tryOtherNextBoot) {
      this.#tryOtherNextBoot = false;
      if (whole(this.slots[this.otherIndex])) {
        this.active = this.otherIndex;
        this.trial = true;
      } else {
        this.bootNote = `boot ROM: no whole image in slot ${this.otherIndex}, stays on ${this.version}`;
      }
    }
    this.#bootCount += 1;
    const core = this.engine.make(
      this.config,
      this.loadApp(this.version),
      {
        incarnation: this.#bootCount,
        testMode: this.trial,
        otherVersion: this.otherVersion,
        seed: (this.seed * 31 + this.#bootCount) >>> 0,
      },
      now,
      this.store,
    );
    this.core = core;
    return core;
  }
}

function whole(slot: Slot): boolean {
  return slot.version !== '' && slot.written >= IMAGE_BYTES;
}
