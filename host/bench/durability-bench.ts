/**
 * What durability costs, measured on the lab (issue 10): the same ledger
 * 1.0.0 pair built `memory` and `retained`, in two labs open side by side at
 * one baud, measured in alternating windows so both see the same machine.
 * The lab is where the store's real code paths run: each board process
 * keeps its store in a file synced on every write (boards/node/store-file.ts),
 * the retained app's durable log groups entries into records, compacts and
 * levels wear as it does on a board, and the board counts every write and
 * erase as it reaches the store (boards/counted-store.ts, read through
 * `status`). Nothing here is estimated from a formula.
 *
 * - Saturation windows (many clients, no think time): requests a second of
 *   each, and in the retained lab the store writes and bytes per request.
 * - One-client windows: the median wait of each; the difference is the
 *   latency the store's write adds before a reply may leave.
 * - The wear run: the retained lab at saturation until every block of both
 *   stores has been erased `cycles` more times (the log's areas take turns),
 *   timed from one compaction to the compaction that completes the cycles,
 *   or until a time limit. Erase cycles a block an hour follow, and with the
 *   store's rated endurance the years until its most-worn block wears out.
 */

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type StoreWear, totalErases } from '../../boards/counted-store.ts';
import { regionBytes } from '../../boards/flash-region.ts';
import type { BoardStatus } from '../../boards/management.ts';
import type { StoreGeometry } from '../../firmware/hal.ts';
import { openLabLoad } from '../load/lab-load.ts';
import { readBoardStatuses } from '../pair/board-watch.ts';
import type { BenchLab } from './bench-lab.ts';
import { type Figure, figure, quantile, round } from './figure.ts';

export type BenchDurability = 'memory' | 'retained';

/** Ledger 1.0.0 built `memory` (the shipped one is `retained`), from the repository root. */
export const IN_MEMORY_LEDGER_MODULE = 'firmware/apps/ledger/in-memory.ts';

export interface DurabilityOptions {
  /** Clients at saturation. */
  readonly clients: number;
  readonly windowMs: number;
  /** Windows of each durability, alternating, at saturation and with one client. */
  readonly rounds: number;
  /** Full erase cycles of every block the wear run waits for. */
  readonly cycles: number;
  /** The wear run gives up after this long without them. */
  readonly wearMsMax: number;
  readonly seed: number;
}

/** One board's store operations in a window. */
export interface StoreWork {
  readonly processor: 1 | 2;
  readonly writes: number;
  readonly bytesWritten: number;
  readonly erases: number;
}

export interface DurabilityWindow {
  readonly durability: BenchDurability;
  readonly clients: number;
  readonly seconds: number;
  /** Ok replies in the window. */
  readonly answered: number;
  readonly waitMsMedian: number | null;
  /** Each board's store operations (none in the memory lab, whose app keeps no log). */
  readonly stores: readonly StoreWork[];
}

/** One board's store in the wear run, over its own span: from one of its compactions to the one that completed the cycles. */
export interface WearSpan {
  readonly processor: 1 | 2;
  readonly seconds: number;
  /** Ok replies in the span. */
  readonly answered: number;
  /** Erases of its most-erased and least-erased block in the span (the levelling). */
  readonly blockErasesMax: number;
  readonly blockErasesMin: number;
  readonly writes: number;
  readonly bytesWritten: number;
}

export interface WearRun {
  /** Full erase cycles of every block the run waited for. */
  readonly cycles: number;
  /** Each board that completed them. */
  readonly spans: readonly WearSpan[];
  /** How long the run went on, seconds. */
  readonly seconds: number;
}

export interface DurabilityResult {
  readonly baud: number;
  readonly clients: number;
  readonly geometry: StoreGeometry;
  readonly saturation: readonly DurabilityWindow[];
  readonly latency: readonly DurabilityWindow[];
  readonly wear: WearRun;
}

/** Time for a fresh load to reach its pace before a window opens. */
const WARMUP_MS = 500;
/** A saturated request may wait long behind the others. */
const SATURATED_TIMEOUT_MS = 5000;
/** How often the wear run reads the stores' erase counts. */
const WEAR_POLL_MS = 200;

