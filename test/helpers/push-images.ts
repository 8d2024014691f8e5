import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPublicKey } from '../../boards/image/public-key.ts';
import type { ManagementReply } from '../../boards/management.ts';
import { Board, type PortLink } from '../../boards/node/board.ts';
import { BootRom } from '../../boards/node/boot-rom.ts';
import { FlashFile, type FlashLayout } from '../../boards/node/flash-file.ts';
import { ImageUpload } from '../../boards/node/image-upload.ts';
import { decodeCbor, encodeCbor } from '../../firmware/wire/cbor.ts';
import { encodeFrame, FrameDecoder } from '../../firmware/wire/frame.ts';
import { buildImage } from '../../host/image/build.ts';
import { generateKeys } from '../../host/image/keys.ts';
import { imageSha256 } from '../../host/pair/push.ts';

/** Ledger 1.0.0 and 2.0.0 for the sim board, signed with a fresh key, and a place for flash files. */
export interface PushImages {
  readonly dir: string;
  readonly keyDir: string;
  readonly publicKey: Uint8Array;
  readonly v1: Uint8Array;
  readonly v2: Uint8Array;
}

/** Slots just big enough for the ledger image keep the flash files small. */
export const TEST_LAYOUT: FlashLayout = { slotBytes: 128 * 1024, nvmBytes: 4096 };

export async function pushImages(): Promise<PushImages> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-push-'));
  const keyDir = join(dir, 'keys');
  generateKeys(keyDir);
  const build = async (version: string) =>
    (await buildImage({ app: 'ledger', version, boards: ['sim'], keyDir })).image;
  return {
    dir,
    keyDir,
    publicKey: loadPublicKey(join(keyDir, 'image-signing.pub')),
    v1: await build('1.0.0'),
    v2: await build('2.0.0'),
  };
}

export function openRom(
  images: PushImages,
  path: string,
  cut: { atOperation: number; onPowerCut: () => never } | null = null,
): BootRom {
  const flash =
    cut === null
      ? new FlashFile(path, TEST_LAYOUT)
      : new FlashFile(path, TEST_LAYOUT, cut.atOperation, cut.onPowerCut);
  return new BootRom(flash, [images.publicKey], 'sim');
}

/** Uploads a whole image into the inactive slot in chunks of `chunkBytes`. */
export function uploadWhole(rom: BootRom, image: Uint8Array, chunkBytes: number): 0 | 1 {
  const upload = new ImageUpload(rom);
  const { resumeAt } = upload.begin(image.length, imageSha256(image));
  for (let offset = resumeAt; offset < image.length; offset += chunkBytes) {
    upload.data(offset, image.subarray(offset, offset + chunkBytes));
  }
  return upload.end().slot;
}

let seeds = 0;

/** A flash file holding `image` confirmed and booted, copied to `path`; the slot it is in. */
export function flashWithConfirmed(
  images: PushImages,
  path: string,
  image: Uint8Array,
  chunkBytes: number,
): 0 | 1 {
  seeds += 1;
  const seed = join(images.dir, `seed-${seeds}.bin`);
  const rom = openRom(images, seed);
  const slot = uploadWhole(rom, image, chunkBytes);
  rom.activate(slot);
  rom.boot();
  rom.flash.close();
  copyFileSync(seed, path);
  return slot;
}

/** An in-process board on a flash file, spoken to through its management protocol. */
export interface FlashBoard {
  readonly rom: BootRom;
  /** Raw bytes into the board's host port. */
  send(bytes: Uint8Array): void;
  /** One request, framed; the board's answer to it. */
  ask(request: Record<string, unknown>): ManagementReply;
  flashBytes(): Uint8Array;
  readonly replies: ManagementReply[];
}

/** A port nothing is connected to: what a board writes goes nowhere, and nothing arrives. */
export function quietPort(): PortLink {
  return {
    baud: 115200,
    write: () => {},
    onData: () => {},
    setDtr: () => {},
    dsr: async () => false,
    drain: async () => {},
  };
}

/** A board in-process, its host port a pair of functions; no image runs. */
export function boardOnFlash(images: PushImages, path: string): FlashBoard {
  const rom = openRom(images, path);
  const replies: ManagementReply[] = [];
  const decoder = new FrameDecoder();
  let toBoard: (bytes: Uint8Array) => void = () => {};
  const quiet = quietPort();
  const host: PortLink = {
    baud: 115200,
    write: (bytes) => {
      for (const event of decoder.push(bytes)) {
        if (event.kind === 'frame') replies.push(decodeCbor(event.payload) as ManagementReply);
      }
    },
    onData: (handler) => {
      toBoard = handler;
    },
    setDtr: () => {},
    dsr: async () => true,
    drain: async () => {},
  };
  new Board({
    processor: 1,
    bootRom: rom,
    ports: { interconnect: [quiet], bus: quiet, host },
    fence: { wired: false },
    log: () => {},
    bootMs: 1,
    dsrPollMs: 0,
  });
  return {
    rom,
    send: (bytes: Uint8Array) => toBoard(bytes),
    ask: (request: Record<string, unknown>): ManagementReply => {
      toBoard(encodeFrame(encodeCbor(request)));
      const reply = replies.at(-1);
      if (reply === undefined) throw new Error('no answer');
      return reply;
    },
    flashBytes: () => readFileSync(path),
    replies,
  };
}
