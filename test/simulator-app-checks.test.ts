/**
 * The simulator's verdict on a user's app is about the app, not about how it
 * is written (issue 9, defect 14): an app that takes time and randomness from
 * its handler context passes in both checkpoint models; one that calls
 * Math.random is caught; a converter that loses data at a switch is caught;
 * a reply holding -0 is the same reply as the 0 that CBOR carries.
 *
 * The apps are the test/fixtures/plain-app modules, run through the real CLI
 * from a copy outside the repository, as a user's would be.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import type { ClientRequest } from '../firmware/runtime/messages.ts';
import { seededRandom } from '../firmware/runtime/random.ts';
import { History } from '../host/history/client-history.ts';
import type { CampaignResult } from '../host/simulator/campaign.ts';
import { stampSimulation } from './fixtures/plain-app/stamp.ts';
import { REPO_ROOT, runCli } from './fixtures/run-cli.ts';

/** Short versions of the 1,000-seed runs of the "done when". */
const PASSING_SEEDS = 50;
/** The defects show in the first seed; a few more make the count meaningful. */
const CAUGHT_SEEDS = 5;
const CAMPAIGN_TIMEOUT_MS = 300_000;
const MODES = ['state', 'replay'] as const;

let folder = '';
test.before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'tandem-plain-app-'));
  await cp(join(REPO_ROOT, 'test/fixtures/plain-app'), folder, { recursive: true });
});
test.after.always(async () => {
  if (folder !== '') await rm(folder, { recursive: true, force: true });
});

/** The checks of an app's replies, on the first schedule unless `schedule` says otherwise. */
async function campaign(
  app: string,
  mode: string,
  seeds: number,
  schedule: readonly string[] = ['--fault-model', 'classic'],
) {
  const run = await runCli(
    [
      'simulate',
      '--app',
      `./${app}`,
      '--mode',
      mode,
      '--seeds',
      String(seeds),
      ...schedule,
      '--json',
    ],
    CAMPAIGN_TIMEOUT_MS,
    folder,
  );
  const result = JSON.parse(run.stdout) as CampaignResult;
  return { run, result, kinds: new Set(result.firstViolations.map((v) => v.kind)) };
}

for (const mode of MODES) {
  test(`an app that uses context.nowMs and context.random passes ${PASSING_SEEDS} seeds in the ${mode} model`, async (t) => {
    const { run, result } = await campaign('stamp-app.ts', mode, PASSING_SEEDS);
    t.deepEqual(result.firstViolations, [], `seeds 1 to ${PASSING_SEEDS}, ${mode}`);
    t.is(run.code, 0, run.stderr);
    t.true(result.acknowledged > 0, 'clients got answers');
    t.true(result.switches > 0 && result.fallbacks > 0, 'handovers both ways happened');
    t.true(result.takeovers > 0, 'takeovers happened');
  });

  test(`an app that calls Math.random is caught in the ${mode} model`, async (t) => {
    const { run, result, kinds } = await campaign('math-random-app.ts', mode, CAUGHT_SEEDS);
    t.true(result.violations > 0, `seeds 1 to ${CAUGHT_SEEDS}, ${mode}`);
    t.true(kinds.has('inconsistent-reply'));
    t.is(run.code, 1);
  });

  test(`a reply holding -0 is not a violation in the ${mode} model`, async (t) => {
    const { run, result } = await campaign('negative-zero-app.ts', mode, CAUGHT_SEEDS);
    t.deepEqual(result.firstViolations, [], `seeds 1 to ${CAUGHT_SEEDS}, ${mode}`);
    t.is(run.code, 0, run.stderr);
  });
}

test('wide seed 699 (state): the primary a takeover left behind runs requests after the new one did, and the replay follows the new term', async (t) => {
  // One path cut one way from the primary, no fence: the backup takes over on silence while the
  // old primary, which still hears it, runs c3#382 as txn 1521 too until it hears term 5.
  const { run, result } = await campaign('stamp-app.ts', 'state', 1, ['--start-seed', '699']);
  t.deepEqual(result.firstViolations, []);
  t.is(run.code, 0, run.stderr);
});

test('a converter that drops data on the way down is caught at the switch', async (t) => {
  const { run, result, kinds } = await campaign('lossy-fallback-app.ts', 'state', CAUGHT_SEEDS);
  t.true(result.violations > 0, `seeds 1 to ${CAUGHT_SEEDS}, state`);
  t.deepEqual([...kinds], ['converter-loses-data']);
  t.regex(result.firstViolations[0]?.detail ?? '', /differs at \.lastStampedAt/);
  t.is(run.code, 1);
});

// ---------------------------------------------------------------- History, directly

function stampHistory(variant: Parameters<typeof stampSimulation>[0]) {
  const [v1, v2] = stampSimulation(variant).versions('state') as unknown as [AnyApp, AnyApp];
  const apps = new Map([
    [v1.version, v1],
    [v2.version, v2],
  ]);
  const history = new History((version) => apps.get(version) as AnyApp, 'reported');
  return { v1, v2, history };
}

