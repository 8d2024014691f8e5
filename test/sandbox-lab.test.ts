/**
 * The image sandbox on a real board process (issue 9, defect 9: inside the
 * `node:vm` context, `TextEncoder.constructor('return process')()` reached
 * the board process and a test image wrote a file). A validly signed image
 * whose script tries the classic ways out is flashed onto a lab board: it
 * boots and runs, and reaches nothing of the board (the file it tries to
 * write never appears, and its log says what it tried).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { sha256Hex } from '../boards/image/format.ts';
import { loadSigningKey } from '../host/image/keys.ts';
import { signImage } from '../host/image/sign.ts';
import { boardLogFile } from '../host/lab/lab-config.ts';
import { flashImage } from '../host/pair/flash.ts';
import { splitImage } from './helpers/bad-images.ts';
import { hostileScript, THROUGH_THE_GLOBALS } from './helpers/hostile-image.ts';
import { startLab } from './helpers/lab-pair.ts';

const ATTEMPTS = `
probe('TextEncoder', TextEncoder);
${THROUGH_THE_GLOBALS}
globalThis.tandemImage = { app: {}, runPair: function (app, hal, overrides) {
  useHal(hal); probe('hal', hal); probe('overrides', overrides); note('done'); return pairHandle(); } };
`;

test.serial(
  'a signed image that tries to leave its sandbox on a lab board reaches nothing of the board',
  async (t) => {
    const lab = await startLab({ flash: false });
    try {
      const target = join(lab.config.dir, 'escaped.txt');
      const payload = new TextEncoder().encode(hostileScript(target, ATTEMPTS));
      const { manifest } = splitImage(lab.image);
      const key = loadSigningKey(lab.keyDir);
      const hostile = signImage(
        { ...manifest, payloadBytes: payload.length, payloadSha256: sha256Hex(payload) },
        payload,
        key.privateKey,
      );
      const flashed = await flashImage(lab.hosts[0], hostile, () => {});
      t.true(flashed.running, 'the board boots the image');
      const log = join(lab.config.dir, boardLogFile(1));
      const logged = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
      const deadline = performance.now() + 30_000;
      while (!logged().includes('done') && performance.now() < deadline) await sleep(100);
      const lines = logged();
      t.true(lines.includes('probed TextEncoder'), 'the attempts ran');
      t.true(lines.includes('probed hal'), 'the image got its HAL');
      t.false(/ESCAPED|FOREIGN/.test(lines), 'the image reached an object of the board');
      t.false(existsSync(target), 'the image wrote a file with the board’s fs');
    } finally {
      await lab.close();
    }
  },
);
