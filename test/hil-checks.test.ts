/**
 * The campaign's checks and reports on synthetic data: the split-brain
 * check from role logs and power events, percentiles, the replay split into
 * epochs at a double failure, the pull schedule's seed, JUnit escaping and
 * the HTML report's escaping.
 */
import test from 'ava';
import type { ClientRequest } from '../firmware/runtime/messages.ts';
import type { RoleCause } from '../firmware/runtime/outputs.ts';
import type { CampaignRun } from '../hil/campaign.ts';
import { htmlReport } from '../hil/html-report.ts';
import { campaignJunit, escapeXml, junitXml } from '../hil/junit.ts';
import { percentile, percentiles } from '../hil/percentiles.ts';
import { planPulls } from '../hil/pull-schedule.ts';
import {
  findOverlaps,
  findSplitBrains,
  type LoggedAnswer,
  type PowerEvent,
  replayHistory,
  roleIntervals,
  roleMarks,
} from '../host/history/history-check.ts';
import { loadLedger } from '../host/load/lab-load.ts';
import { ClockSkew } from '../host/pair/clock-skew.ts';
import type { PairJournalEntry } from '../host/pair/pair-journal.ts';
import { elementsNamed, parseXml } from './helpers/xml.ts';

let seq = 0;
/**
 * A role entry of `processor`'s journal at `atMs` (the tests use one clock
 * for all), recorded in power-on `powerOn` of that board (1 unless told).
 */
function role(
  processor: 1 | 2,
  atMs: number,
  name: string,
  cause: RoleCause = 'boot',
  powerOn = 1,
): PairJournalEntry {
  seq += 1;
  return {
    kind: 'role',
    role: name as 'primary',
    term: 1,
    txn: 0,
    cause,
    seq,
    atMs,
    boot: 1,
    version: '1.0.0',
    processor,
    powerOn,
  };
}

/** A takeover entry of `processor`'s journal: it took the roles, fencing its partner or not. */
function takeover(processor: 1 | 2, atMs: number, fenced: boolean): PairJournalEntry {
  seq += 1;
  return {
    kind: 'takeover',
    fenced,
    why: { code: 'primary-silent' },
    seq,
    atMs,
    boot: 1,
    version: '1.0.0',
    processor,
    powerOn: 1,
  };
}

const same = (ms: number) => ms;
const bothBooting = { 1: 'booting', 2: 'booting' } as const;

function splitBrains(entries: PairJournalEntry[], power: PowerEvent[] = [], endMs = 10_000) {
  return findSplitBrains(roleIntervals(roleMarks(entries, power, same), bothBooting, 0, endMs));
}

test('split brain: a takeover after the old primary was pulled is not one', (t) => {
  const found = splitBrains(
    [role(1, 100, 'primary'), role(2, 100, 'backup'), role(2, 1250, 'primary-alone')],
    [{ processor: 1, atMs: 1000, on: false }],
  );
  t.deepEqual(found, []);
});

test('split brain: two boards in serving roles over overlapping times are reported', (t) => {
  // P1 never stepped down (no pull, no role change) while P2 took over: both served 1200-3000.
  const found = splitBrains(
    [
      role(1, 100, 'primary'),
      role(2, 100, 'backup'),
      role(2, 1200, 'primary-alone'),
      role(1, 3000, 'booting'),
    ],
    [],
  );
  t.is(found.length, 1);
  t.is(found[0]?.fromMs, 1200);
  t.is(found[0]?.toMs, 3000);
  t.deepEqual(
    found[0]?.intervals.map((i) => i.band),
    ['primary', 'primary-alone'],
  );
});

test('split brain: a board pulled and never heard of again stops serving at the pull', (t) => {
  const entries = [role(1, 100, 'primary'), role(2, 100, 'backup'), role(2, 1200, 'primary-alone')];
  t.is(splitBrains(entries, []).length, 1, 'without the pull the old primary serves on');
  t.deepEqual(splitBrains(entries, [{ processor: 1, atMs: 1150, on: false }]), []);
  t.is(
    splitBrains(entries, [{ processor: 1, atMs: 1300, on: false }]).length,
    1,
    'pulled only after the takeover: 100 ms of both serving',
  );
});