export async function benchDurability(
  labs: Readonly<Record<BenchDurability, BenchLab>>,
  options: DurabilityOptions,
  say: (line: string) => void = () => {},
): Promise<DurabilityResult> {
  const retained = labs.retained;
  const geometry = (await storeStatuses(retained))[0]?.store?.geometry;
  if (geometry === undefined) throw new Error('the retained lab has no store');
  const windows = async (clients: number, label: string) => {
    const out: DurabilityWindow[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const durability of ['memory', 'retained'] as const) {
        const window = await measureWindow(labs[durability], durability, clients, options, round);
        out.push(window);
        const work = window.stores.map(
          (s) => `P${s.processor} ${s.writes} writes ${s.bytesWritten} B ${s.erases} erases`,
        );
        say(
          `${retained.baud} baud ${label} ${durability.padEnd(8)}: ${(window.answered / window.seconds).toFixed(1)} req/s, median wait ${window.waitMsMedian?.toFixed(1)} ms${work.length > 0 ? `; ${work.join(', ')}` : ''}`,
        );
      }
    }
    return out;
  };
  const saturation = await windows(options.clients, 'saturation');
  const latency = await windows(1, 'one client');
  say(
    `${retained.baud} baud wear: saturating the retained pair until every block is erased ${options.cycles} more time(s), at most ${(options.wearMsMax / 1000).toFixed(0)} s`,
  );
  const wear = await wearRun(retained, options);
  const spans = wear.spans.map(
    (s) =>
      `P${s.processor} ${wear.cycles} cycle(s) of every block in ${s.seconds.toFixed(1)} s (${s.answered} requests)`,
  );
  say(
    `${retained.baud} baud wear after ${wear.seconds.toFixed(1)} s: ${spans.length > 0 ? spans.join(', ') : 'no board completed a cycle'}`,
  );
  return { baud: retained.baud, clients: options.clients, geometry, saturation, latency, wear };
}

async function storeStatuses(lab: BenchLab): Promise<BoardStatus[]> {
  const statuses = await readBoardStatuses(lab.pair.hosts);
  return statuses.flatMap((s) => (s === null ? [] : [s]));
}

/** Each board's store counts now (a board that did not answer is left out). */
async function wearNow(lab: BenchLab): Promise<Map<1 | 2, StoreWear>> {
  const out = new Map<1 | 2, StoreWear>();
  for (const status of await storeStatuses(lab)) {
    if (status.store !== null) out.set(status.processor, status.store.sincePowerOn);
  }
  return out;
}

function work(before: Map<1 | 2, StoreWear>, after: Map<1 | 2, StoreWear>): StoreWork[] {
  const out: StoreWork[] = [];
  for (const [processor, end] of after) {
    const start = before.get(processor);
    // A board restarted in the window: its counts began again, so the difference means nothing.
    if (start === undefined || end.writes < start.writes) continue;
    out.push({
      processor,
      writes: end.writes - start.writes,
      bytesWritten: end.bytesWritten - start.bytesWritten,
      erases: totalErases(end) - totalErases(start),
    });
  }
  return out;
}

async function measureWindow(
  lab: BenchLab,
  durability: BenchDurability,
  clients: number,
  options: DurabilityOptions,
  round: number,
): Promise<DurabilityWindow> {
  await lab.whole();
  const { load, ports } = await openLabLoad(
    lab.pair.config,
    clients,
    options.seed + 17 * round + clients,
    { thinkMsMax: 0, timeoutMs: SATURATED_TIMEOUT_MS },
  );
  try {
    load.start();
    await sleep(WARMUP_MS);
    const storesBefore = await wearNow(lab);
    const startMs = performance.now();
    await sleep(options.windowMs);
    const endMs = performance.now();
    const storesAfter = await wearNow(lab);
    const answered = load.answers.filter((a) => a.ok && a.atMs >= startMs && a.atMs <= endMs);
    const waits = load.waits
      .filter((w) => w.atMs >= startMs && w.atMs <= endMs)
      .map((w) => w.waitedMs);
    await load.stop(SATURATED_TIMEOUT_MS);
    return {
      durability,
      clients,
      seconds: (endMs - startMs) / 1000,
      answered: answered.length,
      waitMsMedian: quantile(waits, 0.5),
      stores: durability === 'retained' ? work(storesBefore, storesAfter) : [],
    };
  } finally {
    // After a failure the clients would retry for ever: abandon what is left.
    await load.stop(0);
    for (const port of ports) await port.close().catch(() => {});
  }
}

