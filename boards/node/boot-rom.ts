/**
 * The simulated board's boot ROM, in the manner of MCUboot: two slots, the
 * active one verified before anything of it runs, test (one trial boot),
 * confirm, and revert when a trial image resets unconfirmed.
 */
import { type ImageManifest, verifyImage } from '../image/verify.ts';
import { type BootState, readBootState, writeBootState } from './boot-state.ts';
import type { FlashFile } from './flash-file.ts';
import { readUploadProgress } from './image-upload.ts';

export interface SlotReport {
  readonly slot: 0 | 1;
  readonly version: string | null;
  /** 'empty', 'valid', 'partial' (an upload under way or cut short), or why the image is refused. */
  readonly status: string;
  /** With 'partial': image bytes written of the total. */
  readonly upload?: { readonly written: number; readonly total: number };
}

export interface BootResult {
  readonly state: BootState;
  /** The verified image that runs, or null when no slot holds one. */
  readonly image: { readonly manifest: ImageManifest; readonly payload: string } | null;
  readonly otherVersion: string;
  readonly notes: readonly string[];
}

/**
 * A slot holds [length u32 LE][image]. The length word is written last, once
 * the image is in place and verified: while it reads erased, the slot is empty.
 */
const LENGTH_BYTES = 4;
const LENGTH_ERASED = 0xffffffff;

export class BootRom {
  #slotReports: SlotReport[] | null = null;
  /** The verified manifests of the slots, read with the reports. */
  #slotManifests: (ImageManifest | null)[] = [null, null];

  constructor(
    readonly flash: FlashFile,
    readonly publicKeys: readonly Uint8Array[],
    readonly board: string,
  ) {}

  /** Picks the slot (revert a failed trial, start a requested one), counts the boot, verifies. */
  boot(): BootResult {
    let state = readBootState(this.flash);
    const notes: string[] = [];
    if (state.trial) {
      notes.push(`slot ${state.active} was on trial and reset unconfirmed: reverting`);
      state = { ...state, active: other(state.active), trial: false };
    }
    if (state.tryOther) {
      notes.push(`trying slot ${other(state.active)} on trial`);
      state = { ...state, active: other(state.active), trial: true, tryOther: false };
    }
    let image = this.#verified(state.active);
    if (image === null && state.trial) {
      notes.push(`trial slot ${state.active} holds no valid image: reverting`);
      state = { ...state, active: other(state.active), trial: false };
      image = this.#verified(state.active);
    }
    if (image === null) {
      const fallback = this.#verified(other(state.active));
      if (fallback !== null) {
        notes.push(
          `slot ${state.active} holds no valid image: running slot ${other(state.active)}`,
        );
        state = { ...state, active: other(state.active), trial: false };
        image = fallback;
      }
    }
    state = { ...state, bootCount: state.bootCount + 1 };
    writeBootState(this.flash, state);
    const otherImage = this.#verified(other(state.active));
    return { state, image, otherVersion: otherImage?.manifest.version ?? '', notes };
  }

  /** What the slots hold; verified once per content, since status asks often. */
  slots(): SlotReport[] {
    this.#slotReports ??= this.#reportSlots();
    return this.#slotReports;
  }

  /** Slot contents changed (an upload wrote to a slot): the next report reads them again. */
  forgetSlots(): void {
    this.#slotReports = null;
  }

  /** The manifest of the active slot's verified image (the one that runs), or null. */
  activeManifest(): ImageManifest | null {
    this.slots();
    return this.#slotManifests[readBootState(this.flash).active] ?? null;
  }

  #reportSlots(): SlotReport[] {
    const upload = readUploadProgress(this.flash);
    this.#slotManifests = [null, null];
    return ([0, 1] as const).map((slot) => {
      const bytes = this.#read(slot);
      if (bytes === null) {
        return upload?.slot === slot
          ? {
              slot,
              version: null,
              status: 'partial',
              upload: { written: upload.written, total: upload.total },
            }
          : { slot, version: null, status: 'empty' };
      }
      try {
        const { manifest } = this.verify(bytes);
        this.#slotManifests[slot] = manifest;
        return { slot, version: manifest.version, status: 'valid' };
      } catch (error) {
        return { slot, version: null, status: `refused: ${(error as Error).message}` };
      }
    });
  }

  /** Verifies image bytes with this board's keys and name; throws the ImageError. */
  verify(bytes: Uint8Array): { manifest: ImageManifest; payload: string } {
    return verifyImage(bytes, { publicKeys: [...this.publicKeys], board: this.board });
  }

  /** Flash offset of a slot's image bytes (after its length word). */
  imageOffset(slot: 0 | 1): number {
    return this.flash.slotOffset(slot) + LENGTH_BYTES;
  }

  /** Most image bytes a slot holds. */
  get imageMaxBytes(): number {
    return this.flash.layout.slotBytes - LENGTH_BYTES;
  }

  /** Erases a slot whole: from here it reads empty. */
  eraseSlot(slot: 0 | 1): void {
    this.#slotReports = null;
    this.flash.erase(this.flash.slotOffset(slot), this.flash.layout.slotBytes);
  }

  /** Writes a slot's length word: the image bytes before it must be in place and verified. */
  commitSlot(slot: 0 | 1, length: number): void {
    const word = new Uint8Array(LENGTH_BYTES);
    new DataView(word.buffer).setUint32(0, length, true);
    this.#slotReports = null;
    this.flash.write(this.flash.slotOffset(slot), word);
  }

  /** The image bytes a slot holds (its length word is written), or null. */
  slotImage(slot: 0 | 1): Uint8Array | null {
    return this.#read(slot);
  }

  /** The running image is on trial: the other slot holds the image to revert to. */
  onTrial(): boolean {
    return readBootState(this.flash).trial;
  }

  /** The slot a new image should go to: the one not running. */
  inactiveSlot(): 0 | 1 {
    return other(readBootState(this.flash).active);
  }

  /** Makes `slot` the confirmed active slot (first flash of an empty board). */
  activate(slot: 0 | 1): void {
    const state = readBootState(this.flash);
    writeBootState(this.flash, { ...state, active: slot, trial: false, tryOther: false });
  }

  confirm(): void {
    const state = readBootState(this.flash);
    if (state.trial) writeBootState(this.flash, { ...state, trial: false });
  }

  /** Before a reset: ask for the other slot on trial, or just reset (a trial image then reverts). */
  prepareReboot(choice: 'other-test' | 'confirmed'): void {
    if (choice === 'other-test') {
      const state = readBootState(this.flash);
      writeBootState(this.flash, { ...state, tryOther: true });
    }
  }

  #read(slot: 0 | 1): Uint8Array | null {
    const offset = this.flash.slotOffset(slot);
    const length = new DataView(this.flash.read(offset, LENGTH_BYTES).buffer).getUint32(0, true);
    if (length === LENGTH_ERASED || length > this.imageMaxBytes) return null;
    return this.flash.read(offset + LENGTH_BYTES, length);
  }

  #verified(slot: 0 | 1): { manifest: ImageManifest; payload: string } | null {
    const bytes = this.#read(slot);
    if (bytes === null) return null;
    try {
      return this.verify(bytes);
    } catch {
      return null;
    }
  }
}

function other(slot: 0 | 1): 0 | 1 {
  return slot === 0 ? 1 : 0;
}