test('split brain: entries a pulled board wrote while it was off do not revive it', (t) => {
  const found = splitBrains(
    [
      role(1, 100, 'primary'),
      role(2, 100, 'backup'),
      role(1, 1005, 'primary-alone'), // after the relay switched, before the supply died
      role(2, 1200, 'primary-alone'),
    ],
    [{ processor: 1, atMs: 1000, on: false }],
  );
  t.deepEqual(found, []);
});

test('split brain: an old primary that handed its roles over is not serving', (t) => {
  const entries = [
    role(1, 100, 'primary'),
    role(2, 100, 'backup'),
    role(1, 500, 'switching', 'switch-started'),
    role(1, 900, 'switching', 'roles-offered'),
    role(2, 910, 'primary-alone', 'roles-taken'),
    role(1, 950, 'stopped'),
  ];
  t.deepEqual(splitBrains(entries), []);
  // Without the handover, and P2 serving for another reason (no "roles switched"):
  // P1 switching 500-950 overlaps P2 from 910.
  const noHandover = [
    role(1, 100, 'primary'),
    role(2, 100, 'backup'),
    role(1, 500, 'switching', 'switch-started'),
    role(2, 910, 'primary-alone', 'takeover'),
    role(1, 950, 'stopped'),
  ];
  t.is(splitBrains(noHandover).length, 1);
});

test('split brain: a handover whose entry died with a pull is read from the new primary', (t) => {
  const entries = [
    role(1, 100, 'primary'),
    role(2, 100, 'backup'),
    role(1, 500, 'switching', 'switch-started'),
    // P1's "roles handed" entry was never read: P1 lost power at 912.
    role(2, 910, 'primary-alone', 'roles-taken'),
  ];
  t.deepEqual(splitBrains(entries, [{ processor: 1, atMs: 912, on: false }]), []);
  // Inferred only for a board then switching: a P1 that was primary still overlaps.
  const stillPrimary = [role(1, 100, 'primary'), role(2, 910, 'primary-alone', 'roles-taken')];
  t.is(splitBrains(stillPrimary, [{ processor: 1, atMs: 912, on: false }]).length, 1);
});

test('split brain: a fence reset ends the fenced board’s serving interval', (t) => {
  // P2 took over and fenced P1 (a stalled but healthy primary) at 1200; no pull by the
  // campaign. P1's journal shows it restarted: a new power-on, booting at 1600.
  const fenced = [
    role(1, 100, 'primary'),
    role(2, 100, 'backup'),
    takeover(2, 1200, true),
    role(2, 1200, 'primary-alone', 'takeover'),
    role(1, 1600, 'booting', 'boot', 2),
    role(1, 2000, 'backup', 'big-checkpoint-installed', 2),
  ];
  t.deepEqual(splitBrains(fenced), [], 'the fence took P1 down at 1200');
  const roles = roleIntervals(roleMarks(fenced, [], same), bothBooting, 0, 10_000);
  t.like(
    roles.find((r) => r.processor === 1 && r.fromMs === 1200),
    { band: 'off', toMs: 1600, fromClock: 2, toClock: 1 },
  );
  // A fence line that did nothing (P1 never restarted) ends nothing: P1 served on.
  const noEffect = [
    role(1, 100, 'primary'),
    role(2, 100, 'backup'),
    takeover(2, 1200, true),
    role(2, 1200, 'primary-alone'),
    role(1, 1600, 'stopped'),
  ];
  t.is(splitBrains(noEffect).length, 1);
  // A takeover without a fence resets nothing either.
  const unfenced = fenced.map((e) => (e.kind === 'takeover' ? { ...e, fenced: false } : e));
  t.is(splitBrains(unfenced).length, 1);
});

/** P1 served from 100 until it stopped at `stopsAtMs` (its clock); P2 took over at 1000 (its clock). */
function handover(stopsAtMs: number): PairJournalEntry[] {
  return [
    role(1, 100, 'primary'),
    role(2, 100, 'backup'),
    role(2, 1000, 'primary-alone', 'takeover'),
    role(1, stopsAtMs, 'stopped'),
  ];
}

