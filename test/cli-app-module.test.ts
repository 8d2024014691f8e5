/** A firmware engineer's own app runs through the simulator with --app, and the contract says what is wrong. */

import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { AppInputError } from '../firmware/app.ts';
import {
  AppModuleError,
  appVersions,
  asSimulationModule,
  loaderFor,
  loadSimulationModule,
  type SimulationModule,
} from '../host/simulator/app-module.ts';
import { importEsModule } from '../host/simulator/es-module-import.ts';
import { simulation as counter } from './fixtures/counter-app.ts';
import { REPO_ROOT, runCli } from './fixtures/run-cli.ts';

const APP_MODULE_EXIT = 3;
/** A CLI run loads tsx and the simulator before its first seed; a loaded machine is slow at that. */
const CLI_TIMEOUT_MS = 120_000;

/**
 * A whole app module in plain JavaScript (also valid as a .ts or .mjs file),
 * importing nothing: what a user writes in a folder of their own.
 */
const PLAIN_APP = `
const counter = (model, version, stateVersion) => ({
  name: 'plain-counter',
  version,
  stateVersion,
  checkpoint: model,
  init: () => ({ count: 0 }),
  parseRequest: (input) => input,
  handle: (state, request) => ({ update: state.count + request.by, reply: state.count + request.by }),
  apply: (state, count) => ({ count }),
});
export default {
  versions: (model) => [counter(model, '1.0.0', 1), counter(model, '1.1.0', 1)],
  workload: (random) => () => ({ by: 1 + Math.floor(random() * 5) }),
};
`;

