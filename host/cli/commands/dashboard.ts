/**
 * `tandem dashboard`: a pair in a web page, live (boards, readiness,
 * health, latency timeline, events) with buttons for pushes, switches, and
 * where the target has them, power, cables and load. Serves until Ctrl-C.
 * Its TCP port is --http-port: --port names the boards' ports, as in every
 * board command.
 */
import { once } from 'node:events';
import { InvalidArgumentError, Option } from 'commander';
import { startDashboard } from '../../dashboard/server.ts';
import { TargetFeed } from '../../dashboard/target-feed.ts';
import { DEFAULT_KEY_DIR } from '../../image/keys.ts';
import type { TargetOptions } from '../../target/resolve-target.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { positiveInteger } from '../option-parsers.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';

interface DashboardCommandOptions extends TargetOptions {
  readonly httpPort: number;
  readonly host: string;
  readonly intervalMs: number;
  readonly key: string;
  readonly clients: number;
}

export const DASHBOARD_PORT_DEFAULT = 7320;

export function portNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new InvalidArgumentError('Must be a port from 0 to 65535 (0 picks a free one).');
  }
  return value;
}

export const registerDashboard: RegisterCommand = (program, finish) => {
  addTargetOptions(
    program
      .command('dashboard')
      .description(
        'Serve a live web page of a pair: both boards, readiness, health, a latency timeline, events, and buttons for push, switch, fallback, and (where the target has them) power, cables and load.',
      ),
    { bus: true },
  )
    .addOption(
      new Option('--http-port <n>', 'TCP port of the page (0 picks a free one)')
        .argParser(portNumber)
        .default(DASHBOARD_PORT_DEFAULT),
    )
    .option('--host <address>', 'address to bind (others can pull power from it)', '127.0.0.1')
    .addOption(
      new Option('--interval-ms <ms>', 'how often the boards are read')
        .argParser(positiveInteger)
        .default(200),
    )
    .option('--key <dir>', 'signing key for the images the push button builds', DEFAULT_KEY_DIR)
    .addOption(
      new Option('--clients <n>', 'clients the load button starts')
        .argParser(positiveInteger)
        .default(4),
    )
    .action(async (options: DashboardCommandOptions) => {
      finish(await dashboard(options));
    });
};

async function dashboard(options: DashboardCommandOptions): Promise<ExitCode> {
  const feed = await TargetFeed.open(await targetFrom(options), {
    keyDir: options.key,
    clients: options.clients,
  });
  let served: Awaited<ReturnType<typeof startDashboard>>;
  try {
    served = await startDashboard(feed, { ...options, port: options.httpPort });
  } catch (error) {
    await feed.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      process.stderr.write(
        `tandem: cannot serve on ${options.host} port ${options.httpPort} (${code})\n  hint: pick another with --http-port (0 picks a free one) or --host\n`,
      );
      return ExitCode.usage;
    }
    throw error;
  }
  process.stdout.write(`dashboard of ${feed.name}: ${served.url}  (Ctrl-C stops it)\n`);
  const interrupt = listenForInterrupt(
    'dashboard',
    "stopping the server, closing the boards' ports",
  );
  await once(interrupt.signal, 'abort');
  await served.close();
  await feed.close();
  interrupt.stop();
  return ExitCode.interrupted;
}
