/**
 * `tandem hil ...`: hardware-in-the-loop commands on a rig, whose power
 * backend is relays driven through johnny-five over Firmata (the lab's relay
 * controller, `sim`, or an Arduino, `firmata`) or shell commands (`command`).
 * Each subcommand registers through HIL_SUBCOMMANDS; the rig options and
 * opening a rig from them are shared (`addRigOptions`, `openRigFrom`). A rig
 * or board that cannot be driven exits ExitCode.infrastructure.
 *
 *   tandem hil check --rig sim [--dir LAB] [--profile FILE] [--json]
 *   tandem hil check --rig firmata --port /dev/ttyACM0 --profile FILE --hosts /dev/ttyUSB0,/dev/ttyUSB1
 *   tandem hil check --rig command --profile FILE [--hosts P1,P2 | --dir LAB]
 *   tandem hil run --rig sim --pulls 50 [--scenario takeover|upgrade|mixed] [--seed S] [--json] [--tap FILE]
 *   tandem hil run --rig command --profile FILE [--hosts P1,P2 --bus B1,B2 | --dir LAB]
 *   tandem hil faults [--runs 3] [--classes a,b] [--seed S] [--soak SECONDS] [--json]
 */

import { randomInt } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadRigProfile, type RigProfile, RigProfileError } from '../../../boards/rig-profile.ts';
import {
  type CampaignRun,
  describeSkew,
  runCampaign,
  type Verdict,
  verdict,
  verdictLine,
} from '../../../hil/campaign.ts';
import {
  boardsCampaignTarget,
  type CampaignTarget,
  openSimCampaignTarget,
} from '../../../hil/campaign-target.ts';
import {
  checkOutcome,
  checkRig,
  type RigCheckResult,
  type StatusSource,
} from '../../../hil/check.ts';
import { openCommandRig } from '../../../hil/command-rig.ts';
import { InfrastructureError, isInfrastructureError } from '../../../hil/infrastructure.ts';
import { campaignSuite, infrastructureSuite, type JunitSuite } from '../../../hil/junit.ts';
import { inLava, lavaTestCaseLines } from '../../../hil/lava.ts';
import { openFirmataRig, openSimRig } from '../../../hil/open-rig.ts';
import { describePercentiles } from '../../../hil/percentiles.ts';
import { SCENARIOS, type Scenario } from '../../../hil/pull-schedule.ts';
import { defaultReportDir, writeReports, writeSuiteReports } from '../../../hil/reports.ts';
import type { Rig } from '../../../hil/rig.ts';
import { buildImage } from '../../image/build.ts';
import { ensureKeys, PUBLIC_KEY_FILE } from '../../image/keys.ts';
import { openLabBoard } from '../../lab/lab-boards.ts';
import { BoardClient } from '../../pair/board-client.ts';
import { projectPath } from '../../project-dir.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { milliseconds, positiveInteger, seedNumber, standardBaud } from '../option-parsers.ts';
import { formatTable } from '../text-table.ts';
import { onUserPath, UserFileError } from '../user-file.ts';
import { registerHilFaults } from './hil-faults.ts';

/** The options every `hil` subcommand takes to reach its rig and boards. */
export interface RigOptions {
  readonly rig: 'sim' | 'firmata' | 'command';
  readonly dir: string;
  readonly port?: string;
  readonly profile?: string;
  readonly hosts?: readonly [string, string];
  readonly hostBaud: number;
}

/** A subcommand of `hil`: gets the `hil` command to add itself to. */
export type RegisterHilSubcommand = (hil: Command, finish: (code: ExitCode) => void) => void;

function hostPorts(text: string): readonly [string, string] {
  const parts = text.split(',').map((part) => part.trim());
  const [p1, p2] = parts;
  if (parts.length !== 2 || !p1 || !p2) {
    throw new InvalidArgumentError(
      'Must be two serial ports, P1 then P2: /dev/ttyUSB0,/dev/ttyUSB1.',
    );
  }
  return [p1, p2];
}

export function addRigOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--rig <kind>',
        "the power backend: 'sim': the lab's relay controller; 'firmata': an Arduino; 'command': the shell commands of --profile",
      )
        .choices(['sim', 'firmata', 'command'])
        .default('sim'),
    )
    .option(
      '--dir <dir>',
      'lab directory (--rig sim, and --rig command without --hosts)',
      projectPath(process.cwd(), 'lab'),
    )
    .option('--port <path>', 'serial port of the Arduino running StandardFirmata (--rig firmata)')
    .option(
      '--profile <file>',
      "rig profile (*.rig.json); --rig sim defaults to the lab's own wiring (host/lab/relays.rig.json)",
    )
    .addOption(
      new Option(
        '--hosts <p1,p2>',
        "the boards' management ports, P1 then P2 (--rig firmata; --rig command on real boards)",
      ).argParser(hostPorts),
    )
    .addOption(
      new Option('--host-baud <rate>', 'line rate of the management ports (with --hosts)')
        .argParser(standardBaud)
        .default(115200),
    );
}

