/**
 * The operating system's Chromium for browser tests: the driver
 * (playwright-core) never downloads a browser. CHROMIUM_PATH names one;
 * otherwise the usual names are looked up on PATH, then the usual places.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];
const PLACES = ['/usr/bin', '/usr/local/bin', '/snap/bin', '/usr/lib/chromium'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path of a Chromium to run, or null. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const named = env.CHROMIUM_PATH;
  if (named !== undefined && named !== '') return executable(named) ? named : null;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...PLACES];
  for (const dir of dirs) {
    for (const name of NAMES) {
      const path = join(dir, name);
      if (executable(path)) return path;
    }
  }
  return null;
}

export const CHROMIUM_MISSING =
  "no Chromium found: install the operating system's (Debian: `apt-get install chromium`) or set CHROMIUM_PATH; .ci/run installs it";
