import test from 'ava';
import { LEDGER_VERSIONS } from '../firmware/apps/ledger/index.ts';
import { explain, runLedger } from './helpers/ledger-world.ts';

test('a pair under load with no faults answers every request once', (t) => {
  // Both processors boot together: processor 1 wins the tie-break, processor 2
  // joins with a big checkpoint, and every reply waits for the backup.
  const result = runLedger();
  t.is(explain(result), '');
  t.true(result.acknowledged > 100);
  t.is(result.takeovers, 0);
});

test('backup takes over when the primary loses power', (t) => {
  // The backup sees DSR drop on both paths, fences the old primary and serves;
  // retries are answered from the checkpointed reply cache.
  const result = runLedger({ script: [{ atMs: 3000, action: 'pull-primary' }] });
  t.is(explain(result), '');
  t.is(result.takeovers, 1);
  t.is(result.lost, 0);
  t.is(result.duplicated, 0);
});

test('backup takes over when the primary loses power mid-checkpoint', (t) => {
  // Replies still waiting for the backup's acknowledgement are never seen by
  // clients; their retries run once on the new primary or get the saved reply.
  const result = runLedger({ script: [{ atMs: 2500, action: 'pull-primary-mid-checkpoint' }] });
  t.is(explain(result), '');
  t.is(result.takeovers, 1);
  t.is(result.lost, 0);
  t.is(result.duplicated, 0);
});

test('primary carries on alone when the backup loses power, and the backup rejoins', (t) => {
  // No takeover: the primary serves alone until the restored board joins
  // again through a big checkpoint (the final phase checks the pair re-forms).
  const result = runLedger({
    script: [
      { atMs: 2000, action: 'pull-backup' },
      { atMs: 4000, action: 'restore-power' },
    ],
  });
  t.is(explain(result), '');
  t.is(result.takeovers, 0);
});

test('one path cut alone raises an alarm and never causes a takeover', (t) => {
  // Path 0 is unplugged (data and DSR); path 1 still carries heartbeats.
  const result = runLedger({
    script: [
      { atMs: 2000, action: 'cut-path-0' },
      { atMs: 5000, action: 'restore-cables' },
    ],
  });
  t.is(explain(result), '');
  t.is(result.takeovers, 0);
  t.true(result.trace.some((line) => line.includes('path 0 down')));
  t.true(result.trace.some((line) => line.includes('ALARM: path 0 is down')));
});

for (const mode of ['state', 'replay'] as const) {
  test(`a switch to 2.0.0 and a fallback to 1.0.0 lose nothing (${mode} model)`, (t) => {
    // Steps a to i of the online replacement, then the same procedure downward
    // with 2.0.0's converter; the pair ends confirmed on 1.0.0.
    const result = runLedger({
      mode,
      runMs: 10_000,
      script: [
        { atMs: 2000, action: 'switch' },
        { atMs: 6000, action: 'switch' },
      ],
    });
    t.is(explain(result), '');
    t.is(result.switches, 1);
    t.is(result.fallbacks, 1);
    t.deepEqual(result.finalVersions, ['1.0.0', '1.0.0']);
  });
}

test('a switch survives the new primary losing power after the handover', (t) => {
  // Processor 2 runs 2.0.0 on trial when it is pulled after the switch: the
  // old processor restarted on 2.0.0 and holds the state, so it takes over.
  const result = runLedger({
    runMs: 10_000,
    script: [
      { atMs: 2000, action: 'switch' },
      { atMs: 5000, action: 'pull-primary' },
      { atMs: 6000, action: 'restore-power' },
    ],
  });
  t.is(explain(result), '');
  t.is(result.lost, 0);
  t.is(result.duplicated, 0);
});

test("the backup's $RECEIVE loop hears checkpoints, and both hear the partner's loss and the takeover", (t) => {
  // Each core gets its own app instance; the hook records what the runtime delivers.
  const heard: string[] = [];
  const result = runLedger({
    loadApp: (version) => {
      const app = LEDGER_VERSIONS[version as keyof typeof LEDGER_VERSIONS]('state');
      return { ...app, receive: (message) => heard.push(message.kind) };
    },
    script: [{ atMs: 3000, action: 'pull-primary' }],
  });
  t.is(explain(result), '');
  for (const kind of [
    'state-transfer',
    'checkpoint',
    'partner-up',
    'partner-down',
    'path-down',
    'takeover',
  ]) {
    t.true(heard.includes(kind), `no ${kind} message`);
  }
});

test('a switch tells the apps it was requested and that the backup stopped voluntarily', (t) => {
  const heard: string[] = [];
  runLedger({
    loadApp: (version) => {
      const app = LEDGER_VERSIONS[version as keyof typeof LEDGER_VERSIONS]('state');
      return { ...app, receive: (message) => heard.push(message.kind) };
    },
    script: [{ atMs: 2000, action: 'switch' }],
  });
  t.true(heard.includes('switch-requested'));
  t.true(heard.includes('voluntary-stop'));
});
