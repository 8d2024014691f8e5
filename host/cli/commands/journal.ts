/**
 * `tandem journal`: what a pair's boards recorded (roles with their cause,
 * takeovers, fences, switch steps, cold starts, paths), read through the
 * `journal` management op. The journal lives in the board's RAM: a power-off
 * loses it, and the oldest entries go first once it is full.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { Option } from 'commander';
import { causeText, storeFullEventText, whyText } from '../../../firmware/reasons.ts';
import type { BoardClient } from '../../pair/board-client.ts';
import { JournalReader, type ReadEntry } from '../../pair/journal-reader.ts';
import type { TargetOptions } from '../../target/resolve-target.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { positiveInteger } from '../option-parsers.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';

interface JournalOptions extends TargetOptions {
  readonly board?: string;
  readonly json: boolean;
  readonly follow: boolean;
  readonly intervalMs: number;
}

export type PairJournalLine = ReadEntry & { readonly processor: 1 | 2 };

/** How long a board has to answer before it counts as silent. */
const ANSWER_TIMEOUT_MS = 2000;

export const registerJournal: RegisterCommand = (program, finish) => {
  addTargetOptions(
    program
      .command('journal')
      .description(
        "Show the boards' journals: roles and their causes, takeovers, fences, switch steps, cold starts. With --follow, keep printing until Ctrl-C.",
      )
      .addOption(new Option('--board <n>', 'only processor 1 or 2').choices(['1', '2'])),
  )
    .option('--follow', 'keep reading; print entries as the boards record them', false)
    .addOption(
      new Option('--interval-ms <ms>', 'with --follow: how often to read')
        .argParser(positiveInteger)
        .default(250),
    )
    .option('--json', 'a JSON array (with --follow: one JSON object a line)', false)
    .action(async (options: JournalOptions) => {
      finish(await runJournal(options));
    });
};

async function runJournal(options: JournalOptions): Promise<ExitCode> {
  const processors: (1 | 2)[] =
    options.board === undefined ? [1, 2] : [options.board === '1' ? 1 : 2];
  const target = await targetFrom(options);
  const clients: BoardClient[] = [];
  const interrupt = listenForInterrupt('journal', "closing the boards' ports");
  try {
    for (const processor of processors) clients.push(await target.openBoard(processor));
    const readers: { processor: 1 | 2; reader: JournalReader }[] = [];
    for (const [index, client] of clients.entries()) {
      const processor = processors[index] as 1 | 2;
      // The reader takes silence for "nothing new": ask once so a silent board is reported.
      const answered = await client.request({ op: 'status' }, ANSWER_TIMEOUT_MS).then(
        () => true,
        (error: Error) => {
          process.stderr.write(`tandem: ${error.message}\n`);
          return false;
        },
      );
      if (answered) readers.push({ processor, reader: new JournalReader(client) });
    }
    if (readers.length === 0) return ExitCode.board;
    const readAll = async (): Promise<PairJournalLine[]> => {
      const lines: PairJournalLine[] = [];
      for (const { processor, reader } of readers) {
        for (;;) {
          const entries = await reader.read(ANSWER_TIMEOUT_MS);
          for (const entry of entries) lines.push({ ...entry, processor });
          if (entries.length === 0) break;
        }
      }
      return lines.sort((a, b) => a.atMs - b.atMs);
    };
    if (!options.follow) {
      const lines = await readAll();
      process.stdout.write(
        options.json
          ? `${JSON.stringify(lines)}\n`
          : lines.map((line) => `${describeEntry(line)}\n`).join(''),
      );
      return readers.length === processors.length ? ExitCode.ok : ExitCode.board;
    }
    while (!interrupt.signal.aborted) {
      for (const line of await readAll()) {
        process.stdout.write(
          options.json ? `${JSON.stringify(line)}\n` : `${describeEntry(line)}\n`,
        );
      }
      await sleep(options.intervalMs);
    }
    return ExitCode.interrupted;
  } finally {
    interrupt.stop();
    for (const client of clients) await client.close();
  }
}

/** One entry as a line: when, which board and image, what happened. */
export function describeEntry(line: PairJournalLine): string {
  const at = new Date(line.atMs).toISOString();
  return `${at}  P${line.processor}  boot ${line.boot}  ${line.version}  ${whatHappened(line)}`;
}

function whatHappened(entry: ReadEntry): string {
  switch (entry.kind) {
    case 'role':
      return `role ${entry.role} (term ${entry.term}, txn ${entry.txn}): ${causeText(entry.cause, entry.why)}`;
    case 'takeover':
      return `takeover${entry.fenced ? ', partner fenced' : ''}: ${whyText(entry)}`;
    case 'fence':
      return "fence: pulsed the partner's reset line";
    case 'path':
      return `path ${entry.path} ${entry.up ? 'up' : 'down'}`;
    case 'switch': {
      const why = whyText(entry);
      return `switch step ${entry.step} ${entry.ok ? 'ok' : 'FAILED'}${why === '' ? '' : `: ${why}`}`;
    }
    case 'bad-input':
      return `bad input on path ${entry.path} (${entry.code}): ${whyText(entry)}`;
    case 'cold-start':
      return `cold start of ${entry.version}`;
    case 'false-suspicion':
      return `false suspicion: the partner was silent for ${entry.silentMs.toFixed(0)} ms, then heard again`;
    case 'executed':
      return `${entry.refused === undefined ? 'executed' : `refused (${entry.refused})`} txn ${entry.txn} for ${entry.clientId} sync ${entry.syncId}`;
    case 'alarm':
      return `alarm: ${whyText(entry)}`;
    case 'recovered':
      return `recovered txn ${entry.txn} (term ${entry.storedTerm}) from the durable store${entry.alone ? ', no partner heard' : ''}`;
    case 'store-refused':
      return `durable store refused (${entry.code}): ${whyText(entry)}`;
    case 'store-full':
      return storeFullEventText(entry);
    case 'awaiting-partner':
      return `store holds txn ${entry.storedTxn} (term ${entry.storedTerm}); waiting for the partner, whose history may be newer`;
  }
}
