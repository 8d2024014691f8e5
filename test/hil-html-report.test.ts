/**
 * The HIL HTML report of a large made-up campaign (60 pulls, three
 * minutes): pull numbers that never overlap, violations and split brains
 * on the chart's time axis, percentiles withheld for small samples, and
 * the board logs linked or named. The charts are read back as XML.
 */
import { join } from 'node:path';
import test from 'ava';
import type { CampaignRun } from '../hil/campaign.ts';
import { htmlReport } from '../hil/html-report.ts';
import { describePercentiles, percentiles } from '../hil/percentiles.ts';
import type { PullRecord } from '../hil/pull-kinds.ts';
import type { Overlap, RoleInterval } from '../host/history/history-check.ts';
import { elementsNamed, parseXml, type XmlElement } from './helpers/xml.ts';

const PULLS = 60;

/** Pulls in pairs 250 ms apart, the pairs 5 s apart: close enough that labels must go to lanes. */
const pulledAt = (index: number) => 1000 + Math.floor(index / 2) * 5000 + (index % 2) * 250;

function band(
  processor: 1 | 2,
  fromMs: number,
  toMs: number,
  name: RoleInterval['band'],
): RoleInterval {
  return { processor, fromMs, toMs, band: name, why: 'made up', fromClock: 1, toClock: 1 };
}

function overlap(fromMs: number, toMs: number, withinSkew: boolean): Overlap {
  return {
    fromMs,
    toMs,
    intervals: [band(1, fromMs, toMs, 'primary-alone'), band(2, fromMs, toMs, 'primary-alone')],
    allowanceMs: withinSkew ? 5 : 1,
    withinSkew,
  };
}

function largeRun(): CampaignRun {
  const endMs = pulledAt(PULLS - 1) + 4000;
  const pulls: PullRecord[] = Array.from({ length: PULLS }, (_, index) => ({
    index,
    kind: 'load',
    victim: 'primary',
    processor: index % 2 === 0 ? 1 : 2,
    step: null,
    wasServing: true,
    pulledAtMs: pulledAt(index),
    restoredAtMs: pulledAt(index) + 100,
    takeoverMs: 30 + index,
    reformMs: index === 0 ? 900 : null,
    outcome: index === 41 ? 'failed' : 'ok',
    detail: index === 41 ? 'never re-formed <in time>' : 'ok',
    switch: null,
  }));
  return {
    result: {
      seed: 7,
      rig: 'sim',
      scenario: 'takeover',
      pulls: PULLS,
      pullsPlanned: PULLS,
      interrupted: false,
      acknowledged: 5000,
      lost: 0,
      duplicated: 1,
      splitBrain: 1,
      overlapsWithinSkew: 1,
      clockSkew: { boundMs: { 1: 1, 2: 1 }, samples: { 1: 10, 2: 10 }, method: 'made up' },
      doubleFailures: 0,
      lostToDoubleFailure: 0,
      violations: ['made up'],
      takeoverMs: percentiles(pulls.map((p) => p.takeoverMs ?? 0)),
      reformMs: percentiles([900]),
      journalIncomplete: false,
      durationS: endMs / 1000,
    },
    startedAt: '2025-01-01T00:00:00.000Z',
    endMs,
    pulls,
    power: pulls.flatMap((p) => [
      { processor: p.processor, atMs: p.pulledAtMs, on: false },
      { processor: p.processor, atMs: p.restoredAtMs, on: true },
    ]),
    roles: [band(1, 0, endMs, 'primary'), band(2, 0, endMs, 'backup')],
    splitBrains: [overlap(95_000, 95_040, false)],
    overlapsWithinSkew: [overlap(130_000, 130_003, true)],
    waits: Array.from({ length: 900 }, (_, i) => ({ atMs: i * 200, waitedMs: 2 + (i % 7) })),
    invariants: [],
    historyViolations: [
      { at: 20_000, kind: 'executed-twice', detail: 'c1#4 ran as txn 9 and txn 10' },
      { at: 150_250, kind: 'acknowledged-lost', detail: 'c2#8 <gone>' },
    ],
    boardLogs: [],
  };
}

