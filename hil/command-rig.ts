/**
 * A rig whose power switch is anything a shell command can drive: labgrid
 * (`labgrid-client -p {board} power off`), LAVA's power commands, PDUDaemon
 * (`pduclient --daemon pdu --hostname pdu1 --port {board} --command off`), a
 * switchable USB hub (`uhubctl -l 1-1 -p {board} -a off`). The rig profile
 * gives one command for on, off and (optionally) cycle; `{board}` becomes the
 * board's name. A command that exits non-zero or outlasts its timeout is an
 * infrastructure failure, with what it printed.
 */
import { spawn } from 'node:child_process';
import {
  BOARD_PLACEHOLDER,
  boardNameOf,
  POWER_COMMAND_TIMEOUT_MS_DEFAULT,
  type RigCommands,
  type RigProfile,
} from '../boards/rig-profile.ts';
import { InfrastructureError } from './infrastructure.ts';
import type { Rig } from './rig.ts';

/** What a power command left behind, for the message. */
const OUTPUT_TAIL_CHARS = 400;

export type PowerAction = 'on' | 'off' | 'cycle';

/** The shell command for `action` on `processor`, with its name in place of `{board}`. */
export function powerCommandFor(
  profile: RigProfile,
  commands: RigCommands,
  action: Exclude<PowerAction, 'cycle'> | 'cycle',
  processor: 1 | 2,
): string | undefined {
  const template = commands[action];
  return template?.replaceAll(BOARD_PLACEHOLDER, boardNameOf(profile, processor));
}

/**
 * The rig of a `command` profile. `cwd` is where the commands run (the
 * working directory by default). Nothing runs until a board is switched.
 */
export function openCommandRig(profile: RigProfile, options: { cwd?: string } = {}): Rig {
  const commands = profile.commands;
  if (profile.kind !== 'command' || commands === undefined) {
    throw new Error(`rig profile ${profile.name} is not of kind 'command'`);
  }
  const timeoutMs = commands.timeoutMs ?? POWER_COMMAND_TIMEOUT_MS_DEFAULT;
  const run = async (action: PowerAction, processor: 1 | 2) => {
    const command = powerCommandFor(profile, commands, action, processor);
    if (command === undefined) throw new Error(`no ${action} command`);
    await runPowerCommand(command, {
      timeoutMs,
      cwd: options.cwd,
      what: `P${processor} ${action}`,
    });
  };
  return {
    profile,
    setPower: (processor, on) => run(on ? 'on' : 'off', processor),
    cycle: async (processor) => {
      if (commands.cycle !== undefined) return run('cycle', processor);
      await run('off', processor);
      await run('on', processor);
    },
    close: async () => {},
  };
}

/**
 * Runs one power command through /bin/sh, in a process group of its own so
 * that a timeout ends whatever the command started too; throws
 * InfrastructureError 'power-command-failed'.
 */
export function runPowerCommand(
  command: string,
  options: { timeoutMs: number; cwd?: string | undefined; what: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let said = '';
    const keep = (chunk: Buffer) => {
      said = `${said}${chunk.toString()}`.slice(-OUTPUT_TAIL_CHARS * 4);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, options.timeoutMs);
    const fail = (how: string, cause?: unknown) => {
      const tail = said.trim().slice(-OUTPUT_TAIL_CHARS);
      reject(
        new InfrastructureError(
          'power-command-failed',
          `the power command for ${options.what} ${how}: ${command}${tail === '' ? '' : `\n  it said: ${tail}`}`,
          "run the command by hand to see why; check the rig profile's commands and the power switch",
          { cause },
        ),
      );
    };
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(`could not run (${error.message})`, error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) fail(`was stopped after ${options.timeoutMs} ms`);
      else if (code === 0) resolve();
      else fail(code === null ? `was killed (${signal})` : `exited ${code}`);
    });
  });
}
