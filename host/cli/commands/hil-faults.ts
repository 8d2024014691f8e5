/**
 * `tandem hil faults`: the single-fault table (hil/single-faults.ts) on its
 * own fresh simulated lab, or with --soak a long run of load with no fault
 * at all (hil/soak.ts).
 *
 *   tandem hil faults [--runs 3] [--classes power-primary,stall-wires] [--seed S] [--json]
 *   tandem hil faults --soak 600 [--json]
 *
 * Exit 0 when nothing was lost or done twice, no two boards served at once
 * and every run checked clean (a soak: and no takeover); 1 otherwise; 2 for
 * bad arguments; 4 when the lab cannot start; 130 when interrupted.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  FAULT_CLASS_NAMES,
  FAULT_CLASSES,
  type FaultClass,
  isFaultClass,
} from '../../../hil/fault-classes.ts';
import {
  type FaultPair,
  isClean,
  runSingleFaults,
  type SingleFaultTable,
} from '../../../hil/single-faults.ts';
import { isQuiet, runSoak, type SoakResult } from '../../../hil/soak.ts';
import { startDemoPair } from '../../demo/demo-pair.ts';
import { buildImage } from '../../image/build.ts';
import { generateKeys, PUBLIC_KEY_FILE } from '../../image/keys.ts';
import { projectPath } from '../../project-dir.ts';
import { ExitCode } from '../exit-codes.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { positiveInteger, seedNumber, standardBaud } from '../option-parsers.ts';
import { formatColumns } from '../text-table.ts';
import type { RegisterHilSubcommand } from './hil.ts';

interface FaultsOptions {
  readonly runs: number;
  readonly classes: readonly FaultClass[];
  readonly seed?: number;
  readonly soak?: number;
  readonly clients: number;
  readonly dir: string;
  readonly baud: number;
  readonly json: boolean;
}

/** Where the command keeps its lab and signing key (erased at the start). */
const FAULTS_DIR = projectPath(process.cwd(), 'hil-faults');

function faultClasses(text: string): FaultClass[] {
  const names = text.split(',').map((part) => part.trim());
  const unknown = names.filter((name) => !isFaultClass(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `Unknown fault class ${unknown.map((n) => `"${n}"`).join(', ')}: choose from ${FAULT_CLASS_NAMES.join(', ')}.`,
    );
  }
  return [...new Set(names as FaultClass[])];
}

export const registerHilFaults: RegisterHilSubcommand = (hil, finish) => {
  hil
    .command('faults')
    .description(
      `The single-fault table: on a fresh simulated lab under client load, do each single fault several times at a random moment (${FAULT_CLASS_NAMES.join(', ')}), let the pair settle, and report per class the requests acknowledged, lost and done twice, split brain, the longest gap in service and the takeovers the fault does not explain. --soak SECONDS runs load with no fault and reports takeovers, false suspicions and the machine's load average.`,
    )
    .addHelpText(
      'after',
      `\nFault classes:\n${FAULT_CLASS_NAMES.map((name) => `  ${name.padEnd(14)} ${FAULT_CLASSES[name]}`).join('\n')}\n`,
    )
    .addOption(new Option('--runs <n>', 'faults per class').argParser(positiveInteger).default(3))
    .addOption(
      new Option('--classes <a,b>', 'the fault classes to run, comma-separated')
        .argParser(faultClasses)
        .default(FAULT_CLASS_NAMES, 'all'),
    )
    .addOption(
      new Option(
        '--seed <n>',
        'seed of the faults’ moments and lengths (printed; the same seed draws the same faults)',
      ).argParser(seedNumber),
    )
    .addOption(
      new Option('--soak <seconds>', 'no faults: load only, for this long').argParser(
        positiveInteger,
      ),
    )
    .addOption(
      new Option('--clients <n>', 'concurrent ledger clients')
        .argParser(positiveInteger)
        .default(4),
    )
    .option('--dir <dir>', 'where the lab and its signing key go (erased)', FAULTS_DIR)
    .addOption(
      new Option('--baud <rate>', "line rate of the simulated lab's UARTs")
        .argParser(standardBaud)
        .default(115200),
    )
    .option('--json', 'print the result as one JSON object; progress on stderr', false)
    .action(async (options: FaultsOptions, command: Command) => {
      if (options.soak !== undefined) {
        const clash = (['runs', 'classes'] as const).find(
          (name) => command.getOptionValueSource(name) === 'cli',
        );
        if (clash !== undefined) {
          command.error(`error: --soak runs no faults: drop --${clash}`, {
            exitCode: ExitCode.usage,
          });
        }
      }
      finish(await hilFaults(options));
    });
};

