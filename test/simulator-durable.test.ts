/**
 * Durability as a seed dimension in the deterministic simulator: the same
 * seeds of the wide fault model (double pulls, pulls in a switch's window),
 * with the ledger's state in memory only and with it retained on each
 * board's store. In memory mode the double failures are excused and
 * counted; retained, the stores cover them: no cold start, nothing lost.
 * Retained seeds also cut power inside store writes and erases (store-cut),
 * which the pair must survive as it survives a pull, and fail some with the
 * power on (store-fault), which must stop a processor, not end its board.
 */
import test from 'ava';
import type { CheckpointModel } from '../firmware/app.ts';
import { reproduceLine } from '../host/cli/reproduce-command.ts';
import { DEFAULT_RUN_MS, worldOptionsFor } from '../host/simulator/campaign.ts';
import { mergeSeedLines } from '../host/simulator/campaign-merge.ts';
import ledgerSimulation from '../host/simulator/ledger-simulation.ts';
import { COUNTED } from '../host/simulator/seed-line.ts';
import { runSeed } from '../host/simulator/world.ts';
import { explain, runLedger } from './helpers/ledger-world.ts';

const SEEDS = Array.from({ length: 24 }, (_, i) => 1 + i * 7);

/**
 * One seed of the wide model, state checkpoints, the ledger retained, as it
 * ran when its test was written: a field-bus drop per board, no store faults.
 */
function runRetainedSeed(seed: number): ReturnType<typeof runSeed> {
  return runSeed({
    ...worldOptionsFor({
      seed,
      mode: 'state',
      module: ledgerSimulation,
      durability: 'retained',
      topology: { busShared: false },
    }),
    storeFaults: false,
  });
}

/** One seed of the wide model, the ledger retained, as the campaign draws it today (every fault group). */
function runRetainedSeedAsDrawn(
  seed: number,
  mode: CheckpointModel = 'state',
): ReturnType<typeof runSeed> {
  return runSeed(worldOptionsFor({ seed, mode, module: ledgerSimulation, durability: 'retained' }));
}

test('the stores cover the double failures, switch windows, store cuts and store faults that memory mode cannot', (t) => {
  let memoryLosses = 0;
  let storeCuts = 0;
  let storeFaults = 0;
  for (const seed of SEEDS) {
    const memory = runLedger({ seed, faults: true, faultModel: 'wide', trace: false });
    memoryLosses += memory.doubleFailures + memory.switchWindowLosses;
    t.is(
      memory.faultCounts['store-cut'] + memory.faultCounts['store-fault'],
      0,
      'no store, no store faults',
    );
    const retained = runLedger({
      seed,
      faults: true,
      faultModel: 'wide',
      durability: 'retained',
      trace: true,
    });
    t.is(retained.durability, 'retained');
    t.deepEqual(retained.violations, [], `seed=${seed}: ${explain(retained)}`);
    t.is(retained.doubleFailures + retained.switchWindowLosses, 0, `seed=${seed}`);
    t.is(retained.lost, 0, `seed=${seed}`);
    storeCuts += retained.faultCounts['store-cut'];
    storeFaults += retained.faultCounts['store-fault'];
  }
  t.log(
    `memory mode: ${memoryLosses} double failures and switch-window losses over ${SEEDS.length} seeds; retained: ${storeCuts} store cuts and ${storeFaults} store faults survived`,
  );
  t.true(memoryLosses > 0, 'the seeds include double failures (else this test proves nothing)');
  t.true(storeCuts > 0, 'the seeds cut power inside store operations');
  t.true(storeFaults > 0, 'the seeds fail store operations with the power on');
});

test('a store cut takes the board down mid-input: its trace shows the cut, the pull and the board back', (t) => {
  const seed = SEEDS.find((s) => {
    const r = runLedger({ seed: s, faults: true, faultModel: 'wide', durability: 'retained' });
    return r.faultCounts['store-cut'] > 0;
  }) as number;
  const result = runLedger({ seed, faults: true, faultModel: 'wide', durability: 'retained' });
  const cut = result.trace.findIndex((line) => /loses power inside its store operation/.test(line));
  t.true(cut >= 0, `seed=${seed}`);
  const board = /P(\d) loses power/.exec(result.trace[cut] as string)?.[1];
  const after = result.trace.slice(cut + 1);
  t.true(after.some((line) => line.includes(`P${board}  power pulled`)));
  t.true(after.some((line) => line.includes(`P${board}  power restored`)));
  t.true(result.powerPulls >= result.faultCounts['store-cut']);
});

