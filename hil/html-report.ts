/**
 * A campaign's HTML report: one self-contained file (no scripts, no external
 * styles or fonts) with the figures, the invariants, every pull, links to
 * the board logs, and an inline SVG timeline so a person sees the run at a
 * glance. A run longer than a minute is drawn as an overview of the whole
 * run and then zoomed rows of at most a minute each, so the pulls stay
 * apart; each chart has, on one time axis:
 * - the pull numbers (as in the JUnit and TAP cases), in lanes so that no
 *   two overlap;
 * - request latency (the longest wait in each time bin, log scale), with
 *   each takeover gap (pull to the other board's first reply) shaded;
 * - a row of solid marks: takeover gaps in orange, split brains in red;
 * - each board's role as a coloured band (primary, backup, alone,
 *   switching, booting, off, ...), split brains boxed in red and overlaps
 *   within the clocks' skew in dashed amber;
 * - a marker per violation, its kind and detail in the tooltip;
 * - a vertical line at every power pull and restore.
 * Every text that comes from the run is escaped.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { RoleBand } from '../host/history/history-check.ts';
import { type CampaignRun, describeSkew, verdict, verdictLine } from './campaign.ts';
import type { BoardLog } from './campaign-target.ts';
import { assignLanes } from './label-lanes.ts';
import { describePercentiles, PERCENTILE_RULE } from './percentiles.ts';
import type { PullRecord } from './pull-kinds.ts';

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Colours of the role bands, also the legend. */
export const BAND_COLOURS: Readonly<Record<RoleBand, string>> = {
  primary: '#2e7d32',
  'primary-alone': '#f9a825',
  switching: '#6a1b9a',
  'handed-over': '#b39ddb',
  backup: '#1565c0',
  joining: '#4fc3f7',
  booting: '#9e9e9e',
  stopped: '#616161',
  off: '#212121',
  unknown: '#e0e0e0',
};

const BAND_LABELS: Readonly<Record<RoleBand, string>> = {
  primary: 'primary (with backup)',
  'primary-alone': 'primary alone',
  switching: 'switching',
  'handed-over': 'switching, handed over',
  backup: 'backup',
  joining: 'joining',
  booting: 'booting',
  stopped: 'stopped',
  off: 'power off',
  unknown: 'not known yet',
};

/** Every chart is this wide; a long run is drawn as several rows of it (zoomed), under an overview. */
const PLOT_WIDTH_PX = 1200;
/** The longest stretch of the run one zoomed row shows: 50 ms a pixel, pulls well apart. */
const ROW_SPAN_MS_MAX = 60_000;
/** A bound on the rows: a longer run gets longer rows. */
const ROWS_MAX = 200;
const MARGIN_LEFT = 70;
const MARGIN_RIGHT = 30;
/** Pull numbers: 10 px sans-serif, no wider than this a character (digits are about 5.6 px). */
const LABEL_CHAR_PX = 7;
const LABEL_GAP_PX = 3;
const LANE_PX = 13;
/** The overview keeps a few lanes of pull numbers; the zoomed rows number every pull. */
const OVERVIEW_LANES_MAX = 3;
/** Latency bins per pixel column group. */
const BIN_PX = 2;
/** So a takeover gap of a few ms still shows at 50 ms a pixel. */
const GAP_WIDTH_MIN_PX = 3;
const SPLIT_WIDTH_MIN_PX = 4;

/** Colours of the marks that must stand out; also the legend. */
export const MARK_COLOURS = {
  takeoverGap: '#ff6d00',
  splitBrain: '#d50000',
  withinSkew: '#ffab00',
  violation: '#d50000',
  pulled: '#c62828',
  restored: '#2e7d32',
} as const;

const f1 = (n: number) => n.toFixed(1);

/** A stretch of the run drawn as one chart. */
interface Frame {
  readonly fromMs: number;
  readonly toMs: number;
  readonly first: boolean;
  readonly last: boolean;
}