export interface OpenedRig {
  readonly rig: Rig;
  /** The boards' management ports, P1 then P2. */
  readonly boards: readonly [BoardClient, BoardClient];
  close(): Promise<void>;
}

/** Checks the options' combination; a message for the user, or null when they are usable. */
export function rigOptionsProblem(options: RigOptions): string | null {
  if (options.rig === 'firmata') {
    if (options.port === undefined) return '--rig firmata needs --port (e.g. /dev/ttyACM0)';
    if (options.profile === undefined) return '--rig firmata needs --profile (a *.rig.json)';
    if (options.hosts === undefined) {
      return "--rig firmata needs --hosts: the boards' management ports, P1 then P2";
    }
  }
  if (options.rig === 'command' && options.profile === undefined) {
    return '--rig command needs --profile: a *.rig.json of kind command, with the power commands';
  }
  return null;
}

/** The profile's kind must be the backend asked for where one of them is 'command'. */
function profileKindProblem(options: RigOptions, profile: RigProfile | undefined): string | null {
  if (profile === undefined) return null;
  if ((options.rig === 'command') !== (profile.kind === 'command')) {
    return `--rig ${options.rig} cannot use rig profile ${profile.name} of kind ${profile.kind}: give --rig ${profile.kind === 'command' ? 'command' : profile.kind} or a profile of kind ${options.rig}`;
  }
  return null;
}

/** Opens a board's management port; a port that cannot open is an infrastructure failure. */
async function openBoardPort(path: string, baud: number, processor: 1 | 2): Promise<BoardClient> {
  try {
    return await BoardClient.open(autoDetect(), path, baud, `processor ${processor}`);
  } catch (error) {
    throw new InfrastructureError(
      'port-unavailable',
      `cannot open processor ${processor}'s management port ${path}: ${error instanceof Error ? error.message : String(error)}`,
      '`tandem ports` lists the serial ports; check the cable, and that no other program holds the port',
      { cause: error },
    );
  }
}

/**
 * Opens the boards' ports, then the rig. Throws LabNotRunningError (no lab),
 * RigProfileError (a bad --profile), RigNotAnsweringError or RigWiringError.
 */
export async function openRigFrom(options: RigOptions): Promise<OpenedRig> {
  const profile: RigProfile | undefined =
    options.profile === undefined ? undefined : await loadRigProfile(options.profile);
  const kindProblem = profileKindProblem(options, profile);
  if (kindProblem !== null) throw new RigOptionsError(kindProblem);
  const boards: BoardClient[] = [];
  try {
    if (options.hosts === undefined) {
      boards.push(await openLabBoard(options.dir, 1), await openLabBoard(options.dir, 2));
    } else {
      const [p1, p2] = options.hosts;
      boards.push(
        await openBoardPort(p1, options.hostBaud, 1),
        await openBoardPort(p2, options.hostBaud, 2),
      );
    }
    const rig =
      options.rig === 'sim'
        ? await openSimRig(options.dir, profile)
        : options.rig === 'command'
          ? openCommandRig(profile as RigProfile)
          : await openFirmataRig(options.port ?? '', profile as RigProfile);
    const [b1, b2] = boards as [BoardClient, BoardClient];
    return {
      rig,
      boards: [b1, b2],
      close: async () => {
        await rig.close();
        for (const board of boards) await board.close();
      },
    };
  } catch (error) {
    for (const board of boards) await board.close();
    throw error;
  }
}

/** Options that cannot go together, found once the profile is read. */
class RigOptionsError extends Error {}

/** Prints an infrastructure failure with its hint. */
function reportInfrastructure(error: InfrastructureError): void {
  process.stderr.write(
    `tandem: infrastructure (${error.code}): ${error.message}\n  hint: ${error.hint}\n`,
  );
}

/** The lines LAVA records as test cases, when run inside a LAVA job. */
function printLava(suite: JunitSuite, toStderr: boolean): void {
  if (!inLava(process.env)) return;
  const text = `${lavaTestCaseLines(suite).join('\n')}\n`;
  (toStderr ? process.stderr : process.stdout).write(text);
}

