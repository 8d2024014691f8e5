/**
 * One request, one answer (issue 9): a request the primary refused
 * `bad-request` (its handler threw, or its entry could not travel) is a
 * transaction that changed nothing, kept in the reply cache and held by the
 * backup. A copy of it that arrives later (a resend, a copy held across a
 * switch) gets the same refusal, never a run, even once the state changed so
 * that the handler would now succeed, and even on the board that took over.
 */
import test from 'ava';
import { type AnyApp, AppInputError, type CheckpointModel, defineApp } from '../firmware/app.ts';
import { CHECKPOINT_BATCH_BYTES_MAX } from '../firmware/runtime/checkpoint-stream.ts';
import { CorePair } from './helpers/core-pair.ts';

/** A counter whose handler fails (an app bug) on a `risky` request while the count is even. */
function flakyCounter(checkpoint: CheckpointModel): AnyApp {
  return defineApp<{ n: number }, { risky: boolean }, number, number>({
    name: 'flaky',
    version: '1.0.0',
    stateVersion: 1,
    checkpoint,
    init: () => ({ n: 0 }),
    parseRequest: (body) => {
      if (typeof body !== 'object' || body === null) throw new AppInputError('expected an object');
      return { risky: (body as { risky?: unknown }).risky === true };
    },
    handle: (state, request) => {
      if (request.risky && state.n % 2 === 0) throw new Error('even count');
      return { update: state.n + 1, reply: state.n + 1 };
    },
    apply: (_state, n) => ({ n }),
  });
}

for (const model of ['state', 'replay'] as const satisfies readonly CheckpointModel[]) {
  test(`${model} model: a request refused bad-request gets the same refusal again, after the state changed and after a takeover`, (t) => {
    const pair = new CorePair([flakyCounter(model), flakyCounter(model)], {
      heartbeatIntervalMs: 20,
    });
    pair.runUntil(() => pair.whole);

    const refusal = pair.ask(0, 'c', 1, { risky: true });
    if (refusal.ok) return t.fail(`the risky request ran: ${JSON.stringify(refusal)}`);
    t.is(refusal.error, 'bad-request');
    t.is(typeof refusal.txn, 'number', 'the refusal is a transaction');
    // A checker learns which request the refused transaction was, as for one that ran.
    t.like(
      pair.eventsOf('executed').find((e) => e.kind === 'executed' && e.txn === refusal.txn),
      { clientId: 'c', syncId: 1, refused: 'bad-request' },
    );

    // The count is odd now: the same request would succeed if it ran.
    t.like(pair.ask(0, 'c', 2, {}), { ok: true, reply: 1 });
    t.deepEqual(
      pair.ask(0, 'c', 1, { risky: true }),
      refusal,
      'a resend is answered from the cache',
    );
    t.like(pair.ask(0, 'c', 3, {}), { ok: true, reply: 2 }, 'the refused request changed nothing');

    // The backup holds the refusal.
    pair.powerOff(0);
    pair.runUntil(() => pair.cores[1]?.serving === true);
    t.like(pair.ask(1, 'c', 4, {}), { ok: true, reply: 3 });
    t.deepEqual(
      pair.ask(1, 'c', 1, { risky: true }),
      refusal,
      'the new primary gives the same answer',
    );
  });
}

test('a request whose checkpoint entry could not travel in a frame is refused entry-too-big, and changes nothing', (t) => {
  // Each request's update carries as many bytes as it asks for.
  const app: AnyApp = defineApp<{ n: number; last: string }, number, string, number>({
    name: 'padded',
    version: '1.0.0',
    stateVersion: 1,
    checkpoint: 'state',
    init: () => ({ n: 0, last: '' }),
    parseRequest: (body) => Number(body),
    handle: (state, bytes) => ({ update: 'x'.repeat(bytes), reply: state.n + 1 }),
    apply: (state, last) => ({ n: state.n + 1, last }),
  });
  const pair = new CorePair([app, app]);
  pair.runUntil(() => pair.whole);
  t.like(pair.ask(0, 'c', 1, 100), { ok: true, reply: 1 });
  // Within what a message may hold, past what a batch of entries may.
  const refusal = pair.ask(0, 'c', 2, CHECKPOINT_BATCH_BYTES_MAX);
  if (refusal.ok) return t.fail('an entry bigger than a batch ran');
  t.is(refusal.error, 'bad-request');
  t.like(refusal.why, { code: 'entry-too-big', max: CHECKPOINT_BATCH_BYTES_MAX });
  t.like(pair.ask(0, 'c', 3, 100), { ok: true, reply: 2 }, 'the refused request changed nothing');
  pair.run(100);
  t.deepEqual(pair.core(1).state, pair.core(0).state);
});
