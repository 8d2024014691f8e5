/**
 * Properties every ledger version must keep under arbitrary traffic: the
 * things a process pair relies on (purity, determinism, plain data) and the
 * thing the bank relies on (no negative balances).
 */

import assert from 'node:assert/strict';
import test from 'ava';
import { decode, encode } from 'cbor-x';
import fc from 'fast-check';
import type { App, HandlerContext } from '../firmware/app.ts';
import { AppInputError } from '../firmware/app.ts';
import type { LedgerWorkloadOptions } from '../firmware/apps/ledger/index.ts';
import {
  ledgerV1,
  ledgerV2,
  ledgerWorkload,
  MAX_AMOUNT,
  MAX_BALANCE,
  parseLedgerV1Request,
  parseLedgerV2Request,
} from '../firmware/apps/ledger/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: properties are checked for each ledger version alike.
type AnyLedger = App<any, any, any, any>;

/** A random source replaying `values` round and round; shrinks towards short, small sequences. */
function cycling(values: readonly number[]): () => number {
  let next = 0;
  return () => values[next++ % values.length] ?? 0;
}

const randoms = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
  minLength: 1,
  maxLength: 48,
});

interface Step {
  readonly input: unknown;
  /** When the primary took the request; the handler sees it as context.nowMs. */
  readonly takenAtMs: number;
}

/** A run of workload requests, plus the draws of the runtime's random generator. */
interface Traffic {
  readonly steps: readonly Step[];
  readonly draws: readonly number[];
}

function traffic(options: LedgerWorkloadOptions): fc.Arbitrary<Traffic> {
  return fc
    .record({
      workload: randoms,
      draws: randoms,
      accountCount: fc.integer({ min: 1, max: 6 }),
      length: fc.integer({ min: 0, max: 150 }),
      startMs: fc.nat({ max: 1e12 }),
    })
    .map(({ workload, draws, accountCount, length, startMs }) => {
      const next = ledgerWorkload(cycling(workload), accountCount, options);
      const steps = Array.from({ length }, (_, i) => ({
        input: next(),
        takenAtMs: startMs + i * 13,
      }));
      return { steps, draws };
    });
}

/** A fresh context per request, so a replaying backup can rebuild the very same one. */
function contextFor(step: Step, draws: readonly number[]): HandlerContext {
  const random = cycling(draws);
  return { nowMs: step.takenAtMs, random: () => random() };
}

