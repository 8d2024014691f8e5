/**
 * A push over a line that loses chunks, in-process: the board (a real
 * upload on a flash file) refuses the chunks after a lost one, and the host
 * asks `push-begin` where the board stands and goes on. A resync that finds
 * the board further on does not count against the limit, so a push that
 * keeps making progress finishes however many frames it loses; a board that
 * takes nothing more is given up after PUSH_RESYNCS_WITHOUT_PROGRESS_MAX
 * resyncs in a row. A push-begin lost on the line is one of those. Each of
 * those halves the chunks: a board that stalls mid-way through long frames
 * (and drops them) takes short ones.
 */
import { join } from 'node:path';
import test from 'ava';
import { PUSH_CHUNK_MAX_BYTES } from '../boards/management.ts';
import {
  type BoardClient,
  BoardNotAnsweringError,
  BoardRefusedError,
} from '../host/pair/board-client.ts';
import {
  PUSH_CHUNK_HALVINGS_MAX,
  PUSH_RESYNCS_WITHOUT_PROGRESS_MAX,
  pushToBoard,
} from '../host/pair/push.ts';
import {
  boardOnFlash,
  type FlashBoard,
  flashWithConfirmed,
  type PushImages,
  pushImages,
} from './helpers/push-images.ts';

let images: PushImages;
test.before(async () => {
  images = await pushImages();
});

interface Sent {
  readonly op: string;
  /** A push-data's offset, and the bytes it carries. */
  readonly offset?: number;
  readonly bytes?: number;
  /** A push-begin's number, from 1. */
  readonly begin?: number;
}

/**
 * A host client of `board` over a line that loses the requests `lose` picks
 * (the board never sees them, and the host hears nothing).
 */
function lossyClient(
  board: FlashBoard,
  lose: (sent: Sent) => boolean,
): { client: BoardClient; begins: () => number } {
  let id = 0;
  let begins = 0;
  const client = {
    label: 'lossy',
    port: { baudRate: 115200 },
    request: async (request: { op: string; offset?: number; data?: Uint8Array }) => {
      if (request.op === 'push-begin') begins += 1;
      const sent: Sent =
        request.op === 'push-begin'
          ? { op: request.op, begin: begins }
          : { op: request.op, offset: request.offset, bytes: request.data?.length };
      if (lose(sent)) throw new BoardNotAnsweringError(`lost ${JSON.stringify(sent)}`);
      const reply = board.ask({ id: ++id, ...request });
      if (!reply.ok) throw new BoardRefusedError(reply.error, reply.message);
      return reply.result;
    },
  } as unknown as BoardClient;
  return { client, begins: () => begins };
}

function boardRunning1(name: string): FlashBoard {
  const path = join(images.dir, `${name}.bin`);
  flashWithConfirmed(images, path, images.v1, PUSH_CHUNK_MAX_BYTES);
  return boardOnFlash(images, path);
}

test('a push that loses more chunks than the resync limit finishes, since every resync finds the board further on', async (t) => {
  const board = boardRunning1('resync-progress');
  // Each chunk at a multiple of 3 chunks is lost once: more losses than the limit.
  const lost = new Set<number>();
  const everyThird = 3 * PUSH_CHUNK_MAX_BYTES;
  const { client, begins } = lossyClient(board, ({ offset }) => {
    if (!offset || offset % everyThird !== 0 || lost.has(offset)) return false;
    lost.add(offset);
    return true;
  });
  const result = await pushToBoard(client, images.v2, { compress: false });
  t.true(
    lost.size > PUSH_RESYNCS_WITHOUT_PROGRESS_MAX,
    `${lost.size} chunks lost, limit ${PUSH_RESYNCS_WITHOUT_PROGRESS_MAX}`,
  );
  t.is(begins(), lost.size + 1, 'one push-begin, then one per lost chunk');
  t.like(result, { version: '2.0.0', bytes: images.v2.length });
  board.rom.flash.close();
});

test('a push to a board that takes nothing more gives up after the resyncs that found it no further on', async (t) => {
  const board = boardRunning1('resync-stalled');
  const stopsAt = 2 * PUSH_CHUNK_MAX_BYTES;
  const { client, begins } = lossyClient(board, ({ offset }) => (offset ?? 0) >= stopsAt);
  await t.throwsAsync(pushToBoard(client, images.v2, { compress: false }), {
    instanceOf: BoardNotAnsweringError,
  });
  // The first push-begin, the resync that found the first chunks taken, then those that found nothing more.
  t.is(begins(), 2 + PUSH_RESYNCS_WITHOUT_PROGRESS_MAX);
  t.like(
    board.rom.slots().find((slot) => slot.status === 'partial'),
    { upload: { written: stopsAt } },
  );
  board.rom.flash.close();
});

test('a push-begin lost on the line is asked again, as a resync that found the board no further on', async (t) => {
  const board = boardRunning1('resync-begin-lost');
  // The first push-begin, one chunk once, and the push-begin after it.
  let chunkLost = false;
  const { client, begins } = lossyClient(board, ({ begin, offset }) => {
    if (begin === 1 || begin === 3) return true;
    if (offset !== 4 * PUSH_CHUNK_MAX_BYTES || chunkLost) return false;
    chunkLost = true;
    return true;
  });
  const result = await pushToBoard(client, images.v2, { compress: false });
  t.is(begins(), 4);
  t.like(result, { version: '2.0.0', resumedAt: 0 });
  board.rom.flash.close();
});

test('a push to a board that answers nothing gives up after the resyncs allowed', async (t) => {
  const board = boardRunning1('resync-silent');
  const { client, begins } = lossyClient(board, () => true);
  await t.throwsAsync(pushToBoard(client, images.v2, { compress: false }), {
    instanceOf: BoardNotAnsweringError,
  });
  t.is(begins(), 1 + PUSH_RESYNCS_WITHOUT_PROGRESS_MAX);
  board.rom.flash.close();
});

test('a board that drops every frame over 1.1 KB takes the image in chunks halved until they cross', async (t) => {
  t.true(PUSH_CHUNK_HALVINGS_MAX >= 2, 'the case needs two halvings');
  const board = boardRunning1('resync-halving');
  const sizes = new Set<number>();
  const { client, begins } = lossyClient(board, ({ bytes }) => {
    if (bytes !== undefined) sizes.add(bytes);
    return (bytes ?? 0) > 1100;
  });
  const result = await pushToBoard(client, images.v2, { compress: false });
  t.like(result, { version: '2.0.0', resumedAt: 0 });
  // 4,032 and 2,016 bytes were lost; 1,008 crossed.
  t.deepEqual(
    [...sizes].filter((size) => size > 1100),
    [PUSH_CHUNK_MAX_BYTES, PUSH_CHUNK_MAX_BYTES / 2],
  );
  t.is(begins(), 3);
});
