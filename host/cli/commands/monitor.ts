/**
 * `tandem monitor`: both boards, the pair's readiness, requests per second
 * and a feed of events (pulls, takeovers with their time, rejoins, fences,
 * false suspicions, switch steps), refreshed every 150 ms. In a terminal it
 * redraws in place until `q` or Ctrl-C (`s` and `f` start a switch or a
 * fallback); piped, it prints each event as a line, and the pair's readiness
 * with a row per board when the readiness changes. Any pair target: power
 * changes show where the target can tell them (a lab).
 */
import { Option } from 'commander';
import { readinessLabel } from '../../dashboard/pair-view.ts';
import { PairWatch } from '../../dashboard/pair-watch.ts';
import { TargetFeed } from '../../dashboard/target-feed.ts';
import type { TargetOptions } from '../../target/resolve-target.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { boardRow, clockTime, eventLine, monitorScreen } from '../monitor-screen.ts';
import { positiveInteger } from '../option-parsers.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';
import { stylistFor } from '../terminal-style.ts';

interface MonitorOptions extends TargetOptions {
  readonly intervalMs: number;
  readonly count?: number;
  readonly color: boolean;
}

/** Rows the event feed keeps below the boards on a terminal that does not say its height. */
const EVENT_ROWS_DEFAULT = 10;
/** Lines of the screen above the events. */
const SCREEN_HEAD_ROWS = 14;

export const registerMonitor: RegisterCommand = (program, finish) => {
  addTargetOptions(
    program
      .command('monitor')
      .description(
        "Watch a pair live: readiness, both boards, requests/s, takeover times and a feed of the pair's events.",
      ),
  )
    .addOption(
      new Option('--interval-ms <ms>', 'refresh period').argParser(positiveInteger).default(150),
    )
    .addOption(
      new Option(
        '--count <n>',
        'stop after this many refreshes (default: until q or Ctrl-C)',
      ).argParser(positiveInteger),
    )
    .option('--no-color', 'plain text even in a terminal (NO_COLOR does the same)')
    .action(async (options: MonitorOptions) => {
      finish(await monitor(options));
    });
};

async function monitor(options: MonitorOptions): Promise<ExitCode> {
  const feed = await TargetFeed.open(await targetFrom(options));
  const watch = new PairWatch(feed, options.intervalMs);
  const style = stylistFor(process.stdout, options.color);
  const out = process.stdout;
  const screen = out.isTTY === true;
  let readings = 0;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const interrupt = listenForInterrupt('monitor', "closing the boards' ports");
  interrupt.signal.addEventListener('abort', () => stop());

  let action = '';
  if (screen) {
    out.write('\u001b[?25l\u001b[2J');
    watch.onReading(() => {
      const rows = Math.max(
        3,
        (out.rows ?? SCREEN_HEAD_ROWS + EVENT_ROWS_DEFAULT) - SCREEN_HEAD_ROWS,
      );
      const lines = monitorScreen(watch.view, feed.name, Date.now(), style, rows, action);
      out.write(`\u001b[H${lines.join('\u001b[K\n')}\u001b[K\n\u001b[J`);
    });
  } else {
    let badge = '';
    watch.view.onEvent((event) => out.write(`${eventLine(event, style)}\n`));
    watch.onReading((reading) => {
      const now = readinessLabel(watch.view.readiness);
      if (now !== badge) {
        badge = now;
        out.write(`${clockTime(reading.atMs)}  ${now}\n`);
        for (const board of reading.boards) out.write(`  ${boardRow(board, style)}\n`);
      }
    });
  }
  watch.onReading(() => {
    readings += 1;
    if (options.count !== undefined && readings >= options.count) stop();
  });

  // The monitor holds the boards' ports, so a switch from here is the one way to watch one live.
  const startSwitch = (direction: 'switch' | 'fallback') => {
    if (action.endsWith('…')) return;
    action = `${direction}: running…`;
    feed.act({ kind: 'switch', direction }).then((outcome) => {
      action = `${direction}: ${outcome.message}`;
    });
  };
  const onKey = (key: Buffer) => {
    const text = key.toString('latin1').toLowerCase();
    if (text.includes('\u0003')) interrupt.interrupt();
    else if (text.includes('q')) stop();
    else if (text.includes('s')) startSwitch('switch');
    else if (text.includes('f')) startSwitch('fallback');
  };
  const stdin = process.stdin;
  const keys = screen && stdin.isTTY === true;
  if (keys) {
    stdin.setRawMode(true);
    stdin.on('data', onKey);
  }
  watch.start();
  await stopped;
  await watch.stop();
  await feed.close();
  interrupt.stop();
  if (keys) {
    stdin.off('data', onKey);
    stdin.setRawMode(false);
    stdin.pause();
  }
  if (screen) out.write('\u001b[?25h');
  return interrupt.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}
