/**
 * The simulated board's flash: one file holding two image slots and a small
 * NVM area, changed only through write and erase operations. The lab can
 * cut power at any operation (`cutAtOperation`): the process dies right
 * before that operation, the way a real board loses power mid-update. Where
 * `onPowerCut` returns control by throwing (in-process tests), every later
 * operation throws too: the flash stays without power.
 */
import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';

export interface FlashLayout {
  readonly slotBytes: number;
  readonly nvmBytes: number;
}

const ERASED = 0xff;

export class FlashFile {
  readonly #fd: number;
  #operations = 0;

  constructor(
    readonly path: string,
    readonly layout: FlashLayout,
    /** Operation number (1-based) at which power is cut; 0 for never. */
    readonly cutAtOperation = 0,
    readonly onPowerCut: () => never = () => process.kill(process.pid, 'SIGKILL') as never,
  ) {
    const fresh = !existsSync(path);
    this.#fd = openSync(path, fresh ? 'w+' : 'r+');
    if (fresh) writeSync(this.#fd, new Uint8Array(this.size).fill(ERASED), 0, this.size, 0);
  }

  get size(): number {
    return 2 * this.layout.slotBytes + this.layout.nvmBytes;
  }

  slotOffset(slot: 0 | 1): number {
    return slot * this.layout.slotBytes;
  }

  get nvmOffset(): number {
    return 2 * this.layout.slotBytes;
  }

  read(offset: number, length: number): Uint8Array {
    this.#check(offset, length);
    const out = new Uint8Array(length);
    readSync(this.#fd, out, 0, length, offset);
    return out;
  }

  write(offset: number, bytes: Uint8Array): void {
    this.#check(offset, bytes.length);
    this.#operation();
    writeSync(this.#fd, bytes, 0, bytes.length, offset);
  }

  erase(offset: number, length: number): void {
    this.#check(offset, length);
    this.#operation();
    writeSync(this.#fd, new Uint8Array(length).fill(ERASED), 0, length, offset);
  }

  close(): void {
    closeSync(this.#fd);
  }

  #operation(): void {
    this.#operations += 1;
    // From the cut on, power stays off: no later operation happens either.
    if (this.cutAtOperation !== 0 && this.#operations >= this.cutAtOperation) this.onPowerCut();
  }

  #check(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`flash access ${offset}+${length} outside 0..${this.size}`);
    }
  }
}
