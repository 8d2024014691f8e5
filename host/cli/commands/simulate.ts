/**
 * `tandem simulate`: runs a campaign of seeds through the deterministic
 * simulator and checks every invariant, or replays one seed with its trace.
 *
 * Contract for scripts: with --json, stdout holds exactly one JSON object
 * (the CampaignResult, or the SeedResult with --seed); on any violation
 * stderr gets `reproduce with: npx tandem simulate --seed N --mode M` (with
 * `--durability retained` and the other options that differ from the defaults) and the
 * exit code is ExitCode.failure. A seed that throws is a violation of its
 * own (`seed-threw`); the campaign goes on.
 *
 * The wide fault model is the default (see host/simulator/fault-model.ts);
 * `--fault-model classic` runs the narrower schedule the corpus tests use.
 *
 * Seeds run on every core (`--workers`) with the result of one thread;
 * `--shard K/N` runs a slice of the range and `--jsonl` writes a line per
 * seed, which `simulate merge` adds up into the whole range's result.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CheckpointModel, Durability } from '../../../firmware/app.ts';
import { appVersions, type SimulationModule } from '../../simulator/app-module.ts';
import {
  DEFAULT_DURABILITY,
  DEFAULT_FAULT_MODEL,
  DEFAULT_RUN_MS,
  DURABILITIES,
  worldOptionsFor,
} from '../../simulator/campaign.ts';
import { CampaignMergeError, mergeSeedLines } from '../../simulator/campaign-merge.ts';
import { defaultWorkers, runCampaignInWorkers } from '../../simulator/campaign-pool.ts';
import type { CampaignResult } from '../../simulator/campaign-tally.ts';
import {
  FAULT_GROUPS,
  FAULT_MODELS,
  type FaultGroup,
  type FaultModel,
  type Topology,
  topologyName,
} from '../../simulator/fault-model.ts';
import type { SeedLine } from '../../simulator/seed-line.ts';
import { type Shard, shardRange } from '../../simulator/seed-shard.ts';
import { runSeed } from '../../simulator/world.ts';
import { APP_CODE_FAULT_GROUPS, XS_CORE_FAULT_GROUPS } from '../../simulator/xs-core/xs-core.ts';
import { campaignProgress, progressWanted } from '../campaign-progress.ts';
import { campaignSummary } from '../campaign-summary.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { type BoardEngines, enginesUnavailable } from '../engine-option.ts';
import { ExitCode } from '../exit-codes.ts';
import { imageEngines, positiveInteger, seedNumber } from '../option-parsers.ts';
import { reproduceLine } from '../reproduce-command.ts';
import { seedSummary } from '../seed-summary.ts';
import { APP_OPTION_HELP, simulationModuleFor } from '../simulation-module-option.ts';
import { stylistFor } from '../terminal-style.ts';

export const DEFAULT_SEEDS = 100;
export const DEFAULT_START_SEED = 1;
const MODES: readonly CheckpointModel[] = ['state', 'replay'];

interface SimulateOptions {
  readonly seeds: number;
  readonly startSeed: number;
  readonly seed?: number;
  readonly mode: CheckpointModel;
  readonly app?: string;
  readonly durability: Durability;
  readonly runMs: number;
  readonly faultModel: FaultModel;
  readonly faultGroups?: readonly FaultGroup[];
  readonly paths?: 1 | 2;
  readonly dsr?: 'wired' | 'unwired';
  readonly fence?: 'wired' | 'unwired';
  readonly bus?: 'shared' | 'separate';
  readonly engine: BoardEngines;
  readonly workers: number;
  readonly shard?: Shard;
  readonly jsonl?: string;
  readonly json: boolean;
}

/** `--shard K/N`: the K-th of N slices, K from 1. */
function shard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || !(count >= 1 && index >= 1 && index <= count)) {
    throw new InvalidArgumentError('Must be K/N with 1 <= K <= N, e.g. 3/8.');
  }
  return { index, count };
}

/** `--fault-groups a,b` (or `none`: the classic schedule with the wide model's checks). */
function faultGroups(text: string): readonly FaultGroup[] {
  if (text.trim() === 'none') return [];
  const groups = text.split(',').map((g) => g.trim());
  const unknown = groups.filter((g) => !(FAULT_GROUPS as readonly string[]).includes(g));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `Unknown group ${unknown.join(', ')}; groups: ${FAULT_GROUPS.join(', ')}, or none.`,
    );
  }
  return groups as FaultGroup[];
}

