/**
 * How a command plugs into the program. Commander drops an action's return
 * value, so each command reports its exit code through `finish`; only
 * main.ts turns that into the process's exit status.
 */
import type { Command } from 'commander';
import type { ExitCode } from './exit-codes.ts';

export type RegisterCommand = (program: Command, finish: (code: ExitCode) => void) => void;
