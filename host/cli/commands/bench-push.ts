/**
 * `tandem bench-push`: measures push goodput against the line rate in a
 * temporary lab per baud (host/bench/push-bench.ts), uncompressed and
 * compressed. A benchmark, not a test: it prints what it measured.
 */
import { benchPush, DEFAULT_BENCH_BAUDS, type PushBenchRow } from '../../bench/push-bench.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { positiveInteger } from '../option-parsers.ts';
import { count, formatColumns } from '../text-table.ts';

export const registerBenchPush: RegisterCommand = (program, finish) => {
  program
    .command('bench-push')
    .description(
      'Measure `tandem push` goodput against the line rate (baud/10 bytes/s), uncompressed and compressed, in a fresh temporary lab per baud.',
    )
    .option(
      '--baud <list>',
      'comma-separated line rates',
      (text: string) => text.split(',').map((part) => positiveInteger(part.trim())),
      [...DEFAULT_BENCH_BAUDS],
    )
    .option('--json', 'print one JSON object', false)
    .action(async (options: { baud: number[]; json: boolean }) => {
      const rows = await benchPush(options.baud, (row) => {
        if (!options.json) process.stderr.write(`measured ${describe(row)}\n`);
      });
      process.stdout.write(
        options.json ? `${JSON.stringify({ image: 'ledger', rows })}\n` : `${table(rows)}\n`,
      );
      finish(ExitCode.ok);
    });
};

function describe(row: PushBenchRow): string {
  return `${row.baud} baud ${row.compressed ? 'compressed' : 'uncompressed'}: ${(100 * row.lineShare).toFixed(1)}% of the line rate`;
}

function table(rows: readonly PushBenchRow[]): string {
  return formatColumns(
    ['baud', 'push', 'image B', 'sent B', 'seconds', 'image B/s', 'line B/s', 'of line', 'ratio'],
    rows.map((r) => [
      count(r.baud),
      r.compressed ? 'compressed' : 'uncompressed',
      count(r.bytes),
      count(r.sentBytes),
      r.seconds.toFixed(3),
      count(r.bytesPerSecond),
      count(r.lineBytesPerSecond),
      `${(100 * r.lineShare).toFixed(1)}%`,
      `${r.compressionRatio.toFixed(2)}x`,
    ]),
    ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  ).join('\n');
}
