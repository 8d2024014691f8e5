/**
 * Building the ledger images: they verify, describe themselves in their
 * manifest, run in a bare JavaScript context, stay small, and come out
 * byte-identical from the same inputs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import test from 'ava';
import { loadPublicKey } from '../boards/image/public-key.ts';
import { verifyImage } from '../boards/image/verify.ts';
import type { TandemImage } from '../firmware/image-entry/tandem-image.ts';
import { buildImage, buildImageFile, defaultImagePath } from '../host/image/build.ts';
import { BuildError, type BuildErrorCode } from '../host/image/errors.ts';
import { generateKeys } from '../host/image/keys.ts';
import { IMAGE_BYTES_MAX } from '../host/image/size-report.ts';

const work = mkdtempSync(join(tmpdir(), 'tandem-image-build-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));
const keyDir = join(work, 'keys');
const keyFiles = generateKeys(keyDir);
const publicKeys = [loadPublicKey(keyFiles.publicKeyPath)];

for (const [version, stateVersions] of [
  ['1.0.0', [1]],
  ['2.0.0', [1, 2]],
] as const) {
  test(`ledger ${version} builds into an image that verifies`, async (t) => {
    const { image, manifest, sha256 } = await buildImage({ app: `ledger@${version}`, keyDir });
    const kib = (image.length / 1024).toFixed(1);
    t.log(
      `ledger ${version}: ${image.length} bytes (${kib} KiB), payload ${manifest.payloadBytes} bytes`,
    );
    t.regex(sha256, /^[0-9a-f]{64}$/);
    t.deepEqual(manifest, {
      app: 'ledger',
      version,
      stateVersion: stateVersions[stateVersions.length - 1],
      readsStateVersions: [...stateVersions],
      writesStateVersions: [...stateVersions],
      checkpoint: 'state',
      boards: ['linux', 'sim'],
      payloadBytes: manifest.payloadBytes,
      payloadSha256: manifest.payloadSha256,
      keyId: keyFiles.keyId,
    });
    for (const board of ['sim', 'linux']) {
      t.deepEqual(verifyImage(image, { publicKeys, board }).manifest, manifest);
    }
  });

  test(`ledger ${version}'s verified script sets tandemImage in a context with nothing but the language`, async (t) => {
    const { image } = await buildImage({ app: `ledger@${version}`, keyDir, model: 'replay' });
    const { payload } = verifyImage(image, { publicKeys, board: 'sim' });
    const context = createContext({});
    runInContext(payload, context);
    const exposed = (context as { tandemImage?: TandemImage }).tandemImage;
    t.is(exposed?.app.name, 'ledger');
    t.is(exposed?.app.version, version);
    t.is(exposed?.app.checkpoint, 'replay');
    t.is(typeof exposed?.runPair, 'function');
  });
}

// A microcontroller-class board's slot takes 64 KiB; the ledger is the app every board runs.
for (const model of ['state', 'replay'] as const) {
  test(`the ledger images' size report (${model} model) adds up, and carries no npm package`, async (t) => {
    for (const version of ['1.0.0', '2.0.0']) {
      const { image, sizeByPart } = await buildImage({ app: `ledger@${version}`, keyDir, model });
      t.log(`ledger ${version}: ${image.length} of ${IMAGE_BYTES_MAX} bytes`);
      for (const { part, bytes } of sizeByPart) t.log(`  ${String(bytes).padStart(6)}  ${part}`);
      t.is(
        sizeByPart.reduce((sum, { bytes }) => sum + bytes, 0),
        image.length,
      );
      t.true(sizeByPart.every(({ bytes }) => bytes >= 0));
      t.false(
        sizeByPart.some(({ part }) => part.startsWith('npm package')),
        'the image carries no npm package',
      );
    }
  });

  // KNOWN SHORTFALL (issue 12), marked `test.failing`: the switch's pre-copy,
  // the durable store, the encoder's limit checks, the store's room, the
  // streaming CBOR reader and what the switch measures for XS boards took the
  // ledger over the slot. Private fields, shortened internal property names
  // (host/image/internal-names.ts), reasons as typed facts instead of
  // sentences (firmware/reasons.ts) and one CBOR reader (cbor-stream.ts) for
  // whole messages and pieces brought it to 67,862 / 69,912 bytes (1.0.0 /
  // 2.0.0); what is left is code and the names the contracts keep (README,
  // "Images"). Encoding the big checkpoint and compacting the store a slice
  // a call took them to 78,205 / 80,257. When it fits this fails as
  // `failing`: make it a plain `test`.
  test.failing(`the ledger images (${model} model) fit the ${IMAGE_BYTES_MAX}-byte slot`, async (t) => {
    for (const version of ['1.0.0', '2.0.0']) {
      const { image } = await buildImage({ app: `ledger@${version}`, keyDir, model });
      t.true(image.length <= IMAGE_BYTES_MAX, `ledger ${version} is ${image.length} bytes`);
    }
  });
}

test('two builds of the same input are byte-identical', async (t) => {
  const first = await buildImage({ app: 'ledger@2.0.0', keyDir });
  const second = await buildImage({
    app: 'ledger',
    version: '2.0.0',
    keyDir,
    boards: ['sim', 'linux', 'sim'],
  });
  t.deepEqual(second.image, first.image);
  t.is(second.sha256, first.sha256);
});

test('the model and the board list are part of the image', async (t) => {
  const state = await buildImage({ app: 'ledger@1.0.0', keyDir });
  const replay = await buildImage({ app: 'ledger@1.0.0', keyDir, model: 'replay' });
  const simOnly = await buildImage({ app: 'ledger@1.0.0', keyDir, boards: ['sim'] });
  t.not(replay.sha256, state.sha256);
  t.not(simOnly.sha256, state.sha256);
  t.is(replay.manifest.checkpoint, 'replay');
  t.deepEqual(simOnly.manifest.boards, ['sim']);
});

test('ledger without a version builds the newest', async (t) => {
  const { manifest } = await buildImage({ app: 'ledger', keyDir });
  t.is(manifest.version, '2.0.0');
});

test('buildImageFile writes the image and reports its size and hash', async (t) => {
  const out = join(work, 'images', 'ledger.img');
  const written = await buildImageFile({ app: 'ledger@1.0.0', keyDir, out });
  const bytes = readFileSync(out);
  t.is(written.path, out);
  t.is(written.bytes, bytes.length);
  t.notThrows(() => verifyImage(bytes, { publicKeys, board: 'sim' }));
  t.is(defaultImagePath(written.manifest), join('.tandem', 'images', 'ledger-1.0.0.img'));
  t.is(
    defaultImagePath({ ...written.manifest, checkpoint: 'replay' }),
    join('.tandem', 'images', 'ledger-1.0.0-replay.img'),
  );
});

test('a user module whose default export is an app factory builds', async (t) => {
  const path = join(work, 'tiny-app.mjs');
  writeTinyApp(path);
  const { image, manifest } = await buildImage({ app: path, keyDir, model: 'replay' });
  t.like(manifest, { app: 'tiny', version: '0.1.0', stateVersion: 3, readsStateVersions: [3] });
  t.notThrows(() => verifyImage(image, { publicKeys, board: 'linux' }));
});

test('bad requests are refused with a BuildError naming the fix', async (t) => {
  const cases: readonly [Parameters<typeof buildImage>[0], BuildErrorCode, RegExp][] = [
    [{ app: 'nope', keyDir }, 'unknown-app', /give one of ledger/],
    [{ app: 'ledger@9.9.9', keyDir }, 'unknown-version', /known versions: 1\.0\.0, 2\.0\.0/],
    [
      { app: 'ledger@1.0.0', version: '2.0.0', keyDir },
      'version-conflict',
      /give the version once/,
    ],
    [{ app: 'ledger', boards: ['Sim'], keyDir }, 'bad-board', /board targets/],
    [{ app: 'ledger', boards: [], keyDir }, 'bad-board', /board targets/],
    [{ app: join(work, 'missing.ts'), keyDir }, 'app-module', /not found/],
  ];
  for (const [options, code, message] of cases) {
    const error = await t.throwsAsync(buildImage(options), { instanceOf: BuildError, message });
    t.is(error?.code, code);
  }
});

test('building without a key says how to make one', async (t) => {
  await t.throwsAsync(buildImage({ app: 'ledger', keyDir: join(work, 'no-keys') }), {
    message: /tandem keys generate/,
  });
});

/** A plain JS module, so that both the host (to read the app) and esbuild can load it. */
function writeTinyApp(path: string): void {
  writeFileSync(
    path,
    `export default (model) => ({
  name: 'tiny', version: '0.1.0', stateVersion: 3, checkpoint: model,
  init: () => ({ n: 0 }),
  parseRequest: (input) => input,
  handle: (state) => ({ update: state.n + 1, reply: state.n + 1 }),
  apply: (state, n) => { state.n = n; return state; },
});
`,
  );
}
