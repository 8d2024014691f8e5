/**
 * Ctrl-C for a command that started something it must clean up (a load, a
 * campaign, a watch holding the boards' ports, a web server): while the
 * command listens, SIGINT aborts `signal` instead of ending the process
 * (host/cli/main.ts exits at once only when no command listens); the
 * command cleans up and returns ExitCode.interrupted. A second Ctrl-C while
 * it cleans up changes nothing.
 */
export interface Interrupt {
  /** Aborted on the first Ctrl-C. */
  readonly signal: AbortSignal;
  /** Interrupts as Ctrl-C does (a terminal in raw mode delivers Ctrl-C as a byte, not a signal). */
  interrupt(): void;
  /** Stops listening: the command has cleaned up. */
  stop(): void;
}

/**
 * Listens for Ctrl-C on behalf of `tandem <command>`; the first one prints
 * "tandem <command>: interrupted; <cleanup>" on stderr.
 */
export function listenForInterrupt(command: string, cleanup: string): Interrupt {
  const abort = new AbortController();
  const interrupt = () => {
    if (abort.signal.aborted) return;
    process.stderr.write(`tandem ${command}: interrupted; ${cleanup}\n`);
    abort.abort();
  };
  process.on('SIGINT', interrupt);
  return {
    signal: abort.signal,
    interrupt,
    stop: () => process.off('SIGINT', interrupt),
  };
}
