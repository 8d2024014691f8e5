/**
 * What each engine costs a board, with both boards of a pair on it: the
 * longest single call into the image (boards/call-meter.ts), and for XS
 * its heap, read from the engine's own accounting (boards/xs/xs-image.ts):
 * chunks and slots in use after a collection, and XS's peaks since the
 * engine started. For each state (accounts and clients) a fresh lab runs
 * the ledger under load, its backup is power-cycled so that it rejoins and
 * the big checkpoint crosses while the load runs, then its primary is, so
 * that the backup takes over under load; then, the load still running,
 * the pair switches to the newer version and falls back, and the load
 * stops. Each board is read under load, after the rejoin, after the
 * takeover, after the switch and the fallback, and at rest. The longest
 * calls cover everything in between, loading the image, the state
 * transfer, the takeover and both switches included (a board keeps them
 * across the resets of a switch); XS's peaks cover what each engine did
 * since it started, so a board that a switch reset before a reading
 * shows only what came after its reset.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Busy,
  CallMeter,
  type ImageCall,
  type LongestCall,
  type LongestCalls,
} from '../../boards/call-meter.ts';
import { type EngineStatus, IMAGE_ENGINES, type ImageEngine } from '../../boards/image-engine.ts';
import { COLLECT_INTERVAL_MS } from '../../boards/xs/xs-image.ts';
import { pairConfig, suspectAfterMs } from '../../firmware/runtime/config.ts';
import { openLabLoad } from '../load/lab-load.ts';
import { readBoardStatuses } from '../pair/board-watch.ts';
import { runSwitch } from '../pair/switch.ts';
import { openBenchLab } from './bench-lab.ts';
import { type Figure, figure, round } from './figure.ts';
import { pushNewVersion } from './switch-bench.ts';

/** The issue's states: the heap target applies to the small one. */
export const ENGINE_STATES = [
  { name: 'small', accounts: 100, clients: 8 },
  { name: 'large', accounts: 1000, clients: 64 },
] as const;
export type EngineState = (typeof ENGINE_STATES)[number];

type XsEngine = Extract<EngineStatus, { kind: 'xs' }>;

export interface EngineSample {
  readonly phase:
    | 'quiet'
    | 'idle'
    | 'load'
    | 'rejoined'
    | 'took-over'
    | 'switched'
    | 'fell-back'
    | 'rest';
  readonly processor: 1 | 2;
  readonly engine: EngineStatus;
}

export interface EngineRun {
  readonly engine: ImageEngine;
  readonly state: EngineState['name'];
  readonly accounts: number;
  readonly clients: number;
  readonly samples: readonly EngineSample[];
  /** Replies that served a request, by board, from the idle reading to the load reading (the CPU a request costs is measured over them). */
  readonly served: { readonly p1: number; readonly p2: number };
  /** From the quiet reading to the idle one (no load), and from the idle reading to the load one. */
  readonly windows: { readonly idleMs: number; readonly loadMs: number };
}

export interface EngineBenchOptions {
  readonly root: string;
  readonly baud: number;
  readonly image: Uint8Array;
  /** The same app's newer version, signed alike: the pair switches to it and falls back. */
  readonly newerImage: Uint8Array;
  readonly publicKeyFile: string;
  readonly engine: ImageEngine;
  readonly state: EngineState;
  /** Load before the first reading (the clients open every account first). */
  readonly loadMs: number;
  readonly seed: number;
  /** XS boards' fixed heap in bytes, as a microcontroller's (LabConfig.xsHeapBytes); none unless given. */
  readonly xsHeapBytes?: number;
}

const STATUS_TIMEOUT_MS = 10_000;
/** What each run put the pair through, for the figures' notes. */
const WHAT_RAN =
  'a backup rejoining, a takeover, a switch to the newer version and the fallback, under load';
/** The large state's switch crosses the line twice at 115200 on XS boards. */
const SWITCH_TIMEOUT_MS = 120_000;

