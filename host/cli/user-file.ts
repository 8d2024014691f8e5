/**
 * Files and folders the user names on the command line (an image, an output
 * file, a key directory, a lab directory). What the file system says about
 * them (ENOENT, EISDIR, EACCES...) is bad input, not a bug: the CLI exits 2
 * with what is wrong and a hint (host/cli/main.ts), never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { HintedError } from '../../boards/hinted-error.ts';

export type UserFileErrorCode =
  /** Nothing at that path (or a folder on the way is missing). */
  | 'not-found'
  /** A folder where a file was expected. */
  | 'is-directory'
  /** A file where a folder was expected, on the way or at the end. */
  | 'not-a-directory'
  /** The user may not read or write it (mode, owner, a read-only file system). */
  | 'permission-denied'
  /** Something already there stands in the way. */
  | 'exists';

const CODE_FOR_ERRNO: Readonly<Record<string, UserFileErrorCode>> = {
  ENOENT: 'not-found',
  EISDIR: 'is-directory',
  ENOTDIR: 'not-a-directory',
  EACCES: 'permission-denied',
  EPERM: 'permission-denied',
  EROFS: 'permission-denied',
  EEXIST: 'exists',
};

const SAYING: Readonly<Record<UserFileErrorCode, string>> = {
  'not-found': 'does not exist',
  'is-directory': 'is a directory, not a file',
  'not-a-directory': 'has a file where a directory should be',
  'permission-denied': 'is not allowed (check its mode and owner)',
  exists: 'already exists and is not a directory',
};

export class UserFileError extends HintedError<UserFileErrorCode> {
  readonly userFileError = true;
  override name = 'UserFileError';
  constructor(
    code: UserFileErrorCode,
    /** The path as the user gave it. */
    readonly path: string,
    message: string,
    hint: string,
    options?: ErrorOptions,
  ) {
    super(code, message, hint, options);
  }
}

/**
 * The UserFileError for a file-system error on a path the user named, or
 * null when `error` is something else (then it stays what it was: a bug).
 * `what` names the file's role: 'the image', 'the output file'.
 */
export function userFileErrorFrom(
  error: unknown,
  path: string,
  what: string,
  hint: string,
): UserFileError | null {
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  const code = typeof errno === 'string' ? CODE_FOR_ERRNO[errno] : undefined;
  if (code === undefined) return null;
  return new UserFileError(code, path, `${what} ${path} ${SAYING[code]}`, hint, { cause: error });
}

/** Runs `operation` on a path the user named, turning file-system errors into a UserFileError. */
export function onUserPath<T>(path: string, what: string, hint: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw userFileErrorFrom(error, path, what, hint) ?? error;
  }
}

/** The hint for an image file that cannot be read (flash, push). */
export const IMAGE_FILE_HINT =
  'give the path of an image file from `tandem build` (they land in .tandem/images/)';

/** Reads a file the user named, whole. */
export function readUserFile(path: string, what: string, hint: string): Uint8Array {
  return onUserPath(path, what, hint, () => new Uint8Array(readFileSync(path)));
}
