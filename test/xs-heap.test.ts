/**
 * What the XS engine's own accounting shows for the receive path of a board
 * whose image runs in XS (boards/xs/). A microcontroller has a few hundred
 * KiB of heap in all, so bytes must not be held several times over as they
 * go up the layers. Skips, saying why, where XS is not built.
 */
import test, { type ExecutionContext } from 'ava';
import type { RunningImage } from '../boards/image-engine.ts';
import { type Answer, CHANNEL_CBOR_LIMITS, type Command } from '../boards/xs/engine/channel.ts';
import { engineScript } from '../boards/xs/engine-script.ts';
import { runImageInXs } from '../boards/xs/xs-image.ts';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { type XsMeter, XsnapProcess } from '../boards/xs/xsnap-process.ts';
import { decodeCbor, encodeCbor } from '../firmware/wire/cbor.ts';
import { resolveApp } from '../host/image/app-registry.ts';
import { bundleApp } from '../host/image/bundle.ts';
import { SandboxHal } from './helpers/sandbox-hal.ts';
import { xsWorkerWith } from './helpers/xs-worker.ts';

const xs = findXsnap();

/** A board running ledger 1.0.0 in XS, stopped when the test ends. */
async function ledgerBoard(
  t: ExecutionContext,
): Promise<{ board: SandboxHal; image: RunningImage }> {
  const { script } = await bundleApp(await resolveApp('ledger@1.0.0'), 'state');
  const board = new SandboxHal();
  const image = runImageInXs(script, board.hal, {}, xs.available ? xs.path : '');
  t.teardown(() => image.stop());
  return { board, image };
}

/** The XS engine's status of a board. */
function xsStatus(
  image: RunningImage,
): Extract<ReturnType<RunningImage['engine']>, { kind: 'xs' }> {
  const engine = image.engine();
  if (engine.kind !== 'xs') throw new Error('the image does not run in XS');
  return engine;
}

/** XS's high-water marks of chunks and slots, summed, as status reports them. */
const peakBytes = (image: RunningImage): number => xsStatus(image).heapPeakBytes;

/** Bytes live in XS after a collection. */
const liveBytes = (meter: XsMeter) => meter.chunks + meter.currentHeapCount * meter.slotBytes;

/** A worker with `source` (firmware modules, imported from the repository) bundled and run in place. */
const workerWith = (source: string) => xsWorkerWith(xs.available ? xs.path : '', source);

/** Far more than any UART buffer: a board that was busy for seconds at a high baud rate. */
const BACKLOG_BYTES = 64 * 1024;
/** XS grows a heap in steps of 8 KiB (chunks) or 512 slots: two steps are the engine's slack, not the backlog. */
const GROWTH_STEPS_BYTES = 16 * 1024;

test('a backlog a UART received never sits in the XS heap whole', async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const { board, image } = await ledgerBoard(t);
  const before = peakBytes(image);
  // Bytes outside any frame: the frame decoder skips them, nothing else changes.
  board.deliver(0, new Uint8Array(BACKLOG_BYTES).fill(0x55));
  const grew = peakBytes(image) - before;
  t.log(`XS heap peak grew by ${grew} bytes for a ${BACKLOG_BYTES}-byte backlog`);
  // Whole, the backlog was in the heap as the message, its decoded bytes and the read's copy.
  t.true(grew <= GROWTH_STEPS_BYTES, `the peak grew by ${grew} bytes`);
});

test('a session in the reply cache costs as much after 200 requests as after 4', async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const worker = await workerWith(`
    import { ReplyCache } from './firmware/runtime/reply-cache.ts';
    globalThis.filled = (requests) => {
      const cache = new ReplyCache(4, 256);
      for (let client = 0; client < 64; client++)
        for (let syncId = 1; syncId <= requests; syncId++)
          cache.save('client-' + client, syncId, { reply: { ok: true, balance: syncId }, txn: syncId });
      return cache;
    };
  `);
  t.teardown(() => worker.close());
  const held = (requests: number) => {
    // XS keeps the instance of a class with private methods made last: make an empty one last.
    const before = liveBytes(
      worker.evaluate('globalThis.cache = undefined; globalThis.empty = filled(0); gc()'),
    );
    worker.evaluate(`globalThis.cache = filled(${requests}); undefined`);
    return liveBytes(worker.evaluate('gc()')) - before;
  };
  const four = held(4);
  const many = held(200);
  t.log(`64 sessions: ${four} bytes after 4 requests each, ${many} after 200`);
  // As a list, each session's window grew by 60 ids of 16 bytes: 61 KB for 64 clients.
  t.true(many - four < 2048, `${many - four} bytes more`);
});

