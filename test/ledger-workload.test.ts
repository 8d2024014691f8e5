import test from 'ava';
import fc from 'fast-check';
import type { HandlerContext } from '../firmware/app.ts';
import {
  ledgerV1,
  ledgerV2,
  ledgerWorkload,
  parseLedgerV1Request,
  parseLedgerV2Request,
} from '../firmware/apps/ledger/index.ts';

/** A small seeded generator (Park-Miller), so these tests see one fixed, long stream. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return (state - 1) / 2_147_483_646;
  };
}

function take(next: () => unknown, count: number): unknown[] {
  return Array.from({ length: count }, next);
}

test('the first requests open acct-0 to acct-(N-1), in order', (t) => {
  t.deepEqual(take(ledgerWorkload(seeded(7), 3), 3), [
    { op: 'open', account: 'acct-0' },
    { op: 'open', account: 'acct-1' },
    { op: 'open', account: 'acct-2' },
  ]);
  t.is(take(ledgerWorkload(seeded(7)), 8).length, 8);
  t.deepEqual(take(ledgerWorkload(seeded(7)), 8)[7], { op: 'open', account: 'acct-7' });
});

test('the same random numbers always produce the same requests', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2_147_483_646 }), (seed) => {
      const first = take(ledgerWorkload(seeded(seed), 4, { includeV2Ops: true }), 200);
      const second = take(ledgerWorkload(seeded(seed), 4, { includeV2Ops: true }), 200);
      return JSON.stringify(first) === JSON.stringify(second);
    }),
  );
  t.pass();
});

test('by default every request is a valid v1 request, so the stream can span an upgrade', (t) => {
  for (const input of take(ledgerWorkload(seeded(11), 5), 2_000)) {
    t.notThrows(() => parseLedgerV1Request(input));
    t.notThrows(() => parseLedgerV2Request(input));
  }
});

test('with v2 ops included, every request is a valid v2 request and all ops appear', (t) => {
  const seen = new Set<string>();
  for (const input of take(ledgerWorkload(seeded(13), 5, { includeV2Ops: true }), 2_000)) {
    seen.add(parseLedgerV2Request(input).op);
  }
  t.deepEqual([...seen].sort(), [
    'balance',
    'deposit',
    'history',
    'open',
    'set-limit',
    'transfer',
    'withdraw',
  ]);
});

test('most requests succeed, and every kind of refusal still gets some traffic', (t) => {
  const app = ledgerV2();
  const context: HandlerContext = { nowMs: 0, random: () => 0 };
  let state = app.init();
  const outcomes = new Map<string, number>();
  for (const input of take(ledgerWorkload(seeded(17), 8, { includeV2Ops: true }), 5_000)) {
    const { update, reply } = app.handle(state, app.parseRequest(input), context);
    state = app.apply(state, update);
    const outcome = reply.ok ? 'ok' : reply.error;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  t.true((outcomes.get('ok') ?? 0) > 5_000 / 2, JSON.stringify([...outcomes]));
  for (const refusal of [
    'no-such-account',
    'insufficient-funds',
    'account-exists',
    'same-account',
    'over-limit',
  ]) {
    t.true((outcomes.get(refusal) ?? 0) > 0, `no ${refusal} in ${JSON.stringify([...outcomes])}`);
  }
});

test('a v1 ledger fed the default workload keeps most requests succeeding', (t) => {
  const app = ledgerV1();
  let state = app.init();
  let succeeded = 0;
  for (const input of take(ledgerWorkload(seeded(19)), 1_000)) {
    const decision = app.handle(state, app.parseRequest(input), { nowMs: 0, random: () => 0 });
    state = app.apply(state, decision.update);
    if (decision.reply.ok) succeeded++;
  }
  t.true(succeeded > 500, `${succeeded} of 1000 succeeded`);
});

test('a non-positive or fractional account count is refused', (t) => {
  for (const count of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => ledgerWorkload(seeded(1), count), { instanceOf: RangeError });
  }
});

test('a random source that returns exactly 1 still yields valid requests', (t) => {
  for (const input of take(
    ledgerWorkload(() => 1, 3, { includeV2Ops: true }),
    50,
  )) {
    t.notThrows(() => parseLedgerV2Request(input));
  }
});
