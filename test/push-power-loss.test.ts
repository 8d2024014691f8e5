/**
 * Power loss at every flash operation, in the manner of MCUboot's
 * perm_with_fails: run an update with power cut right before operation k,
 * for k = 1, 2, ... until a run completes without reaching a cut. After each
 * cut the board reboots (the flash is reopened, the boot ROM runs) and must
 * boot a verified image, with its slots in a state the tool can explain.
 * In-process, no lab: the cut is an exception thrown from the flash.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { PUSH_CHUNK_MAX_BYTES } from '../boards/management.ts';
import type { BootResult, BootRom } from '../boards/node/boot-rom.ts';
import { ImageUpload } from '../boards/node/image-upload.ts';
import { imageSha256 } from '../host/pair/push.ts';
import {
  flashWithConfirmed,
  openRom,
  type PushImages,
  pushImages,
  uploadWhole,
} from './helpers/push-images.ts';

class PowerCut extends Error {
  override name = 'PowerCut';
}

const powerCut = (): never => {
  throw new PowerCut('power cut');
};

/** No update we test takes anywhere near this many flash operations. */
const OPERATIONS_MAX = 1000;

let images: PushImages;
test.before(async () => {
  images = await pushImages();
});

/**
 * Runs `update` on a copy of `base` with power cut at operation 1, 2, ...;
 * after each cut, reboots and hands the boot result to `check`. Returns the
 * number of operations the update takes (all of them were cut once) and the
 * flash file of the run that completed.
 */
function cutAtEveryOperation(
  base: string,
  name: string,
  update: (rom: BootRom, progress: { acked: number }) => void,
  check: (rom: BootRom, boot: BootResult, progress: { acked: number }) => void,
): { operations: number; completed: string } {
  for (let k = 1; k <= OPERATIONS_MAX; k++) {
    const path = join(images.dir, `${name}-${k}.bin`);
    copyFileSync(base, path);
    const rom = openRom(images, path, { atOperation: k, onPowerCut: powerCut });
    const progress = { acked: 0 };
    try {
      update(rom, progress);
      rom.flash.close();
      return { operations: k - 1, completed: path };
    } catch (error) {
      rom.flash.close();
      if (!(error instanceof PowerCut)) throw error;
    }
    const rebooted = openRom(images, path);
    try {
      check(rebooted, rebooted.boot(), progress);
    } finally {
      rebooted.flash.close();
    }
  }
  throw new Error(`the update did not finish within ${OPERATIONS_MAX} flash operations`);
}

/** The booted image is verified (read back and checked again, not taken on trust). */
function assertVerifiedBoot(rom: BootRom, boot: BootResult): string {
  if (boot.image === null) throw new Error('no image booted');
  const bytes = rom.slotImage(boot.state.active);
  if (bytes === null) throw new Error(`the booted slot ${boot.state.active} reads empty`);
  return rom.verify(bytes).manifest.version;
}

/** The slot states a push can leave, named the way `tandem status` would explain them. */
function explainPush(rom: BootRom, boot: BootResult, v1Slot: 0 | 1): string {
  const other = v1Slot === 0 ? 1 : 0;
  const report = rom.slots()[other];
  const running = `1.0.0 confirmed in slot ${v1Slot}`;
  if (boot.state.active !== v1Slot || boot.state.trial)
    return `unexpected: ${JSON.stringify(boot)}`;
  if (report?.status === 'empty') return `${running}; slot ${other} empty`;
  if (report?.status === 'partial') return `${running}; upload partial in slot ${other}`;
  if (report?.status === 'valid' && report.version === '2.0.0')
    return `${running}; 2.0.0 in slot ${other}`;
  return `unexpected: slot ${other} ${JSON.stringify(report)}`;
}

