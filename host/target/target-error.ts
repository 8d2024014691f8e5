/**
 * A pair target that cannot be used: conflicting options, a missing or bad
 * pair file, a port that does not exist or will not open, an operation the
 * target has no backend for. Nothing ran; the CLI exits 2 with the message
 * and the hint (host/cli/main.ts).
 */

import { HintedError } from '../../boards/hinted-error.ts';

export type PairTargetErrorCode =
  /** More than one way of naming the pair, or an option that belongs to another way. */
  | 'conflicting-options'
  /** The pair file (--pair, TANDEM_PAIR or tandem-pair.json) cannot be read. */
  | 'pair-file-unreadable'
  /** The pair file is not JSON, or not a valid pair. */
  | 'bad-pair-file'
  /** A board profile the pair file names is missing or invalid. */
  | 'bad-profile'
  /** A serial port does not exist or cannot be opened. */
  | 'port-unopenable'
  /** The command needs the field-bus ports and the target names none. */
  | 'no-bus-ports'
  /** The public key the boards trust, needed to check an image first, cannot be read. */
  | 'no-public-key'
  /** `power` on a target without a power backend. */
  | 'no-power-backend'
  /** `cable` on a target without a cable backend. */
  | 'no-cable-backend';

export class PairTargetError extends HintedError<PairTargetErrorCode> {
  readonly pairTargetError = true;
  override name = 'PairTargetError';
}
