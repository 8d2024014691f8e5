/**
 * `tandem switch` and `tandem fallback`: online replacement of a running
 * pair's version, each step printed as the boards report it, then a report.
 */
import type { Command } from 'commander';
import type { BoardClient } from '../../pair/board-client.ts';
import {
  runSwitch,
  SWITCH_TIMEOUT_MS,
  type SwitchOptions,
  type SwitchReport,
} from '../../pair/switch.ts';
import type { TargetOptions } from '../../target/resolve-target.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { positiveInteger } from '../option-parsers.ts';
import { LINE_WIDTH_MAX, StepPrinter, stepLines, wrap } from '../switch-steps.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';
import { type Stylist, stylistFor } from '../terminal-style.ts';

interface SwitchCommandOptions extends TargetOptions {
  readonly to?: string;
  readonly json: boolean;
  readonly timeout: number;
}

export const registerSwitch: RegisterCommand = (program, finish) => {
  const run = async (options: SwitchCommandOptions, direction: SwitchOptions['direction']) => {
    const timeoutMs = options.timeout * 1000;
    const style = stylistFor(process.stdout);
    const boards = await (await targetFrom(options)).openBoards();
    try {
      const printer = new StepPrinter((step) => {
        for (const line of stepLines(step, style)) process.stdout.write(`${line}\n`);
      });
      const report = await runSwitch(boards, {
        ...(options.to === undefined ? {} : { to: options.to }),
        direction,
        timeoutMs,
        onStep: (step) => {
          if (!options.json) printer.add(step);
        },
      });
      if (!options.json) printer.flush();
      process.stdout.write(
        options.json ? `${JSON.stringify(report)}\n` : `${describeReport(report, style)}\n`,
      );
      finish(report.ok ? ExitCode.ok : ExitCode.failure);
    } finally {
      await Promise.all(boards.map((board: BoardClient) => board.close()));
    }
  };
  const common = (command: Command) =>
    addTargetOptions(command)
      .option(
        '--timeout <s>',
        'seconds to wait for the pair to settle',
        positiveInteger,
        SWITCH_TIMEOUT_MS / 1000,
      )
      .option('--json', 'print one JSON object (the report)', false);

  common(
    program
      .command('switch')
      .description(
        "Move the running pair to the image in the other slot (steps a to i, live), then report: hold time, time without a backup, each board's version and slots. Exit 1 if it failed.",
      )
      .option('--to <version>', 'only if the other slot holds this version (1 matches 1.x.y)'),
  ).action((options: SwitchCommandOptions) => run(options, 'either'));

  common(
    program
      .command('fallback')
      .description(
        "Move the running pair back to the older version in the other slot, with the new version's converter down; same steps and report as switch.",
      ),
  ).action((options: SwitchCommandOptions) => run(options, 'older'));
};

function describeReport(report: SwitchReport, style: Stylist): string {
  const figure = (ms: number | null) => (ms === null ? 'n/a' : `${ms.toFixed(1)} ms`);
  const verdict = report.ok
    ? `switch ${report.from} -> ${report.to}: success`
    : `switch ${report.from} -> ${report.to}: FAILED at step ${report.failedStep ?? '?'}: ${report.failure ?? ''}`;
  const lines = [
    ...wrap(verdict, LINE_WIDTH_MAX).map((line) => style(report.ok ? 'green' : 'red', line)),
    `  requests held for    ${figure(report.holdMs)} (handshake to the new primary serving)`,
    `  ran without a backup ${figure(report.withoutBackupMs)}`,
    `  whole switch         ${figure(report.totalMs)}`,
  ];
  for (const board of report.boards) {
    const slots = board.slots
      .map((s) => `${s.slot}:${s.version ?? '-'}${s.active ? '*' : ''}${s.trial ? '(trial)' : ''}`)
      .join(' ');
    const line = `  P${board.processor}: ${board.role ?? 'no answer'} ${board.version ?? ''}${board.testMode ? ' (trial)' : ''}  slots ${slots}`;
    lines.push(
      ...wrap(line, LINE_WIDTH_MAX - 4).map((part, i) => (i === 0 ? `  ${part}` : `      ${part}`)),
    );
  }
  if (!report.settled)
    lines.push(style('yellow', '  the pair has not settled: see `tandem status`'));
  return lines.join('\n');
}