test('split brain: an overlap of a few ms between two boards’ clocks, within their skew, is not one', (t) => {
  // Each board's clock may be 2 ms off the host's: the two may differ by 4 ms.
  const skew = { 1: 2, 2: 2 } as const;
  const roles = roleIntervals(roleMarks(handover(1003), [], same), bothBooting, 0, 10_000);
  t.deepEqual(findSplitBrains(roles, skew), []);
  const overlaps = findOverlaps(roles, skew);
  t.is(overlaps.length, 1);
  t.like(overlaps[0], { fromMs: 1000, toMs: 1003, allowanceMs: 4, withinSkew: true });
});

test('split brain: a long overlap is one whatever the skew, and one clock gets no allowance', (t) => {
  const skew = { 1: 2, 2: 2 } as const;
  const long = findSplitBrains(
    roleIntervals(roleMarks(handover(1300), [], same), bothBooting, 0, 10_000),
    skew,
  );
  t.is(long.length, 1);
  t.like(long[0], { fromMs: 1000, toMs: 1300, allowanceMs: 4, withinSkew: false });
  // Ended by the campaign's pull (the host's clock, exact): only P2's bound applies.
  const pulled = [role(1, 100, 'primary'), role(2, 1000, 'primary-alone')];
  const short = findSplitBrains(
    roleIntervals(
      roleMarks(pulled, [{ processor: 1, atMs: 1003, on: false }], same),
      bothBooting,
      0,
      10_000,
    ),
    skew,
  );
  t.is(short.length, 1, '3 ms beyond the 2 ms P2 may be off');
  t.like(short[0], { allowanceMs: 2, withinSkew: false });
});

test('split brain: a pull known only to within its relay write may end the overlap that much earlier', (t) => {
  // The host asked for P1's relay at 990 and its write completed at 1050 (a loaded host):
  // P2's takeover at 1000 (on DSR dropping) may well have come after P1 died.
  const skew = { 1: 2, 2: 2 } as const;
  const entries = [role(1, 100, 'primary'), role(2, 1000, 'primary-alone')];
  const overlaps = (requestedAtMs?: number) =>
    findOverlaps(
      roleIntervals(
        roleMarks(entries, [{ processor: 1, atMs: 1050, on: false, requestedAtMs }], same),
        bothBooting,
        0,
        10_000,
      ),
      skew,
    );
  t.like(overlaps(990)[0], { fromMs: 1000, toMs: 1050, allowanceMs: 62, withinSkew: true });
  t.like(overlaps(1049)[0], { allowanceMs: 3, withinSkew: false }, 'a quick write excuses little');
  t.like(overlaps()[0], { allowanceMs: 2, withinSkew: false });
});

test('clock skew: each answer brackets the board’s clock; one power-on’s brackets intersect', (t) => {
  const skew = new ClockSkew();
  t.is(skew.boundMs, null, 'a board that never told its clock');
  // The board is 1.5 ms ahead of the host. Round trips of 10 ms, then 2 ms.
  skew.add(7, 100, 106.5, 110);
  t.deepEqual(skew.brackets, [{ loMs: -3.5, hiMs: 6.5, samples: 1 }]);
  skew.add(7, 200, 202.5, 202);
  t.deepEqual(skew.brackets, [{ loMs: 0.5, hiMs: 2.5, samples: 2 }]);
  t.is(skew.boundMs, 2.5);
  // A restart is a new power-on with its own offset (here 4 ms behind).
  skew.add(8, 300, 297, 302);
  t.is(skew.boundMs, 5, 'its bracket is -5 to -3 ms');
  t.is(skew.samples, 3);
  // A clock that drifted: brackets that no longer meet keep their hull.
  skew.add(7, 400, 410, 401);
  t.deepEqual(skew.brackets[0], { loMs: 0.5, hiMs: 10, samples: 3 });
});

test('percentiles by nearest rank', (t) => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  t.is(percentile(values, 50), 50);
  t.is(percentile(values, 99), 99);
  t.is(percentile(values, 100), 100);
  t.is(percentile([7], 50), 7);
  t.is(percentile([], 50), null);
  t.deepEqual(percentiles([3, 1, 2]), { p50: 2, p99: 3, max: 3, count: 3 });
  t.deepEqual(percentiles([]), { p50: null, p99: null, max: null, count: 0 });
  t.throws(() => percentile([1], 0), { instanceOf: RangeError });
});

function ack(atMs: number, clientId: string, syncId: number, txn: number): LoggedAnswer {
  const request = { clientId, syncId, body: { op: 'balance', account: 'a' } } as ClientRequest;
  return { kind: 'ack', atMs, request, reply: { reply: { ok: true }, txn, syncId } };
}

