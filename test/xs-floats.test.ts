/**
 * Numbers cross into an XS board bit for bit. CBOR carries a float64 big
 * endian; XS reads it with DataView, which in the 32-bit worker once
 * passed the byte-swapped value through the x87 floating-point unit: a
 * swapped pattern that is a signalling NaN came back quieted, one bit
 * flipped (10987.288053745402 read as 10987.288053749127, about one random
 * float in 2,000). A replay backup in XS would then apply a request at
 * another time than its primary did. The worker is built with SSE for its
 * floats (xsnap-cache.ts). Skips, saying why, where XS is not built.
 */
import test from 'ava';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { decodeCbor, encodeCbor } from '../firmware/wire/cbor.ts';
import { xsWorkerWith } from './helpers/xs-worker.ts';

const xs = findXsnap();

/** The firmware codec in XS, decoding what it is sent and encoding it back. */
const ECHO = `
import { decodeCbor, encodeCbor } from './firmware/wire/cbor.ts';
const limits = { bytesMax: 1024 * 1024, depthMax: 8, itemsMax: 100000 };
globalThis.handleCommand = (message) => encodeCbor(decodeCbor(new Uint8Array(message), limits), limits).buffer;
`;

test('float64s cross the firmware codec in XS bit for bit', async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const worker = await xsWorkerWith(xs.path, ECHO);
  t.teardown(() => worker.close());
  // Every float whose swapped bytes are a signalling NaN, around the first one seen, and others.
  const bits = new DataView(new ArrayBuffer(8));
  const floats: number[] = [10987.288053745402];
  for (let low = 0; low < 4096; low++) {
    bits.setFloat64(0, 10987.288053745402);
    bits.setUint16(6, (bits.getUint16(6) & 0xf000) | low);
    floats.push(bits.getFloat64(0));
  }
  const limits = { bytesMax: 1024 * 1024, depthMax: 8, itemsMax: 100_000 };
  const back = decodeCbor(worker.command(encodeCbor(floats, limits)).reply, limits) as number[];
  const changed = floats.filter((value, index) => !Object.is(back[index], value));
  t.log(`${changed.length} of ${floats.length} floats changed in XS`);
  t.deepEqual(changed, []);
});
