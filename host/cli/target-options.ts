/**
 * The options every board command takes to name its pair, and the target
 * they resolve to (host/target/). A command adds them with
 * `addTargetOptions` and gets its ports from `targetFrom`.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { openPairTarget, type PairTarget } from '../target/pair-target.ts';
import { PAIR_ENV, resolveTarget, type TargetOptions } from '../target/resolve-target.ts';
import { standardBaud } from './option-parsers.ts';

function twoPorts(text: string): readonly [string, string] {
  const parts = text.split(',').map((part) => part.trim());
  const [p1, p2] = parts;
  if (parts.length !== 2 || !p1 || !p2) {
    throw new InvalidArgumentError(
      'Must be two serial ports, processor 1 then processor 2: /dev/ttyUSB0,/dev/ttyUSB1.',
    );
  }
  return [p1, p2];
}

export function addTargetOptions(
  command: Command,
  needs: { readonly bus?: boolean } = {},
): Command {
  command
    .option('--lab <dir>', 'a simulated lab (default: .tandem/lab)')
    .addOption(new Option('--dir <dir>', 'old name of --lab').hideHelp())
    .addOption(
      new Option('--port <p1,p2>', "the boards' management ports, processor 1 then 2").argParser(
        twoPorts,
      ),
    );
  if (needs.bus === true) {
    command.addOption(
      new Option('--bus <b1,b2>', "the boards' field-bus ports (with --port)").argParser(twoPorts),
    );
  }
  return command
    .addOption(
      new Option(
        '--baud <rate>',
        'line rate of the --port (and --bus) ports (default 115200)',
      ).argParser(standardBaud),
    )
    .option(
      '--pair <file>',
      `a pair file (JSON); also $${PAIR_ENV}, or a tandem-pair.json here or above`,
    );
}

/** The pair the options name (see host/target/resolve-target.ts for the order). */
export async function targetFrom(options: TargetOptions): Promise<PairTarget> {
  return openPairTarget(await resolveTarget(options, { cwd: process.cwd(), env: process.env }));
}