test('a joiner holds the big checkpoint decoded, not its chunks and their bytes joined beside it', async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  // The bench's large state: 1,000 accounts, 64 clients with a full sync window.
  const worker = await workerWith(`
    import { addChunk, chunksOf, encodeRound, noTransfer, readRound } from './firmware/runtime/state-transfer.ts';
    import { decodeCbor } from './firmware/wire/cbor.ts';
    const accounts = {};
    for (let index = 0; index < 1000; index++) accounts['acct-' + index] = index * 7;
    const cache = [];
    for (let client = 0; client < 64; client++) {
      const ran = [];
      for (let syncId = 1001; syncId <= 1064; syncId++) ran.push(syncId);
      cache.push(['client-' + client, [[1064, { reply: { ok: true, balance: client }, txn: client }]], ran]);
    }
    const state = [[0, [], { accounts }]];
    const bytes = encodeRound({ base: 0, final: true, stateVersion: 1, txn: 5, term: 1, state, cache, cacheOps: [] });
    globalThis.decodedAlone = () => decodeCbor(bytes, { bytesMax: 1 << 22, depthMax: 32, itemsMax: 1e6 });
    // Chunk by chunk as a joiner gets them (each a copy, as a decoded envelope's), then installed.
    globalThis.received = () => {
      let transfer = noTransfer();
      let complete = null;
      for (const chunk of chunksOf(bytes, 1, 448)) {
        ({ transfer, complete } = addChunk(transfer, { ...chunk, data: chunk.data.slice() }));
      }
      return { transfer, complete, round: readRound(complete) };
    };
  `);
  t.teardown(() => worker.close());
  const held = (make: string) => {
    const before = liveBytes(worker.evaluate('globalThis.held = undefined; gc()'));
    worker.evaluate(`globalThis.held = ${make}; undefined`);
    return liveBytes(worker.evaluate('gc()')) - before;
  };
  const decoded = held('decodedAlone()');
  const installing = held('received()');
  t.log(`decoded alone ${decoded} bytes; received chunk by chunk ${installing} bytes`);
  // Before, the chunks and their joined copy stayed beside the decoded round: twice the round's bytes.
  t.true(installing - decoded < 8192, `${installing - decoded} bytes beside the decoded round`);
});

test("a board's three frame decoders hold what their frames need, not the largest frame each", async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const worker = await workerWith(`
    import { encodeFrame, FrameDecoder } from './firmware/wire/frame.ts';
    // A request's worth of payload, as a bus and two interconnect lines carry under load.
    const frame = encodeFrame(new Uint8Array(120).fill(7));
    globalThis.decoders = () => [0, 1, 2].map(() => {
      const decoder = new FrameDecoder();
      decoder.push(frame);
      return decoder;
    });
  `);
  t.teardown(() => worker.close());
  const before = liveBytes(worker.evaluate('globalThis.held = undefined; gc()'));
  worker.evaluate('globalThis.held = decoders(); undefined');
  const held = liveBytes(worker.evaluate('gc()')) - before;
  t.log(`three decoders after a 120-byte frame each: ${held} bytes`);
  // Each held a 4,104-byte buffer from the start: 12 KiB of a 256 KiB heap.
  t.true(held < 4096, `${held} bytes`);
});

test("a big checkpoint's sessions decode to as much after 200 requests each as after 4", async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  // The bench's small state's sessions, as a joiner or a rebooted store decodes them.
  const worker = await workerWith(`
    import { ReplyCache } from './firmware/runtime/reply-cache.ts';
    import { decodeCbor, encodeCbor } from './firmware/wire/cbor.ts';
    const limits = { bytesMax: 1 << 20, depthMax: 16, itemsMax: 1e5 };
    globalThis.decoded = (requests) => {
      const cache = new ReplyCache(4, 8);
      for (let client = 0; client < 8; client++)
        for (let syncId = 1; syncId <= requests; syncId++)
          cache.save('client-' + client, syncId, { ok: true, balance: syncId });
      return decodeCbor(encodeCbor(cache.entries(), limits), limits);
    };
  `);
  t.teardown(() => worker.close());
  const held = (requests: number) => {
    const before = liveBytes(worker.evaluate('globalThis.held = undefined; gc()'));
    worker.evaluate(`globalThis.held = decoded(${requests}); undefined`);
    return liveBytes(worker.evaluate('gc()')) - before;
  };
  held(4); // the codec's first use allocates what it keeps
  const four = held(4);
  const many = held(200);
  t.log(`8 sessions decoded: ${four} bytes after 4 requests each, ${many} after 200`);
  // As lists, each session's ids run grew by 60 array items of 16 bytes: 7.7 KB for 8 clients.
  t.true(many - four < 1024, `${many - four} bytes more`);
});

