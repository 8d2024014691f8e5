/**
 * What the XS engine's own accounting shows for the receive path of a board
 * whose image runs in XS (boards/xs/). A microcontroller has a few hundred
 * KiB of heap in all, so bytes must not be held several times over as they
 * go up the layers. Skips, saying why, where XS is not built.
 */
import test from 'ava';
import type { RunningImage } from '../boards/image-engine.ts';
import { runImageInXs } from '../boards/xs/xs-image.ts';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { resolveApp } from '../host/image/app-registry.ts';
import { bundleApp } from '../host/image/bundle.ts';
import { SandboxHal } from './helpers/sandbox-hal.ts';

const xs = findXsnap();

/** XS's high-water marks of chunks and slots, summed, as status reports them. */
function peakBytes(image: RunningImage): number {
  const engine = image.engine();
  if (engine.kind !== 'xs') throw new Error('the image does not run in XS');
  return engine.heapPeakBytes;
}

/** Far more than any UART buffer: a board that was busy for seconds at a high baud rate. */
const BACKLOG_BYTES = 32 * 1024;

test('a backlog a UART received never sits in the XS heap whole', async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const { script } = await bundleApp(await resolveApp('ledger@1.0.0'), 'state');
  const board = new SandboxHal();
  const image = runImageInXs(script, board.hal, {}, xs.path);
  t.teardown(() => image.stop());
  const before = peakBytes(image);
  // Bytes outside any frame: the frame decoder skips them, nothing else changes.
  board.deliver(0, new Uint8Array(BACKLOG_BYTES).fill(0x55));
  const grew = peakBytes(image) - before;
  t.log(`XS heap peak grew by ${grew} bytes for a ${BACKLOG_BYTES}-byte backlog`);
  // Whole, the backlog was in the heap as the message, its decoded bytes and the read's copy.
  t.true(grew < BACKLOG_BYTES / 4, `the peak grew by ${grew} bytes`);
});