export async function benchEngine(
  options: EngineBenchOptions,
  say: (line: string) => void = () => {},
): Promise<EngineRun> {
  const { state, engine: kind } = options;
  const lab = await openBenchLab({
    root: options.root,
    baud: options.baud,
    image: options.image,
    publicKeyFile: options.publicKeyFile,
    engines: [kind, kind],
    ...(options.xsHeapBytes === undefined ? {} : { xsHeapBytes: options.xsHeapBytes }),
  });
  const samples: EngineSample[] = [];
  let served = { p1: 0, p2: 0 };
  const readAt: Partial<Record<EngineSample['phase'], number>> = {};
  const read = async (phase: EngineSample['phase']) => {
    // Long enough since any status that made XS collect: this one collects, so in use is live.
    await sleep(COLLECT_INTERVAL_MS + 100);
    readAt[phase] = performance.now();
    // The status collects XS's garbage first: on a loaded machine that can take seconds.
    const statuses = await readBoardStatuses(lab.pair.hosts, STATUS_TIMEOUT_MS);
    statuses.forEach((status, index) => {
      if (status === null) {
        throw new Error(
          `P${index + 1} did not answer its status within ${STATUS_TIMEOUT_MS} ms (${phase})`,
        );
      }
      const engine = status.engine;
      if (engine?.kind !== kind)
        throw new Error(`P${index + 1} does not report ${kind} (${phase})`);
      samples.push({ phase, processor: index === 0 ? 1 : 2, engine });
    });
  };
  try {
    const { load, ports } = await openLabLoad(
      lab.pair.config,
      state.clients,
      options.seed,
      {},
      state.accounts,
    );
    try {
      // As long without load as with it: what the pair spends anyway is taken off the load's share.
      await read('quiet');
      await sleep(options.loadMs);
      await read('idle');
      load.start();
      await sleep(options.loadMs);
      await read('load');
      const from = readAt.idle ?? 0;
      const to = readAt.load ?? 0;
      const by = (board: 0 | 1) =>
        load.answers.filter((a) => a.ok && a.board === board && a.atMs >= from && a.atMs <= to)
          .length;
      served = { p1: by(0), p2: by(1) };
      const primary = await lab.whole();
      const backup = primary === 1 ? 2 : 1;
      say(`${kind}, ${state.name} state: power-cycling P${backup} so that it rejoins under load`);
      await lab.pull(backup);
      await lab.restore(backup);
      await read('rejoined');
      say(
        `${kind}, ${state.name} state: power-cycling P${primary} so that P${backup} takes over under load`,
      );
      await lab.pull(primary);
      await lab.restore(primary);
      await read('took-over');
      say(`${kind}, ${state.name} state: switching to the newer version and back, under load`);
      await pushNewVersion(lab, options.newerImage);
      for (const direction of ['newer', 'older'] as const) {
        await lab.whole();
        const report = await runSwitch(lab.pair.hosts, { direction, timeoutMs: SWITCH_TIMEOUT_MS });
        if (!report.ok)
          throw new Error(`the switch to the ${direction} version failed: ${report.failure}`);
        await lab.whole();
        await read(direction === 'newer' ? 'switched' : 'fell-back');
      }
      await load.stop(5000);
    } finally {
      await load.stop(0);
      for (const port of ports) await port.close().catch(() => {});
    }
    await read('rest');
  } finally {
    await lab.close();
  }
  return {
    engine: kind,
    state: state.name,
    accounts: state.accounts,
    clients: state.clients,
    samples,
    served,
    windows: {
      idleMs: (readAt.idle ?? 0) - (readAt.quiet ?? 0),
      loadMs: (readAt.load ?? 0) - (readAt.idle ?? 0),
    },
  };
}

/** The most either board held, above XS's built-ins (in flash on a device), and in all. */
export interface XsHeapSummary {
  readonly inUseAboveBuiltins: number;
  readonly peakAboveBuiltins: number;
  readonly inUse: number;
  readonly peak: number;
  readonly builtins: number;
  readonly slotBytes: number;
  readonly allocated: number;
  readonly codeInPlace: number;
  /** The deepest either board's stack went, and the stack's size (part of `allocated`). */
  readonly stackPeak: number;
  readonly stackScratch: number;
  readonly stack: number;
}

