/**
 * The push ops of the management protocol, in-process: the parser refuses
 * anything malformed, and a board refuses garbage, bad offsets and bad data
 * with an answer that changes nothing in its flash. The host's refusals
 * (wrong board, downgrade, board missing, mid-switch) come before it sends
 * anything.
 */
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import test from 'ava';
import { compareVersions } from '../boards/image/version-order.ts';
import {
  type BoardStatus,
  PUSH_CHUNK_MAX_BYTES,
  PUSH_INFLATED_CHUNK_MAX_BYTES,
  parseManagementRequest,
} from '../boards/management.ts';
import { ImageUpload, UploadRefusal } from '../boards/node/image-upload.ts';
import type { PairStatus } from '../firmware/pair-main.ts';
import { encodeCbor } from '../firmware/wire/cbor.ts';
import { encodeFrame } from '../firmware/wire/frame.ts';
import { type BoardClient, BoardNotAnsweringError } from '../host/pair/board-client.ts';
import { imageSha256, PushRefusedError, pushImage } from '../host/pair/push.ts';
import {
  boardOnFlash,
  flashWithConfirmed,
  openRom,
  type PushImages,
  pushImages,
} from './helpers/push-images.ts';

let images: PushImages;
test.before(async () => {
  images = await pushImages();
});

const sha = 'ab'.repeat(32);

test('the parser takes well-formed push requests', (t) => {
  t.deepEqual(parseManagementRequest({ id: 1, op: 'push-begin', bytes: 10, sha256: sha }), {
    id: 1,
    op: 'push-begin',
    bytes: 10,
    sha256: sha,
  });
  const data = new Uint8Array([1, 2, 3]);
  t.deepEqual(parseManagementRequest({ id: 2, op: 'push-data', offset: 0, data, raw: 9 }), {
    id: 2,
    op: 'push-data',
    offset: 0,
    data,
    raw: 9,
  });
  t.deepEqual(parseManagementRequest({ id: 3, op: 'push-end' }), { id: 3, op: 'push-end' });
});

test('the parser refuses malformed push requests', (t) => {
  const bad: unknown[] = [
    null,
    [1, 2],
    'push-begin',
    { op: 'push-begin', bytes: 10, sha256: sha },
    { id: 1, op: 'flash-begin', bytes: 10 },
    { id: 1, op: 'push-begin', bytes: 0, sha256: sha },
    { id: 1, op: 'push-begin', bytes: -5, sha256: sha },
    { id: 1, op: 'push-begin', bytes: 1.5, sha256: sha },
    { id: 1, op: 'push-begin', bytes: 10 },
    { id: 1, op: 'push-begin', bytes: 10, sha256: sha.toUpperCase() },
    { id: 1, op: 'push-begin', bytes: 10, sha256: sha.slice(1) },
    { id: 1, op: 'push-begin', bytes: 10, sha256: sha, extra: true },
    { id: 1, op: 'push-data', offset: -1, data: new Uint8Array(1) },
    { id: 1, op: 'push-data', offset: 0.5, data: new Uint8Array(1) },
    { id: 1, op: 'push-data', offset: '0', data: new Uint8Array(1) },
    { id: 1, op: 'push-data', offset: 0, data: [1, 2] },
    { id: 1, op: 'push-data', offset: 0, data: new Uint8Array(0) },
    { id: 1, op: 'push-data', offset: 0, data: new Uint8Array(PUSH_CHUNK_MAX_BYTES + 1) },
    { id: 1, op: 'push-data', offset: 0, data: new Uint8Array(1), raw: 0 },
    {
      id: 1,
      op: 'push-data',
      offset: 0,
      data: new Uint8Array(1),
      raw: PUSH_INFLATED_CHUNK_MAX_BYTES + 1,
    },
    { id: 1, op: 'push-end', offset: 0 },
  ];
  for (const value of bad) {
    t.throws(() => parseManagementRequest(value), { instanceOf: TypeError }, JSON.stringify(value));
  }
});