test('a push cut at every flash operation: 1.0.0 still boots, and the push resumes at a chunk boundary', (t) => {
  const base = join(images.dir, 'push-base.bin');
  const v1Slot = flashWithConfirmed(images, base, images.v1, PUSH_CHUNK_MAX_BYTES);
  const sha256 = imageSha256(images.v2);
  const seen = new Set<string>();
  const { operations } = cutAtEveryOperation(
    base,
    'push',
    (rom, progress) => {
      const upload = new ImageUpload(rom);
      const { resumeAt } = upload.begin(images.v2.length, sha256);
      for (let offset = resumeAt; offset < images.v2.length; offset += PUSH_CHUNK_MAX_BYTES) {
        progress.acked = upload.data(
          offset,
          images.v2.subarray(offset, offset + PUSH_CHUNK_MAX_BYTES),
        ).written;
      }
      upload.end();
    },
    (rom, boot, progress) => {
      t.is(assertVerifiedBoot(rom, boot), '1.0.0');
      const state = explainPush(rom, boot, v1Slot);
      t.false(state.startsWith('unexpected'), state);
      seen.add(state.replace(/\d+\/\d+/, 'n/N'));
      // The push is run again: it carries on from what the board acknowledged, at a chunk boundary.
      const upload = new ImageUpload(rom);
      const { slot, resumeAt } = upload.begin(images.v2.length, sha256);
      t.not(slot, v1Slot);
      t.true(resumeAt >= progress.acked, `resumed at ${resumeAt}, acked ${progress.acked}`);
      t.true(resumeAt % PUSH_CHUNK_MAX_BYTES === 0 || resumeAt === images.v2.length);
      for (let offset = resumeAt; offset < images.v2.length; offset += PUSH_CHUNK_MAX_BYTES) {
        upload.data(offset, images.v2.subarray(offset, offset + PUSH_CHUNK_MAX_BYTES));
      }
      t.is(upload.end().manifest.version, '2.0.0');
      t.like(rom.slots()[slot], { status: 'valid', version: '2.0.0' });
      t.like(rom.slots()[v1Slot], { status: 'valid', version: '1.0.0' });
    },
  );
  t.log(
    `push: ${operations} flash operations, each cut once; states seen: ${[...seen].join(' | ')}`,
  );
  t.true(operations > 3 * Math.floor(images.v2.length / PUSH_CHUNK_MAX_BYTES));
});

/** The slot states a switch can leave. */
function explainSwitch(boot: BootResult, version: string, v1Slot: 0 | 1): string {
  const { active, trial } = boot.state;
  if (active === v1Slot && !trial && version === '1.0.0') return 'old confirmed';
  if (active !== v1Slot && trial && version === '2.0.0') return 'new on trial';
  if (active !== v1Slot && !trial && version === '2.0.0') return 'new confirmed';
  return `unexpected: ${version} in slot ${active}${trial ? ' on trial' : ''}`;
}

for (const scenario of [
  {
    name: 'confirmed',
    title:
      'a switch cut at every flash operation (test, boot, confirm): a verified image always boots',
    allowed: ['old confirmed', 'new on trial', 'new confirmed'],
    done: 'new confirmed',
    run: (rom: BootRom) => {
      rom.prepareReboot('other-test');
      rom.boot();
      rom.confirm();
    },
  },
  {
    name: 'reverted',
    title:
      'a trial reset unconfirmed, cut at every flash operation: the board reverts, never runs nothing',
    allowed: ['old confirmed', 'new on trial'],
    done: 'old confirmed',
    run: (rom: BootRom) => {
      rom.prepareReboot('other-test');
      rom.boot();
      // Reset before the new image confirmed: the next boot reverts.
      rom.boot();
    },
  },
]) {
  test(scenario.title, (t) => {
    const base = join(images.dir, `switch-${scenario.name}-base.bin`);
    const v1Slot = flashWithConfirmed(images, base, images.v1, PUSH_CHUNK_MAX_BYTES);
    const seeded = openRom(images, base);
    uploadWhole(seeded, images.v2, PUSH_CHUNK_MAX_BYTES);
    seeded.flash.close();
    const seen = new Set<string>();
    const { operations, completed } = cutAtEveryOperation(
      base,
      `switch-${scenario.name}`,
      scenario.run,
      (rom, boot) => {
        const state = explainSwitch(boot, assertVerifiedBoot(rom, boot), v1Slot);
        t.true(scenario.allowed.includes(state), state);
        seen.add(state);
        // Whatever runs, the other slot still holds the other image: a fallback stays possible.
        t.true(rom.slots().every((slot) => slot.status === 'valid'));
      },
    );
    t.log(
      `switch (${scenario.name}): ${operations} flash operations, each cut once; states seen: ${[...seen].join(' | ')}`,
    );
    t.true(operations >= 6);
    // Without a cut the update ends where it should.
    const rom = openRom(images, completed);
    const boot = rom.boot();
    t.is(explainSwitch(boot, assertVerifiedBoot(rom, boot), v1Slot), scenario.done);
    rom.flash.close();
  });
}
