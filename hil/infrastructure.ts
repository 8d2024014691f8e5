/**
 * Infrastructure failures of a HIL rig: the rig or the boards could not be
 * driven, so nothing was checked. A run that meets one exits with its own
 * code (`ExitCode.infrastructure`), never as a pass and never as "a check
 * found violations". Each failure is a code to act on, with a hint.
 */
import { HintedError } from '../boards/hinted-error.ts';

export type InfrastructureCode =
  /** The relay controller did not answer as a StandardFirmata board. */
  | 'rig-not-answering'
  /** The relay controller lacks a pin the rig profile names. */
  | 'rig-wiring'
  /** A power command exited non-zero, was killed, or ran past its timeout. */
  | 'power-command-failed'
  /** A board kept answering with its power switched off: the switch does nothing. */
  | 'power-ineffective'
  /** A board never answered on its management port, powered on. */
  | 'board-silent'
  /** A board's port cannot be opened. */
  | 'port-unavailable'
  /** The pair was not whole (one primary, one backup) when the run was to begin. */
  | 'pair-not-ready';

export class InfrastructureError extends HintedError<InfrastructureCode> {
  readonly infrastructure = true;
  override name = 'InfrastructureError';
}

/** Tells an InfrastructureError by its marker. */
export function isInfrastructureError(error: unknown): error is InfrastructureError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { infrastructure?: unknown }).infrastructure === true
  );
}
