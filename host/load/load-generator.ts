/**
 * Client load on a real (or lab) pair: logical clients multiplexed over the
 * bus ports of both boards, each with one request outstanding, retrying with
 * the same sync id on the other board after a timeout or "not primary", and
 * following a board's announcement. Every answer goes to the same history
 * checker the simulator uses.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnyApp } from '../../firmware/app.ts';
import type { ClientReply, ClientRequest } from '../../firmware/runtime/messages.ts';
import { seededRandom } from '../../firmware/runtime/random.ts';
import { type ErrorAnswer, History } from '../history/client-history.ts';
import { SimClient } from '../simulator/sim-client.ts';
import type { BusPort } from './bus-port.ts';

export interface LoadOptions {
  readonly clients: number;
  readonly seed: number;
  readonly workload: (random: () => number) => () => unknown;
  readonly loadApp: (version: string) => AnyApp;
  /** A client moves to the other board after this long without an answer. */
  readonly timeoutMs: number;
  readonly thinkMsMax: number;
  /**
   * Prefix of the client ids. A pair remembers each client's last sync ids,
   * so a new run must not reuse an old run's ids (its requests would be "too old").
   */
  readonly clientPrefix: string;
  /** Where the answers go; a fresh History by default (a campaign passes one that keeps a log). */
  readonly history?: History;
  /** Both boards hear the field bus: every request goes out on both ports at once. */
  readonly busShared?: boolean;
}

/** An answer a client got, for timing: when, and from which board. */
export interface Answer {
  readonly atMs: number;
  readonly board: 0 | 1;
  readonly ok: boolean;
  /** The error code of a reply that is not ok. */
  readonly error?: string;
  /** The reply's frame on the field bus, bytes. */
  readonly frameBytes: number;
}

/**
 * The first of `answers` (a load's, appended to as they come) from index
 * `from` on that `matches`, looked for every millisecond; undefined after
 * `timeoutMs`.
 */
export async function waitForAnswer(
  answers: readonly Answer[],
  from: number,
  matches: (answer: Answer) => boolean,
  timeoutMs: number,
): Promise<Answer | undefined> {
  const deadline = performance.now() + timeoutMs;
  let next = from;
  while (performance.now() < deadline) {
    for (; next < answers.length; next++) {
      const answer = answers[next];
      if (answer !== undefined && matches(answer)) return answer;
    }
    await sleep(1);
  }
  return undefined;
}

/** How long one request waited for its answer, retries included, and when the answer came. */
export interface Wait {
  readonly atMs: number;
  readonly waitedMs: number;
}

export class LoadGenerator {
  readonly history: History;
  readonly answers: Answer[] = [];
  /** Every answered request's wait, in answer order (latencies over time for reports). */
  readonly waits: Wait[] = [];
  readonly #clients: SimClient[] = [];
  #ports: readonly BusPort[] = [];
  #waitedMsMax = 0;

  constructor(readonly options: LoadOptions) {
    this.history = options.history ?? new History(options.loadApp);
    for (let c = 0; c < options.clients; c++) {
      const random = seededRandom(options.seed * 13 + c);
      this.#clients.push(
        new SimClient(
          `${options.clientPrefix}-${c}`,
          this.#environment(),
          options.workload(random),
          random,
          {
            timeoutMs: options.timeoutMs,
            thinkMsMax: options.thinkMsMax,
          },
        ),
      );
    }
  }

  /** Handlers for the bus port of `board`. */
  handlersFor(board: 0 | 1) {
    return {
      reply: (reply: ClientReply, frameBytes: number) => {
        this.answers.push({
          atMs: performance.now(),
          board,
          ok: reply.ok,
          ...(reply.ok ? {} : { error: reply.error }),
          frameBytes,
        });
        this.#clients.find((c) => c.id === reply.clientId)?.onReply(reply, board);
      },
      announce: () => {
        for (const client of this.#clients) client.onAnnounce(board);
      },
    };
  }

  attach(ports: readonly [BusPort, BusPort]): void {
    this.#ports = ports;
  }

  start(): void {
    for (const client of this.#clients) client.start();
  }

  get waitedMsMax(): number {
    return this.#waitedMsMax;
  }

  /** The longest wait of the requests answered from `fromMs` to `toMs` (performance.now() times). */
  waitedMsMaxBetween(fromMs: number, toMs: number): number {
    let longest = 0;
    for (const wait of this.waits) {
      if (wait.atMs >= fromMs && wait.atMs <= toMs) longest = Math.max(longest, wait.waitedMs);
    }
    return longest;
  }

  /**
   * Stops new requests and waits (up to `limitMs`) for the outstanding ones.
   * True if all were answered; otherwise they are abandoned, so no retry keeps the process alive.
   */
  async stop(limitMs: number): Promise<boolean> {
    for (const client of this.#clients) client.stop();
    const deadline = performance.now() + limitMs;
    while (performance.now() < deadline) {
      if (this.#clients.every((c) => c.idle)) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const answered = this.#clients.every((c) => c.idle);
    for (const client of this.#clients) client.abandon();
    return answered;
  }

  #environment() {
    return {
      now: () => performance.now(),
      later: (delayMs: number, run: () => void) => void setTimeout(run, delayMs),
      send: (board: 0 | 1, request: ClientRequest) => {
        if (this.options.busShared !== true) this.#ports[board]?.send(request);
        else for (const port of this.#ports) port.send(request);
      },
      acknowledged: (
        request: ClientRequest,
        reply: { reply: unknown; txn: number; syncId: number },
      ) => this.history.acknowledge(performance.now(), request, reply),
      refused: (request: ClientRequest, reply: ErrorAnswer) =>
        this.history.refuse(performance.now(), request, reply),
      waited: (ms: number) => {
        this.waits.push({ atMs: performance.now(), waitedMs: ms });
        this.#waitedMsMax = Math.max(this.#waitedMsMax, ms);
      },
    };
  }
}
