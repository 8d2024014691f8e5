#!/usr/bin/env node
// The CLI runs the JavaScript build in dist/ (made on `npm install`, see
// scripts/build-dist.ts) while it is fresh (build-state.js), and otherwise
// the TypeScript sources, which tsx compiles as they load: about a second
// and a half more before anything happens. TANDEM_FROM_SOURCE=1 asks for
// the sources (the tests do).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildState } from './build-state.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');

// --app modules import tandem's own sources; a built CLI would hold second
// copies of them (two AppInputError classes), so they run with the sources.
const appModule = process.argv.some((arg) => arg === '--app' || arg.startsWith('--app='));
const state =
  process.env.TANDEM_FROM_SOURCE === '1' || appModule ? 'not wanted' : buildState(dist, root);
if (state === 'fresh') {
  await import(pathToFileURL(join(dist, 'cli.mjs')).href);
} else {
  if (state === 'stale') {
    process.stderr.write(
      'tandem: dist/ is older than the sources; running the sources (slower to start). `npm run build` rebuilds it.\n',
    );
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../host/cli/main.ts');
}