export function summarizeXsHeap(run: EngineRun): XsHeapSummary | null {
  const engines = run.samples.flatMap((s) => (s.engine.kind === 'xs' ? [s.engine] : []));
  const first = engines[0];
  if (first === undefined) return null;
  const most = (value: (e: XsEngine) => number) => Math.max(...engines.map(value));
  return {
    inUseAboveBuiltins: most((e) => e.heapInUseBytes - e.builtinsBytes),
    peakAboveBuiltins: most((e) => e.heapPeakBytes - e.builtinsBytes),
    inUse: most((e) => e.heapInUseBytes),
    peak: most((e) => e.heapPeakBytes),
    builtins: most((e) => e.builtinsBytes),
    slotBytes: first.slotBytes,
    allocated: most((e) => e.allocatedBytes),
    codeInPlace: most((e) => e.codeInPlaceBytes),
    stackPeak: most((e) => e.stackPeakBytes),
    stackScratch: most((e) => e.stackScratchBytes),
    stack: most((e) => e.stackBytes),
  };
}

/** The issue's bound on XS's heap per processor at the small state. */
export const XS_HEAP_TARGET_BYTES = 256 * 1024;

const kib = (bytes: number) => round(bytes / 1024, 1);

/**
 * The bench's XS heap figures: per state, the most either processor held in
 * use and at peak, all of XS's heap counted (its built-ins too); the small
 * state's against the target. `unavailable` says why XS was not measured.
 */
export function xsHeapFigures(runs: readonly EngineRun[], unavailable: string | null): Figure[] {
  return ENGINE_STATES.flatMap((state) => {
    const run = runs.find((r) => r.engine === 'xs' && r.state === state.name);
    const summary = run === undefined ? null : summarizeXsHeap(run);
    const target =
      state.name === 'small' ? { kind: 'max' as const, value: kib(XS_HEAP_TARGET_BYTES) } : null;
    const how =
      summary === null
        ? (unavailable ?? 'The XS heap run failed (see failures).')
        : `XS's own accounting, chunks and slots, both boards in XS (${summary.slotBytes}-byte slots: ${summary.slotBytes === 16 ? 'a 32-bit build, as on a microcontroller' : 'a 64-bit build, about twice a 32-bit board'}); ` +
          `${state.accounts} accounts, ${state.clients} clients, ${WHAT_RAN}; ` +
          `built-ins ${kib(summary.builtins)} KiB of it (in flash on a Moddable device); ` +
          `image and engine glue run in place (${kib(summary.codeInPlace)} KiB of bytecode outside the heap); ` +
          `XS took ${kib(summary.allocated)} KiB from the system with its stack and spare slots; ` +
          `the stack went ${kib(summary.stackPeak)} KiB deep of its ${kib(summary.stack)} KiB (and lent ${kib(summary.stackScratch)} KiB of its free part as scratch).`;
    const label = `XS heap per processor, ${state.name} state (${state.accounts} accounts, ${state.clients} clients)`;
    return [
      figure({
        id: `xs.heap.${state.name}.inUse`,
        label: `${label}, in use`,
        value: summary === null ? null : kib(summary.inUse),
        unit: 'KiB',
        target,
        source: 'lab',
        note: `Live after a collection, read under load, after the rejoin, the takeover, the switch and the fallback, and at rest. ${how}`,
      }),
      figure({
        id: `xs.heap.${state.name}.peak`,
        label: `${label}, peak`,
        value: summary === null ? null : kib(summary.peak),
        unit: 'KiB',
        target,
        source: 'lab',
        note: `XS's high-water marks of chunks and of slots since the engine started, summed (loading and the state transfer included; a board a switch reset, only since its reset). ${how}`,
      }),
    ];
  });
}

/**
 * The small state with both boards in XS, each in a fixed heap of the
 * target's size, one region its chunks and slots share as on a device (`run`, or undefined
 * when it was not run or failed: the failures say how). The growing heaps'
 * figures above say what the program held; this one, that it ran there.
 */