test('a store fault stops its processor, which says why and comes back, its power never pulled', (t) => {
  const seed = SEEDS.find((s) => {
    const r = runLedger({ seed: s, faults: true, faultModel: 'wide', durability: 'retained' });
    return r.faultCounts['store-fault'] > 0;
  }) as number;
  const result = runLedger({ seed, faults: true, faultModel: 'wide', durability: 'retained' });
  const fault = result.trace.findIndex((line) => /store fails a/.test(line));
  t.true(fault >= 0, `seed=${seed}`);
  const board = /P(\d)'s store fails/.exec(result.trace[fault] as string)?.[1];
  const next = result.trace
    .slice(fault + 1, fault + 8)
    .filter((line) => line.includes(`P${board} `));
  t.true(
    next.some((line) => line.includes('durable store refused (failed)')),
    next.join('\n'),
  );
  t.true(next.some((line) => line.includes('role stopped')));
  t.false(
    next.some((line) => line.includes('power pulled')),
    'the power stayed on',
  );
  const after = result.trace.slice(fault + 1);
  t.true(
    after.some((line) => new RegExp(`P${board}  role (backup|primary)`).test(line)),
    'the board came back into the pair',
  );
  t.deepEqual(result.violations, [], explain(result));
});

for (const seed of [384, 1807]) {
  test(`wide retained seed ${seed} (state) re-forms: a joiner silent in a burst gets the state again, not the backlog`, (t) => {
    // The primary executed thousands of requests while its joiner was silent
    // for less than the takeover time and queued every entry for it; heard
    // again, the joiner took that backlog at the line rate before the rest
    // of its big checkpoint, and writes waited behind it: not re-formed 10 s
    // after the faults, P1 primary-alone and P2 joining.
    const result = runRetainedSeed(seed);
    t.deepEqual(result.violations, []);
  });
}

test("wide retained seed 2354 (state): the mismatched image has the seed's app faults too, so the replay meets what the board met", (t) => {
  // P1 booted the ledger built for the replay model (a mismatched partner),
  // won the cold start and served the whole seed. Its image lacked the
  // seed's app faults, while the checker replays with the pair's image,
  // which has them: txn 235's update, applied on P1 without a fault, threw
  // in the replay (inconsistent-reply, the only app exception of the seed).
  const result = runRetainedSeed(2354);
  t.is(result.faultCounts['mismatched-partner'], 1);
  t.true(result.faultCounts['app-exception'] > 1, 'the serving board met app faults');
  t.deepEqual(result.violations, []);
});

test('wide retained seed 30 replays clean (its core once asked to be woken at one instant for good)', (t) => {
  // A board with a solo store, booting with a path up past its recover-alone
  // time, asked for a wake-up at that (past) time again and again.
  const result = runRetainedSeed(30);
  t.deepEqual(result.violations, []);
  t.true(result.faultCounts['store-cut'] > 0);
});

test('wide retained replay seed 20389 replays clean (a stalled old primary asked to be woken at once while the switch waited to read its inputs)', (t) => {
  // The new version installed the last round and lost power in a store
  // write; the old primary stalled through the settling of its DSR and,
  // resumed, asked to be woken at once, again and again, until it had read
  // what waited for it (core-faults: "an old primary stalled while ...").
  const result = runRetainedSeedAsDrawn(20389, 'replay');
  t.deepEqual(result.violations, []);
  t.true(result.faultCounts['store-cut'] > 0 && result.faultCounts['stall-board'] > 0);
});

test('wide retained seed 25702 replays clean (a stalled old primary is not a second one serving)', (t) => {
  // No fence: processor 2 stalled for 1.4 s as a primary whose joiner had
  // just installed; processor 1 took over on the silence. While processor 2
  // was frozen, its readings (serving, alone) were as of before the stall,
  // and the checker counted two primaries; resumed, processor 2 judged the
  // time it lost before serving, and stepped down. A stalled board
  // acknowledges nothing: the checker no longer counts it as serving.
  const result = runRetainedSeedAsDrawn(25702);
  t.deepEqual(result.violations, []);
  t.true(result.faultCounts['stall-board'] > 0 && result.takeovers > 0);
});

test('wide retained seed 25720 replays clean (a backlog sent at once did not keep the next batch waiting for seconds of chunks)', (t) => {
  // One path at 115200, microcontroller-class boards, a state of about
  // 32 KB: a joiner stalled mid-transfer, and the primary then sent its
  // backlog of checkpoints at once. Each batch earns the big checkpoint
  // twice its bytes of chunks before the next; that backlog earned 2 s of
  // them, and no reply left meanwhile (a service gap). The chunks a batch
  // earns are capped at the line's backlog limit (checkpointBacklogMsMax).
  const result = runRetainedSeedAsDrawn(25720);
  t.deepEqual(result.violations, []);
  t.true(result.faultCounts['stall-board'] > 0 && result.faultCounts['big-state'] > 0);
});