test('replay: a double failure starts a new epoch; without the split, txn 1 twice is a loss', (t) => {
  const log = [ack(10, 'c1', 1, 1), ack(20, 'c2', 1, 2), ack(500, 'c3', 1, 1)];
  const whole = replayHistory(log, [], loadLedger);
  t.is(whole.lost, 1);
  t.is(whole.violations[0]?.kind, 'acknowledged-lost');
  const split = replayHistory(log, [300], loadLedger);
  t.is(split.lost, 0);
  t.deepEqual(split.violations, []);
  t.is(split.lostToDoubleFailure, 2);
  t.is(split.acknowledged, 3);
});

test('replay: a retry answered with another txn is a duplicate', (t) => {
  const history = replayHistory([ack(10, 'c1', 1, 1), ack(20, 'c1', 1, 2)], [], loadLedger);
  t.is(history.duplicated, 1);
  t.is(history.violations[0]?.kind, 'executed-twice');
});

test('the pull schedule: one seed, one schedule; takeover never pulls during a switch', (t) => {
  t.deepEqual(planPulls(42, 30, 'takeover'), planPulls(42, 30, 'takeover'));
  t.notDeepEqual(planPulls(42, 30, 'takeover'), planPulls(43, 30, 'takeover'));
  // A longer run starts with the same pulls.
  t.deepEqual(planPulls(42, 50, 'mixed').slice(0, 30), planPulls(42, 30, 'mixed'));
  const takeover = planPulls(1, 200, 'takeover');
  t.false(takeover.some((p) => p.kind === 'switch'));
  t.true(takeover.some((p) => p.kind === 'rejoin'));
  for (const scenario of ['takeover', 'upgrade', 'mixed'] as const) {
    const plan = planPulls(5, 200, scenario);
    t.not(plan[0]?.kind, 'rejoin');
    plan.forEach((pull, i) => {
      if (pull.kind === 'rejoin') t.not(plan[i - 1]?.kind, 'switch');
    });
  }
  t.true(planPulls(5, 200, 'upgrade').some((p) => p.kind === 'switch'));
});

test('JUnit: names and messages are escaped and the file parses as XML', (t) => {
  const nasty = `a<b>&"c" 'd' \u0001\u001b]0;title\u0007 ü`;
  t.is(escapeXml('<&>"\''), '&lt;&amp;&gt;&quot;&apos;');
  const xml = junitXml({
    name: nasty,
    timestamp: '2025-01-01T00:00:00.000Z',
    timeS: 1.5,
    properties: { seed: nasty },
    cases: [
      { name: nasty, classname: 'x', timeS: 0.1 },
      {
        name: 'fails',
        classname: 'x',
        timeS: 0,
        failure: { message: nasty, detail: `${nasty}\n]]>` },
      },
      { name: 'skipped', classname: 'x', timeS: 0, skipped: nasty },
    ],
  });
  const root = parseXml(xml);
  const cases = elementsNamed(root, 'testcase');
  const cleaned = 'a<b>&"c" \'d\' ]0;title ü';
  t.is(cases[0]?.attributes.name, cleaned);
  t.is(elementsNamed(root, 'failure')[0]?.attributes.message, cleaned);
  t.is(elementsNamed(root, 'failure')[0]?.text, `${cleaned}\n]]>`);
  t.is(elementsNamed(root, 'skipped')[0]?.attributes.message, cleaned);
  t.is(elementsNamed(root, 'testsuite')[0]?.attributes.failures, '1');
  t.is(elementsNamed(root, 'testsuite')[0]?.attributes.skipped, '1');
  t.throws(() => parseXml('<a>x & y</a>'), undefined, 'the parser itself refuses a bare &');
});

