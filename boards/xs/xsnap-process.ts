/**
 * One xsnap worker process and its message channel, used synchronously: the
 * board hands the engine one message and blocks until it answers, as a
 * microcontroller runs one handler to completion. xsnap reads netstrings on
 * its fd 3 and writes them on fd 4. Node's own pipes are non-blocking, so the
 * channel is two FIFOs opened blocking; the parent keeps only its ends, so a
 * worker that dies is an end of file, not a hang. While the parent waits for
 * an answer the worker may ask it something (xsnap's `issueCommand`: '?' up,
 * '/' back down); the parent answers with the handler it was given. The
 * worker's own output (stdout and stderr) goes to a file, read after each
 * exchange: writing it never blocks the worker, and when the worker dies its
 * last words are there to read at once, with its exit status.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Longest message either way (a netstring length beyond it is a broken channel). */
const MESSAGE_BYTES_MAX = 64 * 1024 * 1024;
/** Bytes of the worker's output read at once. */
const OUTPUT_READ_BYTES = 16 * 1024;
/** How long a worker whose channel closed is given to become an exit status the board can read. */
const EXIT_WAIT_MS = 1000;

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
  /**
   * Slots of the stack's `stackSlots` used since the first answer: as deep as
   * calls went (from the top), and as far as XS's regular expressions and
   * number conversions borrowed the free part as scratch (from the bottom).
   */
  readonly stackPeak: number;
  readonly stackScratch: number;
  readonly stackSlots: number;
  /** Computation units the call used (XS's metering). */
  readonly compute: number;
}

/** What xsnap's exit codes mean (xsnap-worker.c's ExitCode; -1 arrives as 255). */
const XSNAP_EXIT_REASONS = {
  1: 'bad-usage',
  2: 'io-error',
  11: 'not-enough-memory',
  12: 'stack-overflow',
  15: 'unhandled-exception',
  16: 'no-more-keys',
  17: 'too-much-computation',
  255: 'unknown-error',
} as const;
export type XsExitReason = (typeof XSNAP_EXIT_REASONS)[keyof typeof XSNAP_EXIT_REASONS];

/** How the worker ended, as far as the board can tell once its channel closed. */
export interface WorkerExit {
  /** Its exit code, or null when a signal ended it or its status could not be read. */
  readonly code: number | null;
  /** The signal that ended it ('SIGKILL', 'SIGSEGV'), or null. */
  readonly signal: string | null;
  /** What xsnap means by `code`, where it defines it. */
  readonly reason: XsExitReason | null;
  /** The worker's last line of output (XS says "stack overflow", "memory full" there), or null. */
  readonly lastLine: string | null;
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
    /** How the worker ended, when it did (a 'worker-gone' whose channel closed). */
    readonly exit: WorkerExit | null = null,
  ) {
    super(exit === null ? message : `${message} (${describeExit(exit)})`);
  }
}

/** A worker's end in words: "exit 12, stack-overflow; its last words: stack overflow". */
export function describeExit(exit: WorkerExit): string {
  const how =
    exit.code !== null
      ? `exit ${exit.code}${exit.reason === null ? '' : `, ${exit.reason}`}`
      : exit.signal !== null
        ? `killed by ${exit.signal}`
        : 'exit status unknown';
  return exit.lastLine === null ? how : `${how}; its last words: ${exit.lastLine}`;
}

/** The worker asked the board something (its '?' message); the answer goes back as '/'. */
export type WorkerRequestHandler = (request: Uint8Array) => Uint8Array;

const refuseRequests: WorkerRequestHandler = () => {
  throw new Error('this XS worker was given no handler for its requests');
};

export class XsnapProcess {
  readonly #child: ChildProcess;
  readonly #toWorker: number;
  readonly #fromWorker: number;
  /** The worker's output file, how much of it was read, and the line not yet ended. */
  readonly #output: number;
  #outputRead = 0;
  #outputPartial = '';
  #lastLine: string | null = null;
  /** Read into after every exchange: allocated once, not on each call into the image. */
  readonly #outputChunk = Buffer.alloc(OUTPUT_READ_BYTES);
  readonly #log: (line: string) => void;
  readonly #answerRequest: WorkerRequestHandler;
  #pending = Buffer.alloc(0);
  #closed = false;

