/**
 * `tandem push <image>`: a signed image into the inactive slot of both
 * boards of a pair at once (or one with --board), verified by each board before it is
 * accepted. A push cut short (power, cable, Ctrl-C) resumes on the next
 * `tandem push` of the same image. Refusals (a bad image, one for another
 * board, an older version, a board missing, a pair mid-switch) come before
 * anything is written.
 */
import { performance } from 'node:perf_hooks';
import { MultiBar, type SingleBar } from 'cli-progress';
import { Option } from 'commander';
import type { BoardClient } from '../../pair/board-client.ts';
import {
  type PairPushResult,
  PushAbortedError,
  type PushProgress,
  PushRefusedError,
  pushImage,
} from '../../pair/push.ts';
import type { TargetOptions } from '../../target/resolve-target.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';
import { IMAGE_FILE_HINT, readUserFile } from '../user-file.ts';

interface PushCommandOptions extends TargetOptions {
  readonly board?: string;
  readonly allowDowngrade: boolean;
  readonly compress: boolean;
  readonly json: boolean;
}

export const registerPush: RegisterCommand = (program, finish) => {
  addTargetOptions(
    program
      .command('push')
      .description(
        "Push a signed image into the inactive slot of the pair's boards (both at once); each board verifies it before accepting it, and an interrupted push resumes.",
      )
      .argument('<image>', 'image file from `tandem build`')
      .addOption(new Option('--board <n>', 'only processor 1 or 2').choices(['1', '2'])),
  )
    .option('--allow-downgrade', 'push an image older than the one running', false)
    .option('--no-compress', 'send every chunk as it is (no deflate)')
    .option('--json', 'print one JSON object', false)
    .action(async (file: string, options: PushCommandOptions) => {
      const image = readUserFile(file, 'the image', IMAGE_FILE_HINT);
      const processors: (1 | 2)[] =
        options.board === undefined ? [1, 2] : [options.board === '1' ? 1 : 2];
      const clients: BoardClient[] = [];
      const abort = new AbortController();
      const onInterrupt = () => abort.abort(new PushAbortedError('interrupted'));
      process.once('SIGINT', onInterrupt);
      const progress = process.stderr.isTTY && !options.json ? new ProgressBars() : null;
      try {
        const target = await targetFrom(options);
        for (const processor of processors) {
          clients.push(await target.openBoard(processor));
        }
        const trust = await target.imageTrust();
        const baud = (clients[0] as BoardClient).port.baudRate;
        const result = await pushImage(
          processors.map((processor, index) => ({
            processor,
            client: clients[index] as BoardClient,
          })),
          image,
          {
            publicKeys: trust.publicKeys,
            board: trust.board,
            allowDowngrade: options.allowDowngrade,
            compress: options.compress,
            signal: abort.signal,
            onProgress: (processor, p) => progress?.update(processor, p, baud),
          },
        );
        progress?.stop();
        process.stdout.write(
          options.json ? `${JSON.stringify(summary(result, baud))}\n` : describe(result, baud),
        );
        finish(ExitCode.ok);
      } catch (error) {
        progress?.stop();
        if (error instanceof PushAbortedError) {
          process.stderr.write(`tandem: ${error.message}\n`);
          if (options.json) {
            process.stdout.write(`${JSON.stringify({ stopped: true, message: error.message })}\n`);
          }
          finish(ExitCode.interrupted);
          return;
        }
        if (error instanceof PushRefusedError && options.json) {
          process.stdout.write(
            `${JSON.stringify({ refused: error.code, message: error.message })}\n`,
          );
        }
        throw error;
      } finally {
        process.removeListener('SIGINT', onInterrupt);
        for (const client of clients) await client.close();
      }
    });
};

function summary(result: PairPushResult, baud: number) {
  const lineBytesPerSecond = baud / 10;
  return {
    app: result.manifest.app,
    version: result.manifest.version,
    sha256: result.sha256,
    lineBytesPerSecond,
    boards: result.boards.map((b) => {
      const bytesPerSecond = (b.bytes - b.resumedAt) / b.seconds;
      return { ...b, bytesPerSecond, lineShare: bytesPerSecond / lineBytesPerSecond };
    }),
  };
}

function describe(result: PairPushResult, baud: number): string {
  return summary(result, baud)
    .boards.map(
      (b) =>
        `processor ${b.processor}: ${result.manifest.app} ${b.version} in slot ${b.slot}${b.running ? ', running' : ''} ` +
        `(${b.bytes} bytes${b.resumedAt > 0 ? `, resumed at ${b.resumedAt}` : ''}; ${b.sentBytes} sent in ${b.seconds.toFixed(2)} s, ` +
        `${Math.round(b.bytesPerSecond)} B/s, ${(100 * b.lineShare).toFixed(1)}% of the line rate)\n`,
    )
    .join('');
}

/** One bar per board on stderr: bytes in the slot, bytes a second, share of the line rate. */
class ProgressBars {
  readonly #bars = new MultiBar({
    format: 'P{processor} [{bar}] {value}/{total} B  {rate} B/s  {share}% of line',
    hideCursor: true,
  });
  readonly #started = new Map<number, { bar: SingleBar; at: number }>();

  update(processor: 1 | 2, p: PushProgress, baud: number): void {
    let entry = this.#started.get(processor);
    if (entry === undefined) {
      const bar = this.#bars.create(p.total, p.written, { processor, rate: 0, share: '0.0' });
      entry = { bar, at: performance.now() };
      this.#started.set(processor, entry);
    }
    const rate = (p.written - p.resumedAt) / Math.max(1e-3, (performance.now() - entry.at) / 1000);
    entry.bar.update(p.written, {
      processor,
      rate: Math.round(rate),
      share: ((100 * rate) / (baud / 10)).toFixed(1),
    });
  }

  stop(): void {
    this.#bars.stop();
  }
}
