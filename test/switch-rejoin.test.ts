/**
 * One processor pair, one path, a switch of a big state under way: the old
 * primary's process stalls in the middle of the pre-copy for longer than the
 * suspicion time. The new version, hearing nothing, gives up the rounds it
 * holds and asks to join again, as the same incarnation. The old primary
 * must take that as the new version starting its big checkpoint over, and
 * send the rounds again from the first: the switch completes, on the new
 * version. (Before, it took the join as a partner on another version outside
 * a switch, told it to revert its trial image, and the switch failed at f.)
 *
 * The boards here boot what the core asks for: a stop with `other-test`
 * boots the other image on trial, `confirmed` the image last confirmed.
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { CorePair } from './helpers/core-pair.ts';

const FROM = bulkApp(30_000);
const TO: AnyApp = { ...FROM, version: '2.0.0' };

/** Which image each board last confirmed, and reboots of stopped boards into what they asked for. */
class BootRom {
  readonly confirmed: [AnyApp, AnyApp] = [FROM, FROM];
  #effectsSeen = 0;

  constructor(readonly pair: CorePair) {}

  /** Reads the effects since the last call: confirms, and reboots (done at once). */
  step(): void {
    const { pair } = this;
    for (const { board, effect } of pair.effects.slice(this.#effectsSeen)) {
      if (effect.kind === 'confirm') this.confirmed[board] = pair.apps[board];
      if (effect.kind !== 'reboot' || pair.cores[board] != null) continue;
      const confirmed = this.confirmed[board];
      const other = confirmed === FROM ? TO : FROM;
      if (effect.boot === 'other-test')
        pair.boot(board, { testMode: true, otherVersion: confirmed.version }, other);
      else pair.boot(board, { testMode: false, otherVersion: other.version }, confirmed);
    }
    this.#effectsSeen = pair.effects.length;
  }
}

function switchEvents(pair: CorePair) {
  return pair.eventsOf('switch') as Extract<
    CorePair['events'][number]['event'],
    { kind: 'switch' }
  >[];
}

/**
 * One client writing throughout to whichever board serves: one request out
 * at a time, the same sync id again after RETRY_MS without an ok, the next
 * THINK_MS after an answer.
 */
class Writer {
  static readonly RETRY_MS = 100;
  static readonly THINK_MS = 10;
  syncId = 1;
  /** When the outstanding request was last sent; null when none is out. */
  sentAtMs: number | null = null;
  nextAtMs = 0;
  readonly acknowledged = new Set<number>();
  /** No new request once set; the outstanding one is still retried. */
  stopping = false;
  #seen = 0;

  constructor(readonly pair: CorePair) {}

  step(): void {
    const { pair } = this;
    for (const reply of pair.replies.slice(this.#seen)) {
      if (reply.clientId !== 'w' || reply.syncId !== this.syncId || !reply.ok) continue;
      this.acknowledged.add(reply.syncId);
      this.syncId += 1;
      this.sentAtMs = null;
      this.nextAtMs = pair.nowMs + Writer.THINK_MS;
    }
    this.#seen = pair.replies.length;
    const due =
      this.sentAtMs === null
        ? !this.stopping && pair.nowMs >= this.nextAtMs
        : pair.nowMs - this.sentAtMs >= Writer.RETRY_MS;
    // A frozen board reads nothing: the request would wait in its UART.
    const board = ([0, 1] as const).find((b) => pair.cores[b]?.serving === true);
    if (!due || board === undefined || pair.frozen(board)) return;
    pair.request(board, 'w', this.syncId, null);
    this.sentAtMs = pair.nowMs;
  }

  /** Stopping, and the last request answered. */
  get idle(): boolean {
    return this.stopping && this.sentAtMs === null;
  }
}

// Into the pre-copy (which lasts about 3 s here): from its first round to its last ones.
for (const stallAfterMs of [100, 700, 1300, 1900, 2500])
  test(`the new version joining again mid pre-copy (the old primary stalled ${stallAfterMs} ms into it) gets the rounds again and the switch completes`, (t) => {
    const pair = new CorePair([FROM, FROM], { pathCount: 1 });
    for (const board of [0, 1] as const) pair.boot(board, { otherVersion: TO.version });
    pair.runUntil(() => pair.whole, 60_000);
    const rom = new BootRom(pair);
    const writer = new Writer(pair);
    const runUntil = (done: () => boolean, limitMs: number) =>
      pair.runUntil(() => {
        rom.step();
        writer.step();
        return done();
      }, limitMs);
    t.is(pair.core(0).switchToOther(pair.nowMs), null);
    const preCopyStarted = () =>
      pair.events.some(
        (e) => e.event.kind === 'role' && e.event.cause === 'pre-copy-to-new-version',
      );
    runUntil(preCopyStarted, 20_000);
    const stallAtMs = pair.nowMs + stallAfterMs;
    runUntil(() => pair.nowMs >= stallAtMs, 10_000);
    t.is(pair.core(0).role, 'switching');
    const suspicion = pair.configs[0].heartbeatIntervalMs * pair.configs[0].suspectMissCount;
    const frozenAtMs = pair.nowMs;
    pair.freeze(0, 3 * suspicion);
    runUntil(
      () =>
        pair.events.some(
          (e) =>
            e.board === 1 &&
            e.atMs > frozenAtMs &&
            e.event.kind === 'role' &&
            e.event.cause === 'join-asked',
        ),
      5_000,
    );
    const onTarget = () =>
      pair.whole && pair.cores.every((c) => c?.hello.version === TO.version && !c.hello.testMode);
    runUntil(() => onTarget() || switchEvents(pair).some((e) => !e.ok), 60_000);
    t.deepEqual(
      switchEvents(pair).filter((e) => !e.ok),
      [],
      'no switch step failed',
    );
    t.true(onTarget(), 'the pair is whole on the new version');
    // The last request answered, every write ran once: the counter is the number acknowledged.
    writer.stopping = true;
    runUntil(() => writer.idle, 5_000);
    pair.run(500); // the backup applies what was in flight
    const primary = pair.cores[0]?.serving === true ? 0 : 1;
    t.is((pair.core(primary).state as { n: number }).n, writer.acknowledged.size);
    t.true(writer.acknowledged.size > 50, `${writer.acknowledged.size} writes during the switch`);
    t.deepEqual(pair.core(1).state, pair.core(0).state);
  });
