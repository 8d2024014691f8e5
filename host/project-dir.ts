/**
 * The project's `.tandem/` folder (keys, images, labs, reports), found the
 * way git finds `.git`: in the working directory or the nearest folder
 * above it that has one. Without one anywhere above, it is `.tandem` in the
 * working directory, which the first command that writes there creates.
 */
import { statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const PROJECT_DIR_NAME = '.tandem';

/** The absolute path of the nearest `.tandem/` folder in `cwd` or above, or null. */
export function findProjectDir(cwd: string): string | null {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_DIR_NAME);
    if (statSync(candidate, { throwIfNoEntry: false })?.isDirectory() === true) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/**
 * A path inside the project's `.tandem/`, relative to `cwd` so that messages
 * stay short: `.tandem/keys` at the project's root, `../../.tandem/keys` two
 * folders down.
 */
export function projectPath(cwd: string, ...parts: readonly string[]): string {
  const found = findProjectDir(cwd);
  return join(found === null ? PROJECT_DIR_NAME : relative(resolve(cwd), found), ...parts);
}
