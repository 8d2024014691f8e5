/**
 * An error the user can fix: a code for programs, a message saying what is
 * wrong, and a one-line hint saying what to do about it. Each kind (a pair
 * target, a GPIO line, a rig's infrastructure, a file the user named, ...)
 * subclasses it with its own codes and a marker field, which tells the kind
 * apart where `instanceof` cannot (two copies of a module, or a build).
 */
export class HintedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    /** What to do about it, one line. */
    readonly hint: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
