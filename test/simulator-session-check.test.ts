/**
 * The simulator's check that the pair keeps every session while its reply
 * cache has room (`session-forgotten`): a cache forgets a session only to
 * make room for another. Without it, a reply cache that dropped the oldest
 * session at every new one passed every seed (a mutant of reply-cache.ts
 * that survived the mutation corpus).
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/v1.ts';
import { History } from '../host/history/client-history.ts';
import { worldOptionsFor } from '../host/simulator/campaign.ts';
import ledgerSimulation from '../host/simulator/ledger-simulation.ts';
import { runSeed } from '../host/simulator/world.ts';

test('a reply cache that keeps fewer sessions than the clients use forgets some, and that is no finding', (t) => {
  for (const seed of [1, 2, 3]) {
    const options = worldOptionsFor({
      seed,
      mode: 'state',
      module: ledgerSimulation,
      runMs: 10_000,
      faultModel: 'classic',
    });
    // Four clients, two sessions kept: clients are told their session expired, and register again.
    const result = runSeed({ ...options, config: { ...options.config, clientsMax: 2 } });
    t.deepEqual(result.violations, [], `seed ${seed}`);
    t.true(result.acknowledged > 0, `seed ${seed}`);
  }
});

test('a session begins with its acknowledged registration, and a new life of the state forgets it', (t) => {
  const history = new History(() => ledgerV1('state'));
  t.is(history.sessionBegunAt('c0'), undefined);
  history.record(120, { clientId: 'c0', syncId: 0, body: null, reply: null, txn: 1 });
  t.is(history.sessionBegunAt('c0'), 120);
  history.newEpoch();
  t.is(history.sessionBegunAt('c0'), undefined);
});
