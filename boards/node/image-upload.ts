/**
 * Receiving an image into the inactive slot progressively, so that a push
 * cut short (power pulled, cable cut, host stopped) resumes where it stopped.
 *
 * Nothing is erased before the image's head (header and manifest, in the
 * first chunk or the first few) has been checked: its format and length
 * against the length announced, a key this board trusts, this board named,
 * and the board's push policy (push-policy.ts: same app, no downgrade unless
 * allowed). Until then the chunks are held in memory and the other slot
 * keeps its image, the one to fall back to. What only the whole image can
 * show (the payload's SHA-256, the signature) is checked at push-end, when
 * the slot is already rewritten; a refusal then leaves it empty.
 *
 * Once the head passes, the slot is erased and chunks go straight into its
 * flash, in order. After each chunk a progress record in NVM
 * (double-buffered, nvm-record.ts) holds the image's SHA-256, its length and
 * the bytes written. The slot's length word is written last, once the whole
 * image is read back from flash and verified, so a partial slot reads as
 * empty to the boot ROM. The slot is erased before the record names the new
 * upload; a chunk is written before the record that counts it. So after a
 * cut at any flash operation the record never counts more than the slot
 * holds, and a `push-begin` for the same image carries on from the record
 * (`resumeAt`), checking the head in flash again against the policy.
 *
 * Refusals are answers (UploadRefusal, or the ImageError of a failed check,
 * each with a code) and change nothing; the running slot is never written.
 */
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { ImageError } from '../image/errors.ts';
import { IMAGE_HEAD_MAX_BYTES, type ImageManifest, verifyImageHead } from '../image/verify.ts';
import type { UploadRefusalCode } from '../management.ts';
import type { BootRom } from './boot-rom.ts';
import type { FlashFile } from './flash-file.ts';
import { NvmAreas, readNvmRecord, writeNvmRecord } from './nvm-record.ts';
import { type PushFlags, pushPolicyRefusal } from './push-policy.ts';

export type { UploadRefusalCode } from '../management.ts';

/** The progress record of an upload under way or cut short. */
export interface UploadProgress {
  readonly slot: 0 | 1;
  /** SHA-256 of the whole image, lowercase hex. */
  readonly sha256: string;
  readonly total: number;
  /** Image bytes in the slot, from its start; a chunk boundary. */
  readonly written: number;
}

