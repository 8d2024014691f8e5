/**
 * Pushes on a running lab (real board processes, paced lines): a push
 * stopped by the host, and a push cut by a power pull, both resume on the
 * next push at a chunk boundary above 0, and the image then verifies on the
 * board. A board without power makes the pair push a refusal that changes
 * nothing. Bad images sent straight to a board (no host-side checks) are
 * refused with their code and leave the image in the other slot, which a
 * switch then still runs.
 */
import { join } from 'node:path';
import test from 'ava';
import { loadPublicKey } from '../boards/image/public-key.ts';
import { PUSH_CHUNK_MAX_BYTES } from '../boards/management.ts';
import { buildImage } from '../host/image/build.ts';
import { BoardNotAnsweringError, BoardRefusedError } from '../host/pair/board-client.ts';
import { PushAbortedError, PushRefusedError, pushImage, pushToBoard } from '../host/pair/push.ts';
import { runSwitch } from '../host/pair/switch.ts';
import { badImages } from './helpers/bad-images.ts';
import { type LabPair, startLab } from './helpers/lab-pair.ts';

/** Far enough into the image that a resume is visibly not a restart. */
const STOP_AFTER_BYTES = 3 * PUSH_CHUNK_MAX_BYTES;

async function v2(lab: LabPair): Promise<Uint8Array> {
  return (
    await buildImage({ app: 'ledger', version: '2.0.0', boards: ['sim'], keyDir: lab.keyDir })
  ).image;
}

function pairOptions(lab: LabPair) {
  return {
    publicKeys: [loadPublicKey(join(lab.keyDir, 'image-signing.pub'))],
    board: lab.config.board,
    compress: false,
  };
}

test.serial('a push stopped by the host resumes on both boards at a chunk boundary', async (t) => {
  const lab = await startLab({ flash: true });
  try {
    const image = await v2(lab);
    const targets = lab.hosts.map((client, index) => ({ processor: (index + 1) as 1 | 2, client }));
    const stop = new AbortController();
    await t.throwsAsync(
      pushImage(targets, image, {
        ...pairOptions(lab),
        signal: stop.signal,
        onProgress: (_, p) => {
          if (p.written >= STOP_AFTER_BYTES) stop.abort();
        },
      }),
      { instanceOf: PushAbortedError },
    );
    const [partial] = await lab.statuses();
    t.like(
      partial?.slots.find((slot) => !slot.active),
      { status: 'partial' },
    );
    const result = await pushImage(targets, image, pairOptions(lab));
    for (const board of result.boards) {
      t.true(
        board.resumedAt >= STOP_AFTER_BYTES,
        `P${board.processor} resumed at ${board.resumedAt}`,
      );
      t.is(board.resumedAt % PUSH_CHUNK_MAX_BYTES, 0);
      t.is(board.version, '2.0.0');
    }
    for (const status of await lab.statuses()) {
      t.like(
        status?.slots.find((slot) => !slot.active),
        { status: 'valid', version: '2.0.0' },
      );
    }
  } finally {
    await lab.close();
  }
});

test.serial(
  'a push cut by a power pull resumes after power-on, and a pair push waits for the missing board',
  async (t) => {
    const lab = await startLab({ flash: true });
    try {
      const image = await v2(lab);
      const host = lab.hosts[1];
      let pulled: Promise<unknown> | null = null;
      await t.throwsAsync(
        pushToBoard(host, image, {
          compress: false,
          onProgress: (p) => {
            if (p.written >= STOP_AFTER_BYTES && pulled === null) pulled = lab.lab.power(2, false);
          },
        }),
        { instanceOf: BoardNotAnsweringError },
      );
      await pulled;
      // With processor 2 off, a pair push is refused and processor 1's slots stay as they were.
      const [before] = await lab.statuses();
      const targets = lab.hosts.map((client, index) => ({
        processor: (index + 1) as 1 | 2,
        client,
      }));
      const refusal = await t.throwsAsync(pushImage(targets, image, pairOptions(lab)), {
        instanceOf: PushRefusedError,
      });
      t.is(refusal?.code, 'board-missing');
      const [after] = await lab.statuses();
      t.deepEqual(after?.slots, before?.slots);

      await lab.lab.power(2, true);
      await lab.waitFor((s) => s[1] !== null && s[1] !== undefined);
      const resumed = await pushToBoard(host, image, { compress: false });
      t.true(resumed.resumedAt > 0, `resumed at ${resumed.resumedAt}`);
      t.is(resumed.resumedAt % PUSH_CHUNK_MAX_BYTES, 0);
      t.is(resumed.version, '2.0.0');
      const [, status] = await lab.statuses();
      t.like(
        status?.slots.find((slot) => !slot.active),
        { status: 'valid', version: '2.0.0' },
      );
    } finally {
      await lab.close();
    }
  },
);

test.serial(
  'bad images sent straight to the boards are refused, and the image in the other slot still switches in',
  async (t) => {
    const lab = await startLab({ flash: true });
    try {
      const image = await v2(lab);
      const targets = lab.hosts.map((client, index) => ({
        processor: (index + 1) as 1 | 2,
        client,
      }));
      await pushImage(targets, image, pairOptions(lab));
      const before = await lab.statuses();
      for (const bad of badImages(image, lab.keyDir)) {
        for (const host of lab.hosts) {
          const error = await t.throwsAsync(pushToBoard(host, bad.image, { compress: false }), {
            instanceOf: BoardRefusedError,
          });
          t.is(error?.code, bad.code, `${host.label}: ${bad.what}`);
        }
      }
      const after = await lab.statuses();
      t.deepEqual(
        after.map((status) => status?.slots),
        before.map((status) => status?.slots),
        'both boards hold 1.0.0 and 2.0.0 as before',
      );
      const report = await runSwitch(lab.hosts, { direction: 'newer' });
      t.true(report.ok, JSON.stringify(report));
      t.deepEqual(
        report.boards.map((board) => board.version),
        ['2.0.0', '2.0.0'],
      );
    } finally {
      await lab.close();
    }
  },
);