interface Layout {
  readonly title: string;
  /** 0: no latency chart (the overview). */
  readonly latencyPx: number;
  readonly rowPx: number;
  readonly rowGapPx: number;
  readonly lanesMax: number;
}

const DETAIL: Omit<Layout, 'title'> = {
  latencyPx: 160,
  rowPx: 24,
  rowGapPx: 6,
  lanesMax: Number.POSITIVE_INFINITY,
};
const OVERVIEW: Omit<Layout, 'title'> = {
  latencyPx: 0,
  rowPx: 12,
  rowGapPx: 3,
  lanesMax: OVERVIEW_LANES_MAX,
};

/** Something wrong at a moment of the run, drawn as a marker on the time axis. */
export interface ViolationMark {
  readonly atMs: number;
  readonly kind: string;
  readonly detail: string;
}

/** The checker's violations, each split brain and each failed pull, by time. */
export function violationMarks(run: CampaignRun): ViolationMark[] {
  return [
    ...run.historyViolations.map((v) => ({ atMs: v.at, kind: v.kind, detail: v.detail })),
    ...run.splitBrains.map((s) => ({
      atMs: s.fromMs,
      kind: 'split-brain',
      detail: `P1 ${s.intervals[0].band} and P2 ${s.intervals[1].band} both served from ${s.fromMs.toFixed(1)} to ${s.toMs.toFixed(1)} ms`,
    })),
    ...run.pulls
      .filter((p) => p.outcome === 'failed')
      .map((p) => ({
        atMs: p.pulledAtMs,
        kind: 'pull-failed',
        detail: `pull ${p.index + 1}: ${p.detail}`,
      })),
  ].sort((a, b) => a.atMs - b.atMs);
}

/** The frames of the zoomed rows: equal stretches of at most ROW_SPAN_MS_MAX. */
function rowFrames(endMs: number): Frame[] {
  const count = Math.min(ROWS_MAX, Math.max(1, Math.ceil(endMs / ROW_SPAN_MS_MAX)));
  const span = endMs / count;
  return Array.from({ length: count }, (_, i) => ({
    fromMs: i * span,
    toMs: i === count - 1 ? endMs : (i + 1) * span,
    first: i === 0,
    last: i === count - 1,
  }));
}

/**
 * The timeline: with more than one row, an overview of the whole run, then
 * the run in zoomed rows, each its own SVG.
 */
export function timelineSvg(run: CampaignRun): string {
  const endMs = Math.max(run.endMs, 1);
  const frames = rowFrames(endMs);
  const svgs: string[] = [];
  if (frames.length > 1) {
    svgs.push(
      chartSvg(
        run,
        { fromMs: 0, toMs: endMs, first: true, last: true },
        { ...OVERVIEW, title: `overview of the whole run (${frames.length} zoomed rows below)` },
      ),
    );
  }
  for (const frame of frames) {
    const range = `${(frame.fromMs / 1000).toFixed(1)} s to ${(frame.toMs / 1000).toFixed(1)} s`;
    svgs.push(
      chartSvg(run, frame, {
        ...DETAIL,
        title:
          frames.length > 1
            ? range
            : 'request latency (longest wait per 2 px, log scale) above each board\u2019s role',
      }),
    );
  }
  return svgs.join('\n');
}

