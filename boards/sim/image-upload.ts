/**
 * Receiving an image into the inactive slot progressively, so that a push
 * cut short (power pulled, cable cut, host stopped) resumes where it stopped.
 *
 * Chunks go straight into the slot's flash as they arrive, in order. After
 * each chunk a progress record in NVM (double-buffered, nvm-record.ts) holds
 * the image's SHA-256, its length and the bytes written. The slot's length
 * word is written last, once the whole image is read back from flash and
 * verified, so a partial slot reads as empty to the boot ROM. A new upload
 * erases the slot before it records anything; a chunk is written before the
 * record that counts it. So after a cut at any flash operation the record
 * never counts more than the slot holds, and a `push-begin` for the same
 * image carries on from the record (`resumeAt`).
 *
 * Refusals are answers (UploadRefusal with a code) and change nothing; a
 * verification failure at the end forgets the upload and leaves the slot
 * empty; the running slot is never written.
 */
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { ImageError } from '../image/errors.ts';
import type { ImageManifest } from '../image/verify.ts';
import type { BootRom } from './boot-rom.ts';
import type { FlashFile } from './flash-file.ts';
import { NvmAreas, readNvmRecord, writeNvmRecord } from './nvm-record.ts';

/** The progress record of an upload under way or cut short. */
export interface UploadProgress {
  readonly slot: 0 | 1;
  /** SHA-256 of the whole image, lowercase hex. */
  readonly sha256: string;
  readonly total: number;
  /** Image bytes in the slot, from its start; a chunk boundary. */
  readonly written: number;
}

export type UploadRefusalCode =
  | 'too-large'
  | 'on-trial'
  | 'no-transfer'
  | 'bad-offset'
  | 'bad-data'
  | 'incomplete'
  | 'corrupted';

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

export class ImageUpload {
  /** The upload this boot has begun; data and end need one. */
  #session: UploadProgress | null = null;

  constructor(readonly rom: BootRom) {}

  /** The upload under way in this boot, if any. */
  get session(): UploadProgress | null {
    return this.#session;
  }

  /**
   * Starts an upload into the inactive slot, or carries on with one cut short
   * (same image: same SHA-256 and length, same slot). Answers where to resume.
   */
  begin(total: number, sha256: string): { slot: 0 | 1; resumeAt: number } {
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
    const slot = rom.inactiveSlot();
    const installed = rom.slotImage(slot);
    if (installed !== null && installed.length === total && sha256Hex(installed) === sha256) {
      // The image is already there (a push-end answered, or lost on the way): nothing to send.
      this.#session = { slot, sha256, total, written: total };
      return { slot, resumeAt: total };
    }
    const progress = readUploadProgress(rom.flash);
    if (
      installed === null &&
      progress !== null &&
      progress.slot === slot &&
      progress.sha256 === sha256 &&
      progress.total === total
    ) {
      // Resume. What lies beyond the record may be a chunk written but not counted: erase it.
      const from = rom.imageOffset(slot) + progress.written;
      if (progress.written < total) rom.flash.erase(from, total - progress.written);
      this.#session = progress;
      rom.forgetSlots();
      return { slot, resumeAt: progress.written };
    }
    // A new upload: the slot is erased (it reads empty from here) before the record names it.
    rom.eraseSlot(slot);
    this.#session = { slot, sha256, total, written: 0 };
    this.#record(this.#session);
    return { slot, resumeAt: 0 };
  }

  /** Writes the next chunk; `raw` set means `data` is deflated and inflates to `raw` bytes. */
  data(offset: number, data: Uint8Array, raw?: number): { written: number } {
    const session = this.#requireSession();
    if (offset !== session.written) {
      throw new UploadRefusal(
        'bad-offset',
        `chunk at offset ${offset}, but the slot holds ${session.written} bytes: send from there`,
      );
    }
    const chunk = raw === undefined ? data : inflate(data, raw);
    if (offset + chunk.length > session.total) {
      throw new UploadRefusal(
        'bad-offset',
        `chunk of ${chunk.length} bytes at ${offset} runs past the image's ${session.total} bytes`,
      );
    }
    this.rom.flash.write(this.rom.imageOffset(session.slot) + offset, chunk);
    this.#session = { ...session, written: offset + chunk.length };
    this.#record(this.#session);
    this.rom.forgetSlots();
    return { written: this.#session.written };
  }

  /**
   * Reads the image back from flash, checks its SHA-256 and verifies it, then
   * writes the slot's length word: from here the slot holds the image.
   */
  end(): { slot: 0 | 1; manifest: ImageManifest } {
    const session = this.#requireSession();
    if (session.written !== session.total) {
      throw new UploadRefusal(
        'incomplete',
        `the slot holds ${session.written} of ${session.total} bytes; send the rest first`,
      );
    }
    const rom = this.rom;
    const { slot, total } = session;
    const committed = rom.slotImage(slot);
    const bytes = committed ?? rom.flash.read(rom.imageOffset(slot), total);
    try {
      if (sha256Hex(bytes) !== session.sha256) {
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

  #requireSession(): UploadProgress {
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