/** The topology fields the options force (the rest are the fault model's). */
function forcedTopology(options: SimulateOptions): Partial<Topology> {
  return {
    ...(options.paths !== undefined && { pathCount: options.paths }),
    ...(options.dsr !== undefined && { dsrWired: options.dsr === 'wired' }),
    ...(options.fence !== undefined && { fenceWired: options.fence === 'wired' }),
    ...(options.bus !== undefined && { busShared: options.bus === 'shared' }),
  };
}

export const registerSimulate: RegisterCommand = (program, finish) => {
  const simulate = program.command('simulate');
  simulate
    .description(
      'Run seeds of the simulated primary/backup pair under faults (power pulls, cable cuts, noise, image pushes, online upgrades) and check that nothing acknowledged is lost, nothing runs twice and only one processor serves.',
    )
    .addOption(
      new Option('--seeds <n>', 'how many seeds to run')
        .argParser(positiveInteger)
        .default(DEFAULT_SEEDS),
    )
    .addOption(
      new Option('--start-seed <s>', 'first seed of the campaign')
        .argParser(seedNumber)
        .default(DEFAULT_START_SEED),
    )
    .addOption(
      new Option('--seed <s>', 'replay one seed: print its full trace, then its summary')
        .argParser(seedNumber)
        .conflicts(['seeds', 'startSeed', 'shard', 'jsonl']),
    )
    .addOption(
      new Option(
        '--workers <n>',
        'worker threads running seeds (results are the same for any number)',
      )
        .argParser(positiveInteger)
        .default(defaultWorkers(), 'every core'),
    )
    .addOption(
      new Option(
        '--shard <k/n>',
        'run only the K-th of N slices of the seed range (add them up with `simulate merge`)',
      ).argParser(shard),
    )
    .addOption(
      new Option(
        '--jsonl <file>',
        'also write one JSON line per seed, in seed order, to FILE (- for stdout: the summary then goes to stderr)',
      ),
    )
    .addOption(
      new Option('--mode <model>', 'checkpoint model the app runs in')
        .choices(MODES)
        .default('state'),
    )
    .addOption(new Option('--app <path>', APP_OPTION_HELP))
    .addOption(
      new Option(
        '--durability <where>',
        "where the boards keep a retained app's state: memory (no store; both boards lost means a cold start) or retained (each board has a durable store that outlives its power, and the seeds also cut power inside store writes and erases)",
      )
        .choices(DURABILITIES)
        .default(DEFAULT_DURABILITY),
    )
    .addOption(
      new Option(
        '--fault-model <model>',
        'wide: stalls, clock skew, long and crossed one-way cuts, drawn topologies, client crowds, big states, mismatched partners, app exceptions; classic: the narrower first schedule',
      )
        .choices(FAULT_MODELS)
        .default(DEFAULT_FAULT_MODEL),
    )
    .addOption(
      new Option(
        '--fault-groups <list>',
        `narrow the wide model to these groups, comma-separated (${FAULT_GROUPS.join(', ')}), or none`,
      ).argParser(faultGroups),
    )
    .addOption(
      new Option(
        '--paths <n>',
        'force the interconnect paths (else drawn per seed in the wide model)',
      )
        .choices(['1', '2'])
        .argParser((text) => Number(text) as 1 | 2),
    )
    .addOption(
      new Option('--dsr <wiring>', 'force the DSR lines wired or not').choices([
        'wired',
        'unwired',
      ]),
    )
    .addOption(
      new Option('--fence <wiring>', 'force the fence lines wired or not').choices([
        'wired',
        'unwired',
      ]),
    )
    .addOption(
      new Option(
        '--bus <wiring>',
        'force the field bus shared by both boards (one multi-drop line) or a drop per board',
      ).choices(['shared', 'separate']),
    )
    .addOption(
      new Option(
        '--engine <engine>',
        "where the boards' cores run: node (in this process), xs (each in Moddable's XS, an xsnap worker; `npm run build:xs` first: the same seed gives the same run, tens of times slower), or one per board, processor 1 first (xs,node). XS cores run the ledger only, and the wide model's app faults are left out",
      )
        .argParser(imageEngines)
        .default(['node', 'node'], 'node'),
    )
    .addOption(
      new Option('--run-ms <ms>', 'virtual milliseconds of load and faults per seed')
        .argParser(positiveInteger)
        .default(DEFAULT_RUN_MS),
    )
    .option('--json', 'print one JSON object on stdout instead of the table (for scripts)', false)
    .addHelpText(
      'after',
      `
Exit codes: ${ExitCode.ok} no violations, ${ExitCode.failure} violations found, ${ExitCode.usage} bad argument, ${ExitCode.appModule} --app module unusable.

Examples:
  npx tandem simulate --seeds 1000 --mode replay
  npx tandem simulate --seeds 300 --durability retained --json
  npx tandem simulate --seeds 1000 --workers 2
  npx tandem simulate --seeds 100000 --shard 3/20 --jsonl shard-3.jsonl
  npx tandem simulate merge shard-*.jsonl --json
  npx tandem simulate --seed 42 --mode state
  npx tandem simulate --seeds 200 --fault-model classic --json
  npx tandem simulate --seeds 200 --paths 1 --fence unwired
  npx tandem simulate --seeds 20 --engine xs --durability retained
  npx tandem simulate --app ./my-app/simulation.ts --seeds 50 --json`,
    )
    .action(async (options: SimulateOptions) => {
      finish(
        options.seed === undefined
          ? await campaign(options)
          : await replayOne(options, options.seed),
      );
    });
  simulate
    .command('merge')
    .description(
      'Add up the seed lines of shards (`simulate --shard K/N --jsonl FILE`) into the result one run over the whole range gives.',
    )
    .argument('<files...>', 'files written by `simulate --jsonl`')
    // --json is simulate's own option (commander gives it to the parent wherever it stands).
    .addHelpText(
      'after',
      `
Exit codes: ${ExitCode.ok} no violations, ${ExitCode.failure} violations found, ${ExitCode.usage} unreadable, mixed, overlapping or incomplete shards.

Add --json for one JSON object on stdout, as \`simulate --json\` prints it.

Example:
  npx tandem simulate merge shard-1.jsonl shard-2.jsonl --json`,
    )
    .action((files: string[], _options: unknown, command: Command) => {
      finish(merge(files, command.optsWithGlobals<{ json: boolean }>().json));
    });
};