test('wide retained seed 289583 replays clean (a slow core charges a call by its share: smaller shares are not slower work)', (t) => {
  // A microcontroller-class board, a state near its store's limit: with
  // 512-byte slices and 2 requests a call the simulator's slow core charged
  // each call the same drawn time as a 1 KiB slice, so a compaction, a
  // measure or the held requests took twice as long there, and no request
  // was acknowledged for 2,050 ms. A call now takes the drawn time scaled
  // by the board's share (world.ts, #scheduleWake).
  const result = runRetainedSeedAsDrawn(289583);
  t.deepEqual(result.violations, []);
  t.true(result.faultCounts['boards-microcontroller'] > 0 && result.refusedStoreFull > 0);
});

test('wide retained seed 27179 replays clean (noise that declared a long frame did not swallow the acknowledgements behind it)', (t) => {
  // One path, processor 2 primary: a loss window corrupted an
  // acknowledgement into a header that passed its CRC-8 and declared a
  // 2,056-byte payload. The acknowledgements behind it, 21 bytes every
  // 27 ms, filled that length for 2.6 s, and no reply left meanwhile. A
  // frame still incomplete twice its line time after it began is dropped
  // when a frame begins (FrameDecoder's byteTimeMs).
  const result = runRetainedSeedAsDrawn(27179);
  t.deepEqual(result.violations, []);
  t.true(result.faultCounts.noise > 0);
});

test('wide retained seed 23 replays clean (a store write cut after its last byte landed whole)', (t) => {
  // The primary lost power in the record of txn 1200, 96% of it written:
  // the rest was padding, so the record is whole and recovery serves it (a
  // retry is answered from the recovered reply cache). The checker must
  // know the core executed it though the input's outputs never left.
  const result = runRetainedSeed(23);
  t.deepEqual(result.violations, []);
});

test('wide retained seeds 10 and 224 replay clean (a store refused for its version; a newer history on a board that rejoined a stale primary)', (t) => {
  // Seed 10: after a fallback, processor 1 on 1.0.0 refused 2.0.0's log
  // and the other store was not solo: both stayed booting (not-reformed).
  // Seed 224: one path, no fence, the cable out: the backup took over,
  // acknowledged, lost power, and on its way back joined the old primary,
  // whose big checkpoint overwrote 475 acknowledged requests.
  for (const seed of [10, 224]) {
    const result = runRetainedSeed(seed);
    t.deepEqual(result.violations, [], `seed ${seed}`);
  }
});

test('wide retained seed 28095 replays clean (a state that outgrew its store: requests that grow it are refused store-full, the pair stays formed)', (t) => {
  // Found at seed 2236: the big-state client opened accounts until the
  // primary's snapshot (65,552 bytes) passed its 65,536-byte share of an
  // area: the primary stopped rather than acknowledge what it could not
  // keep, recovered from its store, stopped again at its first compaction,
  // and so on: not re-formed 10 s after the last fault. The run of a seed
  // moves with the code (2236 no longer fills the store since the rounds
  // carry the joiner's ask); 28095, the mutation corpus's, does.
  const result = runRetainedSeed(28095);
  t.deepEqual(result.violations, []);
  t.true(result.refusedStoreFull > 0, 'the store filled up');
  t.is(result.lost, 0);
});

test('durability is part of the campaign: its reproduce line names it, merge refuses mixed shards', (t) => {
  const line = (durability: 'memory' | 'retained') =>
    reproduceLine({ seed: 7, mode: 'replay', runMs: DEFAULT_RUN_MS, durability });
  t.is(
    line('retained'),
    'reproduce with: npx tandem simulate --seed 7 --mode replay --durability retained',
  );
  t.is(line('memory'), 'reproduce with: npx tandem simulate --seed 7 --mode replay');
  const seedLine = (seed: number, durability: 'memory' | 'retained') =>
    JSON.stringify({
      seed,
      campaign: { app: 'ledger', durability },
      topologyName: '',
      faultCounts: {},
      violationKinds: {},
      firstViolations: [],
      multiFaultKinds: {},
      firstMultiFault: [],
      holdMsMax: 0,
      finalStateBytes: 0,
      wallMs: 0,
      ...Object.fromEntries(COUNTED.map((key) => [key, 0])),
    });
  const error = t.throws(() =>
    mergeSeedLines([
      { name: 'a', text: seedLine(1, 'memory') },
      { name: 'b', text: seedLine(2, 'retained') },
    ]),
  );
  t.is((error as { code?: string }).code, 'mixed-campaigns');
});
