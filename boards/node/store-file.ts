/**
 * A Node board's durable region (firmware/hal.ts DurableRegion): the flash
 * rules of flash-region.ts over one file, synced to disk before each write
 * or erase returns, so a write that returned survives the process being
 * killed and the machine losing power. The geometry comes from the board
 * profile (`store`). The lab can cut power at any operation
 * (`cutAtOperation`): the operation is torn, then the process dies (SIGKILL,
 * as a power pull), the way a board loses power mid-write.
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import type { StoreGeometry } from '../../firmware/hal.ts';
import { ERASED, FlashRegion, regionBytes } from '../flash-region.ts';

/** The store file is not a region of the profile's geometry: refused, never erased in its place. */
export class StoreFileError extends Error {
  readonly storeFile = true;
  readonly code = 'store-mismatch';
  override name = 'StoreFileError';
}

/** A power pull: the process ends at once, nothing after it runs. */
const killProcess = (): never => process.kill(process.pid, 'SIGKILL') as never;

export class StoreFile extends FlashRegion {
  readonly #fd: number;

  /** Opens `path`, creating it erased when missing. Throws StoreFileError for a file of another size. */
  constructor(
    readonly path: string,
    geometry: StoreGeometry,
    onPowerCut: () => never = killProcess,
  ) {
    const size = regionBytes(geometry);
    const fresh = !existsSync(path);
    const fd = openSync(path, fresh ? 'w+' : 'r+');
    if (fresh) {
      writeSync(fd, new Uint8Array(size).fill(ERASED), 0, size, 0);
      fdatasyncSync(fd);
    } else if (fstatSync(fd).size !== size) {
      const found = fstatSync(fd).size;
      closeSync(fd);
      throw new StoreFileError(
        `${path} holds ${found} bytes, but the profile's store is ${geometry.blockCount} blocks of ${geometry.eraseBlockBytes} bytes (${size}): it was written with another geometry; move it away to start an empty store, or give the profile the geometry it was written with`,
      );
    }
    super(
      geometry,
      {
        read: (offset, length) => {
          const out = new Uint8Array(length);
          readSync(fd, out, 0, length, offset);
          return out;
        },
        store: (offset, bytes) => {
          writeSync(fd, bytes, 0, bytes.length, offset);
          fdatasyncSync(fd);
        },
      },
      onPowerCut,
    );
    this.#fd = fd;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** The board log's line about its store, at power-on: where retained state lives, or that it cannot. */
export function storeLine(store: StoreFile | null): string {
  if (store === null) return 'no durable store: a retained app runs in memory only';
  const g = store.geometry;
  return `durable store ${store.path}: ${g.blockCount} blocks of ${g.eraseBlockBytes} bytes, ${g.writeBytes}-byte writes`;
}