/**
 * Saturates the retained lab and follows both stores' erase counts. Each
 * board's span opens at a compaction of its own (an area erased) and closes
 * once every block of its store has been erased `cycles` more times since:
 * whole turns of the areas, so the span is the time they take at this load.
 */
async function wearRun(lab: BenchLab, options: DurabilityOptions): Promise<WearRun> {
  await lab.whole();
  const { load, ports } = await openLabLoad(lab.pair.config, options.clients, options.seed + 1000, {
    thinkMsMax: 0,
    timeoutMs: SATURATED_TIMEOUT_MS,
  });
  const startedMs = performance.now();
  const opened = new Map<1 | 2, { atMs: number; wear: StoreWear }>();
  const spans = new Map<1 | 2, WearSpan>();
  try {
    load.start();
    let previous = await wearNow(lab);
    while (spans.size < previous.size && performance.now() - startedMs < options.wearMsMax) {
      await sleep(WEAR_POLL_MS);
      const now = await wearNow(lab);
      const atMs = performance.now();
      for (const [processor, end] of now) {
        if (spans.has(processor)) continue;
        const before = previous.get(processor);
        const open = opened.get(processor);
        if (open === undefined || before === undefined || end.writes < before.writes) {
          // Not opened yet, or the board restarted (its counts began again): open at its next compaction.
          if (before !== undefined && totalErases(end) > totalErases(before))
            opened.set(processor, { atMs, wear: end });
          else opened.delete(processor);
          continue;
        }
        const erased = end.erasesByBlock.map((n, b) => n - (open.wear.erasesByBlock[b] ?? n));
        if (Math.min(...erased) < options.cycles) continue;
        spans.set(processor, {
          processor,
          seconds: (atMs - open.atMs) / 1000,
          answered: load.answers.filter((a) => a.ok && a.atMs >= open.atMs && a.atMs <= atMs)
            .length,
          blockErasesMax: Math.max(...erased),
          blockErasesMin: Math.min(...erased),
          writes: end.writes - open.wear.writes,
          bytesWritten: end.bytesWritten - open.wear.bytesWritten,
        });
      }
      previous = now;
    }
    return {
      cycles: options.cycles,
      spans: [...spans.values()].sort((a, b) => a.processor - b.processor),
      seconds: (performance.now() - startedMs) / 1000,
    };
  } finally {
    await load.stop(0);
    for (const port of ports) await port.close().catch(() => {});
  }
}

/** Hours in a year of 365.25 days: flash lifetimes are read in years. */
const HOURS_PER_YEAR = 8766;
/** The lifetime a board in this field is expected to serve (issue 10: "ten years of their load"). */
export const LIFETIME_TARGET_YEARS = 10;

/** Requests a second over the windows of one durability. */
function rate(windows: readonly DurabilityWindow[], durability: BenchDurability): number | null {
  const chosen = windows.filter((w) => w.durability === durability);
  const seconds = chosen.reduce((sum, w) => sum + w.seconds, 0);
  return seconds > 0 ? chosen.reduce((sum, w) => sum + w.answered, 0) / seconds : null;
}

/** The mean of the windows' median waits, of one durability. */
function medianWait(windows: readonly DurabilityWindow[], durability: BenchDurability) {
  const medians = windows.flatMap((w) =>
    w.durability === durability && w.waitMsMedian !== null ? [w.waitMsMedian] : [],
  );
  return medians.length === 0 ? null : medians.reduce((sum, m) => sum + m, 0) / medians.length;
}