const registerHilCheck: RegisterHilSubcommand = (hil, finish) => {
  addRigOptions(
    hil
      .command('check')
      .description(
        'Check that a rig is wired as its profile says: pull each board in turn and see it go silent while the other keeps answering.',
      ),
  )
    .addOption(
      new Option('--boot-timeout <ms>', 'how long a board may take to answer after power-on')
        .argParser(milliseconds)
        .default(20_000),
    )
    .option('--json', 'print the result as one JSON object', false)
    .action(
      async (options: RigOptions & { bootTimeout: number; json: boolean }, command: Command) => {
        const problem = rigOptionsProblem(options);
        if (problem !== null) command.error(`error: ${problem}`, { exitCode: ExitCode.usage });
        let result: RigCheckResult;
        let opened: OpenedRig | null = null;
        try {
          opened = await openRigFrom(options);
          result = await checkRig(
            opened.rig,
            opened.boards as readonly [StatusSource, StatusSource],
            {
              bootTimeoutMs: options.bootTimeout,
              log: options.json ? undefined : (line) => process.stderr.write(`  ${line}\n`),
            },
          );
        } catch (error) {
          if (error instanceof RigProfileError || error instanceof RigOptionsError) {
            process.stderr.write(`tandem: ${error.message}\n`);
            finish(ExitCode.usage);
            return;
          }
          if (!isInfrastructureError(error)) throw error;
          reportInfrastructure(error);
          result = {
            ok: false,
            rig: options.profile ?? options.rig,
            boards: [],
            problems: [{ code: 'rig', message: error.message }],
          };
        } finally {
          await opened?.close();
        }
        process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : report(result));
        finish(CHECK_EXIT[checkOutcome(result)]);
      },
    );
};

/** The exit code of each outcome: infrastructure is never a pass nor a finding. */
const CHECK_EXIT: Readonly<Record<ReturnType<typeof checkOutcome>, ExitCode>> = {
  pass: ExitCode.ok,
  findings: ExitCode.failure,
  infrastructure: ExitCode.infrastructure,
};

function report(result: RigCheckResult): string {
  const lines = result.boards.map(
    (b) =>
      `P${b.processor}: relay on ${b.answersWithRelayOn ? 'answers' : 'silent'}, relay off ${b.answersWithRelayOff ? 'answers' : 'silent'}, other board ${b.otherKeptAnswering ? 'kept answering' : 'went silent'}, back on ${b.answersAfterRestore ? 'answers' : 'silent'}`,
  );
  lines.push(
    result.ok
      ? `rig ${result.rig}: wired as the profile says`
      : `rig ${result.rig}: ${result.problems.length} problem(s)`,
    ...result.problems.map((p) => `  - ${p.message}`),
  );
  return `${lines.join('\n')}\n`;
}

interface HilRunOptions extends RigOptions {
  readonly pulls: number;
  readonly scenario: Scenario;
  readonly seed?: number;
  readonly reportDir?: string;
  readonly tap?: string;
  readonly json: boolean;
  readonly baud: number;
  readonly sharedBus: boolean;
  readonly clients: number;
  readonly bus?: readonly [string, string];
}

/** Where `--rig sim` starts its own lab unless --dir says otherwise (erased at the start). */
const HIL_RUN_LAB_DIR = projectPath(process.cwd(), 'hil-lab');