/** Every chart of the report (the overview, then the zoomed rows), parsed. */
function charts(html: string): XmlElement[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((match) => parseXml(match[0]));
}

function classed(root: XmlElement, name: string, cls: string): XmlElement[] {
  return elementsNamed(root, name).filter((e) =>
    (e.attributes.class ?? '').split(' ').includes(cls),
  );
}

const num = (text: string | undefined) => Number(text);

/**
 * The chart's own time axis, read from its tick labels ("12 s" at x): ms to x.
 * Independent of how the report computes positions.
 */
function axisOf(chart: XmlElement): (ms: number) => number {
  const ticks = classed(chart, 'text', 'axis')
    .filter((e) => / s$/.test(e.text) && e.attributes['text-anchor'] === 'middle')
    .map((e) => ({ ms: Number.parseFloat(e.text) * 1000, x: num(e.attributes.x) }));
  const first = ticks[0];
  const last = ticks.at(-1);
  if (first === undefined || last === undefined || first === last) throw new Error('no axis');
  return (ms) => first.x + ((ms - first.ms) / (last.ms - first.ms)) * (last.x - first.x);
}

/** A pull number's width at 10 px sans-serif: digits are 0.556 em in Helvetica and Arial, 0.636 em in DejaVu Sans. */
const labelWidth = (text: string) => text.length * 6.4;

test('60 pulls: every pull numbered once in the zoomed rows, at its pull, and no two numbers overlap in a lane', (t) => {
  const run = largeRun();
  const html = htmlReport(run);
  const [overview, ...rows] = charts(html);
  t.truthy(overview);
  t.true(rows.length >= 3, `a three-minute run is drawn in zoomed rows (${rows.length})`);
  const numbered: number[] = [];
  for (const chart of [overview, ...rows] as XmlElement[]) {
    for (const lane of classed(chart, 'g', 'pull-lane')) {
      const labels = classed(lane, 'text', 'pull')
        .map((e) => ({ text: e.text, x: num(e.attributes.x) }))
        .sort((a, b) => a.x - b.x);
      labels.slice(1).forEach((label, i) => {
        const before = labels[i] as (typeof labels)[number];
        t.true(
          label.x - before.x >= (labelWidth(label.text) + labelWidth(before.text)) / 2,
          `pulls ${before.text} at ${before.x} and ${label.text} at ${label.x} overlap`,
        );
      });
    }
  }
  for (const row of rows) {
    const x = axisOf(row);
    for (const label of classed(row, 'text', 'pull')) {
      const n = Number(label.text);
      numbered.push(n);
      const pull = run.pulls[n - 1] as PullRecord;
      t.true(Math.abs(num(label.attributes.x) - x(pull.pulledAtMs)) < 0.5, `pull ${n} at its time`);
    }
  }
  t.deepEqual(
    numbered.sort((a, b) => a - b),
    Array.from({ length: PULLS }, (_, i) => i + 1),
  );
  // The overview numbers what fits in its few lanes, and says what it left out.
  const inOverview = classed(overview as XmlElement, 'text', 'pull').length;
  t.true(inOverview >= PULLS / 2, `the overview numbers ${inOverview} pulls`);
  if (inOverview < PULLS) t.regex(html, new RegExp(`${PULLS - inOverview} pull numbers left out`));
  // The labels needed a second lane somewhere: the test exercised the lanes.
  t.true(rows.some((row) => classed(row, 'g', 'pull-lane').length > 1));
});