function chartSvg(run: CampaignRun, frame: Frame, layout: Layout): string {
  const endMs = Math.max(run.endMs, 1);
  const span = Math.max(frame.toMs - frame.fromMs, 1);
  const clamp = (ms: number) => Math.max(0, Math.min(ms, endMs));
  const x = (ms: number) =>
    MARGIN_LEFT +
    ((Math.max(frame.fromMs, Math.min(clamp(ms), frame.toMs)) - frame.fromMs) / span) *
      PLOT_WIDTH_PX;
  /** A moment belongs to one frame only; the first and last take what falls outside the run. */
  const owns = (ms: number) => {
    const at = clamp(ms);
    return (at >= frame.fromMs || frame.first) && (at < frame.toMs || frame.last);
  };
  const overlaps = (fromMs: number, toMs: number) => toMs >= frame.fromMs && fromMs <= frame.toMs;
  const width = MARGIN_LEFT + PLOT_WIDTH_PX + MARGIN_RIGHT;
  const parts: string[] = [];

  // Pull numbers, in lanes so none overlaps another.
  const pulls = run.pulls.filter((p) => owns(p.pulledAtMs));
  const labels = pulls.map((p) => ({
    x: x(p.pulledAtMs),
    widthPx: String(p.index + 1).length * LABEL_CHAR_PX + 2,
  }));
  const lanes = assignLanes(labels, LABEL_GAP_PX, layout.lanesMax);
  const laneCount = Math.max(1, ...lanes.map((lane) => (lane ?? -1) + 1));
  const lanesTop = 24;
  const chartTop = lanesTop + laneCount * LANE_PX + 6;
  const latencyBottom = chartTop + layout.latencyPx;
  const marksTop = latencyBottom + (layout.latencyPx > 0 ? 6 : 0);
  const marksPx = 8;
  const rowsTop = marksTop + marksPx + 4;
  const rowY = (processor: 1 | 2) => rowsTop + (processor - 1) * (layout.rowPx + layout.rowGapPx);
  const rowsBottom = rowY(2) + layout.rowPx;
  const violationY = rowsBottom + 10;
  const axisY = violationY + 8;
  const height = axisY + 22;

  parts.push(`<text x="${MARGIN_LEFT}" y="14" class="title">${escapeHtml(layout.title)}</text>`);
  const leftOut = lanes.filter((lane) => lane === null).length;
  if (leftOut > 0) {
    parts.push(
      `<text x="${MARGIN_LEFT + PLOT_WIDTH_PX}" y="14" text-anchor="end" class="axis">${escapeHtml(`${leftOut} pull numbers left out here for room; the rows below number every pull`)}</text>`,
    );
  }
  const lanesGroups = Array.from({ length: laneCount }, () => [] as string[]);
  pulls.forEach((pull, i) => {
    const lane = lanes[i];
    const label = labels[i];
    if (lane === null || lane === undefined || label === undefined) return;
    const y = lanesTop + lane * LANE_PX + 10;
    const cls =
      pull.outcome === 'ok' ? 'pull' : pull.outcome === 'failed' ? 'pull bad' : 'pull warn';
    lanesGroups[lane]?.push(
      `<line x1="${f1(label.x)}" x2="${f1(label.x)}" y1="${y + 2}" y2="${chartTop}" stroke="#bbb" stroke-width="0.5"/>`,
      `<text x="${f1(label.x)}" y="${y}" text-anchor="middle" class="${cls}">${pull.index + 1}<title>${escapeHtml(pullTitle(pull))}</title></text>`,
    );
  });
  lanesGroups.forEach((group, lane) => {
    parts.push(`<g class="pull-lane" data-lane="${lane}">`, ...group, '</g>');
  });

  if (layout.latencyPx > 0) parts.push(...latencyChart(run, frame, x, chartTop, layout.latencyPx));

  // The marks row: takeover gaps and split brains, solid, so they stand out at any zoom.
  parts.push(
    `<text x="${MARGIN_LEFT - 6}" y="${marksTop + marksPx}" text-anchor="end" class="axis">gaps</text>`,
  );
  for (const pull of run.pulls) {
    if (pull.takeoverMs === null) continue;
    const endGap = pull.pulledAtMs + pull.takeoverMs;
    if (!overlaps(pull.pulledAtMs, endGap)) continue;
    const x0 = x(pull.pulledAtMs);
    const w = Math.max(GAP_WIDTH_MIN_PX, x(endGap) - x0);
    parts.push(
      `<rect x="${f1(x0)}" y="${marksTop}" width="${f1(w)}" height="${marksPx}" fill="${MARK_COLOURS.takeoverGap}" class="takeover-gap"><title>${escapeHtml(`pull ${pull.index + 1}: takeover gap ${pull.takeoverMs.toFixed(1)} ms (P${pull.processor} pulled, first reply from the other board)`)}</title></rect>`,
    );
  }

  // Role bands, one row per board.
  for (const processor of [1, 2] as const) {
    parts.push(
      `<text x="${MARGIN_LEFT - 6}" y="${rowY(processor) + layout.rowPx / 2 + 4}" text-anchor="end" class="axis">P${processor}</text>`,
    );
  }
  for (const band of run.roles) {
    if (!overlaps(band.fromMs, band.toMs)) continue;
    const x0 = x(band.fromMs);
    const w = Math.max(0.5, x(band.toMs) - x0);
    parts.push(
      `<rect x="${f1(x0)}" y="${rowY(band.processor)}" width="${f1(w)}" height="${layout.rowPx}" fill="${BAND_COLOURS[band.band]}"><title>${escapeHtml(`P${band.processor} ${BAND_LABELS[band.band]} from ${band.fromMs.toFixed(0)} to ${band.toMs.toFixed(0)} ms: ${band.why}`)}</title></rect>`,
    );
  }
  for (const [overlap, split] of [
    ...run.overlapsWithinSkew.map((o) => [o, false] as const),
    ...run.splitBrains.map((o) => [o, true] as const),
  ]) {
    if (!overlaps(overlap.fromMs, overlap.toMs)) continue;
    const x0 = x(overlap.fromMs);
    const w = Math.max(SPLIT_WIDTH_MIN_PX, x(overlap.toMs) - x0);
    const what = split
      ? `split brain: both served from ${overlap.fromMs.toFixed(1)} to ${overlap.toMs.toFixed(1)} ms`
      : `overlap within the clocks\u2019 skew (not split brain): ${overlap.fromMs.toFixed(1)} to ${overlap.toMs.toFixed(1)} ms, allowance ${overlap.allowanceMs.toFixed(1)} ms`;
    const colour = split ? MARK_COLOURS.splitBrain : MARK_COLOURS.withinSkew;
    const title = `<title>${escapeHtml(what)}</title>`;
    if (split) {
      parts.push(
        `<rect x="${f1(x0)}" y="${marksTop}" width="${f1(w)}" height="${marksPx}" fill="${colour}" class="split-brain">${title}</rect>`,
      );
    }
    parts.push(
      `<rect x="${f1(x0)}" y="${rowsTop - 3}" width="${f1(w)}" height="${rowsBottom - rowsTop + 6}" fill="${colour}" fill-opacity="${split ? 0.35 : 0.15}" stroke="${colour}" stroke-width="${split ? 3 : 1.5}"${split ? '' : ' stroke-dasharray="4,2"'} class="${split ? 'split-brain' : 'within-skew'}">${title}</rect>`,
    );
  }

  // Power events across the chart.
  for (const event of run.power) {
    if (!owns(event.atMs)) continue;
    const at = f1(x(event.atMs));
    parts.push(
      `<line x1="${at}" x2="${at}" y1="${chartTop}" y2="${rowsBottom}" stroke="${event.on ? MARK_COLOURS.restored : MARK_COLOURS.pulled}" stroke-width="1" stroke-dasharray="${event.on ? '3,2' : ''}"><title>${escapeHtml(`P${event.processor} power ${event.on ? 'restored' : 'pulled'} at ${event.atMs.toFixed(0)} ms`)}</title></line>`,
    );
  }

  // Violations on the time axis.
  parts.push(
    `<text x="${MARGIN_LEFT - 6}" y="${violationY + 4}" text-anchor="end" class="axis">violations</text>`,
  );
  for (const mark of violationMarks(run)) {
    if (!owns(mark.atMs)) continue;
    const vx = x(mark.atMs);
    parts.push(
      `<path d="M${f1(vx)} ${violationY - 6} l5 6 l-5 6 l-5 -6 z" fill="${MARK_COLOURS.violation}" class="violation" data-at-ms="${f1(mark.atMs)}"><title>${escapeHtml(`${mark.kind} at ${mark.atMs.toFixed(0)} ms: ${mark.detail}`)}</title></path>`,
    );
  }

  // Time axis.
  parts.push(
    `<line x1="${MARGIN_LEFT}" x2="${MARGIN_LEFT + PLOT_WIDTH_PX}" y1="${axisY}" y2="${axisY}" stroke="#555"/>`,
  );
  const tickMs = niceStep(span / 10);
  for (let ms = Math.ceil(frame.fromMs / tickMs) * tickMs; ms <= frame.toMs; ms += tickMs) {
    parts.push(
      `<line x1="${f1(x(ms))}" x2="${f1(x(ms))}" y1="${axisY}" y2="${axisY + 5}" stroke="#555"/>`,
      `<text x="${f1(x(ms))}" y="${axisY + 17}" text-anchor="middle" class="axis">${(ms / 1000).toFixed(tickMs < 1000 ? 1 : 0)} s</text>`,
    );
  }

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(`campaign timeline, ${layout.title}`)}">`,
    `<style>.axis{font:11px sans-serif;fill:#444}.title{font:12px sans-serif;fill:#222}.pull{font:${LABEL_FONT_PX}px sans-serif;fill:#222}.pull.bad{fill:#c62828;font-weight:bold}.pull.warn{fill:#e65100}</style>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

const LABEL_FONT_PX = 10;

/** The request latency of the frame: the longest wait per bin on a log scale from 1 ms, takeover gaps shaded. */
function latencyChart(
  run: CampaignRun,
  frame: Frame,
  x: (ms: number) => number,
  top: number,
  heightPx: number,
): string[] {
  const parts: string[] = [];
  // One scale for every row, so rows compare.
  const maxWait = Math.max(10, ...run.waits.map((w) => w.waitedMs));
  const logMax = Math.log10(maxWait * 1.2);
  const y = (ms: number) => top + heightPx - (Math.log10(Math.max(ms, 1)) / logMax) * heightPx;
  parts.push(
    `<rect x="${MARGIN_LEFT}" y="${top}" width="${PLOT_WIDTH_PX}" height="${heightPx}" fill="#fafafa" stroke="#ccc"/>`,
  );
  for (let decade = 1; Math.log10(decade) <= logMax; decade *= 10) {
    parts.push(
      `<line x1="${MARGIN_LEFT}" x2="${MARGIN_LEFT + PLOT_WIDTH_PX}" y1="${f1(y(decade))}" y2="${f1(y(decade))}" stroke="#e0e0e0"/>`,
      `<text x="${MARGIN_LEFT - 6}" y="${f1(y(decade) + 4)}" text-anchor="end" class="axis">${decade >= 1000 ? `${decade / 1000} s` : `${decade} ms`}</text>`,
    );
  }
  for (const pull of run.pulls) {
    if (pull.takeoverMs === null) continue;
    const endGap = pull.pulledAtMs + pull.takeoverMs;
    if (endGap < frame.fromMs || pull.pulledAtMs > frame.toMs) continue;
    const x0 = x(pull.pulledAtMs);
    const w = Math.max(GAP_WIDTH_MIN_PX, x(endGap) - x0);
    parts.push(
      `<rect x="${f1(x0)}" y="${top}" width="${f1(w)}" height="${heightPx}" fill="${MARK_COLOURS.takeoverGap}" opacity="0.3"><title>${escapeHtml(`pull ${pull.index + 1}: takeover gap ${pull.takeoverMs.toFixed(1)} ms`)}</title></rect>`,
    );
  }
  const bins = new Map<number, number>();
  for (const wait of run.waits) {
    if (wait.atMs < frame.fromMs || wait.atMs > frame.toMs) continue;
    const bin = Math.floor((x(wait.atMs) - MARGIN_LEFT) / BIN_PX);
    bins.set(bin, Math.max(bins.get(bin) ?? 0, wait.waitedMs));
  }
  const points = [...bins.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([bin, ms]) => `${f1(MARGIN_LEFT + bin * BIN_PX + BIN_PX / 2)},${f1(y(ms))}`);
  if (points.length > 0) {
    parts.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="#37474f" stroke-width="1"/>`,
    );
  }
  return parts;
}