const registerHilRun: RegisterHilSubcommand = (hil, finish) => {
  addRigOptions(
    hil
      .command('run')
      .description(
        `A failover campaign: under client load, pull a board's power through the rig at random moments (under load, during a state transfer, during a switch), restore it, wait for the pair to re-form, repeat; then check every request and reply (exactly once, retries, no two boards serving at once, the final ledger). Writes JUnit XML and an HTML timeline to --report-dir. --rig sim starts its own fresh lab in --dir (default ${HIL_RUN_LAB_DIR}, erased) and takes it down at the end.`,
      ),
  )
    .addOption(
      new Option('--pulls <n>', 'power pulls in the campaign')
        .argParser(positiveInteger)
        .default(10),
    )
    .addOption(
      new Option(
        '--scenario <name>',
        'takeover: pulls under load and during rejoins; upgrade: pulls during switches and fallbacks to 2.0.0 and between them; mixed: both',
      )
        .choices(SCENARIOS)
        .default('takeover'),
    )
    .addOption(
      new Option(
        '--seed <n>',
        'seed of the pull schedule (printed; the same seed replays it)',
      ).argParser(seedNumber),
    )
    .option('--report-dir <dir>', 'where junit.xml and report.html go (default .tandem/hil/<time>)')
    .option('--tap <file>', 'also write the results as TAP (version 14) to this file')
    .option(
      '--json',
      'print the result as one JSON object; progress and report paths on stderr',
      false,
    )
    .addOption(
      new Option('--baud <rate>', "line rate of the simulated lab's UARTs (--rig sim)")
        .argParser(standardBaud)
        .default(115200),
    )
    .option(
      '--shared-bus',
      'one field bus both boards hear, as RS-485 gives (--rig sim and command)',
      false,
    )
    .addOption(
      new Option('--clients <n>', 'concurrent ledger clients')
        .argParser(positiveInteger)
        .default(8),
    )
    .addOption(
      new Option(
        '--bus <p1,p2>',
        "the boards' client bus ports, P1 then P2, at --host-baud (with --hosts)",
      ).argParser(hostPorts),
    )
    .action(async (options: HilRunOptions, command: Command) => {
      const problem =
        rigOptionsProblem(options) ??
        (options.hosts !== undefined && options.bus === undefined
          ? "--hosts needs --bus: the boards' client bus ports, P1 then P2"
          : null) ??
        (options.sharedBus && (options.rig === 'firmata' || options.hosts !== undefined)
          ? "--shared-bus wires the simulated lab's field bus (--rig sim or command); real boards' profiles say whether theirs is shared (lines.busShared), and hil run does not drive a shared bus on real boards yet"
          : null);
      if (problem !== null) command.error(`error: ${problem}`, { exitCode: ExitCode.usage });
      const dir = command.getOptionValueSource('dir') === 'default' ? HIL_RUN_LAB_DIR : options.dir;
      finish(await hilRun({ ...options, dir }));
    });
};

/** The reports must have somewhere to go before a campaign of many minutes, not after it. */
function checkReportPaths(reportDir: string, tap: string | undefined): void {
  onUserPath(reportDir, 'the report directory', 'give --report-dir a directory you can write', () =>
    mkdirSync(reportDir, { recursive: true }),
  );
  if (tap === undefined) return;
  const hint = 'give --tap a file path in a folder you can write';
  onUserPath(tap, 'the TAP file', hint, () => mkdirSync(dirname(tap), { recursive: true }));
  if (statSync(tap, { throwIfNoEntry: false })?.isDirectory() === true) {
    throw new UserFileError('is-directory', tap, `the TAP file ${tap} is a directory`, hint);
  }
}