/** A folder outside the repository, removed after the test. */
async function outsideFolder(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'tandem-app-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

function simulateIn(folder: string, app: string, ...more: string[]) {
  const args = ['simulate', '--app', app, '--seeds', '1', '--run-ms', '2000', '--json', ...more];
  return runCli(args, CLI_TIMEOUT_MS, folder);
}

test('simulate --app runs the counter fixture through failovers', async (t) => {
  const run = await runCli(
    [
      'simulate',
      '--app',
      'test/fixtures/counter-app.ts',
      '--seeds',
      '2',
      '--run-ms',
      '5000',
      '--json',
    ],
    CLI_TIMEOUT_MS,
  );
  const result = JSON.parse(run.stdout) as Record<string, unknown>;
  t.is(result.app, 'counter');
  t.deepEqual(result.versions, ['1.0.0', '2.0.0']);
  t.is(result.seeds, 2);
  t.true((result.acknowledged as number) > 0, 'clients got answers');
  t.is(run.code, (result.violations as number) > 0 ? 1 : 0);
});

// Regression (issue 9, defect 14): outside a "type": "module" package, tsx took these for
// CommonJS and every one failed with "Cannot require() ES Module ... in a cycle" (exit 3).
for (const [extension, packageJson] of [
  ['.ts', null],
  ['.js', null],
  ['.mjs', null],
  ['.ts', { name: 'my-firmware' }],
  ['.js', { name: 'my-firmware', type: 'commonjs' }],
] as const) {
  const where =
    packageJson === null ? 'no package.json' : `package.json ${JSON.stringify(packageJson)}`;
  test(`a plain ${extension} app module in a folder outside the repo (${where}) runs with --app`, async (t) => {
    const folder = await outsideFolder(t);
    if (packageJson !== null)
      await writeFile(join(folder, 'package.json'), JSON.stringify(packageJson));
    await writeFile(join(folder, `simulation${extension}`), PLAIN_APP);
    const run = await simulateIn(folder, `./simulation${extension}`);
    t.is(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      app: string;
      acknowledged: number;
      violations: number;
    };
    t.is(result.app, 'plain-counter');
    t.true(result.acknowledged > 0, 'clients got answers');
    t.is(result.violations, 0);
  });
}

test('an app module outside the repo may import its own .ts files and tandem by path', async (t) => {
  const folder = await outsideFolder(t);
  await mkdir(join(folder, 'lib'));
  await writeFile(
    join(folder, 'lib', 'parse.ts'),
    'export const parse = (input: unknown) => input;\n',
  );
  const appUrl = pathToFileURL(join(REPO_ROOT, 'firmware/app.ts')).href;
  await writeFile(
    join(folder, 'simulation.ts'),
    `import { AppInputError } from '${appUrl}';\nimport { parse } from './lib/parse.ts';\nexport { AppInputError, parse };\nexport const here = import.meta.url;\nexport const folder = import.meta.dirname;\n${PLAIN_APP}`,
  );
  const module = await loadSimulationModule(join(folder, 'simulation.ts'));
  t.is(module.versions('state')[0].name, 'plain-counter');
  const exports = await importEsModule(join(folder, 'simulation.ts'));
  // Tandem's own modules are shared, not copied: the runtime's instanceof checks still hold.
  t.is(exports.AppInputError, AppInputError);
  t.is(typeof exports.parse, 'function');
  t.is(exports.here, pathToFileURL(join(folder, 'simulation.ts')).href);
  t.is(exports.folder, folder);
});

/** Bad modules: each exits 3 with its message and a hint, never a stack trace. */
const BAD_MODULES = [
  {
    what: 'a syntax error',
    source: 'export default {\n  versions: (model) => [model,\n};\n',
    message: /app module \.\/bad\.ts does not compile:\n.*bad\.ts:3:0: /,
    hint: /hint: fix the error at the place shown/,
  },
  {
    what: 'an import that does not resolve',
    source: "import { x } from './missing.ts';\nexport default x;\n",
    message: /does not compile:\n.*bad\.ts:1:18: Could not resolve "\.\/missing\.ts"/,
    hint: /hint: fix the error/,
  },
  {
    what: 'no default export',
    source: 'export const something = 1;\n',
    message: /has no default export and no export named 'simulation'/,
    hint: /hint: end the module with `export default \{ versions\(model\)/,
  },
  {
    what: 'a default export of the wrong shape',
    source: 'export default 42;\n',
    message: /the export is number 42, not an object with versions\(\) and workload\(\)/,
    hint: /hint: the export must be an object/,
  },
  {
    what: 'a module that throws while it loads',
    source: "throw new Error('no config here');\n",
    message: /failed to load: no config here/,
    hint: /hint: the module threw while it was imported/,
  },
  {
    what: 'versions() that ignores the model',
    source: PLAIN_APP.replace('checkpoint: model', "checkpoint: 'state'"),
    args: ['--mode', 'replay'],
    message: /has checkpoint 'state', but 'replay' was asked for/,
    hint: /hint: versions\(model\) must return \[current, next\]/,
  },
] as const;

for (const bad of BAD_MODULES) {
  test(`--app with ${bad.what} exits 3 with a message and a hint`, async (t) => {
    const folder = await outsideFolder(t);
    await writeFile(join(folder, 'bad.ts'), bad.source);
    const run = await simulateIn(folder, './bad.ts', ...('args' in bad ? bad.args : []));
    t.is(run.code, APP_MODULE_EXIT, run.stderr);
    t.regex(run.stderr, bad.message);
    t.regex(run.stderr, bad.hint);
    t.false(/\n\s+at /.test(run.stderr), 'no stack trace');
    t.is(run.stdout, '');
  });
}

test('the errors carry a code, for scripts and tests', async (t) => {
  const folder = await outsideFolder(t);
  await writeFile(join(folder, 'bad.ts'), 'export default {\n');
  await t.throwsAsync(loadSimulationModule(join(folder, 'bad.ts')), {
    instanceOf: AppModuleError,
    code: 'does-not-compile',
  });
  await t.throwsAsync(loadSimulationModule(folder), {
    instanceOf: AppModuleError,
    message: /not found/,
  });
});

test('the fixtures of the plain-app folder load from a copy outside the repo', async (t) => {
  const folder = await outsideFolder(t);
  await cp(join(REPO_ROOT, 'test/fixtures/plain-app'), folder, { recursive: true });
  const module = await loadSimulationModule(join(folder, 'stamp-app.ts'));
  t.deepEqual(
    module.versions('replay').map((app) => app.version),
    ['1.0.0', '2.0.0'],
  );
});

test('the contract checks name what a module gets wrong', (t) => {
  const ignoresModel: SimulationModule = {
    versions: () => [counter.versions('state')[0], counter.versions('state')[1]],
    workload: counter.workload,
  };
  t.throws(() => appVersions(ignoresModel, 'replay'), {
    instanceOf: AppModuleError,
    message: /checkpoint 'state', but 'replay' was asked for/,
  });
  t.throws(() => asSimulationModule({ versions: () => [] }, 'x.ts'), {
    instanceOf: AppModuleError,
    message: /missing function workload\(\)/,
  });
  const [current, next] = appVersions(counter, 'replay');
  const load = loaderFor([current, next]);
  t.is(load('2.0.0'), next);
  t.throws(() => load('9.9.9'), { message: /no app image for version 9\.9\.9/ });
});

test('loadSimulationModule accepts a named `simulation` export and rejects a missing file', async (t) => {
  const loaded = await loadSimulationModule('test/fixtures/counter-app.ts');
  t.is(loaded.versions('state')[0].name, 'counter');
  await t.throwsAsync(loadSimulationModule('test/fixtures/absent.ts'), {
    instanceOf: AppModuleError,
    message: /not found/,
  });
});
