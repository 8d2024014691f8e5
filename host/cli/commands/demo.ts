/**
 * `tandem demo`: the lab demonstrations, each summed up with measured
 * figures. `--scenario takeover` (what `npm start` runs): load, the
 * primary's power is pulled, the backup takes over, the old primary rejoins.
 * `--scenario upgrade`: load on 1.0.0, push 2.0.0, switch, pull the new
 * primary, takeover by the 2.0.0 backup, restore, fall back to 1.0.0.
 * `--scenario blackout`: load, both boards' power pulled at once, restored
 * one after the other (`--restore-first`), the pair recovers from its
 * durable stores.
 * Ctrl-C takes the demonstration's lab down and exits 130.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option } from 'commander';
import { type Dashboard, startDashboard } from '../../dashboard/server.ts';
import { TargetFeed } from '../../dashboard/target-feed.ts';
import {
  type BlackoutResult,
  RESTORE_FIRST,
  type RestoreFirst,
  runBlackoutDemo,
} from '../../demo/blackout-demo.ts';
import type { DemoRunOptions, DemoWatch, Say, Tone } from '../../demo/demo-pair.ts';
import { type DemoResult, runTakeoverDemo } from '../../demo/takeover-demo.ts';
import { runUpgradeDemo, type UpgradeDemoResult } from '../../demo/upgrade-demo.ts';
import { buildImage } from '../../image/build.ts';
import { ensureKeys, PUBLIC_KEY_FILE } from '../../image/keys.ts';
import { labDown } from '../../lab/lab.ts';
import { projectPath } from '../../project-dir.ts';
import { openPairTarget } from '../../target/pair-target.ts';
import type { RegisterCommand } from '../command-registration.ts';
import {
  type BoardEngines,
  engineOption,
  enginesUnavailable,
  xsHeapOption,
} from '../engine-option.ts';
import { ExitCode } from '../exit-codes.ts';
import { LiveLine } from '../live-line.ts';
import { positiveInteger, standardBaud } from '../option-parsers.ts';
import { stylistFor } from '../terminal-style.ts';
import { count, formatTable } from '../text-table.ts';
import { DASHBOARD_PORT_DEFAULT, portNumber } from './dashboard.ts';

interface DemoOptions {
  readonly scenario: 'takeover' | 'upgrade' | 'blackout';
  readonly restoreFirst: RestoreFirst;
  readonly restoreGapMs: number;
  readonly json: boolean;
  readonly dir: string;
  readonly baud: number;
  readonly sharedBus: boolean;
  readonly clients: number;
  readonly accounts?: number;
  readonly loadMs: number;
  readonly seed: number;
  readonly dashboard: boolean;
  readonly dashboardPort: number;
  readonly engine: BoardEngines;
  readonly xsHeap?: number;
}

export const registerDemo: RegisterCommand = (program, finish) => {
  program
    .command('demo')
    .description(
      'The lab demonstration with measured figures: takeover on power-pull of the primary and rejoin, (--scenario upgrade) push, switch, takeover and fallback under load, or (--scenario blackout) both boards pulled and the pair recovered from its durable stores.',
    )
    .addOption(
      new Option('--scenario <name>', 'which demonstration')
        .choices(['takeover', 'upgrade', 'blackout'])
        .default('takeover'),
    )
    .option(
      '--json',
      'no narration; print one JSON object {acknowledged, lost, duplicated, ...}: takeover adds takeoverMs, rejoinMs; upgrade holdMs, finalVersions, steps; blackout recoveredTxn, recoveryMs, wholeMs, restoreOrder',
      false,
    )
    .addOption(
      new Option(
        '--restore-first <board>',
        'blackout: which board gets its power back first, the one that was primary or the one that was backup',
      )
        .choices([...RESTORE_FIRST])
        .default('backup'),
    )
    .addOption(
      new Option(
        '--restore-gap-ms <ms>',
        'blackout: time between power returning to the first board and to the second',
      )
        .argParser(positiveInteger)
        .default(1000),
    )
    .option(
      '--dir <dir>',
      'lab directory (erased and reused)',
      projectPath(process.cwd(), 'demo-lab'),
    )
    .addOption(
      new Option('--baud <rate>', 'line rate of every simulated UART')
        .argParser(standardBaud)
        .default(115200),
    )
    .option(
      '--shared-bus',
      'one field bus both boards hear (RS-485): the survivor answers the requests in flight as it takes over',
      false,
    )
    .addOption(
      new Option('--clients <n>', 'concurrent clients').argParser(positiveInteger).default(8),
    )
    .addOption(
      new Option(
        '--accounts <n>',
        'ledger accounts the clients open first and then use: the size of the state the pair keeps (default: 8)',
      ).argParser(positiveInteger),
    )
    .addOption(
      new Option('--load-ms <ms>', 'load before the pull (and after each step)')
        .argParser(positiveInteger)
        .default(6000),
    )
    .addOption(
      new Option('--seed <n>', 'seed of the client workload').argParser(positiveInteger).default(1),
    )
    .addOption(engineOption())
    .addOption(xsHeapOption())
    .option('--no-dashboard', 'no live web page (--json never serves one)')
    .addOption(
      new Option(
        '--dashboard-port <n>',
        'port of the live web page on 127.0.0.1 (a free one if taken)',
      )
        .argParser(portNumber)
        .default(DASHBOARD_PORT_DEFAULT),
    )
    .action(async (options: DemoOptions) => {
      const unavailable = enginesUnavailable(options.engine, options.xsHeap);
      if (unavailable !== null) {
        process.stderr.write(`tandem demo: ${unavailable}\n`);
        finish(ExitCode.usage);
        return;
      }
      finish(await untilInterrupted(demo(options), options.dir));
    });
};

/** How long Ctrl-C waits for a lab that is still starting, to take it down. */
const LAB_STARTING_WAIT_MS = 30_000;
const LAB_STARTING_POLL_MS = 100;

