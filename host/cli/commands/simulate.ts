/**
 * `tandem simulate`: runs a campaign of seeds through the deterministic
 * simulator and checks every invariant, or replays one seed with its trace.
 *
 * Contract for scripts: with --json, stdout holds exactly one JSON object
 * (the CampaignResult, or the SeedResult with --seed); on any violation
 * stderr gets `reproduce with: npx tandem simulate --seed N --mode M` and the
 * exit code is ExitCode.failure. A seed that throws is a violation of its
 * own (`seed-threw`); the campaign goes on.
 *
 * The wide fault model is the default (see host/simulator/fault-model.ts);
 * `--fault-model classic` runs the narrower schedule the corpus tests use.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { CheckpointModel } from '../../../firmware/app.ts';
import {
  DEFAULT_FAULT_MODEL,
  DEFAULT_RUN_MS,
  runCampaign,
  worldOptionsFor,
} from '../../simulator/campaign.ts';
import {
  FAULT_GROUPS,
  FAULT_MODELS,
  type FaultGroup,
  type FaultModel,
  type Topology,
  topologyName,
} from '../../simulator/fault-model.ts';
import { runSeed } from '../../simulator/world.ts';
import { campaignProgress, progressWanted } from '../campaign-progress.ts';
import { campaignSummary } from '../campaign-summary.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { positiveInteger, seedNumber } from '../option-parsers.ts';
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
  readonly runMs: number;
  readonly faultModel: FaultModel;
  readonly faultGroups?: readonly FaultGroup[];
  readonly paths?: 1 | 2;
  readonly dsr?: 'wired' | 'unwired';
  readonly fence?: 'wired' | 'unwired';
  readonly json: boolean;
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
  };
}

export const registerSimulate: RegisterCommand = (program, finish) => {
  program
    .command('simulate')
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
        .conflicts(['seeds', 'startSeed']),
    )
    .addOption(
      new Option('--mode <model>', 'checkpoint model the app runs in')
        .choices(MODES)
        .default('state'),
    )
    .addOption(new Option('--app <path>', APP_OPTION_HELP))
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
  npx tandem simulate --seed 42 --mode state
  npx tandem simulate --seeds 200 --fault-model classic --json
  npx tandem simulate --seeds 200 --paths 1 --fence unwired
  npx tandem simulate --app ./my-app/simulation.ts --seeds 50 --json`,
    )
    .action(async (options: SimulateOptions) => {
      finish(
        options.seed === undefined
          ? await campaign(options)
          : await replayOne(options, options.seed),
      );
    });
};

async function campaign(options: SimulateOptions): Promise<ExitCode> {
  const module = await simulationModuleFor(options.app);
  const progress = campaignProgress('simulate', options.seeds, progressWanted(options.json));
  let result: ReturnType<typeof runCampaign>;
  try {
    result = runCampaign({
      seeds: options.seeds,
      startSeed: options.startSeed,
      mode: options.mode,
      module,
      runMs: options.runMs,
      faultModel: options.faultModel,
      topology: forcedTopology(options),
      ...(options.faultGroups !== undefined && { faultGroups: options.faultGroups }),
      onSeed: (seed) => progress.seedDone(seed),
    });
  } finally {
    progress.stop();
  }

  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${campaignSummary(result, stylistFor(process.stdout)).join('\n')}\n`);

  const firstFailing = result.failingSeeds[0];
  if (firstFailing === undefined) return ExitCode.ok;
  process.stderr.write(`${reproduceLine({ ...options, seed: firstFailing })}\n`);
  return ExitCode.failure;
}

async function replayOne(options: SimulateOptions, seed: number): Promise<ExitCode> {
  const module = await simulationModuleFor(options.app);
  const world = worldOptionsFor({
    seed,
    mode: options.mode,
    module,
    runMs: options.runMs,
    trace: true,
    faultModel: options.faultModel,
    topology: forcedTopology(options),
    ...(options.faultGroups !== undefined && { faultGroups: options.faultGroups }),
  });
  const result = runSeed(world);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const style = stylistFor(process.stdout);
    const [current, next] = world.versions;
    const header = `seed ${seed}: ${options.mode} checkpoints, ${current} -> ${next}, ${options.runMs} ms of ${options.faultModel} faults, ${topologyName(result.topology)}`;
    const lines = [style('bold', header), ...result.trace, '', ...seedSummary(result, style)];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return result.violations.length > 0 ? ExitCode.failure : ExitCode.ok;
}