  /**
   * `answerRequest` answers what the worker asks while it handles a message
   * (throwing breaks the channel). `heapBytes` gives XS a fixed heap, one
   * region its chunks and slots share, as on a microcontroller
   * (native/in-place.c): when a collection cannot make room in it, the
   * worker ends `not-enough-memory`; null leaves xsnap's own allocation.
   */
  constructor(
    workerPath: string,
    log: (line: string) => void,
    answerRequest: WorkerRequestHandler = refuseRequests,
    heapBytes: number | null = null,
  ) {
    this.#log = log;
    this.#answerRequest = answerRequest;
    const dir = mkdtempSync(join(tmpdir(), 'tandem-xsnap-'));
    try {
      // Unlinked with the folder below: the worker and this side keep it open.
      this.#output = openSync(join(dir, 'output'), 'w+');
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
        stdio: ['ignore', this.#output, this.#output, workerReads, workerWrites],
        // Read as the worker creates its machine (native/in-place.c).
        env: { ...process.env, TANDEM_XS_HEAP_BYTES: heapBytes === null ? '' : String(heapBytes) },
      });
      closeSync(workerReads);
      closeSync(workerWrites);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The worker's process id (undefined when it could not be started). */
  get pid(): number | undefined {
    return this.#child.pid;
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

  /**
   * This process may end while the worker lives (a worker kept for later
   * use); the worker then reads the end of its channel and ends too.
   */
  unref(): void {
    this.#child.unref();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.kill('SIGKILL');
    closeSync(this.#toWorker);
    closeSync(this.#fromWorker);
    closeSync(this.#output);
  }

  #exchange(body: Buffer): { reply: Uint8Array; meter: XsMeter } {
    if (this.#closed) throw new XsnapError('worker-gone', 'the XS worker was closed');
    try {
      this.#send(body);
      for (;;) {
        const message = this.#readNetstring();
        if (message[0] !== 0x3f) return this.#answer(message);
        // '?': the worker asks before it answers.
        let reply: Uint8Array;
        try {
          reply = this.#answerRequest(message.subarray(1));
        } catch (error) {
          // The worker waits for an answer it will never get: the channel is done.
          this.close();
          throw error;
        }
        this.#send(Buffer.concat([Buffer.from('/'), reply]));
      }
    } finally {
      if (!this.#closed) this.#readOutput();
    }
  }

  #send(body: Buffer): void {
    try {
      writeAll(
        this.#toWorker,
        Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]),
      );
    } catch (error) {
      throw this.#gone(`cannot write to the XS worker: ${String(error)}`);
    }
  }

  #answer(message: Buffer): { reply: Uint8Array; meter: XsMeter } {
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
      if (count === 0) throw this.#gone('the XS worker exited');
      this.#pending = Buffer.concat([this.#pending, chunk.subarray(0, count)]);
    }
  }

  /** The worker's channel closed: how it ended, with its last words. */
  #gone(message: string): XsnapError {
    const status = this.#child.pid === undefined ? null : waitStatus(this.#child.pid);
    this.#readOutput();
    const code = status !== null && (status & 0x7f) === 0 ? (status >> 8) & 0xff : null;
    const signal = status !== null && (status & 0x7f) !== 0 ? signalName(status & 0x7f) : null;
    const reason =
      code === null ? null : (XSNAP_EXIT_REASONS[code as keyof typeof XSNAP_EXIT_REASONS] ?? null);
    return new XsnapError('worker-gone', message, {
      code,
      signal,
      reason,
      lastLine: this.#lastLine,
    });
  }

  /** Logs the worker's output written since the last read, line by line; keeps the last line. */
  #readOutput(): void {
    const chunk = this.#outputChunk;
    for (;;) {
      const count = readSync(this.#output, chunk, 0, chunk.length, this.#outputRead);
      if (count === 0) return;
      this.#outputRead += count;
      const lines = (this.#outputPartial + chunk.toString('utf8', 0, count)).split('\n');
      this.#outputPartial = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') continue;
        this.#lastLine = line;
        this.#log(`xsnap: ${line}`);
      }
    }
  }
}

/**
 * The wait status (waitpid's form) of the child `pid` that is exiting, or
 * null where it cannot be read. Node reaps children only from its event
 * loop, which is not running while the board waits on the channel, so the
 * exited worker is still a zombie and Linux shows its status in
 * /proc/<pid>/stat (the last field, exit_code). Its channel closes just
 * before it becomes one: wait a little for that.
 */
function waitStatus(pid: number): number | null {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waitedMs = 0; waitedMs <= EXIT_WAIT_MS; waitedMs += 1) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      return null;
    }
    // Fields after the command name (which may hold spaces), from the state on.
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .trim()
      .split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') {
      const status = Number(fields.at(-1));
      return Number.isInteger(status) ? status : null;
    }
    Atomics.wait(pause, 0, 0, 1);
  }
  return null;
}

function signalName(signal: number): string {
  const entry = Object.entries(osConstants.signals).find(([, number]) => number === signal);
  return entry?.[0] ?? `signal ${signal}`;
}

function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
}

export type { ChildProcess };
