/**
 * The build in dist/ (scripts/build-dist.ts, run on `npm install`) runs
 * the CLI and its worker threads as the sources do, and bin/tandem.js uses
 * it only while it is fresh. The build goes to a folder of its own under
 * .tandem/ (packages resolve from the repository's node_modules).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { buildState } from '../bin/build-state.js';
import { REPO_ROOT } from '../host/image/repo-root.ts';
import { buildDist, STAMP_FILE } from '../scripts/build-dist.ts';

const run = promisify(execFile);
const root = REPO_ROOT.replace(/\/$/, '');
mkdirSync(join(root, '.tandem'), { recursive: true });
const outDir = mkdtempSync(join(root, '.tandem', 'dist-test-'));
test.after.always(() => rmSync(outDir, { recursive: true, force: true }));
const built = buildDist(outDir);

const withoutTimes = (stdout: string) => {
  const { wallMs: _w, seedsPerMinute: _s, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
  return rest;
};

test('the built CLI answers --version, and its worker threads give the sources’ results', async (t) => {
  await built;
  const cli = join(outDir, 'cli.mjs');
  const version = await run(process.execPath, [cli, '--version']);
  t.is(version.stdout.trim(), JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);

  const range = ['simulate', '--seeds', '4', '--start-seed', '58', '--run-ms', '4000', '--json'];
  const options = { cwd: root, timeout: 300_000, maxBuffer: 1 << 26 };
  const fromBuild = await run(process.execPath, [cli, ...range, '--workers', '2'], options).catch(
    (error: { stdout: string }) => error,
  );
  const fromSources = await run(
    process.execPath,
    ['--import', 'tsx', join(root, 'host/cli/main.ts'), ...range, '--workers', '1'],
    options,
  ).catch((error: { stdout: string }) => error);
  t.deepEqual(withoutTimes(fromBuild.stdout), withoutTimes(fromSources.stdout));
});

test('the build is fresh until a source it read changes, and only for its own folder', async (t) => {
  const stamp = await built;
  t.is(buildState(outDir, root), 'fresh');
  t.true(
    stamp.inputs.includes('host/cli/main.ts') && stamp.inputs.includes('firmware/runtime/core.ts'),
  );
  const stampFile = join(outDir, STAMP_FILE);
  const write = (fields: object) =>
    writeFileSync(stampFile, JSON.stringify({ ...stamp, ...fields }));
  // A build that began before the sources were last written is older than they are.
  write({ builtAtMs: 0 });
  t.is(buildState(outDir, root), 'stale');
  write({ root: '/elsewhere' });
  t.is(buildState(outDir, root), 'stale');
  write({ inputs: [...stamp.inputs, 'host/gone.ts'] });
  t.is(buildState(outDir, root), 'stale');
  write({});
  t.is(buildState(outDir, root), 'fresh');
  rmSync(stampFile);
  t.is(buildState(outDir, root), 'absent');
});