async function hilFaults(options: FaultsOptions): Promise<ExitCode> {
  const seed = options.seed ?? randomInt(0, 2 ** 32);
  const progress = (line: string) => process.stderr.write(`  ${line}\n`);
  const root = resolve(options.dir);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const keyDir = join(root, 'keys');
  generateKeys(keyDir);
  const { image } = await buildImage({ app: 'ledger', version: '1.0.0', boards: ['sim'], keyDir });
  const openPair = async (): Promise<FaultPair> => {
    try {
      return await startDemoPair({
        dir: join(root, 'lab'),
        baud: options.baud,
        publicKeyFile: join(keyDir, PUBLIC_KEY_FILE),
        image,
        say: () => {},
      });
    } catch (error) {
      throw new LabCannotStartError(error instanceof Error ? error.message : String(error));
    }
  };
  const interrupt = listenForInterrupt('hil faults', 'finishing this run, then cleaning up');
  try {
    if (options.soak !== undefined) {
      process.stderr.write(
        `tandem hil faults: soak of ${options.soak} s with no fault, ${options.clients} clients, seed ${seed}\n`,
      );
      const pair = await openPair();
      let result: SoakResult;
      try {
        result = await runSoak(pair, {
          seconds: options.soak,
          clients: options.clients,
          seed,
          signal: interrupt.signal,
        });
      } finally {
        await pair.close();
      }
      process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : soakSummary(result));
      if (!isQuiet(result)) return ExitCode.failure;
      return result.interrupted ? ExitCode.interrupted : ExitCode.ok;
    }
    process.stderr.write(
      `tandem hil faults: ${options.classes.length} classes x ${options.runs} runs, ${options.clients} clients, seed ${seed} (the same faults again with --seed ${seed})\n`,
    );
    const table = await runSingleFaults({
      classes: options.classes,
      runs: options.runs,
      seed,
      clients: options.clients,
      openPair,
      log: progress,
      signal: interrupt.signal,
    });
    process.stdout.write(options.json ? `${JSON.stringify(table)}\n` : tableSummary(table));
    if (!isClean(table)) return ExitCode.failure;
    return table.interrupted ? ExitCode.interrupted : ExitCode.ok;
  } catch (error) {
    if (!(error instanceof LabCannotStartError)) throw error;
    process.stderr.write(`tandem: ${error.message}\n`);
    return ExitCode.labNotRunning;
  } finally {
    interrupt.stop();
  }
}

class LabCannotStartError extends Error {
  readonly labCannotStart = true;
  override name = 'LabCannotStartError';
  constructor(detail: string) {
    super(`the lab could not start: ${detail}`);
  }
}

function tableSummary(table: SingleFaultTable): string {
  const lines = formatColumns(
    [
      'class',
      'runs',
      'acknowledged',
      'lost',
      'duplicated',
      'split brain',
      'longest gap',
      'false takeovers',
    ],
    table.classes.map((row) => [
      row.class,
      String(row.runs),
      String(row.acknowledged),
      String(row.lost),
      String(row.duplicated),
      String(row.splitBrain),
      `${row.longestGapMs} ms`,
      `${row.falseTakeovers} of ${row.takeovers}`,
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
  const problems = table.classes.flatMap((row) => row.violations.map((v) => `  ${row.class} ${v}`));
  const verdict = isClean(table) ? 'PASS' : 'FAIL';
  return `\n${lines.join('\n')}\n\n${problems.length > 0 ? `${problems.join('\n')}\n\n` : ''}seed ${table.seed}; a stall of ${table.takeoverAfterMs} ms or more explains a takeover\n${table.interrupted ? `${verdict === 'PASS' ? 'INCOMPLETE' : 'FAIL (interrupted)'}` : verdict}\n`;
}

function soakSummary(r: SoakResult): string {
  const load = (l: readonly number[]) => l.map((v) => v.toFixed(2)).join(' ');
  return `\n  soak ${r.ranS} s${r.interrupted ? ' (interrupted)' : ''}, ${r.clients} clients: ${r.acknowledged} acknowledged, ${r.lost} lost, ${r.duplicated} twice; ${r.takeovers} takeovers, ${r.fences} fences, ${r.falseSuspicions} false suspicions (longest ${r.longestSuspicionMs} ms); load average ${load(r.loadAverage.before)} before, ${load(r.loadAverage.after)} after\n${r.violations.map((v) => `  ${v}\n`).join('')}${isQuiet(r) ? 'PASS' : 'FAIL'}\n`;
}