function pullTitle(pull: PullRecord): string {
  const takeover = pull.takeoverMs === null ? '' : `, takeover ${pull.takeoverMs.toFixed(1)} ms`;
  return `pull ${pull.index + 1}: ${pull.kind}, P${pull.processor} (${pull.victim}) at ${(pull.pulledAtMs / 1000).toFixed(2)} s${takeover}; ${pull.outcome}`;
}

function niceStep(raw: number): number {
  const steps = [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000];
  return steps.find((step) => step >= raw) ?? 600_000;
}

/** Logs this far up from the report's folder are linked (in it, beside it, or beside its folder). */
const LOG_LINK_UP_MAX = 2;

/** A relative link where the log is in or near the report's folder, else the log's path. */
function boardLogItem(log: BoardLog, reportDir: string | undefined): string {
  const target = resolve(log.path);
  const href = reportDir === undefined ? null : relative(resolve(reportDir), target);
  const parts = href === null || isAbsolute(href) ? null : href.split(sep);
  const near = parts !== null && parts.filter((part) => part === '..').length <= LOG_LINK_UP_MAX;
  const exists = existsSync(target) ? '' : ' (not there when the report was written)';
  return near && href !== null
    ? `<li>${escapeHtml(log.name)}: <a href="${escapeHtml(parts.map(encodeURIComponent).join('/'))}">${escapeHtml(href)}</a>${escapeHtml(exists)}</li>`
    : `<li>${escapeHtml(log.name)}: <code>${escapeHtml(target)}</code>${escapeHtml(exists)}</li>`;
}