const REQUEST: ClientRequest = { clientId: 'c1', syncId: 1, body: { op: 'stamp', by: 'desk-0' } };

test('the sequential replay runs each request with the context its primary used', (t) => {
  const { v1, history } = stampHistory({ draw: 'context' });
  history.servingFrom(0, v1.version);
  const context = { nowMs: 1234.5, seed: 987_654 };
  // The primary executed it once, was lost before its backup had it, and the next primary ran it again.
  history.executed({ kind: 'executed', txn: 1, clientId: 'c1', syncId: 1, nowMs: 99, seed: 1 }, 1);
  history.executed({ kind: 'executed', txn: 1, clientId: 'c1', syncId: 1, ...context }, 2);
  const state = v1.init();
  const decision = v1.handle(state, v1.parseRequest(REQUEST.body), {
    nowMs: context.nowMs,
    random: seededRandom(context.seed),
  });
  history.acknowledge(10, REQUEST, {
    reply: decision.reply,
    txn: 1,
    syncId: 1,
  });
  history.checkSequential(20, v1.apply(state, decision.update), v1.version, 1);
  t.deepEqual(history.violations, []);
});

test('a primary a takeover left behind runs the request in its old term after the new primary did: the replay follows the new term', (t) => {
  // Simulator seed 699 (state, --app stamp-app): one path cut from the primary one way, no fence;
  // the backup took over in term 5 and ran c3#382 as txn 1521 in the same millisecond as the old
  // primary, still in term 4 (its reply could never be released), whose run was recorded last.
  const { v1, history } = stampHistory({ draw: 'context' });
  history.servingFrom(0, v1.version);
  const context = { nowMs: 1234.5, seed: 987_654 };
  history.executed({ kind: 'executed', txn: 1, clientId: 'c1', syncId: 1, ...context }, 5);
  history.executed({ kind: 'executed', txn: 1, clientId: 'c1', syncId: 1, nowMs: 99, seed: 1 }, 4);
  const state = v1.init();
  const decision = v1.handle(state, v1.parseRequest(REQUEST.body), {
    nowMs: context.nowMs,
    random: seededRandom(context.seed),
  });
  history.acknowledge(10, REQUEST, { reply: decision.reply, txn: 1, syncId: 1 });
  history.checkSequential(20, v1.apply(state, decision.update), v1.version, 1);
  t.deepEqual(history.violations, []);
});

test('a request acknowledged with no execution on record is reported', (t) => {
  const { v1, history } = stampHistory({ draw: 'context' });
  history.servingFrom(0, v1.version);
  // The reply a replay at time 0 with seed 0 gives: the guess the checker must not make.
  const state = v1.init();
  const guess = v1.handle(state, v1.parseRequest(REQUEST.body), {
    nowMs: 0,
    random: seededRandom(0),
  });
  history.acknowledge(10, REQUEST, { reply: guess.reply, txn: 1, syncId: 1 });
  history.checkSequential(20, v1.apply(state, guess.update), v1.version, 1);
  t.deepEqual(
    history.violations.map((v) => v.kind),
    ['inconsistent-reply'],
  );
  t.regex(history.violations[0]?.detail ?? '', /no primary executed it/);
});

test('a retry answered with 0 where the primary said -0 is the same reply; 1 and 2 are not', (t) => {
  const { history } = stampHistory({ draw: 'context' });
  history.acknowledge(1, REQUEST, { reply: { offset: -0 }, txn: 1, syncId: 1 });
  history.acknowledge(2, REQUEST, { reply: { offset: 0 }, txn: 1, syncId: 1 });
  t.deepEqual(history.violations, []);
  history.acknowledge(3, REQUEST, { reply: { offset: 1 }, txn: 1, syncId: 1 });
  t.deepEqual(
    history.violations.map((v) => v.kind),
    ['retry-reply-differs'],
  );
});

test('the converter round trip is checked at a switch and at a fallback', (t) => {
  const v1State = { issued: 3, lastStampedAt: 512.25, luck: 1.5 };
  const v2State = { ...v1State, recent: [0.25, 0.5] };
  const versions = ['1.0.0', '2.0.0'] as const;

  const sound = stampHistory({ draw: 'context' }).history;
  sound.checkHandover(1, '1.0.0', v1State, versions);
  // Down and up again loses `recent`, which v1 cannot hold: that is not a loss.
  sound.checkHandover(2, '2.0.0', v2State, versions);
  t.deepEqual(sound.violations, []);

  const lossy = stampHistory({ draw: 'context', lossyFallback: true }).history;
  const before = structuredClone(v1State);
  lossy.checkHandover(3, '1.0.0', v1State, versions);
  t.deepEqual(
    lossy.violations.map((v) => v.kind),
    ['converter-loses-data'],
  );
  t.regex(lossy.violations[0]?.detail ?? '', /1\.0\.0 to 2\.0\.0: .* differs at \.lastStampedAt/);
  t.deepEqual(v1State, before, 'the primary state is not touched');
});
