/**
 * Entry point of the `tandem` CLI (bin/tandem.js loads it through tsx). The
 * only place that decides the process's exit status: commands report an
 * ExitCode, and errors map to one here.
 */
import { CommanderError } from 'commander';
import { KeyFileError } from '../../boards/image/errors.ts';
import { isGpioError } from '../../boards/linux/gpio.ts';
import { LabAlreadyRunningError } from '../lab/lab.ts';
import { LabNotRunningError } from '../lab/lab-client.ts';
import { BoardNotAnsweringError, BoardRefusedError } from '../pair/board-client.ts';
import { SwitchRefusedError } from '../pair/switch.ts';
import { AppModuleError } from '../simulator/app-module.ts';
import { PairTargetError } from '../target/target-error.ts';
import { ExitCode } from './exit-codes.ts';
import { tandemProgram } from './program.ts';
import { UserFileError } from './user-file.ts';

/** Commander's codes for help and version output, which are successes. */
const COMMANDER_SUCCESSES = new Set(['commander.helpDisplayed', 'commander.version']);

function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) {
    // Commander has already printed its message, naming the option at fault.
    return COMMANDER_SUCCESSES.has(error.code) ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof AppModuleError) {
    process.stderr.write(`tandem: ${error.message}\n  hint: ${error.hint}\n`);
    return ExitCode.appModule;
  }
  // A GPIO line a Linux board cannot use (`board run`): no libgpiod tools, no such line.
  if (error instanceof PairTargetError || error instanceof UserFileError || isGpioError(error)) {
    process.stderr.write(`tandem: ${error.message}\n  hint: ${error.hint}\n`);
    return ExitCode.usage;
  }
  if (error instanceof KeyFileError) {
    // Its message says which file and how to make or fix it.
    process.stderr.write(`tandem: ${error.message}\n`);
    return ExitCode.usage;
  }
  if (error instanceof LabNotRunningError || error instanceof LabAlreadyRunningError) {
    process.stderr.write(`tandem: ${error.message}\n`);
    return ExitCode.labNotRunning;
  }
  if (
    error instanceof BoardRefusedError ||
    error instanceof BoardNotAnsweringError ||
    error instanceof SwitchRefusedError
  ) {
    process.stderr.write(`tandem: ${error.message}\n`);
    return ExitCode.board;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `tandem: internal error (a bug in tandem or in the app under test):\n${detail}\n`,
  );
  return ExitCode.internal;
}

// `tandem simulate --seed 7 | head` closes stdout early; that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.ok);
  throw error;
});

// Ctrl-C: a command that started something (a lab, a load, a campaign)
// listens for SIGINT itself, cleans up and reports ExitCode.interrupted. For
// one that did not, this is the only listener: exit 130 at once, as the
// shells expect (the OS closes its ports and files).
process.on('SIGINT', () => {
  if (process.listenerCount('SIGINT') === 1) process.exit(ExitCode.interrupted);
});

let exitCode: ExitCode = ExitCode.ok;
try {
  await tandemProgram((code) => {
    exitCode = code;
  }).parseAsync(process.argv);
} catch (error) {
  exitCode = exitCodeFor(error);
}
// An interrupted command has cleaned up what matters and may have left work
// it abandoned (timers, a socket): exit now rather than wait for them.
if (exitCode === ExitCode.interrupted) process.exit(exitCode);
// Not process.exit(): let stdout drain, so piped JSON is never cut short.
process.exitCode = exitCode;
