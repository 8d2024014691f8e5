import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { EventQueue } from '../host/simulator/event-queue.ts';

test('property: events run in time order, ties in the order they were scheduled, also those scheduled while running', (t) => {
  // Each event: when it is scheduled (relative to now, negative ones run now), and the events it schedules when it runs.
  interface Plan {
    readonly delay: number;
    readonly later: readonly Plan[];
  }
  const delay = fc.oneof(
    fc.integer({ min: -2, max: 5 }),
    fc.double({ min: 0, max: 5, noNaN: true }),
  );
  const leaf: fc.Arbitrary<Plan> = fc.record({ delay, later: fc.constant([]) });
  const inner: fc.Arbitrary<Plan> = fc.record({ delay, later: fc.array(leaf, { maxLength: 3 }) });
  const plan: fc.Arbitrary<Plan> = fc.record({
    delay,
    later: fc.array(fc.oneof(leaf, inner), { maxLength: 3 }),
  });
  fc.assert(
    fc.property(
      fc.array(plan, { maxLength: 40 }),
      fc.double({ min: 0, max: 12, noNaN: true }),
      (plans, until) => {
        const queue = new EventQueue();
        const ran: { at: number; id: number }[] = [];
        // The reference: every event scheduled gets (due time, insertion number); they must run sorted by both.
        const scheduled: { at: number; id: number }[] = [];
        let next = 0;
        const schedule = (p: Plan) => {
          const id = next++;
          const at = Math.max(queue.now + p.delay, queue.now);
          scheduled.push({ at, id });
          queue.at(queue.now + p.delay, () => {
            assert.equal(queue.now, at);
            ran.push({ at, id });
            for (const inner of p.later) schedule(inner);
          });
        };
        for (const p of plans) schedule(p);
        queue.advanceTo(until);
        const due = scheduled
          .filter((event) => event.at <= until)
          .sort((a, b) => a.at - b.at || a.id - b.id);
        assert.deepEqual(ran, due);
        assert.equal(queue.size, scheduled.length - ran.length);
        assert.equal(queue.now, Math.max(until, ran.at(-1)?.at ?? 0));
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});
