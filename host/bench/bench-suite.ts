/**
 * `tandem bench`: every figure of issue 5 in one run, side by side. For
 * each baud a fresh lab runs the switches (while the state and reply cache
 * are small: the hold grows with them), the saturation windows (checkpoint
 * goodput, throughput ratio, added latency), then the takeovers; the
 * push figures come from `tandem bench-push`'s library in labs of its own.
 * Each figure carries its target, whether it was met, and a note saying
 * how it was measured and, when short, why.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { STANDARD_BAUD_RATES } from '../../boards/profile.ts';
import { findXsnap } from '../../boards/xs/xsnap-cache.ts';
import { pairConfig } from '../../firmware/runtime/config.ts';
import { buildImage } from '../image/build.ts';
import { generateKeys } from '../image/keys.ts';
import { type BenchLab, countSuspicions, openBenchLab, type Suspicions } from './bench-lab.ts';
import { type Figure, figure, quantile, round } from './figure.ts';
import { benchPush, type PushBenchRow } from './push-bench.ts';
import {
  benchSaturation,
  checkpointBytesPerSecond,
  medianWaitMs,
  ratePerSecond,
  type SaturationResult,
} from './saturation-bench.ts';
import { benchStartup, type StartupSample, startupFigures } from './startup-bench.ts';
import { benchSwitches, type SwitchSample } from './switch-bench.ts';
import { benchTakeovers, type TakeoverSample } from './takeover-bench.ts';
import { benchXsHeap, XS_HEAP_STATES, type XsHeapRun, xsHeapFigures } from './xs-heap-bench.ts';

export const BENCH_BAUDS: readonly number[] = [115200, 1_000_000];
export const DEFAULT_TAKEOVERS = 20;

/** The issue's targets. */
export const TARGETS = {
  takeoverP99Ms: 10,
  takeoverTargetBaud: 115200,
  checkpointLineShare: 90,
  pushLineShare: 95,
  switchHoldMs: 20,
  throughputRatio: 80,
} as const;

export interface BenchSuiteOptions {
  readonly bauds: readonly number[];
  /** Power-pulls of the primary per baud. */
  readonly takeovers: number;
  /** Shorter windows, fewer switches: a rough run in about a third of the time. */
  readonly quick: boolean;
  readonly seed: number;
  /** Progress lines for a person watching. */
  readonly say: (line: string) => void;
}

export interface BaudDetails {
  readonly baud: number;
  /** Saturation with the field bus LINK_BOUND_BUS_FACTOR times faster: the interconnect is the bound. */
  readonly linkBound: SaturationResult | null;
  readonly takeovers: readonly TakeoverSample[];
  readonly saturation: SaturationResult;
  readonly switches: readonly SwitchSample[];
  /** Parts that failed outright (their figures are null). */
  readonly failures: readonly string[];
  readonly suspicions: {
    readonly takeovers: number;
    readonly falseTakeovers: number;
    readonly falseBackupLosses: number;
    readonly powerPulls: number;
    readonly journalIncomplete: boolean;
  };
}

export interface BenchReport {
  readonly machine: { readonly node: string; readonly cpu: string; readonly cores: number };
  readonly bauds: readonly number[];
  readonly takeoversPerBaud: number;
  readonly quick: boolean;
  readonly figures: readonly Figure[];
  /** Labels of the figures that missed their targets. */
  readonly shortfalls: readonly string[];
  /** Parts of the run that failed outright, with why. */
  readonly failures: readonly string[];
  readonly details: {
    readonly perBaud: readonly BaudDetails[];
    readonly push: readonly PushBenchRow[];
    readonly startup: readonly StartupSample[];
    readonly xsHeap: readonly XsHeapRun[];
  };
}

/** Light load during takeovers and switches: the demo's. */
const LIGHT_CLIENTS = 8;
const SATURATION_CLIENTS = 48;

