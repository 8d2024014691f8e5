/**
 * Online upgrade and fallback between ledger v1 and v2: the v2 converters
 * must carry every balance across, in both directions, without touching the
 * state they were handed.
 */

import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import type { App } from '../firmware/app.ts';
import type { LedgerV1State, LedgerV2State } from '../firmware/apps/ledger/index.ts';
import { ledgerV1, ledgerV2, ledgerWorkload } from '../firmware/apps/ledger/index.ts';
import { errorText } from '../firmware/reasons.ts';

const v1 = ledgerV1();
const v2 = ledgerV2();
const converters = v2.converters ?? assert.fail('ledger v2 must carry v1 <-> v2 converters');

function cycling(values: readonly number[]): () => number {
  let next = 0;
  return () => values[next++ % values.length] ?? 0;
}

/** Runs requests through an app from `state`, with a clock ticking from `startMs`. */
function serve<State>(
  // biome-ignore lint/suspicious/noExplicitAny: request, update and reply types do not matter here.
  app: App<State, any, any, any>,
  state: State,
  requests: readonly unknown[],
  startMs = 0,
): State {
  let current = state;
  requests.forEach((input, i) => {
    const context = { nowMs: startMs + i, random: () => 0.5 };
    current = app.apply(current, app.handle(current, app.parseRequest(input), context).update);
  });
  return current;
}

const randoms = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
  minLength: 1,
  maxLength: 48,
});

/** The requests of a random workload: v1-only, or with v2 ops mixed in. */
function workload(includeV2Ops: boolean) {
  return fc
    .record({
      draws: randoms,
      accountCount: fc.integer({ min: 1, max: 6 }),
      length: fc.integer({ min: 0, max: 120 }),
    })
    .map(({ draws, accountCount, length }) =>
      Array.from({ length }, ledgerWorkload(cycling(draws), accountCount, { includeV2Ops })),
    );
}

/** V1 states a running pair can actually reach. */
const reachableV1States = workload(false).map((requests) => serve(v1, v1.init(), requests));

/** V2 states with limits and history, reached from an upgraded v1 state. */
const reachableV2States = fc
  .tuple(reachableV1States, workload(true))
  .map(([prior, requests]) => serve(v2, converters.fromPrior(prior), requests, 1_000));

function balances(state: LedgerV2State): Record<string, number> {
  return Object.fromEntries(Object.entries(state.accounts).map(([id, a]) => [id, a.balance]));
}

test('v2 converts from and to state version 1, the one just before its own', (t) => {
  t.is(converters.priorStateVersion, 1);
  t.is(converters.priorStateVersion, v1.stateVersion);
  t.is(v2.stateVersion, v1.stateVersion + 1);
});

test('upgrading keeps every balance and starts with no limits and no history', (t) => {
  const upgraded = converters.fromPrior({ accounts: { alice: 500, bob: 0 } });
  t.deepEqual(upgraded, {
    accounts: { alice: { balance: 500, limit: null }, bob: { balance: 0, limit: null } },
    history: [],
  });
});

test('V1 -> V2 -> V1 gives back any reachable v1 state exactly', (t) => {
  fc.assert(
    fc.property(reachableV1States, (prior) => {
      assert.deepEqual(converters.toPrior(converters.fromPrior(prior)), prior);
    }),
  );
  t.pass();
});

test('upgrading does not modify the v1 state it reads', (t) => {
  fc.assert(
    fc.property(reachableV1States, (prior) => {
      const before = structuredClone(prior);
      converters.fromPrior(Object.freeze(prior));
      assert.deepEqual(prior, before);
    }),
  );
  t.pass();
});

test('falling back from v2 to v1 keeps every balance, whatever the limits and history', (t) => {
  fc.assert(
    fc.property(reachableV2States, (state) => {
      const before = structuredClone(state);
      const fallback = converters.toPrior(state) as LedgerV1State;
      assert.deepEqual(fallback, { accounts: balances(state) });
      assert.deepEqual(state, before, 'toPrior must not modify the v2 state');
      // The v1 app can carry on from the fallback state.
      serve(v1, fallback, [{ op: 'balance', account: 'acct-0' }]);
    }),
  );
  t.pass();
});

test('after an upgrade, v2 answers balance queries exactly as v1 did', (t) => {
  fc.assert(
    fc.property(reachableV1States, (prior) => {
      const upgraded = converters.fromPrior(structuredClone(prior));
      for (const account of Object.keys(prior.accounts)) {
        const query = { op: 'balance', account } as const;
        const context = { nowMs: 0, random: () => 0 };
        assert.deepEqual(
          v2.handle(upgraded, query, context).reply,
          v1.handle(prior, query, context).reply,
        );
      }
    }),
  );
  t.pass();
});

const badV1States: ReadonlyArray<readonly [string, unknown, RegExp]> = [
  ['null', null, /expected an object/],
  ['an array', [], /expected an object/],
  ['a Map', new Map([['accounts', {}]]), /expected an object/],
  ['an object without accounts', {}, /"accounts" must be an object/],
  ['accounts as an array', { accounts: [5] }, /"accounts" must be an object/],
  ['a negative balance', { accounts: { alice: -1 } }, /"alice" has no valid balance \(-1\)/],
  ['a fractional balance', { accounts: { alice: 0.5 } }, /"alice" has no valid balance/],
  ['a balance as a string', { accounts: { alice: '5' } }, /no valid balance \("5"\)/],
  ['an empty account id', { accounts: { '': 5 } }, /"" is not an account id/],
  ['an overlong account id', { accounts: { ['x'.repeat(33)]: 5 } }, /is not an account id/],
  ['extra fields', { accounts: {}, history: [] }, /unexpected fields history/],
  [
    'a v2 state',
    { accounts: { alice: { balance: 5, limit: null } }, history: [] },
    /unexpected fields history/,
  ],
];

for (const [what, prior, message] of badV1States) {
  test(`upgrading refuses ${what} with a clear error`, (t) => {
    const error = t.throws(() => converters.fromPrior(prior));
    // The converter gives a reason; the host says it.
    t.regex(errorText(error), /^ledger v1 state: /);
    t.regex(errorText(error), message);
  });
}
