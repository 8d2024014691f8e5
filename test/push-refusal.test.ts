/**
 * Bad images sent straight to a board's management port (no host-side
 * pre-check): the board refuses each with its code from the image's head
 * and the length push-begin announced, before it erases anything. The other
 * slot keeps its image byte for byte and still verifies, so a fallback to it
 * still works. The board's own policy refuses another app, and an older
 * version unless push-begin allows it.
 */
import { join } from 'node:path';
import test from 'ava';
import { PUSH_CHUNK_MAX_BYTES, type PushBeginResult } from '../boards/management.ts';
import { imageSha256 } from '../host/pair/push.ts';
import { badImages, resigned } from './helpers/bad-images.ts';
import type { FlashBoard } from './helpers/push-images.ts';
import {
  boardOnFlash,
  flashWithConfirmed,
  openRom,
  type PushImages,
  pushImages,
  uploadWhole,
} from './helpers/push-images.ts';

let images: PushImages;
test.before(async () => {
  images = await pushImages();
});

/** Chunk sizes: whole frames, and small enough that the head spans several chunks. */
const CHUNK_SIZES = [PUSH_CHUNK_MAX_BYTES, 64] as const;

let boards = 0;

/**
 * A board that runs 2.0.0 (confirmed, active) with 1.0.0 in its other slot:
 * the image a fallback goes back to.
 */
function boardWithFallback(): { board: FlashBoard; fallbackSlot: 0 | 1 } {
  boards += 1;
  const path = join(images.dir, `refusal-${boards}.bin`);
  const fallbackSlot = flashWithConfirmed(images, path, images.v1, PUSH_CHUNK_MAX_BYTES);
  const rom = openRom(images, path);
  const runningSlot = uploadWhole(rom, images.v2, PUSH_CHUNK_MAX_BYTES);
  rom.activate(runningSlot);
  rom.flash.close();
  return { board: boardOnFlash(images, path), fallbackSlot };
}

/**
 * Pushes `image` through the management protocol as a host would, without
 * any of the host's checks; the first error code, or null when it was taken.
 */
function pushRaw(
  board: FlashBoard,
  image: Uint8Array,
  chunkBytes: number,
  extra: Record<string, unknown> = {},
): string | null {
  let id = 1;
  const begin = board.ask({
    id: id++,
    op: 'push-begin',
    bytes: image.length,
    sha256: imageSha256(image),
    ...extra,
  });
  if (!begin.ok) return begin.error;
  const { resumeAt } = begin.result as PushBeginResult;
  for (let offset = resumeAt; offset < image.length; offset += chunkBytes) {
    const data = image.subarray(offset, offset + chunkBytes);
    const reply = board.ask({ id: id++, op: 'push-data', offset, data });
    if (!reply.ok) return reply.error;
  }
  const end = board.ask({ id: id++, op: 'push-end' });
  return end.ok ? null : end.error;
}

/** The fallback slot holds 1.0.0 still: it verifies, and a trial boot of it runs it. */
function assertFallbackWorks(
  t: import('ava').ExecutionContext,
  board: FlashBoard,
  fallbackSlot: 0 | 1,
): void {
  const bytes = board.rom.slotImage(fallbackSlot);
  t.true(
    bytes !== null && Buffer.from(bytes).equals(images.v1),
    'the other slot holds 1.0.0 byte for byte',
  );
  t.is(board.rom.verify(bytes as Uint8Array).manifest.version, '1.0.0');
  board.rom.prepareReboot('other-test');
  const boot = board.rom.boot();
  t.is(boot.image?.manifest.version, '1.0.0', 'a fallback boots 1.0.0');
  t.is(boot.state.active, fallbackSlot);
}

for (const chunkBytes of CHUNK_SIZES) {
  test(`each bad image is refused with its code and the flash is untouched (chunks of ${chunkBytes} bytes)`, (t) => {
    for (const bad of badImages(images.v2, images.keyDir)) {
      const { board, fallbackSlot } = boardWithFallback();
      const before = Buffer.from(board.flashBytes());
      t.is(pushRaw(board, bad.image, chunkBytes), bad.code, bad.what);
      t.true(Buffer.from(board.flashBytes()).equals(before), `${bad.what}: no flash byte changed`);
      t.like(board.rom.slots()[fallbackSlot], { status: 'valid', version: '1.0.0' });
      assertFallbackWorks(t, board, fallbackSlot);
      board.rom.flash.close();
    }
  });
}

test('a refused image leaves a cut-short upload of another image to resume', (t) => {
  const { board, fallbackSlot } = boardWithFallback();
  const older = resigned(images.v2, images.keyDir, { version: '1.5.0' });
  const sha256 = imageSha256(older);
  const begin = { op: 'push-begin', bytes: older.length, sha256, allowDowngrade: true };
  t.like(board.ask({ id: 1, ...begin }), { ok: true, result: { resumeAt: 0 } });
  const half = 2 * PUSH_CHUNK_MAX_BYTES;
  for (let offset = 0; offset < half; offset += PUSH_CHUNK_MAX_BYTES) {
    const data = older.subarray(offset, offset + PUSH_CHUNK_MAX_BYTES);
    t.like(board.ask({ id: 2, op: 'push-data', offset, data }), { ok: true });
  }
  // (The allowed downgrade took the fallback's slot.) The same image again without the flag:
  // the board checks the head in flash and refuses.
  t.like(board.ask({ id: 3, ...begin, allowDowngrade: false }), {
    ok: false,
    error: 'downgrade',
  });
  const [bad] = badImages(images.v2, images.keyDir);
  if (bad === undefined) throw new Error('no bad image to push');
  t.is(pushRaw(board, bad.image, PUSH_CHUNK_MAX_BYTES), bad.code);
  t.like(board.rom.slots()[fallbackSlot], {
    status: 'partial',
    upload: { written: half },
  });
  t.like(board.ask({ id: 4, ...begin }), { ok: true, result: { resumeAt: half } });
  board.rom.flash.close();
});

test('an older image goes in when push-begin allows a downgrade', (t) => {
  const { board, fallbackSlot } = boardWithFallback();
  const older = resigned(images.v2, images.keyDir, { version: '1.5.0' });
  t.is(pushRaw(board, older, PUSH_CHUNK_MAX_BYTES), 'downgrade');
  t.is(pushRaw(board, older, PUSH_CHUNK_MAX_BYTES, { allowDowngrade: true }), null);
  t.like(board.rom.slots()[fallbackSlot], { status: 'valid', version: '1.5.0' });
  board.rom.flash.close();
});

test('an empty board takes any app as its first image', (t) => {
  const rom = openRom(images, join(images.dir, 'refusal-empty.bin'));
  const counter = resigned(images.v1, images.keyDir, { app: 'counter' });
  const slot = uploadWhole(rom, counter, PUSH_CHUNK_MAX_BYTES);
  t.like(rom.slots()[slot], { status: 'valid', version: '1.0.0' });
  rom.flash.close();
});
