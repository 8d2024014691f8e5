/**
 * `Gpio` through the libgpiod command-line tools (Debian package `gpiod`):
 * `gpioset`, `gpioget` and `gpiomon` on the kernel's GPIO character device.
 * Version 1 (Debian 12, Raspberry Pi OS bookworm) and version 2 (Debian 13)
 * take different options, so each has its entry in `GPIOD_TOOLS`; the rest
 * of this file is the same for both.
 *
 * A held output lives in a tool process that ends when its standard input
 * closes, which happens when our process ends however it ends: a board
 * process that dies stops asserting its liveness line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { GpioLine } from '../profile.ts';
import { describeLine, type Gpio, GpioError, type GpioInput, type GpioOutput } from './gpio.ts';

export type GpiodMajor = 1 | 2;

/** A tool and its arguments (never through a shell unless the entry says so). */
export interface ToolCommand {
  readonly tool: 'gpioset' | 'gpioget' | 'gpiomon' | 'sh';
  readonly args: readonly string[];
}

/** How one major version of the tools does each thing we need. */
export interface GpiodStrategy {
  /** Asserts the line for `ms`, then exits (the line is released). */
  pulse(line: GpioLine, ms: number): ToolCommand;
  /** Drives the line and holds it until its standard input closes or gets a newline. */
  hold(line: GpioLine, asserted: boolean): ToolCommand;
  /** Prints the line's logical value, '0' or '1', and exits. */
  get(line: GpioLine): ToolCommand;
  /** Prints one line per edge, as `edge` reads it. */
  monitor(line: GpioLine): ToolCommand;
  /** The logical level after the edge a `monitor` line reports; null for a line that is no edge. */
  edge(text: string): boolean | null;
}

const activeLow = (line: GpioLine) => (line.activeLevel === 'low' ? ['--active-low'] : []);
const value = (asserted: boolean) => (asserted ? '1' : '0');

export const GPIOD_TOOLS: Readonly<Record<GpiodMajor, GpiodStrategy>> = {
  1: {
    pulse: (line, ms) => ({
      tool: 'gpioset',
      args: [
        ...activeLow(line),
        '--mode=time',
        // Whole seconds apart: the tool sleeps with a timeval, whose microseconds stay below 1e6.
        `--sec=${Math.floor(ms / 1000)}`,
        `--usec=${(ms % 1000) * 1000}`,
        line.chip,
        `${line.line}=1`,
      ],
    }),
    // --mode=wait returns on a newline or end of file on its standard input.
    hold: (line, asserted) => ({
      tool: 'gpioset',
      args: [...activeLow(line), '--mode=wait', line.chip, `${line.line}=${value(asserted)}`],
    }),
    get: (line) => ({ tool: 'gpioget', args: [...activeLow(line), line.chip, String(line.line)] }),
    monitor: (line) => ({
      tool: 'gpiomon',
      args: [...activeLow(line), '--line-buffered', '--format=%e', line.chip, String(line.line)],
    }),
    // %e: 1 rising, 0 falling (logical edges: an active-low line's are inverted by the kernel).
    edge: (text) => (text === '1' ? true : text === '0' ? false : null),
  },
  2: {
    // -t: toggle after each period; a last period of 0 exits.
    pulse: (line, ms) => ({
      tool: 'gpioset',
      args: ['--chip', line.chip, ...activeLow(line), '--toggle', `${ms}ms,0`, `${line.line}=1`],
    }),
    // Version 2 holds until a signal: a shell kills it when our end of its standard input closes.
    hold: (line, asserted) => ({
      tool: 'sh',
      args: [
        '-c',
        'exec 3<&0; gpioset "$@" </dev/null & child=$!; (read -r _ <&3; kill "$child" 2>/dev/null) & wait "$child"',
        'gpioset',
        '--chip',
        line.chip,
        ...activeLow(line),
        `${line.line}=${value(asserted)}`,
      ],
    }),
    get: (line) => ({
      tool: 'gpioget',
      args: ['--chip', line.chip, ...activeLow(line), '--numeric', String(line.line)],
    }),
    monitor: (line) => ({
      tool: 'gpiomon',
      args: ['--chip', line.chip, ...activeLow(line), '--format=%e', String(line.line)],
    }),
    // %e: 1 rising, 2 falling.
    edge: (text) => (text === '1' ? true : text === '2' ? false : null),
  },
};

const INSTALL_HINT = 'install the libgpiod tools on the board: apt install gpiod';

export interface GpiodToolsOptions {
  /** Where the tools are; absent: found on PATH. */
  readonly toolsDir?: string;
  /** A held line or a watch that ended on its own: the board logs it. */
  readonly onFault: (message: string) => void;
}

