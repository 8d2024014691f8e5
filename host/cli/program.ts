/**
 * The `tandem` command tree. Each command lives in commands/ and is listed
 * here explicitly, so the program is visible at a glance and needs no file
 * scanning at start-up.
 */
import { Command } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import type { RegisterCommand } from './command-registration.ts';
import { registerBench } from './commands/bench.ts';
import { registerBenchPush } from './commands/bench-push.ts';
import { registerBenchSimulate } from './commands/bench-simulate.ts';
import { registerBoard } from './commands/board.ts';
import { registerBuild } from './commands/build.ts';
import { registerCable } from './commands/cable.ts';
import { registerDashboard } from './commands/dashboard.ts';
import { registerDemo } from './commands/demo.ts';
import { registerFlash } from './commands/flash.ts';
import { registerHil } from './commands/hil.ts';
import { registerJournal } from './commands/journal.ts';
import { registerKeys } from './commands/keys.ts';
import { registerLab } from './commands/lab.ts';
import { registerLoad } from './commands/load.ts';
import { registerMonitor } from './commands/monitor.ts';
import { registerPorts } from './commands/ports.ts';
import { registerPower } from './commands/power.ts';
import { registerPush } from './commands/push.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerStatus } from './commands/status.ts';
import { registerSwitch } from './commands/switch.ts';
import { ExitCode } from './exit-codes.ts';

const COMMANDS: readonly RegisterCommand[] = [
  registerDemo,
  registerLab,
  registerFlash,
  registerPush,
  registerStatus,
  registerSwitch,
  registerMonitor,
  registerJournal,
  registerDashboard,
  registerPorts,
  registerLoad,
  registerPower,
  registerCable,
  registerHil,
  registerBoard,
  registerSimulate,
  registerBenchSimulate,
  registerBenchPush,
  registerBench,
  registerKeys,
  registerBuild,
];

export function tandemProgram(finish: (code: ExitCode) => void): Command {
  const program = new Command('tandem')
    .description(packageJson.description)
    .version(packageJson.version)
    // Set before adding commands, which inherit them: errors come back to main.ts as
    // exceptions instead of commander exiting the process itself.
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
  for (const register of COMMANDS) register(program, finish);
  program.addHelpText(
    'after',
    `
Exit codes: ${ExitCode.ok} ok, ${ExitCode.failure} a check found violations, ${ExitCode.usage} bad argument, ${ExitCode.appModule} the --app module cannot be loaded, ${ExitCode.labNotRunning} no lab (or one already running), ${ExitCode.board} a board refused or did not answer, ${ExitCode.internal} internal error.
Run \`tandem <command> --help\` for a command's options.`,
  );
  return program;
}
