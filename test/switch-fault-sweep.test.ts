/**
 * One transient fault at every moment of a switch: the old primary (P1) or
 * the new version (P2) stalls, the wires stall, a cable comes out, or one
 * direction of it is cut, for 400 ms (longer than a suspicion, shorter than a
 * takeover), starting every 10 ms from step a until the pair is whole on
 * the new version. Each switch must complete, with every acknowledged
 * write applied once and both copies equal: the simulator picks such
 * moments at random, this walks all of them. (Walking them found a round
 * built on one the new version had given up; see switch-rejoin.test.ts.)
 * Two paths, so that one cable out is one path down. The walk with other
 * durations, one path and slow boots: test/bench/switch-fault-walk.ts.
 */
import test from 'ava';
import { faultAt, TRANSIENT_FAULTS, walkMs } from './helpers/fault-walk.ts';

const FAULT_MS = 400;
const EVERY_MS = 10;
const SWITCH_MS = walkMs();

for (const [name, fault] of Object.entries(TRANSIENT_FAULTS))
  test(`${name} for ${FAULT_MS} ms at any moment of a switch: it completes, nothing lost or done twice`, (t) => {
    const wrong: string[] = [];
    for (let atMs = 0; atMs <= SWITCH_MS; atMs += EVERY_MS) {
      const { failedSteps, problems } = faultAt(fault, FAULT_MS, atMs);
      if (failedSteps.length + problems.length > 0)
        wrong.push(`${atMs} ms: ${[...failedSteps, ...problems].join('; ')}`);
    }
    t.log(`every ${EVERY_MS} ms of a ${SWITCH_MS} ms switch`);
    t.deepEqual(wrong, []);
  });