test('recovering a long log holds no list of where its records lie', async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  // A store after a busy spell: a thousand group commits since its last snapshot.
  const worker = await workerWith(`
    import { RetentiveMemory } from './boards/retentive-memory.ts';
    import { DurableLog } from './firmware/runtime/durable-log.ts';
    const region = new RetentiveMemory({ eraseBlockBytes: 64 * 1024, writeBytes: 16, blockCount: 4, enduranceCycles: 1e5 });
    const mark = { version: '1.0.0', term: 1, solo: true };
    const writer = new DurableLog(region);
    writer.open();
    for (let txn = 1; txn <= 1000; txn++)
      writer.commit(mark, [{ txn, clientId: 'c', syncId: txn, update: txn, reply: txn }], () => {
        throw new Error('no compaction expected');
      });
    globalThis.opened = () => new DurableLog(region).open();
  `);
  t.teardown(() => worker.close());
  const held = () => {
    const before = liveBytes(worker.evaluate('globalThis.held = undefined; gc()'));
    worker.evaluate('globalThis.held = opened(); undefined');
    return liveBytes(worker.evaluate('gc()')) - before;
  };
  held(); // the first open allocates what the code keeps
  const opened = held();
  t.log(`a log of 1,000 records opened: ${opened} bytes held`);
  // Each record's place was an object and an array item: about 80 bytes each.
  t.true(opened < 4096, `${opened} bytes`);
});

test('a store write crosses the channel in one buffer of its size and its copy, not a doubled one', async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const worker = await workerWith(`
    import { writeChannel } from './boards/xs/engine/channel-codec.ts';
    globalThis.written = (bytes) => writeChannel({ op: 'write', offset: 0, bytes: new Uint8Array(bytes), more: true }).byteLength;
  `);
  t.teardown(() => worker.close());
  // Far larger than the heap's slack, so that the peak shows what one write takes at once.
  const piece = 256 * 1024;
  const before = worker.evaluate('gc()').chunksPeak;
  const grew = worker.evaluate(`globalThis.length = written(${piece}); gc()`).chunksPeak - before;
  t.log(`a ${piece}-byte write raised XS's chunk peak by ${grew} bytes`);
  // The piece, the message and its exact copy: three times the piece. The 'more' field after the
  // bytes doubled the message's buffer: four.
  t.true(grew < 3.5 * piece, `${grew} bytes`);
});

test("reading a board's status every second for an hour leaves its XS heap where it was", async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const { board, image } = await ledgerBoard(t);
  const inUse = () => xsStatus(image).heapInUseBytes;
  // Each reading a second after the last, so that each collects before it reads (COLLECT_INTERVAL_MS).
  const readings = 3600;
  const settle = 10;
  let first = 0;
  for (let reading = 0; reading < readings; reading++) {
    board.nowMs += 1000;
    if (reading === settle) first = inUse();
    else inUse();
  }
  const grew = inUse() - first;
  t.log(
    `${readings - settle} status readings, one a second: the XS heap in use grew by ${grew} bytes`,
  );
  // A collection by evaluating a script kept 32 bytes each: 115 KB an hour, half a microcontroller's heap.
  t.true(grew < 1024, `${grew} bytes`);
});

/** Bytes the script adds to XS's live heap, run in place after the engine layer. */
function loadedBytes(script: string): number {
  const worker = new XsnapProcess(xs.available ? xs.path : '', () => {});
  try {
    worker.runInPlace(engineScript());
    const before = liveBytes(worker.evaluate('gc()'));
    worker.runInPlace(script);
    worker.evaluate('if (typeof tandemImage !== "object") throw new Error("no image")');
    return liveBytes(worker.evaluate('gc()')) - before;
  } finally {
    worker.close();
  }
}

test("the image's declarations at the script's top hold less heap than inside esbuild's wrapper", async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const { script } = await bundleApp(await resolveApp('ledger@1.0.0'), 'state');
  const flat = loadedBytes(script);
  const wrapped = loadedBytes(`(()=>{${script}})();`);
  t.log(`ledger 1.0.0 loaded: ${flat} bytes as built, ${wrapped} in an IIFE`);
  // In the wrapper every function keeps its own references to the bindings it uses (17 KB here).
  t.true(flat < wrapped - 8 * 1024);
});

test("the engine collects with xsnap's collector whatever the image names its globals", (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const worker = new XsnapProcess(xs.path, () => {});
  t.teardown(() => worker.close());
  worker.runInPlace(engineScript());
  // An image's minified top-level names are global properties: one may be `gc`.
  worker.runInPlace('var gc = 0;');
  const collect: Command = { op: 'collect', now: 0 };
  const { reply } = worker.command(encodeCbor(collect, CHANNEL_CBOR_LIMITS));
  t.is((decodeCbor(reply, CHANNEL_CBOR_LIMITS) as Answer).error, undefined);
});