/**
 * The demonstration, or on Ctrl-C its lab taken down (board processes,
 * wires) and ExitCode.interrupted; what the abandoned run still holds ends
 * with the process.
 */
async function untilInterrupted(run: Promise<ExitCode>, labDir: string): Promise<ExitCode> {
  let settled = false;
  run.then(
    () => {
      settled = true;
    },
    () => {
      settled = true; // it fails once its lab is gone; nobody waits for it
    },
  );
  // The lab's daemon runs detached, so Ctrl-C does not reach it: take it down,
  // and if it is still starting (or about to), wait until it answers to do so.
  const takeLabDown = async () => {
    const deadline = performance.now() + LAB_STARTING_WAIT_MS;
    while (!(await labDown(labDir)) && !settled && performance.now() < deadline) {
      await sleep(LAB_STARTING_POLL_MS);
    }
  };
  let onInterrupt = () => {};
  let wasInterrupted = false;
  const interrupted = new Promise<ExitCode>((resolve) => {
    onInterrupt = () => {
      wasInterrupted = true;
      process.stderr.write(`tandem demo: interrupted; taking the lab in ${labDir} down\n`);
      resolve(takeLabDown().then(() => ExitCode.interrupted));
    };
  });
  process.once('SIGINT', onInterrupt);
  // Once interrupted, the run failing (its lab is being taken down) is expected:
  // the outcome is the interruption's, after the lab is down.
  const outcome = run.catch((error: unknown) => {
    if (wasInterrupted) return interrupted;
    throw error;
  });
  try {
    return await Promise.race([outcome, interrupted]);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

async function demo(options: DemoOptions): Promise<ExitCode> {
  const style = stylistFor(process.stdout);
  const started = performance.now();
  const live = new LiveLine(process.stdout);
  const toned = (tone: Tone, line: string) => {
    switch (tone) {
      case 'fault':
        return style('yellow', style('bold', line));
      case 'takeover':
        return style('red', style('inverse', style('bold', ` TAKEOVER  ${line} `)));
      case 'recovered':
        return style('green', style('bold', line));
      case 'plain':
        return line;
    }
  };
  const say: Say = options.json
    ? () => {}
    : (line, tone = 'plain') =>
        live.print(
          `${style('dim', `${((performance.now() - started) / 1000).toFixed(2).padStart(6)} s`)}  ${toned(tone, line)}`,
        );
  // The dashboard shows the demonstration live; a counter of acknowledged requests runs in the terminal.
  const watch: DemoWatch = async (pair, load) => {
    const target = openPairTarget({
      kind: 'lab',
      dir: pair.config.dir,
      source: { via: 'option', option: '--lab' },
    });
    const feed = await TargetFeed.attach(target, pair.hosts, { load });
    const dashboard = await serveDashboard(feed, options.dashboardPort);
    say(`dashboard (live): ${style('bold', dashboard.url)}`);
    let last = { acknowledged: 0, atMs: performance.now() };
    let rate = 0;
    live.start(() => {
      const now = { acknowledged: load.history.acknowledged, atMs: performance.now() };
      if (now.atMs - last.atMs >= 1000) {
        rate = ((now.acknowledged - last.acknowledged) * 1000) / (now.atMs - last.atMs);
        last = now;
      }
      return style(
        'cyan',
        `  ▸ ${count(now.acknowledged)} requests acknowledged  ${count(rate)}/s`,
      );
    }, 200);
    return async () => {
      live.stop();
      await dashboard.close();
      await feed.close();
    };
  };
  const keyDir = projectPath(process.cwd(), 'keys');
  if (ensureKeys(keyDir)) say(`no signing key yet: made one in ${keyDir}`);
  say('building the signed image of ledger 1.0.0');
  const built = await buildImage({ app: 'ledger', version: '1.0.0', boards: ['sim'] });
  say(`image: ${built.image.length} bytes, sha256 ${built.sha256.slice(0, 16)}…`);
  const run: DemoRunOptions = {
    dir: options.dir,
    publicKeyFile: join(keyDir, PUBLIC_KEY_FILE),
    baud: options.baud,
    busShared: options.sharedBus,
    clients: options.clients,
    ...(options.accounts === undefined ? {} : { accounts: options.accounts }),
    loadMs: options.loadMs,
    seed: options.seed,
    engines: options.engine,
    ...(options.xsHeap === undefined ? {} : { xsHeapBytes: options.xsHeap }),
    say,
    ...(options.json || !options.dashboard ? {} : { watch }),
  };
  if (options.scenario === 'upgrade') return upgrade(options, run, built.image, style);
  if (options.scenario === 'blackout') return blackout(options, run, built.image, style);
  const result = await runTakeoverDemo({ ...run, image: built.image });
  return conclude(
    result,
    result.takeoverMs !== null && result.rejoinMs !== null,
    options.json,
    style,
    () => summaryOf(result, style),
    'nothing acknowledged was lost or done twice',
  );
}

/** The dashboard on 127.0.0.1: on `port`, or a free port when that one is taken. */
async function serveDashboard(feed: TargetFeed, port: number): Promise<Dashboard> {
  const options = { host: '127.0.0.1', port, intervalMs: 200 };
  try {
    return await startDashboard(feed, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return startDashboard(feed, { ...options, port: 0 });
  }
}

/** What every demonstration's result counts from the clients' history. */
interface DemoOutcome {
  readonly lost: number;
  readonly duplicated: number;
  readonly violations: readonly string[];
}

/**
 * Ends a demonstration: it passes when nothing acknowledged was lost or done
 * twice, the history holds and `scenarioPassed`. Prints `result` as one JSON
 * line, or `summary()` followed by the violations and PASS (with `passNote`)
 * or FAIL.
 */
function conclude(
  result: DemoOutcome,
  scenarioPassed: boolean,
  json: boolean,
  style: ReturnType<typeof stylistFor>,
  summary: () => string,
  passNote: string,
): ExitCode {
  const passed =
    result.lost === 0 &&
    result.duplicated === 0 &&
    result.violations.length === 0 &&
    scenarioPassed;
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(summary());
    for (const violation of result.violations) {
      process.stdout.write(`  ${style('red', violation)}\n`);
    }
    process.stdout.write(
      `\n${passed ? style('green', `PASS: ${passNote}`) : style('red', 'FAIL')}\n`,
    );
  }
  return passed ? ExitCode.ok : ExitCode.failure;
}

function summaryOf(result: DemoResult, style: ReturnType<typeof stylistFor>): string {
  const ms = (value: number | null) => (value === null ? 'not seen' : `${value.toFixed(1)} ms`);
  const lines = formatTable([
    ['requests acknowledged', String(result.acknowledged)],
    ['acknowledged, then lost', String(result.lost)],
    ['executed twice', String(result.duplicated)],
    ['takeover (pull to first reply of the new primary)', ms(result.takeoverMs)],
    ['rejoin (restore to backup synchronised)', ms(result.rejoinMs)],
    ['longest any request waited', ms(result.longestWaitMs)],
    ['line rate', `${result.baud} baud`],
  ]);
  return `\n${style('bold', 'Summary')}\n${lines.join('\n')}\n`;
}

async function upgrade(
  options: DemoOptions,
  run: DemoRunOptions,
  v1: Uint8Array,
  style: ReturnType<typeof stylistFor>,
): Promise<ExitCode> {
  run.say('building the signed image of ledger 2.0.0');
  const v2 = await buildImage({ app: 'ledger', version: '2.0.0', boards: ['sim'] });
  const result = await runUpgradeDemo({ ...run, v1, v2: v2.image });
  return conclude(
    result,
    result.steps.every((step) => step.outcome === 'ok') &&
      result.finalVersions.every((version) => version === '1.0.0'),
    options.json,
    style,
    () => upgradeSummaryOf(result, style),
    'upgraded and fell back under load; nothing acknowledged was lost or done twice',
  );
}

function upgradeSummaryOf(result: UpgradeDemoResult, style: ReturnType<typeof stylistFor>): string {
  const ms = (value: number | null) => (value === null ? 'not seen' : `${value.toFixed(1)} ms`);
  const stepLines = formatTable(
    result.steps.map((step) => [
      `${step.outcome === 'ok' ? style('green', 'ok    ') : style('red', 'FAILED')} ${step.name}`,
      `${(step.durationMs / 1000).toFixed(2)} s`,
    ]),
  );
  const lines = formatTable([
    ['requests acknowledged', String(result.acknowledged)],
    ['acknowledged, then lost', String(result.lost)],
    ['executed twice', String(result.duplicated)],
    ['longest wait during a switch', ms(result.holdMs)],
    [
      'requests held (boards: switch / fallback)',
      `${ms(result.switch?.holdMs ?? null)} / ${ms(result.fallback?.holdMs ?? null)}`,
    ],
    ['takeover by the 2.0.0 backup', ms(result.takeoverMs)],
    ['final versions (P1, P2)', result.finalVersions.map((v) => v ?? 'none').join(', ')],
    ['line rate', `${result.baud} baud`],
  ]);
  return `\n${style('bold', 'Steps')}\n${stepLines.join('\n')}\n\n${style('bold', 'Summary')}\n${lines.join('\n')}\n`;
}

async function blackout(
  options: DemoOptions,
  run: DemoRunOptions,
  image: Uint8Array,
  style: ReturnType<typeof stylistFor>,
): Promise<ExitCode> {
  const result = await runBlackoutDemo({
    ...run,
    image,
    restoreFirst: options.restoreFirst,
    restoreGapMs: options.restoreGapMs,
  });
  return conclude(
    result,
    result.recoveredTxn !== null && result.wholeMs !== null && !result.coldStart,
    options.json,
    style,
    () => blackoutSummaryOf(result, style),
    'both boards lost power and the pair recovered from its stores; nothing acknowledged was lost or done twice',
  );
}

function blackoutSummaryOf(result: BlackoutResult, style: ReturnType<typeof stylistFor>): string {
  const ms = (value: number | null) => (value === null ? 'not seen' : `${value.toFixed(1)} ms`);
  const lines = formatTable([
    ['requests acknowledged', String(result.acknowledged)],
    ['acknowledged, then lost', String(result.lost)],
    ['executed twice', String(result.duplicated)],
    [
      'restore order',
      `P${result.restoreOrder[0]} (the ${result.restoreFirst}), then P${result.restoreOrder[1]} ${result.restoreGapMs} ms later`,
    ],
    [
      'recovered from the store',
      result.recoveredTxn === null
        ? result.coldStart
          ? 'no: cold start'
          : 'no'
        : `txn ${result.recoveredTxn} by P${result.recoveredBy}`,
    ],
    ['recovery (first power back to first reply)', ms(result.recoveryMs)],
    ['pair whole again (first power back)', ms(result.wholeMs)],
    ['line rate', `${result.baud} baud`],
  ]);
  return `\n${style('bold', 'Summary')}\n${lines.join('\n')}\n`;
}