test('a board answers garbage and bad push requests with errors, and its flash does not change', (t) => {
  // The board holds 1.0.0 confirmed in one slot (it does not run it here); 2.0.0 goes to the other.
  const path = join(images.dir, 'protocol-board.bin');
  const running = flashWithConfirmed(images, path, images.v1, PUSH_CHUNK_MAX_BYTES);
  const board = boardOnFlash(images, path);
  const image = images.v2;
  const slot = running === 0 ? 1 : 0;
  t.like(board.ask({ id: 1, op: 'push-begin', bytes: image.length, sha256: imageSha256(image) }), {
    ok: true,
    result: { slot, resumeAt: 0 },
  });
  t.like(board.ask({ id: 2, op: 'push-data', offset: 0, data: image.subarray(0, 1000) }), {
    ok: true,
    result: { written: 1000 },
  });
  const before = board.flashBytes();
  const repliesBefore = board.replies.length;
  board.send(new Uint8Array(300).fill(0x42));
  board.send(encodeFrame(new Uint8Array([0xff, 0x00, 0x13])));
  board.send(encodeFrame(encodeCbor([1, 2, 3])));
  t.true(board.replies.slice(repliesBefore).every((r) => !r.ok));
  const refusals: Array<[Record<string, unknown>, string]> = [
    [{ id: 3, op: 'push-data', offset: 0, data: image.subarray(0, 10) }, 'bad-offset'],
    [{ id: 4, op: 'push-data', offset: 2000, data: image.subarray(2000, 2010) }, 'bad-offset'],
    [{ id: 5, op: 'push-data', offset: 1000, data: image.subarray(0, 10), raw: 10 }, 'bad-data'],
    [
      {
        id: 6,
        op: 'push-data',
        offset: 1000,
        data: deflateRawSync(image.subarray(1000, 1100)),
        raw: 99,
      },
      'bad-data',
    ],
    [
      {
        id: 7,
        op: 'push-data',
        offset: 1000,
        data: deflateRawSync(new Uint8Array(image.length)),
        raw: PUSH_INFLATED_CHUNK_MAX_BYTES,
      },
      'bad-data',
    ],
    [{ id: 8, op: 'push-end' }, 'incomplete'],
    [{ id: 9, op: 'push-data', offset: 1000, data: 'x' }, 'bad-request'],
  ];
  for (const [request, code] of refusals) {
    t.like(board.ask(request), { ok: false, error: code }, JSON.stringify(request.id));
  }
  t.deepEqual(board.flashBytes(), before, 'no refused request changed the flash');
  // The upload carries on from where it was, compressed chunks included.
  let id = 10;
  for (let offset = 1000; offset < image.length; offset += PUSH_CHUNK_MAX_BYTES) {
    const chunk = image.subarray(offset, offset + PUSH_CHUNK_MAX_BYTES);
    const data = deflateRawSync(chunk);
    t.true(data.length <= PUSH_CHUNK_MAX_BYTES);
    t.like(board.ask({ id: id++, op: 'push-data', offset, data, raw: chunk.length }), {
      ok: true,
      result: { written: offset + chunk.length },
    });
  }
  t.like(board.ask({ id: 11, op: 'push-end' }), {
    ok: true,
    result: { slot, version: '2.0.0', running: false },
  });
  board.rom.flash.close();
});

test('an image that fails verification is refused at push-end, and the slot reads empty', (t) => {
  const rom = openRom(images, join(images.dir, 'protocol-corrupt.bin'));
  const bad = images.v1.slice();
  bad[bad.length - 100] = (bad[bad.length - 100] ?? 0) ^ 0xff;
  const upload = new ImageUpload(rom);
  upload.begin(bad.length, imageSha256(bad));
  for (let offset = 0; offset < bad.length; offset += PUSH_CHUNK_MAX_BYTES) {
    upload.data(offset, bad.subarray(offset, offset + PUSH_CHUNK_MAX_BYTES));
  }
  t.like(rom.slots()[1], { status: 'partial', upload: { written: bad.length, total: bad.length } });
  const error = t.throws(() => upload.end());
  t.regex(String((error as { code?: string }).code), /corrupted|bad-signature/);
  t.like(rom.slots()[1], { status: 'empty' });
  t.throws(() => upload.data(0, bad.subarray(0, 10)), { instanceOf: UploadRefusal });
  rom.flash.close();
});