async function campaign(options: SimulateOptions): Promise<ExitCode> {
  if (options.jsonl === '-' && options.json) {
    process.stderr.write('tandem: --jsonl - and --json both want stdout; give --jsonl a file\n');
    return ExitCode.usage;
  }
  const whole = { startSeed: options.startSeed, seeds: options.seeds };
  const range = options.shard === undefined ? whole : shardRange(whole, options.shard);
  if (range.seeds === 0) {
    process.stderr.write(
      `tandem: --shard ${options.shard?.index}/${options.shard?.count} of ${options.seeds} seeds is empty; use at most ${options.seeds} shards\n`,
    );
    return ExitCode.usage;
  }
  const module = await simulationModuleFor(options.app);
  const faultGroups = faultGroupsFor(options);
  if (!durabilityFits(module, options) || faultGroups === null) return ExitCode.usage;
  const lines = seedLineWriter(options.jsonl);
  const progress = campaignProgress('simulate', range.seeds, progressWanted(options.json));
  let result: CampaignResult;
  try {
    result = await runCampaignInWorkers({
      ...range,
      mode: options.mode,
      module,
      durability: options.durability,
      appPath: options.app ?? null,
      workers: options.workers,
      runMs: options.runMs,
      faultModel: options.faultModel,
      topology: forcedTopology(options),
      ...(faultGroups !== undefined && { faultGroups }),
      engines: options.engine,
      onSeed: (line) => {
        lines.write(line);
        progress.seedDone(line);
      },
    });
  } finally {
    progress.stop();
    lines.close();
  }
  const summaryTo = options.jsonl === '-' ? process.stderr : process.stdout;
  return report(result, options.json, summaryTo, (seed) => reproduceLine({ ...options, seed }));
}

/**
 * The fault groups to run (undefined: the model's own), or null when the
 * options cannot run, said on stderr: XS cores not built here, or asked to
 * run an --app module or app faults. With XS cores the wide model runs
 * every group but the app faults.
 */
function faultGroupsFor(options: SimulateOptions): readonly FaultGroup[] | undefined | null {
  if (!options.engine.includes('xs')) return options.faultGroups;
  const refuse = (why: string): null => {
    process.stderr.write(`tandem simulate: ${why}\n`);
    return null;
  };
  const unavailable = enginesUnavailable(options.engine);
  if (unavailable !== null) return refuse(unavailable);
  if (options.app !== undefined)
    return refuse(
      '--engine xs runs the ledger only\n  hint: run an --app module with --engine node',
    );
  const appFaults = options.faultGroups?.filter((group) => APP_CODE_FAULT_GROUPS.includes(group));
  if (appFaults !== undefined && appFaults.length > 0)
    return refuse(
      `--engine xs runs the ledger as built, without ${appFaults.join(' or ')}\n  hint: leave ${appFaults.join(' and ')} out of --fault-groups, or use --engine node`,
    );
  if (options.faultGroups !== undefined || options.faultModel !== 'wide')
    return options.faultGroups;
  return XS_CORE_FAULT_GROUPS;
}