/** Which major version the installed tools are; GpioError 'tools-missing' or 'tools-version'. */
export async function gpiodMajor(toolsDir?: string): Promise<GpiodMajor> {
  const { code, stdout, stderr } = await runToEnd(
    toolPath('gpioset', toolsDir),
    ['--version'],
    'the libgpiod tools',
  );
  const major = /\(libgpiod\) v(\d+)\./.exec(stdout)?.[1];
  if (code === 0 && (major === '1' || major === '2')) return major === '1' ? 1 : 2;
  throw new GpioError(
    'tools-version',
    `gpioset --version answered ${JSON.stringify((stdout || stderr).trim().slice(0, 80))}; Tandem drives libgpiod tools of version 1 or 2`,
    INSTALL_HINT,
  );
}

export class GpiodTools implements Gpio {
  readonly #strategy: GpiodStrategy;
  readonly #held = new Set<ChildProcess>();

  constructor(
    readonly major: GpiodMajor,
    readonly options: GpiodToolsOptions,
  ) {
    this.#strategy = GPIOD_TOOLS[major];
  }

  /** The tools on this system, their version found by asking them. */
  static async open(options: GpiodToolsOptions): Promise<GpiodTools> {
    return new GpiodTools(await gpiodMajor(options.toolsDir), options);
  }

  async pulse(line: GpioLine, ms: number): Promise<void> {
    const { code, stderr } = await this.#run(this.#strategy.pulse(line, ms), line);
    if (code !== 0) throw unavailable(line, stderr);
  }

  async output(line: GpioLine, asserted: boolean): Promise<GpioOutput> {
    let child = await this.#hold(line, asserted);
    let level = asserted;
    return {
      // The tool holds one level: the old holder lets go (the line is then at its pull
      // resistor's level, deasserted when wired as boards/README.md says) before the next.
      set: async (next) => {
        if (next === level) return;
        level = next;
        await this.#release(child);
        child = await this.#hold(line, next);
      },
      close: () => this.#release(child),
    };
  }

  async input(line: GpioLine, onChange: (asserted: boolean) => void): Promise<GpioInput> {
    const { code, stdout, stderr } = await this.#run(this.#strategy.get(line), line);
    const first = stdout.trim();
    if (code !== 0 || (first !== '0' && first !== '1')) throw unavailable(line, stderr || stdout);
    // A change between the read and the watch's start is missed; the pair's silence
    // detection still sees a partner that died in that moment.
    let asserted = first === '1';
    const command = this.#strategy.monitor(line);
    const child = spawn(toolPath(command.tool, this.options.toolsDir), command.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stopped = { now: false };
    child.on('error', (error) => this.options.onFault(`${describeLine(line)}: ${error.message}`));
    child.on('exit', (exitCode) => {
      if (!stopped.now) {
        this.options.onFault(
          `the watch of ${describeLine(line)} ended (exit ${exitCode}): the partner's liveness is no longer seen`,
        );
      }
    });
    createInterface({ input: child.stdout }).on('line', (text) => {
      const level = this.#strategy.edge(text.trim());
      if (level === null || level === asserted) return;
      asserted = level;
      onChange(level);
    });
    return {
      get asserted() {
        return asserted;
      },
      close: async () => {
        stopped.now = true;
        child.kill();
      },
    };
  }

  /** Starts a holding process; resolves once it runs, rejects when it cannot start. */
  async #hold(line: GpioLine, asserted: boolean): Promise<ChildProcess> {
    const command = this.#strategy.hold(line, asserted);
    const child = spawn(toolPath(command.tool, this.options.toolsDir), command.args, {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(spawnError(error, line)));
    });
    this.#held.add(child);
    child.on('exit', (code) => {
      if (this.#held.delete(child)) {
        this.options.onFault(
          `${describeLine(line)} is no longer driven (exit ${code}): ${stderr.trim() || 'no message'}`,
        );
      }
    });
    return child;
  }

  async #release(child: ChildProcess): Promise<void> {
    this.#held.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end('\n');
    await exited;
  }

  #run(command: ToolCommand, line: GpioLine) {
    return runToEnd(
      toolPath(command.tool, this.options.toolsDir),
      command.args,
      describeLine(line),
    );
  }
}

function toolPath(tool: ToolCommand['tool'], toolsDir: string | undefined): string {
  return toolsDir === undefined || tool === 'sh' ? tool : join(toolsDir, tool);
}

function unavailable(line: GpioLine, said: string): GpioError {
  return new GpioError(
    'line-unavailable',
    `cannot use GPIO ${describeLine(line)}: ${said.trim() || 'the tool gave no reason'}`,
    'check the chip and line with `gpioinfo`, that no other program holds the line, and that this user may open /dev/gpiochip* (group gpio)',
  );
}

function spawnError(error: Error, what: string | GpioLine): GpioError {
  const name = typeof what === 'string' ? what : describeLine(what);
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return new GpioError(
      'tools-missing',
      `cannot run ${name}: the libgpiod tools are not installed`,
      INSTALL_HINT,
      {
        cause: error,
      },
    );
  }
  return new GpioError(
    'line-unavailable',
    `cannot run the tool for ${name}: ${error.message}`,
    INSTALL_HINT,
    {
      cause: error,
    },
  );
}

function runToEnd(
  file: string,
  args: readonly string[],
  what: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', (error) => reject(spawnError(error, what)));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
