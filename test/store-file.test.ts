/**
 * The Node boards' durable store (boards/node/store-file.ts): the flash rules
 * over a file, what a write that returned leaves on disk, a store file of
 * another geometry refused untouched, and a power cut inside an operation:
 * torn, then (on a board process) the process killed. The durable log over
 * a store file cut at every operation reopens, from the file alone, to a
 * prefix that holds every entry whose commit returned.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { PowerCutError, throwPowerCut } from '../boards/flash-region.ts';
import { StoreFile, StoreFileError } from '../boards/node/store-file.ts';
import type { StoreGeometry } from '../firmware/hal.ts';
import { DurableLog } from '../firmware/runtime/durable-log.ts';
import type { CheckpointEntry, Snapshot } from '../firmware/runtime/messages.ts';

const dir = mkdtempSync(join(tmpdir(), 'tandem-store-file-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = () => join(dir, `store-${++files}.bin`);

/** 4 blocks of 256 bytes: a short history compacts several times. */
const TINY: StoreGeometry = {
  eraseBlockBytes: 256,
  writeBytes: 16,
  blockCount: 4,
  enduranceCycles: 100_000,
};

test('a new store file is erased; writes only clear bits, erases set a block to 0xff, and the bytes are on disk', (t) => {
  const path = fresh();
  const store = new StoreFile(path, TINY);
  t.is(statSync(path).size, 1024);
  t.true(readFileSync(path).every((b) => b === 0xff));
  store.write(16, new Uint8Array(16).fill(0x0f));
  store.write(16, new Uint8Array(16).fill(0xf3));
  t.deepEqual([...readFileSync(path).subarray(16, 18)], [0x03, 0x03]);
  store.erase(0);
  t.true(
    readFileSync(path)
      .subarray(0, 256)
      .every((b) => b === 0xff),
  );
  const error = t.throws(() => store.write(8, new Uint8Array(16)));
  t.is((error as { code?: string }).code, 'hal-argument');
  store.close();
});

test('a store file of another geometry is refused and left as it was', (t) => {
  const path = fresh();
  writeFileSync(path, new Uint8Array(512).fill(0x12));
  const error = t.throws(() => new StoreFile(path, TINY), { instanceOf: StoreFileError });
  t.is(error.code, 'store-mismatch');
  t.regex(error.message, /holds 512 bytes.*1024/);
  t.true(readFileSync(path).every((b) => b === 0x12));
});

test('a power cut on a board process tears the write and kills the process', (t) => {
  const path = fresh();
  new StoreFile(path, TINY).close();
  const script = `
    import { StoreFile } from ${JSON.stringify(new URL('../boards/node/store-file.ts', import.meta.url).href)};
    const store = new StoreFile(${JSON.stringify(path)}, ${JSON.stringify(TINY)});
    store.cutAtOperation = 1;
    store.write(0, new Uint8Array(64).fill(0));
    console.log('survived');
  `;
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8', timeout: 60_000 },
  );
  t.is(child.signal, 'SIGKILL', child.stderr);
  t.false(child.stdout.includes('survived'));
  const bytes = readFileSync(path);
  t.true(
    bytes.subarray(0, 32).every((b) => b === 0),
    'the first half was programmed',
  );
  t.true(
    bytes.subarray(32).every((b) => b === 0xff),
    'the rest was not',
  );
});

const ENTRIES = 30;
const mark = { version: '1.0.0', term: 1, solo: true };
const entry = (txn: number): CheckpointEntry => ({
  txn,
  clientId: 'c',
  syncId: txn,
  update: txn,
  reply: `ok ${txn}`,
});
const snapshotAt = (txn: number): Snapshot => ({
  stateVersion: 1,
  state: { n: txn },
  txn,
  term: 1,
  cache: [],
});

/** The last txn a log in `path` reads back as (0 for none); fails on a gap. */
function readBack(path: string): number {
  const store = new StoreFile(path, TINY);
  try {
    const opening = new DurableLog(store).open();
    if (opening.kind !== 'found') return 0;
    let last = opening.log.snapshot?.txn ?? 0;
    for (const { entry: e } of opening.log.entries) {
      if (e.txn <= last) continue;
      if (e.txn !== last + 1) throw new Error(`gap: ${last} then ${e.txn}`);
      last = e.txn;
    }
    return last;
  } finally {
    store.close();
  }
}

test('the durable log on a store file, cut at every operation, reopens from the file to a prefix holding every committed entry', (t) => {
  const commitAll = (store: StoreFile): number => {
    const log = new DurableLog(store);
    log.open();
    let committed = 0;
    try {
      for (let txn = 1; txn <= ENTRIES; txn++) {
        log.commit(mark, [entry(txn)], () => snapshotAt(txn));
        committed = txn;
      }
    } catch (error) {
      if (!(error instanceof PowerCutError)) throw error;
    }
    return committed;
  };
  const whole = new StoreFile(fresh(), TINY, throwPowerCut);
  t.is(commitAll(whole), ENTRIES);
  const total = whole.operations;
  whole.close();
  t.true(total > 30, `${total} operations`);
  const wrong: string[] = [];
  for (let cut = 1; cut <= total; cut++) {
    const path = fresh();
    const store = new StoreFile(path, TINY, throwPowerCut);
    store.cutAtOperation = cut;
    const committed = commitAll(store);
    store.close();
    const back = readBack(path);
    if (back < committed || back > committed + 1) {
      wrong.push(`cut at operation ${cut}: committed ${committed}, read back ${back}`);
    }
    rmSync(path);
  }
  t.deepEqual(wrong, []);
});
