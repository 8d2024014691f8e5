/**
 * The firmware's CBOR codec in XS with a microcontroller's stack (1,024
 * slots, fewer than a hundred calls): a message nested to its depth limit
 * encodes and decodes, called from below a stack as deep as a board's data
 * handler already is. The encoder once recursed three calls per level and
 * aborted the XS worker (stack overflow, exit 12) at 12 levels, in a durable
 * store's compaction. Skips, saying why, where XS is not built.
 */
import test from 'ava';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { XsnapProcess } from '../boards/xs/xsnap-process.ts';
import { bundledProbe } from './helpers/xs-worker.ts';

const xs = findXsnap();

/** Calls below the codec, about what a board's data handler has under a compaction. */
const CALLS_BELOW = 20;
const DEPTH_MAX = 32;

const PROBE = `
import { decodeCbor, encodeCbor } from './firmware/wire/cbor.ts';
const limits = { bytesMax: 1024 * 1024, depthMax: ${DEPTH_MAX}, itemsMax: 100000 };
function nested(levels) {
  // Maps and arrays in turn, as a snapshot's are: { a: [ { a: [ ... ] } ] }.
  let value = 'leaf';
  for (let level = 0; level < levels; level++) value = level % 2 === 0 ? [value] : { a: value };
  return value;
}
function below(calls, levels) {
  if (calls > 0) return below(calls - 1, levels) + 0;
  const bytes = encodeCbor(nested(levels), limits);
  let depth = 0;
  for (let value = decodeCbor(bytes, limits); typeof value === 'object'; depth++)
    value = Array.isArray(value) ? value[0] : value.a;
  return depth;
}
globalThis.probe = below;
`;

test('a message nested to the depth limit encodes and decodes in XS on a deep stack', async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const script = await bundledProbe(PROBE);
  const lines: string[] = [];
  const worker = new XsnapProcess(xs.path, (line) => lines.push(line));
  t.teardown(() => worker.close());
  // The top-level item is one of the DEPTH_MAX levels the limit counts.
  t.notThrows(
    () =>
      worker.evaluate(
        `${script}\nif (probe(${CALLS_BELOW}, ${DEPTH_MAX}) !== ${DEPTH_MAX}) throw new Error('wrong depth');`,
      ),
    lines.join('\n'),
  );
  // One level more is refused by the limit, as a MessageError, not by the stack.
  t.throws(
    () => worker.evaluate(`probe(${CALLS_BELOW}, ${DEPTH_MAX + 1});`),
    { message: /"code":"too-deep".*"max":32/ },
    lines.join('\n'),
  );
});