export function xsFixedHeapFigure(run: EngineRun | undefined, unavailable: string | null): Figure {
  const summary = run === undefined ? null : summarizeXsHeap(run);
  const state = ENGINE_STATES.find((s) => s.name === 'small');
  return figure({
    id: 'xs.heap.small.fixed',
    label: `XS heap per processor, small state, each board in a fixed ${kib(XS_HEAP_TARGET_BYTES)} KiB heap: in use`,
    value: summary === null ? null : kib(summary.inUse),
    unit: 'KiB',
    target: { kind: 'max', value: kib(XS_HEAP_TARGET_BYTES) },
    source: 'lab',
    note:
      summary === null
        ? (unavailable ??
          'The fixed-heap run failed: a board ran out of its heap, or see failures.')
        : `Both boards in XS, each in a heap of ${kib(XS_HEAP_TARGET_BYTES)} KiB, one region its chunks and slots share as on a Moddable device: it ran through ${state?.accounts} accounts and ${state?.clients} clients: ${WHAT_RAN}. Live after a collection; XS took ${kib(summary.allocated)} KiB of the region, its peak ${kib(summary.peak)} KiB.`,
  });
}

/**
 * The bound on any single call into the image: a tenth of the default
 * suspicion time, so that a partner never hears a board's silence while it
 * works (the heartbeat's own interval is well below the rest).
 */
export const LONGEST_CALL_TARGET_MS = suspectAfterMs(pairConfig(1)) / 10;

/** Calls a board makes while it serves or follows: boot and the host's state audit are not among them. */
const SERVING_CALLS: readonly ImageCall[] = [
  'data',
  'dsr',
  'wake',
  'status',
  'switch',
  'other-image',
];

/** The longest call of each kind on either board over the whole run. */
export function longestCalls(run: EngineRun): LongestCalls {
  const meter = new CallMeter();
  for (const { engine } of run.samples) {
    for (const [kind, call] of Object.entries(engine.calls) as [ImageCall, LongestCall][]) {
      meter.note(kind, call.ms, call);
    }
  }
  return meter.longest();
}

/** One figure per engine and state, from the run of that engine at that state (undefined: none). */
function perEngineAndState(
  runs: readonly EngineRun[],
  figureOf: (engine: ImageEngine, state: EngineState, run: EngineRun | undefined) => Figure,
): Figure[] {
  return IMAGE_ENGINES.flatMap((engine) =>
    ENGINE_STATES.map((state) =>
      figureOf(
        engine,
        state,
        runs.find((r) => r.engine === engine && r.state === state.name),
      ),
    ),
  );
}

const engineName = (engine: ImageEngine) => (engine === 'xs' ? 'XS' : 'Node');

/**
 * A call's time as the figure takes it: XS's own clock inside its worker
 * where it has one (a device makes no hop to a worker, and on this machine
 * the hop alone took several milliseconds for a call of a thousand units),
 * else the board's clock around the call.
 */
const callMs = (call: LongestCall) => call.engineMs ?? call.ms;

/** How a board timed its calls on `engine`. */
const boardClockNote = (engine: ImageEngine) =>
  `this machine's clock around the call${engine === 'xs' ? ', the hop to the XS worker included' : ''}`;

/** How the longest calls were timed on `engine` (callMs, then any other reading). */
const longestClockNote = (engine: ImageEngine) =>
  engine === 'xs'
    ? `the engine's clock inside the XS worker; in brackets ${boardClockNote(engine)}, and XS's units`
    : boardClockNote(engine);

const describeCall = ([kind, call]: [string, LongestCall]) =>
  call.engineMs === undefined && call.compute === undefined
    ? `${kind} ${round(call.ms, 2)} ms`
    : `${kind} ${round(callMs(call), 2)} ms (${round(call.ms, 2)} ms${call.compute === undefined ? '' : `, ${call.compute} units`})`;

/**
 * Per engine and state, the longest call a board made into its image while
 * serving or following, against LONGEST_CALL_TARGET_MS; the note gives every
 * kind's longest, boot's too. `unavailable` says why an engine was not measured.
 */
