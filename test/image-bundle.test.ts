/**
 * The bundler makes engine-neutral scripts: every registered app bundles
 * without Node built-ins or require() and carries no npm package, and an
 * import of a Node built-in fails the build naming it.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { CheckpointModel } from '../firmware/app.ts';
import { REASON_CODES, reasonText } from '../firmware/reasons.ts';
import { APP_REGISTRY, resolveApp } from '../host/image/app-registry.ts';
import { bundleApp, bundleEntry } from '../host/image/bundle.ts';
import { BuildError } from '../host/image/errors.ts';
import { imageEntrySource } from '../host/image/image-entry.ts';
import { REPO_ROOT } from '../host/image/repo-root.ts';

const work = mkdtempSync(join(tmpdir(), 'tandem-image-bundle-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const MODELS: readonly CheckpointModel[] = ['state', 'replay'];

async function registeredSpecs(): Promise<string[]> {
  const specs: string[] = [];
  for (const [name, registered] of Object.entries(APP_REGISTRY)) {
    const exports = await import(join(REPO_ROOT, registered.module));
    for (const version of Object.keys(exports[registered.versions]))
      specs.push(`${name}@${version}`);
  }
  return specs;
}

test('every registered app bundles with no Node import and no require()', async (t) => {
  const specs = await registeredSpecs();
  t.true(specs.length >= 2);
  for (const spec of specs) {
    for (const model of MODELS) {
      const bundle = await bundleApp(await resolveApp(spec), model);
      t.false(/(?<![\w$.])require\b/.test(bundle.script), `${spec} ${model} refers to require`);
      t.false(/\bnode:/.test(bundle.script), `${spec} ${model} names a node: module`);
      // The firmware has its own CBOR codec: cbor-x (30 KB) stays on the host.
      t.deepEqual(
        bundle.inputs.filter((input) => input.includes('node_modules/')),
        [],
        `${spec} ${model}`,
      );
    }
  }
});

test('an image carries the reasons as codes, not their sentences', async (t) => {
  // The sentences of the reasons that take no facts, as the host says them (a
  // reason whose sentence needs facts reads as its code, or with "undefined").
  const sentences = REASON_CODES.map((code) => reasonText({ code })).filter(
    (sentence, index) => sentence !== REASON_CODES[index] && !sentence.includes('undefined'),
  );
  t.true(sentences.length > 20);
  for (const spec of await registeredSpecs()) {
    for (const model of MODELS) {
      const bundle = await bundleApp(await resolveApp(spec), model);
      t.false(bundle.inputs.includes('firmware/reasons.ts'), `${spec} ${model}`);
      t.deepEqual(
        sentences.filter((sentence) => bundle.script.includes(sentence)),
        [],
        `${spec} ${model}`,
      );
    }
  }
  const v2 = await bundleApp(await resolveApp('ledger@2.0.0'), 'state');
  t.true(v2.script.includes('"dsr-dropped"'), 'the codes are there');
});

test('an image carries only its own app version', async (t) => {
  const v1 = await bundleApp(await resolveApp('ledger@1.0.0'), 'state');
  const v2 = await bundleApp(await resolveApp('ledger@2.0.0'), 'state');
  t.true(v1.inputs.includes('firmware/apps/ledger/v1.ts'));
  t.false(v1.inputs.includes('firmware/apps/ledger/v2.ts'));
  t.false(v1.inputs.includes('firmware/apps/ledger/workload.ts'));
  t.true(v2.inputs.includes('firmware/apps/ledger/v2.ts'));
  t.false(v2.inputs.includes('firmware/apps/ledger/v1.ts'));
});

test('bundling is deterministic', async (t) => {
  const source = await resolveApp('ledger@1.0.0');
  const [a, b] = await Promise.all([bundleApp(source, 'state'), bundleApp(source, 'state')]);
  t.is(a.script, b.script);
});

test('an app module that imports node:fs fails the build naming the import and the file', async (t) => {
  const path = join(work, 'reads-files.mjs');
  writeFileSync(
    path,
    `import { readFileSync } from 'node:fs';
export default (model) => ({ name: 'x', version: '1.0.0', stateVersion: 1, checkpoint: model,
  init: () => readFileSync('/etc/hostname', 'utf8'), parseRequest: (i) => i,
  handle: (s) => ({ update: s, reply: s }), apply: (s) => s });
`,
  );
  const error = await t.throwsAsync(bundleApp(await resolveApp(path), 'state'), {
    instanceOf: BuildError,
  });
  t.is(error?.code, 'node-import');
  t.regex(error?.message ?? '', /Node built-ins: "node:fs" \(imported by .*reads-files\.mjs\)/);
  t.regex(error?.message ?? '', /boards without Node/);
});

test('bare built-in names and subpaths are Node imports too', async (t) => {
  for (const specifier of ['fs', 'fs/promises', 'path', 'node:crypto', 'buffer']) {
    const error = await t.throwsAsync(
      bundleEntry(`import * as m from '${specifier}'; globalThis.m = m;`),
      {
        instanceOf: BuildError,
      },
    );
    t.is(error?.code, 'node-import', specifier);
    t.true(error?.message.includes(`"${specifier}" (imported by <entry>)`), error?.message);
  }
});

test('a script that would need require() is refused', async (t) => {
  const error = await t.throwsAsync(bundleEntry('globalThis.x = require(globalThis.name);'), {
    instanceOf: BuildError,
  });
  t.is(error?.code, 'node-require');
});

test('a syntax error is a bundle-failed error with its location', async (t) => {
  const path = join(work, 'broken.mjs');
  writeFileSync(path, 'export default (model) => ({ name: ');
  const error = await t.throwsAsync(bundleEntry(`import f from ${JSON.stringify(path)}; f();`), {
    instanceOf: BuildError,
  });
  t.is(error?.code, 'bundle-failed');
  t.regex(error?.message ?? '', /broken\.mjs:1:/);
});

test('the entry builds the app for its model and takes the pair loop from pair-main.ts', (t) => {
  const source = {
    modulePath: join(REPO_ROOT, 'firmware/apps/ledger/index.ts'),
    importName: 'ledgerV1',
  };
  const entry = imageEntrySource({ source, model: 'replay', root: REPO_ROOT });
  t.regex(entry, /import \{ runPair \} from "\.\/firmware\/pair-main\.ts";/);
  t.regex(entry, /globalThis\.tandemImage = \{ app: factory\("replay"\), runPair \};/);
  // The global is the only output: no exports, so esbuild adds no export helpers.
  t.false(/^export /m.test(entry));
  // Paths are relative to the root, so the bundle does not depend on where the checkout is.
  t.false(entry.includes(REPO_ROOT));
});
