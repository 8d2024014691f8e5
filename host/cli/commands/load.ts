/**
 * `tandem load`: clients on the pair's field bus for a while, with retries
 * across both boards and exactly-once accounting of every request. Ctrl-C
 * stops sending, waits for the requests in flight, prints the accounting so
 * far and exits 130 (1 if it already found a violation).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option } from 'commander';
import { openBusLoad } from '../../load/lab-load.ts';
import type { TargetOptions } from '../../target/resolve-target.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { positiveInteger } from '../option-parsers.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';

interface LoadOptions extends TargetOptions {
  readonly clients: number;
  readonly seconds: number;
  readonly seed: number;
  readonly json: boolean;
}

export const registerLoad: RegisterCommand = (program, finish) => {
  addTargetOptions(
    program
      .command('load')
      .description(
        'Run ledger clients against the pair and account for every request (exactly once, nothing lost).',
      ),
    { bus: true },
  )
    .addOption(
      new Option('--clients <n>', 'concurrent clients').argParser(positiveInteger).default(8),
    )
    .addOption(
      new Option('--seconds <s>', 'how long to send new requests')
        .argParser(positiveInteger)
        .default(5),
    )
    .addOption(new Option('--seed <n>', 'workload seed').argParser(positiveInteger).default(1))
    .option('--json', 'print one JSON object', false)
    .action(async (options: LoadOptions) => {
      finish(await runLoad(options));
    });
};

async function runLoad(options: LoadOptions): Promise<ExitCode> {
  const bus = await (await targetFrom(options)).bus();
  const { load, ports } = await openBusLoad({
    ...bus,
    clients: options.clients,
    seed: options.seed,
    clientPrefix: 'load',
  });
  const started = performance.now();
  const interrupt = listenForInterrupt('load', 'waiting for the requests in flight');
  load.start();
  process.stderr.write(
    `tandem load: ${options.clients} clients for ${options.seconds} s (Ctrl-C stops early and prints the accounting so far)\n`,
  );
  try {
    await sleep(options.seconds * 1000, undefined, { signal: interrupt.signal });
  } catch (error) {
    if (!interrupt.signal.aborted) throw error;
  }
  const answered = await load.stop(10_000);
  interrupt.stop();
  const seconds = (performance.now() - started) / 1000;
  for (const port of ports) await port.close();
  const h = load.history;
  const result = {
    acknowledged: h.acknowledged,
    lost: h.lost,
    duplicated: h.duplicated,
    perSecond: h.acknowledged / seconds,
    errors: load.answers.filter((a) => !a.ok).length,
    longestWaitMs: load.waitedMsMax,
    allAnswered: answered,
    interrupted: interrupt.signal.aborted,
    violations: h.violations.map((v) => `${v.kind}: ${v.detail}`),
  };
  process.stdout.write(
    options.json
      ? `${JSON.stringify(result)}\n`
      : `acknowledged ${result.acknowledged} (${result.perSecond.toFixed(0)}/s), lost ${result.lost}, duplicated ${result.duplicated}, error answers ${result.errors}, longest wait ${result.longestWaitMs.toFixed(0)} ms${answered ? '' : ', some requests unanswered'}${result.interrupted ? ` (interrupted after ${seconds.toFixed(1)} s)` : ''}\n`,
  );
  const passed =
    result.lost === 0 && result.duplicated === 0 && result.violations.length === 0 && answered;
  if (!passed) return ExitCode.failure;
  return result.interrupted ? ExitCode.interrupted : ExitCode.ok;
}