export function longestCallFigures(
  runs: readonly EngineRun[],
  unavailable: Readonly<Partial<Record<ImageEngine, string>>>,
): Figure[] {
  return perEngineAndState(runs, (engine, state, run) => {
    const calls = run === undefined ? null : longestCalls(run);
    const serving =
      calls === null
        ? []
        : SERVING_CALLS.flatMap((kind) => {
            const call = calls[kind];
            return call === undefined ? [] : [[kind, call] as [ImageCall, LongestCall]];
          }).sort(([, a], [, b]) => callMs(b) - callMs(a));
    const longest = serving[0];
    const how =
      calls === null
        ? (unavailable[engine] ?? 'The run failed (see failures).')
        : `Longest of each kind on either board (${longestClockNote(engine)}): ` +
          `${serving.map(describeCall).join(', ')}; ` +
          `boot ${calls.start === undefined ? 'not seen' : describeCall(['start', calls.start])}. ` +
          `${state.accounts} accounts, ${state.clients} clients, ${WHAT_RAN}. ` +
          'A microcontroller runs the same calls many times slower: not measured here.';
    return figure({
      id: `engine.${engine}.${state.name}.longestCall`,
      label: `longest call into the image, ${engineName(engine)}, ${state.name} state${longest === undefined ? '' : ` (${longest[0]})`}`,
      value: longest === undefined ? null : round(callMs(longest[1]), 2),
      unit: 'ms',
      target: { kind: 'max', value: LONGEST_CALL_TARGET_MS },
      source: 'lab',
      note: how,
    });
  });
}

/**
 * What a request cost the processor that served it and the one that kept
 * its copy: the image's calls from the idle reading to the load reading,
 * less what as long a time without load took (heartbeats, timers, status),
 * over the replies sent meanwhile. Null without replies.
 */
export interface RequestCost {
  readonly requests: number;
  readonly servedBy: 1 | 2;
  readonly primary: ProcessorCost;
  readonly backup: ProcessorCost;
}

/** A processor's share of one request: calls into its image, their time, XS's units. */
export interface ProcessorCost {
  readonly calls: number;
  readonly ms: number;
  readonly compute?: number;
}

export function requestCost(run: EngineRun): RequestCost | null {
  const servedBy = run.served.p1 >= run.served.p2 ? 1 : 2;
  const requests = servedBy === 1 ? run.served.p1 : run.served.p2;
  if (requests === 0) return null;
  const per = (processor: 1 | 2): ProcessorCost | null => {
    const at = (phase: EngineSample['phase']) =>
      run.samples.find((s) => s.phase === phase && s.processor === processor)?.engine.busy;
    const quiet = at('quiet');
    const idle = at('idle');
    const load = at('load');
    if (quiet === undefined || idle === undefined || load === undefined) return null;
    const scale = run.windows.loadMs / run.windows.idleMs;
    const share = (of: (b: Busy) => number) =>
      (of(load) - of(idle) - (of(idle) - of(quiet)) * scale) / requests;
    const calls = share((b) => b.calls);
    const ms = share((b) => b.ms);
    return load.compute === undefined
      ? { calls, ms }
      : { calls, ms, compute: Math.round(share((b) => b.compute ?? 0)) };
  };
  const primary = per(servedBy);
  const backup = per(servedBy === 1 ? 2 : 1);
  if (primary === null || backup === null) return null;
  return { requests, servedBy, primary, backup };
}

/** Per engine and state, the CPU a request costs the serving processor (no target: for comparison). */
export function requestCostFigures(
  runs: readonly EngineRun[],
  unavailable: Readonly<Partial<Record<ImageEngine, string>>>,
): Figure[] {
  return perEngineAndState(runs, (engine, state, run) => {
    const cost = run === undefined ? null : requestCost(run);
    const units = (c: ProcessorCost) =>
      `${c.compute === undefined ? '' : ` (${c.compute} XS units)`} in ${round(c.calls, 1)} calls`;
    const note =
      cost === null
        ? (unavailable[engine] ?? 'The run failed or served nothing (see failures).')
        : `The time inside the image's calls over ${cost.requests} replies of ${state.clients} clients with ${state.accounts} accounts, less what as long a time without load took (${boardClockNote(engine)}): ` +
          `the primary ${round(cost.primary.ms, 3)} ms${units(cost.primary)}, the backup ${round(cost.backup.ms, 3)} ms${units(cost.backup)} a request` +
          (engine === 'xs'
            ? "; XS's units leave out the lab's channel to the engine (each call's command and answer, CBOR in XS), which a device's native IO does not have; the time includes it."
            : '.');
    return figure({
      id: `engine.${engine}.${state.name}.cpuPerRequest`,
      label: `CPU per request on the primary, ${engineName(engine)}, ${state.name} state`,
      value: cost === null ? null : round(cost.primary.ms, 3),
      unit: 'ms',
      target: null,
      source: 'lab',
      note,
    });
  });
}
