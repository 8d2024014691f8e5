/**
 * One transient fault at every moment of a switch: the old primary or the
 * new version stalls, the wires stall, a cable comes out, or one direction
 * of it is cut, for 400 ms (longer than a suspicion, shorter than a
 * takeover), starting every 10 ms from step a until the pair is whole on
 * the new version. Each switch must complete, with every acknowledged
 * write applied once and both copies equal: the simulator picks such
 * moments at random, this walks all of them. (Walking them found two
 * defects: a round built on one the new version had given up, and step d
 * judged before reading a join that waited; see switch-rejoin.test.ts.)
 *
 * Two paths, so that one cable out is one path down. The boards boot what
 * the core asks for (BootRom).
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { reasonText } from '../firmware/reasons.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { type SwitchingPair, switchingPair } from './helpers/switching-pair.ts';

const FROM = bulkApp(10_000);
const TO: AnyApp = { ...FROM, version: '2.0.0' };
const FAULT_MS = 400;
const EVERY_MS = 10;

/** A switch under way, with things to do at given times as it runs. */
class Sweep {
  readonly run: SwitchingPair = switchingPair(FROM, TO);
  #due: { readonly atMs: number; readonly action: () => void }[] = [];

  constructor() {
    if (this.run.pair.core(0).switchToOther(this.run.pair.nowMs) !== null)
      throw new Error('switch refused');
  }

  after(ms: number, action: () => void): void {
    this.#due.push({ atMs: this.run.pair.nowMs + ms, action });
  }

  runUntil(done: () => boolean, limitMs: number): void {
    this.run.runUntil(() => {
      const now = this.run.pair.nowMs;
      for (const { action } of this.#due.filter((d) => d.atMs <= now)) action();
      this.#due = this.#due.filter((d) => d.atMs > now);
      return this.#due.length === 0 && done();
    }, limitMs);
  }
}

const FAULTS: Readonly<Record<string, (sweep: Sweep) => void>> = {
  'the old primary stalls': ({ run }) => run.pair.freeze(0, FAULT_MS),
  'the new version stalls': ({ run }) => run.pair.freeze(1, FAULT_MS),
  'the wires stall': (sweep) => {
    sweep.run.pair.stallWires(FAULT_MS);
    sweep.after(FAULT_MS, () => {});
  },
  'cable 0 comes out': (sweep) => {
    sweep.run.pair.unplug(0);
    sweep.after(FAULT_MS, () => sweep.run.pair.unplug(0, false));
  },
  'cable 0 is cut from the old primary': (sweep) => cutFor(sweep, 0),
  'cable 0 is cut from the new version': (sweep) => cutFor(sweep, 1),
};

function cutFor(sweep: Sweep, from: 0 | 1): void {
  const direction = sweep.run.pair.cut[0] as boolean[];
  direction[from] = true;
  sweep.after(FAULT_MS, () => {
    direction[from] = false;
  });
}

/** What went wrong in a switch with `fault` `atMs` after step a (empty: nothing). */
function faultAt(fault: (sweep: Sweep) => void, atMs: number): string[] {
  const sweep = new Sweep();
  const { run } = sweep;
  const { pair, writer } = run;
  const startMs = pair.nowMs;
  sweep.runUntil(() => pair.nowMs >= startMs + atMs, 60_000);
  fault(sweep);
  const failed = () => pair.events.some((e) => e.event.kind === 'switch' && !e.event.ok);
  sweep.runUntil(() => run.onTarget() || failed(), 60_000);
  const problems = pair
    .eventsOf('switch')
    .flatMap((e) =>
      e.kind === 'switch' && !e.ok ? [`${e.step}: ${e.why ? reasonText(e.why) : ''}`] : [],
    );
  writer.stopping = true;
  sweep.runUntil(() => writer.idle, 10_000);
  pair.run(500);
  const primary = pair.cores[0]?.serving === true ? 0 : 1;
  const n = (pair.core(primary).state as { n: number }).n;
  if (n !== writer.acknowledged.size)
    problems.push(`${writer.acknowledged.size} acknowledged, ${n} applied`);
  if (run.onTarget() && JSON.stringify(pair.core(0).state) !== JSON.stringify(pair.core(1).state))
    problems.push('the copies differ');
  if (writer.expiredAt !== null) problems.push(`session expired at sync id ${writer.expiredAt}`);
  return problems;
}

const unfaulted = new Sweep();
const switchStartMs = unfaulted.run.pair.nowMs;
unfaulted.runUntil(() => unfaulted.run.onTarget(), 60_000);
const SWITCH_MS = unfaulted.run.pair.nowMs - switchStartMs;

for (const [name, fault] of Object.entries(FAULTS))
  test(`${name} for ${FAULT_MS} ms at any moment of a switch: it completes, nothing lost or done twice`, (t) => {
    const wrong: string[] = [];
    for (let atMs = 0; atMs <= SWITCH_MS; atMs += EVERY_MS) {
      const problems = faultAt(fault, atMs);
      if (problems.length > 0) wrong.push(`${atMs} ms: ${problems.join('; ')}`);
    }
    t.log(`every ${EVERY_MS} ms of a ${SWITCH_MS} ms switch`);
    t.deepEqual(wrong, []);
  });
