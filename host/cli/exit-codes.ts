/**
 * The exit codes of `tandem`, part of its contract with scripts and CI.
 * 70 is EX_SOFTWARE from sysexits.h: a bug in tandem itself. 130 is the
 * shells' code for a process ended by SIGINT (128 + 2).
 */
export const ExitCode = {
  ok: 0,
  /** A check ran and found violations. */
  failure: 1,
  /** A bad argument or option; nothing ran. */
  usage: 2,
  /** The module given with --app cannot be loaded or does not keep the contract. */
  appModule: 3,
  /** No lab runs in the directory given. */
  labNotRunning: 4,
  /** A board refused the request (a bad image, say) or did not answer. */
  board: 5,
  /**
   * `hil`: the rig or the boards could not be driven (a relay controller or
   * power command that fails or does nothing, a board that never answers, a
   * port that cannot open), so nothing was checked. EX_UNAVAILABLE of sysexits.h.
   */
  infrastructure: 69,
  internal: 70,
  /**
   * Stopped by Ctrl-C (SIGINT) before it finished: neither a pass nor a
   * failure found (a failure found before the stop still exits 1).
   */
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
