/**
 * A switch whose old backup is lost at step a, before it acknowledged its
 * stop: replies of writes it had not acknowledged yet wait for it. Whatever
 * becomes of it (power lost for good, lost where no DSR tells, or a stall of
 * the wires longer than the boot limit), every client is answered once the
 * old primary knows the old backup cannot serve or the pair re-forms, no
 * acknowledged write is lost, and none runs twice. (Before, the switch failed
 * at d and the old primary went alone with those replies still waiting for
 * the lost backup: their clients were never answered, and its retries
 * waited with them. And alone it acknowledged writes a backup that had only
 * stalled could take over without.)
 */
import test, { type ExecutionContext } from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import type { PairConfig } from '../firmware/runtime/config.ts';
import { BootRom } from './helpers/boot-rom.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { CorePair } from './helpers/core-pair.ts';
import { RetryingWriter } from './helpers/retrying-writer.ts';

const FROM = bulkApp(100);
const TO: AnyApp = { ...FROM, version: '2.0.0' };
/** Clients whose first write runs just before the switch starts. */
const EARLY_CLIENTS = 4;

interface Rig {
  readonly pair: CorePair;
  /** The early clients, then `late`, who writes from the fault on. */
  readonly writers: RetryingWriter[];
  readonly runUntil: (done: () => boolean, limitMs: number) => void;
  /** When the fault struck. */
  readonly faultAtMs: number;
}

/**
 * A whole pair on FROM with TO in both other slots; EARLY_CLIENTS writes run
 * on the primary, and in the same millisecond (no acknowledgement yet) the
 * switch starts; then `fault` strikes, and a client `late` starts writing.
 */
function switchWithRepliesWaiting(
  t: ExecutionContext,
  config: Partial<PairConfig>,
  fault: (pair: CorePair) => void,
): Rig {
  const pair = new CorePair([FROM, FROM], config);
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: TO.version });
  pair.runUntil(() => pair.whole, 60_000);
  const writers = Array.from(
    { length: EARLY_CLIENTS },
    (_, i) => new RetryingWriter(pair, `c${i}`),
  );
  pair.runUntil(() => {
    for (const writer of writers) writer.step();
    return writers.every((writer) => writer.registered);
  });
  pair.run(RetryingWriter.THINK_MS);
  for (const writer of writers) writer.step();
  pair.request(0, 'late', 0, null); // registered while the pair is whole
  t.is(
    pair.core(0).checkpointLag,
    EARLY_CLIENTS + 1,
    "their writes, and late's registration, wait for the backup",
  );
  t.is(pair.core(0).switchToOther(pair.nowMs), null);
  const faultAtMs = pair.nowMs;
  fault(pair);
  writers.push(new RetryingWriter(pair, 'late'));
  const rom = new BootRom(pair, FROM, TO);
  const runUntil = (done: () => boolean, limitMs: number) =>
    pair.runUntil(() => {
      rom.step();
      for (const writer of writers) writer.step();
      return done();
    }, limitMs);
  return { pair, writers, runUntil, faultAtMs };
}

/** The client's first write is answered: acknowledged, or its session lost with the copy that had it. */
function firstAnswered(writer: RetryingWriter): boolean {
  return writer.acknowledged.has(1) || writer.expiredAt === 1;
}

/** The writers stop, each last write is answered, and the serving copy counts every acknowledged write once. */
function assertEveryWriteOnce(t: ExecutionContext, { pair, writers, runUntil }: Rig): void {
  for (const writer of writers) writer.stopping = true;
  runUntil(() => writers.every((w) => w.idle), 10_000);
  t.true(writers.every(firstAnswered), 'every client answered');
  const acknowledged = writers.reduce((sum, w) => sum + w.acknowledged.size, 0);
  const primary = ([0, 1] as const).find((b) => pair.cores[b]?.serving === true);
  if (primary === undefined) return void t.fail('no board serves');
  t.is((pair.core(primary).state as { n: number }).n, acknowledged, 'each acknowledged write once');
}

test('the old backup loses power at step a for good: its DSR tells, and the waiting replies go', (t) => {
  const rig = switchWithRepliesWaiting(t, {}, (pair) => pair.powerOff(1));
  const { pair, writers, runUntil, faultAtMs } = rig;
  runUntil(() => writers.every((w) => w.acknowledged.has(1)), 10_000);
  t.true(writers.every((w) => w.expiredAt === null));
  t.true(
    pair.eventsOf('switch').some((e) => e.kind === 'switch' && !e.ok),
    'the switch failed',
  );
  runUntil(() => pair.nowMs > faultAtMs + 5_000, 10_000);
  assertEveryWriteOnce(t, rig);
  t.is(pair.core(0).role, 'primary-alone');
});

test('the old backup loses power at step a with no DSR to tell: the waiting replies go once it is back and the pair re-forms', (t) => {
  const rig = switchWithRepliesWaiting(t, { dsrWired: false }, (pair) => pair.powerOff(1));
  const { pair, writers, runUntil, faultAtMs } = rig;
  runUntil(() => pair.nowMs > faultAtMs + 5_000, 10_000);
  t.deepEqual(
    writers.map((w) => w.acknowledged.size),
    writers.map(() => 0),
    'nothing acknowledged while the lost backup may still hold a copy and serve',
  );
  pair.boot(1, { otherVersion: TO.version }, FROM);
  runUntil(() => pair.whole && writers.every(firstAnswered), 20_000);
  assertEveryWriteOnce(t, rig);
});

test('the wires stall past the boot limit at step a: nothing acknowledged is lost, and every client is answered', (t) => {
  const rig = switchWithRepliesWaiting(t, {}, (pair) => pair.stallWires(4_000));
  const { pair, writers, runUntil } = rig;
  runUntil(() => pair.whole && writers.every(firstAnswered), 30_000);
  assertEveryWriteOnce(t, rig);
});