test('versions compare by semver precedence', (t) => {
  const ordered = [
    '0.9.9',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.2.0',
    '1.10.0',
    '2.0.0',
  ];
  for (let i = 0; i + 1 < ordered.length; i++) {
    t.is(
      compareVersions(ordered[i] as string, ordered[i + 1] as string),
      -1,
      `${ordered[i]} < ${ordered[i + 1]}`,
    );
    t.is(compareVersions(ordered[i + 1] as string, ordered[i] as string), 1);
  }
  t.is(compareVersions('1.0.0+build.5', '1.0.0'), 0);
});

// ---- host refusals, before anything is sent

function fakeBoard(status: BoardStatus | null): { client: BoardClient; ops: string[] } {
  const ops: string[] = [];
  const client = {
    label: 'fake',
    port: { baudRate: 115200 },
    request: async (request: { op: string }) => {
      ops.push(request.op);
      if (status === null) throw new BoardNotAnsweringError('fake did not answer');
      if (request.op === 'status') return status;
      throw new Error(`the push went ahead: ${request.op}`);
    },
  } as unknown as BoardClient;
  return { client, ops };
}

function runningStatus(
  version: string,
  role: PairStatus['role'] = 'primary',
  trial = false,
  app = 'ledger',
): BoardStatus {
  return {
    processor: 1,
    bootCount: 1,
    slots: [
      { slot: 0, version, status: 'valid', active: true, trial },
      { slot: 1, version: null, status: 'empty', active: false, trial: false },
    ],
    pair: { role, app, version, testMode: trial } as PairStatus,
    bootNotes: [],
    storeFailedBoots: 0,
    fence: 'wired',
    store: null,
  };
}

const refusalCases: Array<[string, () => Uint8Array, (BoardStatus | null)[], string, object?]> = [
  [
    'an image for another board',
    () => images.v2,
    [runningStatus('1.0.0')],
    'wrong-board',
    { board: 'linux' },
  ],
  [
    'a corrupted image',
    () => images.v2.map((b, i) => (i === images.v2.length - 100 ? b ^ 1 : b)),
    [runningStatus('1.0.0')],
    'bad-image',
  ],
  [
    'an older image',
    () => images.v1,
    [runningStatus('1.0.0'), runningStatus('2.0.0')],
    'downgrade',
  ],
  [
    'an image of another app',
    () => images.v2,
    [runningStatus('1.0.0'), runningStatus('1.0.0', 'backup', false, 'counter')],
    'other-app',
  ],
  ['a board missing', () => images.v2, [runningStatus('1.0.0'), null], 'board-missing'],
  [
    'a pair mid-switch',
    () => images.v2,
    [runningStatus('1.0.0'), runningStatus('1.0.0', 'switching')],
    'mid-switch',
  ],
  [
    'a board on trial',
    () => images.v2,
    [runningStatus('2.0.0', 'backup', true), runningStatus('1.0.0')],
    'mid-switch',
  ],
];

for (const [what, image, statuses, code, extra] of refusalCases) {
  test(`the host refuses ${what} before sending anything`, async (t) => {
    const boards = statuses.map(fakeBoard);
    const error = await t.throwsAsync(
      pushImage(
        boards.map((b, index) => ({ processor: (index + 1) as 1 | 2, client: b.client })),
        image(),
        { publicKeys: [images.publicKey], board: 'sim', ...extra },
      ),
      { instanceOf: PushRefusedError },
    );
    t.is(error?.code as string | undefined, code);
    t.true(
      boards.every((b) => b.ops.every((op) => op === 'status')),
      'only status was asked',
    );
  });
}

test('--allow-downgrade lets an older image through the checks', async (t) => {
  const board = fakeBoard(runningStatus('2.0.0'));
  const error = await t.throwsAsync(
    pushImage([{ processor: 1, client: board.client }], images.v1, {
      publicKeys: [images.publicKey],
      board: 'sim',
      allowDowngrade: true,
    }),
  );
  t.regex(error?.message ?? '', /the push went ahead: push-begin/);
});
