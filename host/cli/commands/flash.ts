/** `tandem flash <image> --board N`: write a signed image to one board's inactive slot. */
import { performance } from 'node:perf_hooks';
import { SingleBar } from 'cli-progress';
import { Option } from 'commander';
import { flashImage } from '../../pair/flash.ts';
import type { TargetOptions } from '../../target/resolve-target.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';
import { IMAGE_FILE_HINT, readUserFile } from '../user-file.ts';

export const registerFlash: RegisterCommand = (program, finish) => {
  addTargetOptions(
    program
      .command('flash')
      .description(
        "Write a signed image into a board's inactive slot; the board verifies it first (an empty board then runs it).",
      )
      .argument('<image>', 'image file from `tandem build`')
      .addOption(
        new Option('--board <n>', 'processor 1 or 2').choices(['1', '2']).makeOptionMandatory(),
      ),
  )
    .option('--allow-downgrade', 'let the board take an image older than the one it runs', false)
    .option('--json', 'print one JSON object', false)
    .action(
      async (
        file: string,
        options: TargetOptions & { board: string; allowDowngrade: boolean; json: boolean },
      ) => {
        const image = readUserFile(file, 'the image', IMAGE_FILE_HINT);
        const target = await targetFrom(options);
        const board = await target.openBoard(options.board === '1' ? 1 : 2);
        const bar =
          process.stderr.isTTY && !options.json
            ? new SingleBar({
                format: 'flash [{bar}] {value}/{total} bytes  {rate} B/s',
                hideCursor: true,
              })
            : null;
        const started = performance.now();
        bar?.start(image.length, 0, { rate: 0 });
        try {
          const result = await flashImage(
            board,
            image,
            (sent) => {
              bar?.update(sent, {
                rate: Math.round(sent / ((performance.now() - started) / 1000)),
              });
            },
            { allowDowngrade: options.allowDowngrade },
          );
          bar?.stop();
          const seconds = (performance.now() - started) / 1000;
          const summary = {
            ...result,
            bytes: image.length,
            seconds,
            bytesPerSecond: image.length / seconds,
          };
          process.stdout.write(
            options.json
              ? `${JSON.stringify(summary)}\n`
              : `processor ${options.board}: ${result.version} in slot ${result.slot}${result.running ? ', running' : ''} (${image.length} bytes in ${seconds.toFixed(1)} s)\n`,
          );
          finish(ExitCode.ok);
        } finally {
          bar?.stop();
          await board.close();
        }
      },
    );
};