async function hilRun(options: HilRunOptions): Promise<ExitCode> {
  const started = new Date();
  const seed = options.seed ?? randomInt(0, 2 ** 32);
  const progress = (line: string) => process.stderr.write(`  ${line}\n`);
  process.stderr.write(
    `tandem hil run: ${options.scenario}, ${options.pulls} pulls, seed ${seed} (replay with --seed ${seed})\n`,
  );
  const reportDir = options.reportDir ?? defaultReportDir(started);
  checkReportPaths(reportDir, options.tap);
  const interrupt = listenForInterrupt('hil run', 'finishing this pull, then cleaning up');
  let target: (CampaignTarget & { close(): Promise<void> }) | null = null;
  let run: CampaignRun;
  try {
    try {
      target = await openTarget(options, options.json ? () => {} : progress);
      run = await runCampaign(target, {
        pulls: options.pulls,
        scenario: options.scenario,
        seed,
        clients: options.clients,
        log: options.json ? undefined : progress,
        signal: interrupt.signal,
      });
    } catch (error) {
      if (error instanceof RigProfileError || error instanceof RigOptionsError) {
        process.stderr.write(`tandem: ${error.message}\n`);
        return ExitCode.usage;
      }
      if (!isInfrastructureError(error)) throw error;
      reportInfrastructure(error);
      // CI reads the reports: they say the run stopped on its infrastructure, never that it passed.
      const suite = infrastructureSuite({
        scenario: options.scenario,
        rig: target?.rigName ?? options.profile ?? options.rig,
        seed,
        startedAt: started.toISOString(),
        timeS: (Date.now() - started.getTime()) / 1000,
        code: error.code,
        message: error.message,
        hint: error.hint,
      });
      const paths = writeSuiteReports(suite, reportDir, options.tap);
      printLava(suite, options.json);
      process.stderr.write(`junit: ${paths.junit}\n${paths.tap ? `tap: ${paths.tap}\n` : ''}`);
      return ExitCode.infrastructure;
    }
  } finally {
    await target?.close();
    interrupt.stop();
  }
  const paths = writeReports(run, reportDir, options.tap);
  const r = run.result;
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ ...r, reports: { junit: paths.junit, html: paths.html, tap: paths.tap } })}\n`,
    );
  } else {
    process.stdout.write(summary(run));
  }
  printLava(campaignSuite(run), options.json);
  process.stderr.write(
    `junit: ${paths.junit}\nhtml: ${paths.html}\n${paths.tap ? `tap: ${paths.tap}\n` : ''}`,
  );
  return VERDICT_EXIT[verdict(r)];
}

/** The exit code of each verdict: CI must never count a cancelled run as green. */
const VERDICT_EXIT: Readonly<Record<Verdict, ExitCode>> = {
  pass: ExitCode.ok,
  fail: ExitCode.failure,
  incomplete: ExitCode.interrupted,
};

async function openTarget(
  options: HilRunOptions,
  say: (line: string) => void,
): Promise<CampaignTarget & { close(): Promise<void> }> {
  const profile = options.profile === undefined ? undefined : await loadRigProfile(options.profile);
  const kindProblem = profileKindProblem(options, profile);
  if (kindProblem !== null) throw new RigOptionsError(kindProblem);
  if (options.rig === 'firmata' || options.hosts !== undefined) {
    const opened = await openRigFrom(options);
    const target = boardsCampaignTarget({
      rig: opened.rig,
      hosts: opened.boards,
      bus: options.bus ?? ['', ''],
      baud: options.hostBaud,
    });
    return { ...target, close: () => opened.close() };
  }
  const keyDir = projectPath(process.cwd(), 'keys');
  if (ensureKeys(keyDir)) say(`no signing key yet: made one in ${keyDir}`);
  say('building the signed images');
  const v1 = await buildImage({ app: 'ledger', version: '1.0.0', boards: ['sim'] });
  const v2 =
    options.scenario === 'takeover'
      ? null
      : await buildImage({ app: 'ledger', version: '2.0.0', boards: ['sim'] });
  return openSimCampaignTarget({
    dir: options.dir,
    baud: options.baud,
    busShared: options.sharedBus,
    publicKeyFile: join(keyDir, PUBLIC_KEY_FILE),
    v1: v1.image,
    v2: v2?.image ?? null,
    // The lab's boards, powered by its relay controller or by the profile's commands.
    openRig: (labDir) =>
      options.rig === 'command'
        ? Promise.resolve(openCommandRig(profile as RigProfile))
        : openSimRig(labDir, profile),
    say,
  });
}

function summary(run: CampaignRun): string {
  const r = run.result;
  const lines = formatTable([
    ['pulls', r.interrupted ? `${r.pulls} of ${r.pullsPlanned} (interrupted)` : String(r.pulls)],
    ['requests acknowledged', String(r.acknowledged)],
    ['acknowledged, then lost', String(r.lost)],
    ['executed twice', String(r.duplicated)],
    ['split brain', String(r.splitBrain)],
    ['overlaps within clock skew', String(r.overlapsWithinSkew)],
    ['clock skew', describeSkew(r.clockSkew)],
    [
      'double failures (by design)',
      `${r.doubleFailures} (${r.lostToDoubleFailure} acknowledged lost with both copies)`,
    ],
    ['takeover (pull to first reply)', describePercentiles(r.takeoverMs)],
    ['re-form (restore to pair whole)', describePercentiles(r.reformMs)],
    ['seed', String(r.seed)],
  ]);
  const invariants = run.invariants.map(
    (i) =>
      `${i.ok ? 'held  ' : 'BROKEN'} ${i.title}${i.ok ? '' : `\n         ${i.detail.split('\n').join('\n         ')}`}`,
  );
  return `\n${lines.join('\n')}\n\n${invariants.join('\n')}\n${r.violations.map((v) => `  ${v}\n`).join('')}\n${verdictLine(r)}\n`;
}

/** The subcommands of `hil`, in help order. Add new ones here. */
const HIL_SUBCOMMANDS: readonly RegisterHilSubcommand[] = [
  registerHilCheck,
  registerHilRun,
  registerHilFaults,
];

export const registerHil: RegisterCommand = (program, finish) => {
  const hil = program
    .command('hil')
    .description(
      "Hardware-in-the-loop: drive and check a rig that switches the boards' power (relays through johnny-five over Firmata, or shell commands).",
    );
  for (const register of HIL_SUBCOMMANDS) register(hil, finish);
};
