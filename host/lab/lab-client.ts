/**
 * Talks to a running lab's daemon over `<dir>/lab.sock`: one JSON request
 * per line, one JSON answer per line.
 */
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { CableDirectionChoice } from './cable-faults.ts';
import type { FaultChange } from './hub/control.ts';

export type LabRequest =
  | { readonly op: 'status' }
  | { readonly op: 'power'; readonly board: 1 | 2; readonly on: boolean }
  /**
   * A reset pulse on `board`'s line, from the board process `fromPid`. A pulse
   * from a process that is no longer running (a pulse before it, held with it
   * by a stalled daemon, reset its board) never happened.
   */
  | { readonly op: 'fence'; readonly board: 1 | 2; readonly fromPid: number }
  /**
   * Board `board` loses power the moment either board's pair records switch
   * step `step` (a to i, done): a pull at an exact point of the procedure,
   * which no timing from outside can hit. Power stays off until a `power` on.
   */
  | { readonly op: 'power-cut-at'; readonly board: 1 | 2; readonly step: string }
  /**
   * Board `board` loses power inside its `operation`-th durable-store
   * operation (write or erase) from now: the operation is torn, the board
   * process dies. Power stays off until a `power` on.
   */
  | { readonly op: 'store-cut-at'; readonly board: 1 | 2; readonly operation: number }
  /**
   * Board `board`'s durable store fails its `operation`-th write or erase
   * from now, or (`operation` 0) its first read after the board's next
   * power-on, once, the power staying on: worn flash, a file error. The
   * processor stops and comes back by itself.
   */
  | { readonly op: 'store-fault-at'; readonly board: 1 | 2; readonly operation: number }
  /**
   * From board `board`'s next power-on, every read of its durable store
   * fails, for as long as the lab runs: a store that will not read again.
   */
  | { readonly op: 'store-reads-fail'; readonly board: 1 | 2 }
  | {
      /** Set faults on a cable (see host/lab/hub/control.ts); `restore` clears them all. */
      readonly op: 'cable';
      readonly cable: string;
      readonly direction?: CableDirectionChoice;
      readonly faults?: FaultChange;
      readonly restore?: boolean;
    }
  | { readonly op: 'shutdown' };

export interface LabBoardState {
  readonly processor: 1 | 2;
  readonly powered: boolean;
  readonly pid: number | null;
}

export class LabNotRunningError extends Error {
  readonly labNotRunning = true;
  override name = 'LabNotRunningError';
}

export class LabClient {
  constructor(readonly dir: string) {}

  request(request: LabRequest, timeoutMs = 5000): Promise<unknown> {
    const socketPath = join(this.dir, 'lab.sock');
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      let buffer = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new LabNotRunningError(`the lab in ${this.dir} did not answer within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
      socket.on('data', (chunk) => {
        buffer += chunk.toString('utf8');
        const newline = buffer.indexOf('\n');
        if (newline < 0) return;
        clearTimeout(timer);
        socket.end();
        const answer = JSON.parse(buffer.slice(0, newline)) as {
          ok: boolean;
          error?: string;
          result?: unknown;
        };
        if (answer.ok) resolve(answer.result);
        else reject(new Error(answer.error ?? 'lab request failed'));
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'ENOTDIR'
            ? new LabNotRunningError(
                `no lab is running in ${this.dir}: start one with \`npx tandem lab up\``,
              )
            : error,
        );
      });
    });
  }

  power(board: 1 | 2, on: boolean): Promise<unknown> {
    return this.request({ op: 'power', board, on });
  }

  fence(board: 1 | 2, fromPid: number): Promise<unknown> {
    return this.request({ op: 'fence', board, fromPid });
  }

  async boards(): Promise<LabBoardState[]> {
    return (await this.request({ op: 'status' })) as LabBoardState[];
  }
}