export async function runBenchSuite(options: BenchSuiteOptions): Promise<BenchReport> {
  const { say } = options;
  const root = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  const perBaud: BaudDetails[] = [];
  let push: PushBenchRow[] = [];
  let startup: StartupSample[] = [];
  const xsHeap: XsHeapRun[] = [];
  const xs = findXsnap();
  const failures: string[] = [];
  try {
    const keyDir = join(root, 'keys');
    generateKeys(keyDir);
    const publicKeyFile = join(keyDir, 'image-signing.pub');
    const v1 = await buildImage({ app: 'ledger', version: '1.0.0', boards: ['sim'], keyDir });
    const v2 = await buildImage({ app: 'ledger', version: '2.0.0', boards: ['sim'], keyDir });
    for (const baud of options.bauds) {
      say(`${baud} baud: starting a fresh lab`);
      const lab = await openBenchLab({ root, baud, image: v1.image, publicKeyFile });
      let details: Omit<BaudDetails, 'linkBound'>;
      try {
        details = await benchOneBaud(lab, v2.image, options);
      } finally {
        await lab.close();
      }
      const busBaud = fastBusBaud(baud);
      say(
        `${baud} baud: a fresh lab whose field bus runs at ${busBaud}, so the interconnect is the bound`,
      );
      let linkBound: SaturationResult | null = null;
      let fast: BenchLab | null = null;
      try {
        fast = await openBenchLab({ root, baud, busBaud, image: v1.image, publicKeyFile });
        linkBound = await benchSaturation(
          fast,
          {
            clients: LINK_BOUND_CLIENTS,
            windowMs: options.quick ? 1500 : 4000,
            rounds: 1,
            seed: options.seed + 3,
          },
          say,
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        details = {
          ...details,
          failures: [...details.failures, `link-bound saturation at ${baud} baud: ${message}`],
        };
      } finally {
        await fast?.close();
      }
      perBaud.push({ ...details, linkBound });
    }
    say('push goodput: a fresh lab per baud (tandem bench-push)');
    push = await benchPush(options.bauds, (row) =>
      say(
        `${row.baud} baud push ${row.compressed ? 'compressed' : 'uncompressed'}: ${(100 * row.lineShare).toFixed(1)}% of the line rate`,
      ),
    );
    say('start-up: tandem --version and tandem status, each in turn with node -e 0');
    try {
      startup = await benchStartup({ root, publicKeyFile });
    } catch (error) {
      failures.push(`start-up: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (xs.available) {
      for (const state of XS_HEAP_STATES) {
        say(`XS heap, ${state.name} state: a fresh lab with both boards in XS`);
        try {
          const baud = options.bauds[0] ?? BENCH_BAUDS[0] ?? 115200;
          const run = await benchXsHeap(
            {
              root,
              baud,
              image: v1.image,
              publicKeyFile,
              state,
              loadMs: options.quick ? 1500 : 3000,
              seed: options.seed + 4,
            },
            say,
          );
          xsHeap.push(run);
        } catch (error) {
          failures.push(
            `XS heap, ${state.name} state: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    } else {
      say(`XS heap: not measured (${xs.reason})`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const figures = [
    ...perBaud.flatMap(baudFigures),
    suspicionFigure(perBaud),
    ...pushFigures(push),
    ...startupFigures(startup),
    ...xsHeapFigures(xsHeap, xs.available ? null : `Not measured: ${xs.reason}.`),
  ];
  return {
    machine: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length },
    bauds: options.bauds,
    takeoversPerBaud: options.takeovers,
    quick: options.quick,
    figures,
    shortfalls: figures.filter((f) => f.met === false).map((f) => f.label),
    failures: [...perBaud.flatMap((d) => d.failures), ...failures],
    details: { perBaud, push, startup, xsHeap },
  };
}

async function benchOneBaud(
  lab: BenchLab,
  v2: Uint8Array,
  options: BenchSuiteOptions,
): Promise<Omit<BaudDetails, 'linkBound'>> {
  const { quick, seed, say } = options;
  const failures: string[] = [];
  // A part that fails is reported as such; the others still run.
  const part = async <T>(name: string, run: () => Promise<T>, nothing: T): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${name} at ${lab.baud} baud: ${message}`);
      say(`${lab.baud} baud ${name} FAILED: ${message}`);
      return nothing;
    }
  };
  const switches = await part(
    'switches',
    () =>
      benchSwitches(
        lab,
        v2,
        {
          count: quick ? 1 : 2,
          clients: LIGHT_CLIENTS,
          seed: seed + 1,
          settleMs: quick ? 200 : 500,
        },
        say,
      ),
    [],
  );
  const saturation = await part(
    'saturation',
    () =>
      benchSaturation(
        lab,
        {
          clients: SATURATION_CLIENTS,
          windowMs: quick ? 1500 : 4000,
          rounds: quick ? 1 : 2,
          seed,
        },
        say,
      ),
    { baud: lab.baud, clients: SATURATION_CLIENTS, saturation: [], latency: [] },
  );
  const takeovers = await part(
    'takeovers',
    () =>
      benchTakeovers(
        lab,
        {
          count: options.takeovers,
          clients: LIGHT_CLIENTS,
          seed: seed + 2,
          settleMs: quick ? 200 : 400,
        },
        say,
      ),
    [],
  );
  await lab.journal.stop();
  const suspicions: Suspicions = countSuspicions(lab);
  return {
    baud: lab.baud,
    takeovers,
    saturation,
    switches,
    failures,
    suspicions: {
      takeovers: suspicions.takeovers,
      falseTakeovers: suspicions.falseTakeovers.length,
      falseBackupLosses: suspicions.falseBackupLosses.length,
      powerPulls: lab.pulls.length,
      journalIncomplete: suspicions.incomplete,
    },
  };
}

const ms = (value: number | null) => (value === null ? 'none' : `${value.toFixed(1)} ms`);

function baudFigures(details: BaudDetails): Figure[] {
  return [
    ...takeoverFigures(details),
    ...saturationFigures(details),
    ...linkBoundFigures(details),
    ...switchFigures(details),
  ];
}

/** For the link-bound goodput the field bus runs this many times faster than the interconnect, or as fast as a UART goes. */
const LINK_BOUND_BUS_FACTOR = 8;

function fastBusBaud(baud: number): number {
  const fastest = STANDARD_BAUD_RATES[STANDARD_BAUD_RATES.length - 1] ?? baud;
  return STANDARD_BAUD_RATES.find((rate) => rate >= LINK_BOUND_BUS_FACTOR * baud) ?? fastest;
}
/**
 * Clients for the link-bound saturation: each has one request outstanding,
 * so it takes this many for the checkpoint queue never to run dry.
 */
const LINK_BOUND_CLIENTS = 128;

function linkBoundFigures({ baud, linkBound }: BaudDetails): Figure[] {
  const windows = linkBound?.saturation ?? [];
  const ckptBytes = checkpointBytesPerSecond(windows);
  const withRate = ratePerSecond(windows, true);
  const aloneRate = ratePerSecond(windows, false);
  const lineBytes = baud / 10;
  const share = ckptBytes === null ? null : (100 * ckptBytes) / lineBytes;
  const short = share === null || share < TARGETS.checkpointLineShare;
  return [
    figure({
      id: `checkpoint.${baud}.goodputLinkBound`,
      label: `checkpoint goodput at ${baud} baud, interconnect-bound`,
      value: share === null ? null : round(share, 1),
      unit: '% of line',
      target: { kind: 'min', value: TARGETS.checkpointLineShare },
      source: 'lab',
      note: `${LINK_BOUND_CLIENTS} clients with no think time and the field bus at ${fastBusBaud(baud)} baud, so requests arrive faster than the interconnect can checkpoint them: ${ckptBytes?.toFixed(0)} B/s of checkpoint payload (the entries' CBOR bytes) against ${lineBytes} B/s; ${withRate?.toFixed(1)} req/s with the backup, ${aloneRate?.toFixed(1)} alone.${short ? " Short: each checkpoint frame also carries its envelope (sender, acknowledgement, status), the frame CRCs and delimiters; the backup's acknowledgements and the heartbeats share the line; a primary releases a batch of replies only when its checkpoint is acknowledged, so with one request per client the queue can run dry between batches; and the board processes share 2 cores with the hub, whose pacing and the boards' CBOR and CRC work may bound the rate before the line does (the deterministic simulator has no such limit but does not measure this figure yet)." : ''}`,
    }),
  ];
}

function takeoverFigures({ baud, takeovers }: BaudDetails): Figure[] {
  const times = takeovers.flatMap((t) => (t.takeoverMs === null ? [] : [t.takeoverMs]));
  const missing = takeovers.length - times.length;
  const detect = takeovers.flatMap((t) => (t.detectMs === null ? [] : [t.detectMs]));
  const rest = takeovers.flatMap((t) =>
    t.detectMs === null || t.takeoverMs === null ? [] : [t.takeoverMs - t.detectMs],
  );
  const detectMedian = quantile(detect, 0.5);
  const restMedian = quantile(rest, 0.5);
  const how = `${takeovers.length} power-pulls of the primary under ${LIGHT_CLIENTS} clients' load (alternating boards), each from the pull to the first ok reply from the survivor on the field bus${missing > 0 ? `; ${missing} pulls got no reply within 10 s and are left out` : ''}`;
  const split = `Median split: ${ms(detectMedian)} from the pull to the survivor's takeover (its journal), ${ms(restMedian)} from the takeover to the first reply (announcement on the bus, clients resending, one request served)`;
  const targeted = baud === TARGETS.takeoverTargetBaud;
  const quantiles: [string, number][] = [
    ['p50', 0.5],
    ['p90', 0.9],
    ['p99', 0.99],
    ['max', 1],
  ];
  return quantiles.map(([name, q]) => {
    const value = quantile(times, q);
    const withTarget = targeted && name === 'p99';
    const short = withTarget && (value === null || value > TARGETS.takeoverP99Ms);
    return figure({
      id: `takeover.${baud}.${name}`,
      label: `takeover ${name} at ${baud} baud`,
      value: value === null ? null : round(value, 1),
      unit: 'ms',
      target: withTarget ? { kind: 'max', value: TARGETS.takeoverP99Ms } : null,
      source: 'lab',
      note:
        name === 'p99'
          ? `${how}. ${split}.${short ? ` Short: ${takeoverWhy(detectMedian, restMedian)}` : ''}${times.length < 100 ? ` With ${times.length} samples p99 is the ${ordinal(Math.ceil(0.99 * times.length))} smallest (nearest rank).` : ''}`
          : `${how}.`,
    });
  });
}

function takeoverWhy(detectMs: number | null, restMs: number | null): string {
  const parts: string[] = [];
  if (detectMs !== null) {
    parts.push(
      `detection alone takes ${detectMs.toFixed(1)} ms: the pull is a SIGKILL of the board process, the hub then drops DSR, and the survivor's runtime sees it on its next input or timer in a Node process on a shared 2-core machine`,
    );
  }
  if (restMs !== null) {
    parts.push(
      `then ${restMs.toFixed(1)} ms pass before a client has its answer: the announcement and each client's resend cross the field bus at the line rate, and the survivor serves its queue in order`,
    );
  }
  return `${parts.join('; ')}.`;
}

function saturationFigures({ baud, saturation }: BaudDetails): Figure[] {
  const withRate = ratePerSecond(saturation.saturation, true);
  const aloneRate = ratePerSecond(saturation.saturation, false);
  const ckptBytes = checkpointBytesPerSecond(saturation.saturation);
  const lineBytes = baud / 10;
  const share = ckptBytes === null ? null : (100 * ckptBytes) / lineBytes;
  const perRequest = ckptBytes !== null && withRate ? ckptBytes / withRate : null;
  const ratio = withRate !== null && aloneRate ? (100 * withRate) / aloneRate : null;
  const withWait = medianWaitMs(saturation.latency, true);
  const aloneWait = medianWaitMs(saturation.latency, false);
  const added = withWait !== null && aloneWait !== null ? withWait - aloneWait : null;
  const windows = `${saturation.saturation.length / 2} window(s) each with the backup and alone (backup powered off), alternating`;
  const rates = `${withRate?.toFixed(1)} req/s with the backup, ${aloneRate?.toFixed(1)} alone`;
  const goodputShort = share === null || share < TARGETS.checkpointLineShare;
  const ratioShort = ratio === null || ratio < TARGETS.throughputRatio;
  return [
    figure({
      id: `checkpoint.${baud}.goodput`,
      label: `checkpoint goodput at ${baud} baud`,
      value: share === null ? null : round(share, 1),
      unit: '% of line',
      target: { kind: 'min', value: TARGETS.checkpointLineShare },
      source: 'lab',
      note: `${saturation.clients} clients with no think time; the backup's count of checkpoint payload applied (the entries' CBOR bytes, without envelope, framing or acks) over ${windows}: ${ckptBytes?.toFixed(0)} B/s against ${lineBytes} B/s (baud/10), ${perRequest?.toFixed(1)} B a request at ${withRate?.toFixed(1)} req/s.${goodputShort ? ` Short: ${goodputWhy(share, ratio)}` : ''}`,
    }),
    figure({
      id: `throughput.${baud}.ratio`,
      label: `throughput with checkpointing at ${baud} baud`,
      value: ratio === null ? null : round(ratio, 1),
      unit: '% of alone',
      target: { kind: 'min', value: TARGETS.throughputRatio },
      source: 'lab',
      note: `Ledger requests a second at saturation (${saturation.clients} clients, no think time), ${windows}: ${rates}. Alone the primary is bound by the field bus (requests in, replies out at the same line rate), which stands in for the link-bound maximum.${ratioShort ? ` Short: with a backup every request also crosses the interconnect as a checkpoint entry (${perRequest?.toFixed(1)} B of payload, more with envelope and framing) and its reply waits for the backup's acknowledgement.` : ''}`,
    }),
    figure({
      id: `latency.${baud}.added`,
      label: `added latency per request at ${baud} baud`,
      value: added === null ? null : round(added, 2),
      unit: 'ms',
      target: null,
      source: 'lab',
      note: `One client with no think time (nothing queues), median wait with the backup ${ms(withWait)} against ${ms(aloneWait)} alone, in ${saturation.latency.length / 2} alternating window(s) each: the checkpoint's trip to the backup and the acknowledgement's trip back before the reply may leave.`,
    }),
  ];
}

function goodputWhy(share: number | null, ratio: number | null): string {
  if (share === null) return 'nothing was measured.';
  return `the interconnect also carries each frame's envelope (sender, acknowledgement, status), CRC and delimiters, the backup's acknowledgements and the heartbeats; group commit sends a new checkpoint frame only when the last one is acknowledged (or ${pairConfig(1).checkpointEntriesMax} entries wait), so the line idles for each acknowledgement's round trip; and the primary can only checkpoint as fast as requests arrive over the field bus at the same line rate${ratio !== null && ratio >= 90 ? ` (here the pair ran at ${ratio.toFixed(0)}% of the primary alone, so the field bus, not the interconnect, was mostly the bound: the lab cannot saturate the interconnect with checkpoints)` : ''}; in the lab the board processes share 2 cores with the hub and the host.`;
}

function switchFigures({ baud, switches }: BaudDetails): Figure[] {
  const holds = switches.flatMap((s) => (s.holdMs === null ? [] : [s.holdMs]));
  const hold = holds.length === 0 ? null : Math.max(...holds);
  const clientWait =
    switches.length === 0 ? null : Math.max(...switches.map((s) => s.clientWaitMsMax));
  const failed = switches.filter((s) => !s.ok);
  const list = switches.map((s) => `${s.from}->${s.to} ${ms(s.holdMs)}`).join(', ');
  const short = hold === null || hold > TARGETS.switchHoldMs;
  return [
    figure({
      id: `switch.${baud}.hold`,
      label: `switch hold at ${baud} baud`,
      value: hold === null ? null : round(hold, 1),
      unit: 'ms',
      target: { kind: 'max', value: TARGETS.switchHoldMs },
      source: 'lab',
      note: `The longest of ${switches.length} switches and fallbacks under ${LIGHT_CLIENTS} clients' load, as the boards' journals time it: from the handshake (step e), when new requests start to be held, to the new primary serving (step g); ${list}.${failed.length > 0 ? ` ${failed.length} failed: ${failed.map((s) => s.failure).join('; ')}.` : ''}${short ? ' Short: the hold spans the big checkpoint (the whole state and every remembered client’s reply cache) crossing the interconnect at the line rate, its conversion on the new version, and the role switch round trip; it grows with the state and the number of clients.' : ''}`,
    }),
    figure({
      id: `switch.${baud}.clientWait`,
      label: `longest client wait in a switch at ${baud} baud`,
      value: clientWait === null ? null : round(clientWait, 1),
      unit: 'ms',
      target: null,
      source: 'lab',
      note: 'The clients’ view of the same switches: the longest any request waited while a switch ran (its ordinary wait plus the hold).',
    }),
  ];
}

function suspicionFigure(perBaud: readonly BaudDetails[]): Figure {
  const sum = (pick: (d: BaudDetails['suspicions']) => number) =>
    perBaud.reduce((total, d) => total + pick(d.suspicions), 0);
  const incomplete = perBaud.some((d) => d.suspicions.journalIncomplete);
  return figure({
    id: 'takeover.falseSuspicions',
    label: 'false suspicions (whole run)',
    value: sum((s) => s.falseTakeovers),
    unit: 'takeovers',
    target: null,
    source: 'lab',
    note: `Takeovers in both boards' journals over every lab of the run (${sum((s) => s.takeovers)} in all, ${sum((s) => s.powerPulls)} power-pulls made) that no power-pull of the partner explains; also ${sum((s) => s.falseBackupLosses)} times a primary gave up a backup that had not been pulled.${incomplete ? ' Some journal entries were dropped before they were read: the count may be low.' : ''}`,
  });
}

function pushFigures(rows: readonly PushBenchRow[]): Figure[] {
  return rows.map((row) => {
    const share = 100 * row.lineShare;
    const kind = row.compressed ? 'compressed' : 'uncompressed';
    const short = share < TARGETS.pushLineShare;
    return figure({
      id: `push.${row.baud}.${kind}`,
      label: `push goodput ${kind} at ${row.baud} baud`,
      value: round(share, 1),
      unit: '% of line',
      target: { kind: 'min', value: TARGETS.pushLineShare },
      source: 'lab',
      note: `tandem bench-push: ${row.bytes} image bytes to both boards at once in ${row.seconds.toFixed(3)} s (the slower board), ${row.sentBytes} bytes sent${row.compressed ? `, ${row.compressionRatio.toFixed(2)}x compression: an effective rate` : ''}, against ${row.lineBytesPerSecond} B/s.${short ? ' Short: each chunk travels in a framed push-data request with its envelope and CRC, and push-begin, push-end (verification) and the window’s last answers are round trips in which the line carries nothing of the image.' : ''}`,
    });
  });
}

function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