test('violations: a marker on the time axis for each, its kind in the tooltip', (t) => {
  const run = largeRun();
  const [, ...rows] = charts(htmlReport(run));
  const expected = [
    { atMs: 20_000, kind: 'executed-twice' },
    { atMs: 95_000, kind: 'split-brain' },
    { atMs: run.pulls[41]?.pulledAtMs ?? 0, kind: 'pull-failed' },
    { atMs: 150_250, kind: 'acknowledged-lost' },
  ];
  const found = rows.flatMap((row) => {
    const x = axisOf(row);
    return classed(row, 'path', 'violation').map((marker) => {
      const title = elementsNamed(marker, 'title')[0]?.text ?? '';
      const markerX = Number(/^M([\d.]+) /.exec(marker.attributes.d ?? '')?.[1]);
      const expect = expected.find((e) => title.startsWith(`${e.kind} at `));
      return { title, onAxis: expect !== undefined && Math.abs(markerX - x(expect.atMs)) < 0.5 };
    });
  });
  t.is(found.length, expected.length);
  for (const marker of found) t.true(marker.onAxis, marker.title);
  t.true(
    found.some((m) => m.title.includes('c2#8 <gone>')),
    'the detail, unescaped once parsed',
  );
});

test('split brain and overlaps within skew: marked apart, in the row of their time, with a legend', (t) => {
  const html = htmlReport(largeRun());
  const [, ...rows] = charts(html);
  const splits = rows.flatMap((row) =>
    classed(row, 'rect', 'split-brain').map((rect) => ({ rect, x: axisOf(row)(95_000) })),
  );
  t.true(splits.length >= 1);
  for (const { rect, x } of splits) {
    t.is(rect.attributes.fill, '#d50000');
    t.true(Math.abs(num(rect.attributes.x) - x) < 0.5);
    t.true(num(rect.attributes.width) >= 4, 'wide enough to see although 40 ms');
    t.regex(elementsNamed(rect, 'title')[0]?.text ?? '', /^split brain: both served/);
  }
  const skewed = rows.flatMap((row) => classed(row, 'rect', 'within-skew'));
  t.is(skewed.length, 1);
  t.not(skewed[0]?.attributes.fill, '#d50000');
  t.is(rows.flatMap((row) => classed(row, 'rect', 'takeover-gap')).length, PULLS);
  t.regex(html, /split brain \(two boards serving at once\)<\/span>/);
  t.regex(html, /takeover gap \(pull to the other board/);
});

test('percentiles only with enough samples: p99 withheld at 60, p50 at 1, the rule stated', (t) => {
  const html = htmlReport(largeRun());
  t.regex(html, /p50 59\.0 ms, p99 n too small, max 89\.0 ms \(n = 60\)/);
  t.regex(html, /p50 n too small, p99 n too small, max 900\.0 ms \(n = 1\)/);
  t.regex(html, /p50 with n ≥ 2, p99 with n ≥ 100/);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  t.is(
    describePercentiles(percentiles(hundred)),
    'p50 50.0 ms, p99 99.0 ms, max 100.0 ms (n = 100)',
  );
  t.is(describePercentiles(percentiles([])), 'none measured');
});

test('board logs: linked relatively when near the report, their paths printed otherwise', (t) => {
  const base = join('/tmp', 'tandem-report-test');
  const run: CampaignRun = {
    ...largeRun(),
    boardLogs: [
      { name: 'P1', path: join(base, 'lab', 'p1.log') },
      { name: 'P2', path: join(base, 'runs', 'report', 'logs', 'p2 <x>.log') },
      { name: 'far', path: join('/var', 'log', 'tandem', 'p1.log') },
    ],
  };
  const html = htmlReport(run, { dir: join(base, 'runs', 'report') });
  t.regex(html, /P1: <a href="\.\.\/\.\.\/lab\/p1\.log">/);
  t.regex(html, /P2: <a href="logs\/p2%20%3Cx%3E\.log">logs\/p2 &lt;x&gt;\.log<\/a>/);
  t.regex(html, /far: <code>\/var\/log\/tandem\/p1\.log<\/code>/);
  t.regex(html, /not there when the report was written/);
  t.regex(htmlReport(largeRun()), /The rig keeps no board logs/);
});
