/**
 * Takeover time in the lab: under light client load, the primary's power is
 * pulled `count` times (the survivor is primary next time, so the pulls
 * alternate between the boards). Each sample runs from the pull to the first
 * ok reply a client got from the survivor, as the clients see it on the
 * field bus. The survivor's journal says when it took over, which splits
 * each sample into detection (pull to takeover) and the rest (takeover to
 * the first reply: announcement, clients' resends, one request served).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { wallClockMs } from '../../boards/wall-clock.ts';
import type { BusPort } from '../load/bus-port.ts';
import { openLabLoad } from '../load/lab-load.ts';
import { waitForAnswer } from '../load/load-generator.ts';
import type { BenchLab } from './bench-lab.ts';

export interface TakeoverSample {
  /** The processor pulled (the primary). */
  readonly pulled: 1 | 2;
  /** Pull to the first ok reply from the survivor; null when none came within the limit. */
  readonly takeoverMs: number | null;
  /** Pull to the survivor's takeover journal entry; null when the entry was not read. */
  readonly detectMs: number | null;
  /** That first reply's frame on the field bus, bytes (its line time is the physical bound). */
  readonly replyFrameBytes: number | null;
}

export interface TakeoverOptions {
  readonly count: number;
  readonly clients: number;
  readonly seed: number;
  /** Load before the first pull and after each rejoin. */
  readonly settleMs: number;
}

const REPLY_LIMIT_MS = 10_000;

export async function benchTakeovers(
  lab: BenchLab,
  options: TakeoverOptions,
  say: (line: string) => void = () => {},
): Promise<TakeoverSample[]> {
  const opened = await openLabLoad(lab.pair.config, options.clients, options.seed);
  const ports: BusPort[] = [...opened.ports];
  const load = opened.load;
  const pulled: {
    processor: 1 | 2;
    atMs: number;
    takeoverMs: number | null;
    replyFrameBytes: number | null;
  }[] = [];
  try {
    load.start();
    for (let i = 0; i < options.count; i++) {
      const primary = await lab.whole();
      await sleep(options.settleMs);
      const survivor: 0 | 1 = primary === 1 ? 1 : 0;
      const seen = load.answers.length;
      const atMs = await lab.pull(primary);
      const reply = await waitForAnswer(
        load.answers,
        seen,
        (a) => a.ok && a.board === survivor && a.atMs > atMs,
        REPLY_LIMIT_MS,
      );
      const takeoverMs = reply === undefined ? null : reply.atMs - atMs;
      pulled.push({
        processor: primary,
        atMs,
        takeoverMs,
        replyFrameBytes: reply?.frameBytes ?? null,
      });
      say(
        `${lab.baud} baud pull ${i + 1}/${options.count} of P${primary}: ${takeoverMs === null ? 'no reply' : `first reply after ${takeoverMs.toFixed(1)} ms`}`,
      );
      // Let the survivor serve alone for a moment, as after a real failure.
      await sleep(options.settleMs / 2);
      await lab.restore(primary);
    }
    await load.stop(5000);
  } finally {
    // After a failure the clients would retry for ever: abandon what is left.
    await load.stop(0);
    for (const port of ports) await port.close().catch(() => {});
  }
  // The journal reader runs behind: read once more before matching entries.
  await sleep(100);
  return pulled.map((p): TakeoverSample => {
    const atWall = wallClockMs(p.atMs);
    const entry = lab.journal.entries.find(
      (e) =>
        e.kind === 'takeover' &&
        e.processor !== p.processor &&
        e.atMs >= atWall &&
        e.atMs <= atWall + REPLY_LIMIT_MS,
    );
    return {
      pulled: p.processor,
      takeoverMs: p.takeoverMs,
      detectMs: entry === undefined ? null : entry.atMs - atWall,
      replyFrameBytes: p.replyFrameBytes,
    };
  });
}