/** A small run with a hostile detail, a takeover and a split brain. */
function syntheticRun(stopped: { interrupted: boolean } = { interrupted: false }): CampaignRun {
  const roles = roleIntervals(
    roleMarks(
      [role(1, 0, 'primary'), role(2, 0, 'backup'), role(2, 1100, 'primary-alone')],
      [
        { processor: 1, atMs: 1000, on: false },
        { processor: 1, atMs: 1500, on: true },
      ],
      same,
    ),
    bothBooting,
    0,
    3000,
  );
  return {
    result: {
      seed: 1,
      rig: 'sim<rig>',
      scenario: 'takeover',
      pulls: 1,
      pullsPlanned: stopped.interrupted ? 5 : 1,
      interrupted: stopped.interrupted,
      acknowledged: 10,
      lost: 0,
      duplicated: 0,
      splitBrain: 0,
      overlapsWithinSkew: 0,
      clockSkew: { boundMs: { 1: 1, 2: null }, samples: { 1: 10, 2: 0 }, method: 'test' },
      doubleFailures: 0,
      lostToDoubleFailure: 0,
      violations: ['<script>alert(1)</script>'],
      takeoverMs: percentiles([100]),
      reformMs: percentiles([900]),
      journalIncomplete: false,
      durationS: 3,
    },
    startedAt: '2025-01-01T00:00:00.000Z',
    endMs: 3000,
    pulls: [
      {
        index: 0,
        kind: 'load',
        victim: 'primary',
        processor: 1,
        step: null,
        wasServing: true,
        pulledAtMs: 1000,
        restoredAtMs: 1500,
        takeoverMs: 100,
        reformMs: 900,
        outcome: 'failed',
        detail: '<img src=x onerror=alert(1)> & "quotes"',
        switch: null,
      },
    ],
    power: [
      { processor: 1, atMs: 1000, on: false },
      { processor: 1, atMs: 1500, on: true },
    ],
    roles,
    splitBrains: [],
    overlapsWithinSkew: [],
    waits: [
      { atMs: 500, waitedMs: 2 },
      { atMs: 1100, waitedMs: 100 },
      { atMs: 2000, waitedMs: 3 },
    ],
    invariants: [
      { name: 'exactly-once', title: 'exactly once', ok: true, detail: 'ok' },
      { name: 'split-brain', title: 'split <brain>', ok: false, detail: 'P1 & P2' },
    ],
    historyViolations: [{ at: 1200, kind: 'executed-twice', detail: '<script>alert(2)</script>' }],
    boardLogs: [{ name: 'P1 <b>', path: '/nowhere/"p1".log' }],
  };
}

test('HTML report: an inline SVG timeline, and every text escaped', (t) => {
  const html = htmlReport(syntheticRun());
  t.regex(html, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.regex(html, /<polyline points="/, 'the latency line');
  t.regex(html, /takeover gap 100\.0 ms/);
  t.regex(html, /P1 power pulled at 1000 ms/);
  t.false(html.includes('<script>'));
  t.false(html.includes('<img'));
  t.true(html.includes('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;'));
  t.false(/<(?:script|link|img)\b/i.test(html), 'self-contained: nothing loaded');
  // The SVG part is well-formed XML on its own.
  const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + '</svg>'.length);
  t.is(parseXml(svg).name, 'svg');
});

test('JUnit of a campaign: a testcase per pull and per invariant, failures marked', (t) => {
  const root = parseXml(campaignJunit(syntheticRun()));
  const cases = elementsNamed(root, 'testcase');
  t.deepEqual(
    cases.map((c) => c.attributes.classname),
    ['hil.takeover.pulls', 'hil.takeover.invariants', 'hil.takeover.invariants'],
  );
  t.is(elementsNamed(root, 'failure').length, 2);
});

test('JUnit of an interrupted campaign: an error case says after how many pulls it stopped', (t) => {
  const root = parseXml(campaignJunit(syntheticRun({ interrupted: true })));
  const errors = elementsNamed(root, 'error');
  t.is(errors.length, 1);
  t.is(errors[0]?.attributes.message, 'the run was interrupted after 1 of 5 pulls');
  t.is(elementsNamed(root, 'testsuite')[0]?.attributes.errors, '1');
  t.is(elementsNamed(root, 'testcase')[0]?.attributes.classname, 'hil.takeover.campaign');
  t.is(elementsNamed(parseXml(campaignJunit(syntheticRun())), 'error').length, 0);
});

test('HTML report of an interrupted campaign: INCOMPLETE, never PASS', (t) => {
  const run = syntheticRun({ interrupted: true });
  const clean = { ...run, result: { ...run.result, violations: [] } };
  const html = htmlReport(clean);
  t.regex(html, /INCOMPLETE: interrupted after 1 of 5 pulls/);
  t.false(html.includes('PASS'));
});
