/**
 * One xsnap worker process and its message channel, used synchronously: the
 * board hands the engine one message and blocks until it answers, as a
 * microcontroller runs one handler to completion. xsnap reads netstrings on
 * its fd 3 and writes them on fd 4. Node's own pipes are non-blocking, so the
 * channel is two FIFOs opened blocking; the parent keeps only its ends, so a
 * worker that dies is an end of file, not a hang.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Longest message either way (a netstring length beyond it is a broken channel). */
const MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

/**
 * The engine's own accounting, sent with every answer (xsnap's meter, with
 * the chunk and slot figures our build adds: native/in-place.c).
 */
export interface XsMeter {
  /** Slots in use after the call (xsnap's fxGetCurrentHeapCount). */
  readonly currentHeapCount: number;
  /** The most slots in use at once since the engine started. */
  readonly slotsPeak: number;
  /** Bytes of one slot on this build (32 on a 64-bit host, 16 on a 32-bit microcontroller). */
  readonly slotBytes: number;
  /** Bytes of chunks (strings, arrays' items, buffers, code) in use after the call, and at most. */
  readonly chunks: number;
  readonly chunksPeak: number;
  /** Bytes XS has taken from the system for chunks, slots and its stack (the machine's allocatedSpace). */
  readonly allocate: number;
  /** Bytes of bytecode run in place, outside the heap (a device's flash). */
  readonly codeInPlace: number;
  /** Computation units the call used (XS's metering). */
  readonly compute: number;
}

export type XsnapErrorCode =
  /** The worker exited or its channel broke. */
  | 'worker-gone'
  /** The worker answered with an exception (eval of a script that threw). */
  | 'engine-threw';

export class XsnapError extends Error {
  readonly xsnapError = true;
  override name = 'XsnapError';
  constructor(
    readonly code: XsnapErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class XsnapProcess {
  readonly #child: ChildProcess;
  readonly #toWorker: number;
  readonly #fromWorker: number;
  #pending = Buffer.alloc(0);
  #closed = false;

  constructor(workerPath: string, log: (line: string) => void) {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-xsnap-'));
    try {
      const down = join(dir, 'down');
      const up = join(dir, 'up');
      execFileSync('mkfifo', [down, up]);
      // Opening a FIFO blocks until the other end opens; a non-blocking reader lets both open at once.
      const downProbe = openSync(down, constants.O_RDONLY | constants.O_NONBLOCK);
      this.#toWorker = openSync(down, constants.O_WRONLY);
      const workerReads = openSync(down, constants.O_RDONLY);
      closeSync(downProbe);
      this.#fromWorker = openSync(up, constants.O_RDONLY | constants.O_NONBLOCK);
      const workerWrites = openSync(up, constants.O_WRONLY);
      // Now that a writer exists, a blocking reader opens at once; the probe goes.
      const fromWorker = openSync(up, constants.O_RDONLY);
      closeSync(this.#fromWorker);
      this.#fromWorker = fromWorker;
      this.#child = spawn(workerPath, [], {
        stdio: ['ignore', 'pipe', 'pipe', workerReads, workerWrites],
      });
      closeSync(workerReads);
      closeSync(workerWrites);
      for (const stream of [this.#child.stdout, this.#child.stderr]) {
        stream?.setEncoding('utf8');
        stream?.on('data', (text: string) => {
          for (const line of text.split('\n')) if (line !== '') log(`xsnap: ${line}`);
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Evaluates a script at the worker's global scope (xsnap's 'e'). */
  evaluate(script: string): XsMeter {
    return this.#exchange(Buffer.concat([Buffer.from('e'), Buffer.from(script, 'utf8')])).meter;
  }

  /**
   * Runs a script compiled ahead and used in place, as a Moddable mod runs
   * from flash (native/in-place.c; the worker's 's' carries the source).
   */
  runInPlace(script: string): XsMeter {
    return this.#exchange(Buffer.concat([Buffer.from('s'), Buffer.from(script, 'utf8')])).meter;
  }

  /** Sends a message to the worker's `handleCommand` (xsnap's '?') and returns its answer. */
  command(message: Uint8Array): { reply: Uint8Array; meter: XsMeter } {
    return this.#exchange(Buffer.concat([Buffer.from('?'), message]));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.kill('SIGKILL');
    closeSync(this.#toWorker);
    closeSync(this.#fromWorker);
  }

  #exchange(body: Buffer): { reply: Uint8Array; meter: XsMeter } {
    if (this.#closed) throw new XsnapError('worker-gone', 'the XS worker was closed');
    try {
      writeAll(
        this.#toWorker,
        Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]),
      );
    } catch (error) {
      throw new XsnapError('worker-gone', `cannot write to the XS worker: ${String(error)}`);
    }
    const message = this.#readNetstring();
    const kind = String.fromCharCode(message[0] ?? 0);
    if (kind === '!') {
      throw new XsnapError('engine-threw', message.subarray(1).toString('utf8'));
    }
    if (kind !== '.')
      throw new XsnapError('worker-gone', `unexpected answer kind ${JSON.stringify(kind)}`);
    // '.' {meter JSON} \x01 reply
    const separator = message.indexOf(1);
    const meter = JSON.parse(message.subarray(1, separator).toString('utf8')) as XsMeter;
    return { reply: new Uint8Array(message.subarray(separator + 1)), meter };
  }

  #readNetstring(): Buffer {
    for (;;) {
      const colon = this.#pending.indexOf(0x3a);
      if (colon > 0) {
        const length = Number(this.#pending.subarray(0, colon).toString('latin1'));
        if (!Number.isInteger(length) || length > MESSAGE_BYTES_MAX) {
          throw new XsnapError('worker-gone', 'the XS worker sent a broken netstring');
        }
        const end = colon + 1 + length;
        if (this.#pending.length > end) {
          if (this.#pending[end] !== 0x2c)
            throw new XsnapError('worker-gone', 'the XS worker sent a broken netstring');
          const body = this.#pending.subarray(colon + 1, end);
          this.#pending = this.#pending.subarray(end + 1);
          return Buffer.from(body);
        }
      }
      const chunk = Buffer.alloc(64 * 1024);
      const count = readSync(this.#fromWorker, chunk, 0, chunk.length, null);
      if (count === 0) throw new XsnapError('worker-gone', 'the XS worker exited');
      this.#pending = Buffer.concat([this.#pending, chunk.subarray(0, count)]);
    }
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
}

export type { ChildProcess };