/** Per board over the retained saturation windows: store writes and bytes per acknowledged request. */
export function storeWorkPerRequest(windows: readonly DurabilityWindow[]) {
  const retained = windows.filter((w) => w.durability === 'retained');
  return ([1, 2] as const).flatMap((processor) => {
    let answered = 0;
    let writes = 0;
    let bytes = 0;
    for (const w of retained) {
      const s = w.stores.find((x) => x.processor === processor);
      if (s === undefined) continue;
      answered += w.answered;
      writes += s.writes;
      bytes += s.bytesWritten;
    }
    return answered === 0
      ? []
      : [{ processor, writes: writes / answered, bytes: bytes / answered }];
  });
}

/** Erase cycles of a block an hour in a board's span: its most-erased block's. */
export function blockErasesPerHour(span: WearSpan): number {
  return span.blockErasesMax / (span.seconds / 3600);
}

/** Years until a block erased `perHour` times an hour reaches the rated endurance. */
export function lifetimeYears(enduranceCycles: number, perHour: number): number {
  return enduranceCycles / perHour / HOURS_PER_YEAR;
}

export function durabilityFigures(result: DurabilityResult): Figure[] {
  const { baud, geometry, saturation, latency, wear } = result;
  const memRate = rate(saturation, 'memory');
  const retRate = rate(saturation, 'retained');
  const ratio =
    memRate !== null && retRate !== null && memRate > 0 ? (100 * retRate) / memRate : null;
  const memWait = medianWait(latency, 'memory');
  const retWait = medianWait(latency, 'retained');
  const added = memWait !== null && retWait !== null ? retWait - memWait : null;
  const perRequest = storeWorkPerRequest(saturation);
  const busiest = (pick: (w: { writes: number; bytes: number }) => number) =>
    perRequest.length === 0 ? null : Math.max(...perRequest.map(pick));
  const eachBoard = perRequest
    .map((w) => `P${w.processor} ${w.writes.toFixed(3)} writes, ${w.bytes.toFixed(1)} B`)
    .join('; ');
  const rounds = saturation.length / 2;
  const sideBySide = `Two labs at ${baud} baud open side by side, ledger 1.0.0 built memory and retained (the shipped one), ${rounds} window(s) of each alternating`;
  const size = regionBytes(geometry);
  const store = `${geometry.blockCount} blocks of ${geometry.eraseBlockBytes / 1024} KiB (${size / 1024} KiB, the lab profile's store), ${geometry.writeBytes}-byte writes, rated ${geometry.enduranceCycles} erase cycles a block`;
  const medium =
    "On the lab each board's store is a file on this machine's disk, synced before each write or erase returns: the cost is the log's work and that sync, not a flash chip's program and erase times, which the lab does not model";
  const worst = [...wear.spans].sort((a, b) => blockErasesPerHour(b) - blockErasesPerHour(a))[0];
  const perHour = worst === undefined ? null : blockErasesPerHour(worst);
  const years = perHour === null ? null : lifetimeYears(geometry.enduranceCycles, perHour);
  const load = worst === undefined ? null : worst.answered / worst.seconds;
  // The wear follows the bytes logged, and so the request rate: the rate at which the store lasts the target.
  const targetRate =
    years === null || load === null ? null : (load * years) / LIFETIME_TARGET_YEARS;
  const light = storeWorkPerRequest(latency)
    .map((w) => `P${w.processor} ${w.bytes.toFixed(1)} B`)
    .join(', ');
  const spans = wear.spans
    .map(
      (s) =>
        `P${s.processor}: every block erased ${wear.cycles} more time(s) in ${s.seconds.toFixed(1)} s (most-erased block ${s.blockErasesMax}, least ${s.blockErasesMin}), ${s.writes} writes, ${(s.bytesWritten / 1024).toFixed(0)} KiB, ${s.answered} requests`,
    )
    .join('; ');
  const wearHow =
    worst === undefined
      ? `Neither store completed ${wear.cycles} erase cycle(s) of every block in ${wear.seconds.toFixed(0)} s of saturation: a block is erased less often than that at this load (a longer run measures it)`
      : `The retained pair at saturation (${result.clients} clients, no think time, ${load?.toFixed(1)} req/s) with each board's erases counted at its store and read every ${WEAR_POLL_MS} ms: ${spans}. The log's two areas take turns, so the blocks wear evenly; the figure is the most-erased block of the busier store`;
  return [
    figure({
      id: `durability.${baud}.throughput`,
      label: `retained throughput at ${baud} baud`,
      value: ratio === null ? null : round(ratio, 1),
      unit: '% of memory',
      target: null,
      source: 'lab',
      note: `${sideBySide}, ${result.clients} clients with no think time: ${retRate?.toFixed(1)} req/s retained against ${memRate?.toFixed(1)} memory${ratio !== null && ratio >= 95 ? ' (within a few percent: at this rate the store is not what bounds the pair)' : ''}. Both boards write each group commit to their store before the reply (primary) or the acknowledgement (backup) leaves. ${medium}.`,
    }),
    figure({
      id: `durability.${baud}.latencyAdded`,
      label: `latency a retained store adds at ${baud} baud`,
      value: added === null ? null : round(added, 2),
      unit: 'ms',
      target: null,
      source: 'lab',
      note: `${sideBySide}, one client with no think time (nothing queues): median wait ${retWait?.toFixed(2)} ms retained against ${memWait?.toFixed(2)} ms memory. The primary's and the backup's store writes come before the reply. ${medium}.`,
    }),
    figure({
      id: `durability.${baud}.writesPerRequest`,
      label: `store writes per request at ${baud} baud`,
      value: busiest((w) => w.writes) === null ? null : round(busiest((w) => w.writes) ?? 0, 3),
      unit: 'writes',
      target: null,
      source: 'lab',
      note: `Program operations each board's store took per acknowledged request at saturation, counted at the store (the busier board; each: ${eachBoard || 'none'}). One write is one group commit, so under load a write carries several requests; a compaction adds a snapshot write.`,
    }),
    figure({
      id: `durability.${baud}.bytesPerRequest`,
      label: `store bytes per request at ${baud} baud`,
      value: busiest((w) => w.bytes) === null ? null : round(busiest((w) => w.bytes) ?? 0, 1),
      unit: 'B',
      target: null,
      source: 'lab',
      note: `Bytes programmed per acknowledged request at saturation, counted at the store, padding to the ${geometry.writeBytes}-byte write unit and snapshots included (the busier board). What fills the log, and so how often it compacts and erases.`,
    }),
    figure({
      id: `durability.${baud}.erasesPerHour`,
      label: `erase cycles a block an hour at ${baud} baud`,
      value: perHour === null ? null : round(perHour, 1),
      unit: 'cycles/h',
      target: null,
      source: 'lab',
      note: `${wearHow}. Store: ${store}.`,
    }),
    figure({
      id: `durability.${baud}.lifetimeYears`,
      label: `store lifetime at ${baud} baud saturation`,
      value: years === null ? null : Number(years.toPrecision(3)),
      unit: 'years',
      target: { kind: 'min', value: LIFETIME_TARGET_YEARS },
      source: 'lab',
      note: `Years until the most-worn block reaches its rated ${geometry.enduranceCycles} erase cycles, with the pair saturated around the clock${load === null ? '' : ` (${load.toFixed(1)} req/s)`} on ${store}${years === null ? '' : ` (${(years * 365.25).toFixed(1)} days)`}. At a steady load of L requests a second the lifetime is about this × ${load === null ? 'the rate here' : load.toFixed(0)} / L; a store region k times larger compacts about k times less often.`,
    }),
    figure({
      id: `durability.${baud}.tenYearRequestRate`,
      label: `request rate the store lasts ${LIFETIME_TARGET_YEARS} years at, ${baud} baud`,
      value: targetRate === null ? null : Number(targetRate.toPrecision(3)),
      unit: 'req/s',
      target: null,
      source: 'lab',
      note: `The steady load at which the most-worn block reaches its rated cycles in ${LIFETIME_TARGET_YEARS} years: the wear run's rate × its lifetime / ${LIFETIME_TARGET_YEARS}, since the log's bytes, and so its erases, grow with the requests. Below this rate, around the clock, the store outlives ${LIFETIME_TARGET_YEARS} years. It holds for requests like the benchmark's; a lighter load packs no fewer bytes into the log per request: the primary already writes about one record a request at saturation, and with one client the stores took ${light || 'not measured'} a request.`,
    }),
  ];
}
