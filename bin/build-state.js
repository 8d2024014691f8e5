// Whether the build in a dist/ folder may run instead of the sources: its
// stamp (written last by scripts/build-dist.ts) must name this source
// folder, and no source it read may have changed since the build began.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * 'fresh': run the build; 'stale': a build is there but older than a
 * source (or made from another folder); 'absent': no build (say, after
 * `npm install --ignore-scripts`).
 * @param {string} distDir
 * @param {string} root
 * @returns {'fresh' | 'stale' | 'absent'}
 */
export function buildState(distDir, root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(distDir, 'build-stamp.json'), 'utf8'));
  } catch {
    return 'absent';
  }
  if (stamp.root !== root) return 'stale';
  for (const input of stamp.inputs) {
    const modified = statSync(join(root, input), { throwIfNoEntry: false })?.mtimeMs;
    if (modified === undefined || modified > stamp.builtAtMs) return 'stale';
  }
  return 'fresh';
}