function pullRow(pull: PullRecord): string {
  const cells = [
    String(pull.index + 1),
    pull.kind === 'switch' && pull.switch
      ? `switch ${pull.switch.from}→${pull.switch.to}, after step ${pull.step}`
      : pull.kind,
    `P${pull.processor} (${pull.victim}${pull.wasServing ? ', serving' : ''})`,
    `${(pull.pulledAtMs / 1000).toFixed(2)} s`,
    pull.takeoverMs === null ? '' : `${pull.takeoverMs.toFixed(1)} ms`,
    pull.reformMs === null ? '' : `${pull.reformMs.toFixed(0)} ms`,
    pull.outcome,
    pull.detail,
  ];
  const cls = pull.outcome === 'ok' ? 'ok' : pull.outcome === 'failed' ? 'bad' : 'warn';
  return `<tr class="${cls}">${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
}

export interface HtmlReportOptions {
  /** The folder the report is written to: board logs near it are linked relatively. */
  readonly dir?: string;
}

export function htmlReport(run: CampaignRun, options: HtmlReportOptions = {}): string {
  const r = run.result;
  const outcome = verdict(r);
  const verdictText = verdictLine(r);
  const summary: [string, string][] = [
    ['rig', r.rig],
    ['scenario', r.scenario],
    ['seed', `${r.seed} (replay the schedule with --seed ${r.seed})`],
    ['pulls', r.interrupted ? `${r.pulls} of ${r.pullsPlanned} (interrupted)` : String(r.pulls)],
    ['requests acknowledged', String(r.acknowledged)],
    ['acknowledged, then lost', String(r.lost)],
    ['executed twice', String(r.duplicated)],
    ['split brain (two boards serving at once)', String(r.splitBrain)],
    ['overlaps within the clocks\u2019 skew (not split brain)', String(r.overlapsWithinSkew)],
    ['clock skew', describeSkew(r.clockSkew)],
    [
      'double failures (by design, not passes)',
      `${r.doubleFailures}, ${r.lostToDoubleFailure} acknowledged requests lost with both copies`,
    ],
    ['takeover (pull to first reply of the other board)', describePercentiles(r.takeoverMs)],
    ['re-form (restore to the pair whole)', describePercentiles(r.reformMs)],
    ['duration', `${r.durationS} s`],
  ];
  const legend = (Object.keys(BAND_COLOURS) as RoleBand[])
    .map(
      (band) =>
        `<span class="key"><span class="swatch" style="background:${BAND_COLOURS[band]}"></span>${escapeHtml(BAND_LABELS[band])}</span>`,
    )
    .join(' ');
  const swatch = (colour: string, text: string, style = '') =>
    `<span class="key"><span class="swatch" style="background:${colour}${style}"></span>${escapeHtml(text)}</span>`;
  const marksLegend = [
    swatch(MARK_COLOURS.takeoverGap, 'takeover gap (pull to the other board\u2019s first reply)'),
    swatch(MARK_COLOURS.splitBrain, 'split brain (two boards serving at once)'),
    swatch(
      MARK_COLOURS.withinSkew,
      'overlap within the clocks\u2019 skew (not split brain)',
      ';opacity:0.5',
    ),
    swatch(
      MARK_COLOURS.violation,
      'violation (its kind in the tooltip)',
      ';transform:rotate(45deg) scale(0.75)',
    ),
  ].join(' ');
  const logs =
    run.boardLogs.length === 0
      ? '<p>The rig keeps no board logs (real boards: read their consoles).</p>'
      : `<ul>${run.boardLogs.map((log) => boardLogItem(log, options.dir)).join('')}</ul>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(`tandem hil run: ${r.scenario}, ${r.pulls} pulls, ${verdictText}`)}</title>