/** The board refuses a push request; nothing changed. `code` goes into the error answer. */
export class UploadRefusal extends Error {
  override name = 'UploadRefusal';
  constructor(
    readonly code: UploadRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/** The upload progress kept in NVM, or null when no upload is under way. */
export function readUploadProgress(flash: FlashFile): UploadProgress | null {
  const fields = readNvmRecord(flash, NvmAreas.imageUpload);
  if (fields === null) return null;
  const { slot, sha256, total, written } = fields;
  if (slot !== 0 && slot !== 1) return null;
  if (typeof sha256 !== 'string' || typeof total !== 'number' || typeof written !== 'number')
    return null;
  if (!Number.isSafeInteger(total) || !Number.isSafeInteger(written)) return null;
  if (written < 0 || written > total) return null;
  return { slot, sha256, total, written };
}

/** An upload this boot has begun, one member per stage. */
type Session =
  /** The head is not yet complete: its bytes are in memory, flash is untouched. */
  | {
      readonly stage: 'head';
      readonly slot: 0 | 1;
      readonly sha256: string;
      readonly total: number;
      readonly flags: PushFlags;
      readonly head: Uint8Array;
    }
  /** The head passed: the slot was erased and holds `progress.written` bytes. */
  | { readonly stage: 'writing'; readonly progress: UploadProgress };

const NO_FLAGS: PushFlags = { allowDowngrade: false };

export class ImageUpload {
  #session: Session | null = null;

  constructor(readonly rom: BootRom) {}

  /**
   * Starts an upload into the inactive slot, or carries on with one cut short
   * (same image: same SHA-256 and length, same slot). Answers where to resume.
   */
  begin(
    total: number,
    sha256: string,
    flags: PushFlags = NO_FLAGS,
  ): { slot: 0 | 1; resumeAt: number } {
    const rom = this.rom;
    if (total > rom.imageMaxBytes) {
      throw new UploadRefusal(
        'too-large',
        `image of ${total} bytes does not fit a slot of ${rom.imageMaxBytes} image bytes`,
      );
    }
    if (rom.onTrial()) {
      throw new UploadRefusal(
        'on-trial',
        'the running image is on trial and the other slot holds the image to revert to; confirm or revert first',
      );
    }
    this.#session = null;
    const slot = rom.inactiveSlot();
    const installed = rom.slotImage(slot);
    if (installed !== null && installed.length === total && sha256Hex(installed) === sha256) {
      // The image is already there (a push-end answered, or lost on the way): nothing to send.
      this.#checkHead(installed, total, flags);
      this.#session = { stage: 'writing', progress: { slot, sha256, total, written: total } };
      return { slot, resumeAt: total };
    }
    const progress = readUploadProgress(rom.flash);
    if (
      installed === null &&
      progress !== null &&
      progress.slot === slot &&
      progress.sha256 === sha256 &&
      progress.total === total &&
      progress.written > 0
    ) {
      // Resume. The head is in flash (it goes there whole, checked): check it again, as the
      // running image or the flags may differ from the first push.
      const inFlash = rom.flash.read(
        rom.imageOffset(slot),
        Math.min(progress.written, IMAGE_HEAD_MAX_BYTES),
      );
      if (this.#checkHead(inFlash, total, flags) !== null) {
        // What lies beyond the record may be a chunk written but not counted: erase it.
        const from = rom.imageOffset(slot) + progress.written;
        if (progress.written < total) rom.flash.erase(from, total - progress.written);
        this.#session = { stage: 'writing', progress };
        rom.forgetSlots();
        return { slot, resumeAt: progress.written };
      }
    }
    // A new upload: nothing changes until its head has been checked (data).
    this.#session = { stage: 'head', slot, sha256, total, flags, head: new Uint8Array(0) };
    return { slot, resumeAt: 0 };
  }

  /** Takes the next chunk; `raw` set means `data` is deflated and inflates to `raw` bytes. */
  data(offset: number, data: Uint8Array, raw?: number): { written: number } {
    const session = this.#requireSession();
    const { total } = session.stage === 'head' ? session : session.progress;
    const taken = session.stage === 'head' ? session.head.length : session.progress.written;
    if (offset !== taken) {
      throw new UploadRefusal(
        'bad-offset',
        `chunk at offset ${offset}, but the board holds ${taken} bytes: send from there`,
      );
    }
    const chunk = raw === undefined ? data : inflate(data, raw);
    if (offset + chunk.length > total) {
      throw new UploadRefusal(
        'bad-offset',
        `chunk of ${chunk.length} bytes at ${offset} runs past the image's ${total} bytes`,
      );
    }
    if (session.stage === 'head') return this.#takeHead(session, chunk);
    const progress = session.progress;
    this.rom.flash.write(this.rom.imageOffset(progress.slot) + offset, chunk);
    this.#written({ ...progress, written: offset + chunk.length });
    return { written: offset + chunk.length };
  }

  /**
   * Reads the image back from flash, checks its SHA-256 and verifies it, then
   * writes the slot's length word: from here the slot holds the image.
   */
  end(): { slot: 0 | 1; manifest: ImageManifest } {
    const session = this.#requireSession();
    if (session.stage === 'head' || session.progress.written !== session.progress.total) {
      const { written, total } =
        session.stage === 'head' ? { written: session.head.length, ...session } : session.progress;
      throw new UploadRefusal(
        'incomplete',
        `the board holds ${written} of ${total} bytes; send the rest first`,
      );
    }
    const rom = this.rom;
    const { slot, total, sha256 } = session.progress;
    const committed = rom.slotImage(slot);
    const bytes = committed ?? rom.flash.read(rom.imageOffset(slot), total);
    try {
      if (sha256Hex(bytes) !== sha256) {
        throw new UploadRefusal(
          'corrupted',
          'the image in flash does not match the SHA-256 announced in push-begin; push it again',
        );
      }
      const { manifest } = rom.verify(bytes);
      if (committed === null) rom.commitSlot(slot, total);
      this.#forget();
      return { slot, manifest };
    } catch (error) {
      // Refused: the upload is forgotten, and the slot reads empty (its length word was never
      // written). Any other error (a flash fault) leaves everything as it is.
      if (error instanceof UploadRefusal || error instanceof ImageError) {
        if (committed === null) this.#forget();
        else this.#session = null;
      }
      throw error;
    }
  }

  /**
   * A chunk while the head is incomplete: held in memory (at most the head's
   * limit and one chunk) until the head can be checked. A refusal forgets the
   * upload and changes nothing; a pass erases the slot and writes what is held.
   */
  #takeHead(session: Extract<Session, { stage: 'head' }>, chunk: Uint8Array): { written: number } {
    const head = new Uint8Array(session.head.length + chunk.length);
    head.set(session.head, 0);
    head.set(chunk, session.head.length);
    let checked: ImageManifest | null;
    try {
      checked = this.#checkHead(head, session.total, session.flags);
    } catch (error) {
      this.#session = null;
      throw error;
    }
    if (checked === null) {
      this.#session = { ...session, head };
      return { written: head.length };
    }
    const { slot, sha256, total } = session;
    // The slot is erased (it reads empty from here) before the record names the new upload.
    this.rom.eraseSlot(slot);
    const progress = { slot, sha256, total, written: 0 };
    this.#session = { stage: 'writing', progress };
    this.#record(progress);
    this.rom.flash.write(this.rom.imageOffset(slot), head);
    this.#written({ ...progress, written: head.length });
    return { written: head.length };
  }

  /**
   * Checks an image's head and the push policy; the manifest, or null when
   * `prefix` is too short to tell. Throws the ImageError or UploadRefusal.
   */
  #checkHead(prefix: Uint8Array, total: number, flags: PushFlags): ImageManifest | null {
    const rom = this.rom;
    const head = verifyImageHead(prefix, {
      total,
      publicKeys: [...rom.publicKeys],
      board: rom.board,
    });
    if (!head.complete) return null;
    const refusal = pushPolicyRefusal(head.manifest, rom.activeManifest(), flags);
    if (refusal !== null) throw new UploadRefusal(refusal.code, refusal.message);
    return head.manifest;
  }

  #written(progress: UploadProgress): void {
    this.#session = { stage: 'writing', progress };
    this.#record(progress);
    this.rom.forgetSlots();
  }

  #requireSession(): Session {
    if (this.#session === null) {
      throw new UploadRefusal('no-transfer', 'no upload under way: send push-begin first');
    }
    return this.#session;
  }

  #record(progress: UploadProgress): void {
    writeNvmRecord(this.rom.flash, NvmAreas.imageUpload, { ...progress });
  }

  #forget(): void {
    this.#session = null;
    if (readUploadProgress(this.rom.flash) !== null) {
      writeNvmRecord(this.rom.flash, NvmAreas.imageUpload, { slot: null });
    }
    this.rom.forgetSlots();
  }
}

function inflate(data: Uint8Array, raw: number): Uint8Array {
  let out: Buffer;
  try {
    out = inflateRawSync(data, { maxOutputLength: raw });
  } catch (error) {
    throw new UploadRefusal(
      'bad-data',
      `the chunk does not inflate to ${raw} bytes: ${(error as Error).message}`,
    );
  }
  if (out.length !== raw) {
    throw new UploadRefusal('bad-data', `the chunk inflates to ${out.length} bytes, not ${raw}`);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
