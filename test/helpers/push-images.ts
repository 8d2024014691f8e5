import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BootRom } from '../../boards/sim/boot-rom.ts';
import { FlashFile, type FlashLayout } from '../../boards/sim/flash-file.ts';
import { ImageUpload } from '../../boards/sim/image-upload.ts';
import { buildImage } from '../../host/image/build.ts';
import { generateKeys, loadPublicKey } from '../../host/image/keys.ts';
import { imageSha256 } from '../../host/lab/push.ts';

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