function run(app: AnyLedger, { steps, draws }: Traffic) {
  let state = app.init();
  const updates: unknown[] = [];
  const replies: unknown[] = [];
  for (const step of steps) {
    const decision = app.handle(state, app.parseRequest(step.input), contextFor(step, draws));
    updates.push(decision.update);
    replies.push(decision.reply);
    state = app.apply(state, decision.update);
  }
  return { state, updates, replies };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function balancesOf(state: { accounts: Record<string, unknown> }): number[] {
  return Object.values(state.accounts).map((account) =>
    typeof account === 'number' ? account : (account as { balance: number }).balance,
  );
}

const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const versions = [
  { label: 'v1', factory: ledgerV1, options: {} },
  { label: 'v2', factory: ledgerV2, options: { includeV2Ops: true } },
] as const;

for (const { label, factory, options } of versions) {
  const app: AnyLedger = factory();

  test(`${label}: handle never mutates the state it is given (deep-frozen)`, (t) => {
    fc.assert(
      fc.property(traffic(options), (sample) => {
        let state = app.init();
        for (const step of sample.steps) {
          const frozen = deepFreeze(structuredClone(state));
          // Strict-mode code throws on any write to a frozen object.
          const request = app.parseRequest(step.input);
          const decision = app.handle(frozen, request, contextFor(step, sample.draws));
          assert.deepEqual(frozen, state);
          state = app.apply(state, decision.update);
        }
      }),
    );
    t.pass();
  });

  test(`${label}: balances stay whole, non-negative and exact under random workloads`, (t) => {
    fc.assert(
      fc.property(traffic(options), (sample) => {
        const { state } = run(app, sample);
        for (const balance of balancesOf(state)) {
          assert.ok(Number.isSafeInteger(balance) && balance >= 0 && balance <= MAX_BALANCE);
        }
      }),
    );
    t.pass();
  });

  test(`${label}: money is only created by deposits and destroyed by withdrawals`, (t) => {
    fc.assert(
      fc.property(traffic(options), (sample) => {
        const { state, replies } = run(app, sample);
        let expected = 0;
        sample.steps.forEach((step, i) => {
          const request = app.parseRequest(step.input) as { op: string; amount?: number };
          if ((replies[i] as { ok: boolean }).ok && request.amount !== undefined) {
            if (request.op === 'deposit') expected += request.amount;
            if (request.op === 'withdraw') expected -= request.amount;
          }
        });
        assert.equal(
          balancesOf(state).reduce((sum, balance) => sum + balance, 0),
          expected,
        );
      }),
    );
    t.pass();
  });

  test(`${label}: the same requests with the same contexts give the same replies and states`, (t) => {
    fc.assert(
      fc.property(traffic(options), (sample) => {
        const first = run(factory(), sample);
        const second = run(factory(), sample);
        assert.deepEqual(second, first);
      }),
    );
    t.pass();
  });

  test(`${label}: a state-model backup applying the primary's updates ends in the primary's state`, (t) => {
    const primary: AnyLedger = factory('state');
    const backup: AnyLedger = factory('state');
    fc.assert(
      fc.property(traffic(options), (sample) => {
        const { state, updates } = run(primary, sample);
        let mirror = viaJson(backup.init());
        for (const update of updates) mirror = backup.apply(mirror, viaJson(update));
        assert.deepEqual(mirror, state);
      }),
    );
    t.pass();
  });

  test(`${label}: a replay-model backup re-deciding each request reaches the same replies and state`, (t) => {
    const primary: AnyLedger = factory('replay');
    const backup: AnyLedger = factory('replay');
    fc.assert(
      fc.property(traffic(options), (sample) => {
        const expected = run(primary, sample);
        // The backup gets each request and the inputs the primary drew over the wire.
        const replayed = run(backup, viaJson(sample));
        assert.deepEqual(replayed.replies, expected.replies);
        assert.deepEqual(replayed.state, expected.state);
      }),
    );
    t.pass();
  });

  test(`${label}: states, updates and replies are plain data that survives JSON and CBOR`, (t) => {
    fc.assert(
      fc.property(traffic(options), (sample) => {
        const outcome = run(app, sample);
        assert.deepEqual(viaJson(outcome), outcome);
        assert.deepEqual(decode(encode(outcome)), outcome);
      }),
    );
    t.pass();
  });

  test(`${label}: parseRequest either returns a request or throws AppInputError, for anything`, (t) => {
    const anything = fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withObjectString: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
    });
    fc.assert(
      fc.property(anything, (input) => {
        try {
          app.parseRequest(input);
        } catch (error) {
          assert.ok(error instanceof AppInputError, String(error));
        }
      }),
    );
    t.pass();
  });
}

/** Requests that are nearly right: a real op, with each field drawn from good and bad values. */
const nearlyRequests = fc.record(
  {
    op: fc.constantFrom(
      'open',
      'deposit',
      'withdraw',
      'transfer',
      'balance',
      'set-limit',
      'history',
    ),
    account: fc.oneof(fc.string({ maxLength: 40 }), fc.anything()),
    from: fc.oneof(fc.string({ maxLength: 40 }), fc.anything()),
    to: fc.oneof(fc.string({ maxLength: 40 }), fc.anything()),
    amount: fc.oneof(fc.integer({ min: -5, max: MAX_AMOUNT + 5 }), fc.double(), fc.anything()),
    limit: fc.oneof(fc.constant(null), fc.integer({ min: -5, max: 50 }), fc.anything()),
  },
  { requiredKeys: ['op'] },
);

for (const [label, parse] of [
  ['v1', parseLedgerV1Request],
  ['v2', parseLedgerV2Request],
] as const) {
  test(`${label}: whatever parseRequest accepts is a clean request it accepts again unchanged`, (t) => {
    fc.assert(
      fc.property(nearlyRequests, (input) => {
        let request: unknown;
        try {
          request = parse(input);
        } catch (error) {
          assert.ok(error instanceof AppInputError);
          return;
        }
        assert.deepEqual(parse(request), request);
        assert.deepEqual(viaJson(request), request);
        assert.deepEqual(decode(encode(request)), request);
      }),
    );
    t.pass();
  });
}

test('every account id the parser accepts comes back from CBOR as the same map key', (t) => {
  const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
  const ids = fc.oneof(
    fc.string({ unit: anyCodeUnit, maxLength: 34 }),
    fc.string({ unit: 'binary', maxLength: 34 }),
    fc.constantFrom('__proto__', 'constructor', 'a\uD800', '\uDC00b'),
  );
  fc.assert(
    fc.property(ids, (account) => {
      try {
        parseLedgerV1Request({ op: 'open', account });
      } catch {
        return;
      }
      const accounts = { [account]: 1 };
      assert.deepEqual(Object.keys(decode(encode(accounts)) as object), [account]);
    }),
  );
  t.pass();
});