/**
 * `--durability retained` needs an app that keeps its state retained: with a
 * memory app the stores would sit unused and the result would claim a proof
 * it is not. Says so on stderr.
 */
function durabilityFits(module: SimulationModule, options: SimulateOptions): boolean {
  if (options.durability !== 'retained') return true;
  const [current] = appVersions(module, options.mode);
  if (current.durability === 'retained') return true;
  process.stderr.write(
    `tandem: --durability retained, but ${current.name} ${current.version} keeps its state in memory\n  hint: declare durability: 'retained' in the app (see the ledger), or leave --durability at memory\n`,
  );
  return false;
}

/** Prints a campaign's result and says how to replay its first failing seed. */
function report(
  result: CampaignResult,
  json: boolean,
  to: NodeJS.WriteStream,
  reproduce: (seed: number) => string,
): ExitCode {
  if (json) to.write(`${JSON.stringify(result)}\n`);
  else to.write(`${campaignSummary(result, stylistFor(to)).join('\n')}\n`);
  const firstFailing = result.failingSeeds[0];
  if (firstFailing === undefined) return ExitCode.ok;
  process.stderr.write(`${reproduce(firstFailing)}\n`);
  return ExitCode.failure;
}

/** Where --jsonl sends the seed lines: a file, stdout, or nowhere. */
function seedLineWriter(target: string | undefined): {
  write(line: SeedLine): void;
  close(): void;
} {
  if (target === undefined) return { write() {}, close() {} };
  const fd = target === '-' ? 1 : openSync(target, 'w');
  return {
    write: (line) => writeSync(fd, `${JSON.stringify(line)}\n`),
    close: () => {
      if (fd !== 1) closeSync(fd);
    },
  };
}

function merge(files: readonly string[], json: boolean): ExitCode {
  let merged: ReturnType<typeof mergeSeedLines>;
  try {
    const inputs = files.map((name) => ({ name, text: readFileSync(name, 'utf8') }));
    merged = mergeSeedLines(inputs);
  } catch (error) {
    if (error instanceof CampaignMergeError) {
      process.stderr.write(`tandem: ${error.message}\n  hint: ${error.hint}\n`);
      return ExitCode.usage;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      process.stderr.write(
        `tandem: cannot read ${(error as NodeJS.ErrnoException).path}: ${code}\n  hint: give the files \`simulate --jsonl FILE\` wrote\n`,
      );
      return ExitCode.usage;
    }
    throw error;
  }
  const { result, campaign } = merged;
  const { pathCount, dsrWired, fenceWired, busShared } = campaign.topology;
  const replay = {
    mode: campaign.mode,
    durability: campaign.durability,
    faultModel: campaign.faultModel,
    runMs: campaign.runMs,
    faultGroups: campaign.faultGroups ?? undefined,
    paths: pathCount,
    dsr: dsrWired === undefined ? undefined : dsrWired ? ('wired' as const) : ('unwired' as const),
    fence:
      fenceWired === undefined ? undefined : fenceWired ? ('wired' as const) : ('unwired' as const),
    bus:
      busShared === undefined ? undefined : busShared ? ('shared' as const) : ('separate' as const),
  };
  return report(result, json, process.stdout, (seed) => reproduceLine({ ...replay, seed }));
}

async function replayOne(options: SimulateOptions, seed: number): Promise<ExitCode> {
  const module = await simulationModuleFor(options.app);
  const faultGroups = faultGroupsFor(options);
  if (!durabilityFits(module, options) || faultGroups === null) return ExitCode.usage;
  const world = worldOptionsFor({
    seed,
    mode: options.mode,
    module,
    durability: options.durability,
    runMs: options.runMs,
    trace: true,
    faultModel: options.faultModel,
    topology: forcedTopology(options),
    ...(faultGroups !== undefined && { faultGroups }),
    engines: options.engine,
  });
  const result = runSeed(world);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const style = stylistFor(process.stdout);
    const [current, next] = world.versions;
    const header = `seed ${seed}: ${options.mode} checkpoints, ${options.durability} state, ${current} -> ${next}, ${options.runMs} ms of ${options.faultModel} faults, ${topologyName(result.topology)}`;
    const lines = [style('bold', header), ...result.trace, '', ...seedSummary(result, style)];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return result.violations.length > 0 ? ExitCode.failure : ExitCode.ok;
}
