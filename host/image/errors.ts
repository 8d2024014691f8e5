/**
 * Errors of the image tooling on the host. Each has a marker field and a
 * `code`; messages say what to do. (A bad image on a board is an ImageError,
 * boards/image/errors.ts.)
 */

export type BuildErrorCode =
  /** The app spec names no registered app and no file. */
  | 'unknown-app'
  /** The registered app has no such release version. */
  | 'unknown-version'
  /** The version in `app@version` and --version disagree. */
  | 'version-conflict'
  /** A user module cannot be loaded, or its default export is not an app factory. */
  | 'app-module'
  /** The app does not describe itself the way its spec or the manifest requires. */
  | 'app-mismatch'
  /** A board target name is not valid. */
  | 'bad-board'
  /** Image code imports a Node built-in. */
  | 'node-import'
  /** The bundle calls require(): it would need a CommonJS host. */
  | 'node-require'
  /** The bundle calls import(), which boards refuse (it would reach the board's module loader). */
  | 'dynamic-import'
  /** esbuild refused the sources (syntax, a missing module, ...). */
  | 'bundle-failed'
  /** Manifest or payload above the format's limits. */
  | 'too-large';

export class BuildError extends Error {
  readonly buildError = true;
  override name = 'BuildError';
  readonly code: BuildErrorCode;

  constructor(code: BuildErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