<style>
body{font:14px/1.4 sans-serif;margin:20px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
tr.bad td{background:#ffebee}tr.warn td{background:#fff8e1}
.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;font-weight:bold}
.timeline{overflow-x:auto;border:1px solid #eee;padding:4px}.timeline svg{display:block;margin-bottom:8px}
.note{color:#555;font-size:13px}
.key{margin-right:12px;white-space:nowrap}.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
pre{white-space:pre-wrap;margin:0}
</style>
</head>
<body>
<h1>tandem hil run: <span class="${outcome === 'pass' ? 'pass' : 'fail'}">${escapeHtml(verdictText)}</span></h1>
<p>${escapeHtml(`Started ${run.startedAt}. ${r.pulls} power pulls through the rig under client load; every request and reply checked afterwards.`)}</p>
<table>${summary.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<p class="note">${escapeHtml(`Times: ${PERCENTILE_RULE}; max is always given.`)}</p>
<h2>Invariants</h2>
<table>${run.invariants.map((i) => `<tr class="${i.ok ? 'ok' : 'bad'}"><td class="${i.ok ? 'pass' : 'fail'}">${i.ok ? 'held' : 'BROKEN'}</td><th>${escapeHtml(i.title)}</th><td><pre>${escapeHtml(i.detail)}</pre></td></tr>`).join('')}</table>
${r.violations.length > 0 ? `<h2>Violations</h2><ul>${r.violations.map((v) => `<li>${escapeHtml(v)}</li>`).join('')}</ul>` : ''}
<h2>Timeline</h2>
<p>Numbers above the chart: the pulls, as numbered in the JUnit and TAP cases and the table below (hover for what each was). Red lines: power pulled; green dashed: power restored. ${marksLegend}</p>
<p>${legend}</p>
<div class="timeline">
${timelineSvg(run)}
</div>
<h2>Pulls</h2>
<table><tr><th>#</th><th>kind</th><th>board</th><th>at</th><th>takeover</th><th>re-form</th><th>outcome</th><th>detail</th></tr>
${run.pulls.map(pullRow).join('\n')}
</table>
<h2>Board logs</h2>
${logs}
</body>
</html>
`;
}
