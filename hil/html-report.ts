/**
 * A campaign's HTML report: one self-contained file (no scripts, no external
 * styles or fonts) with the figures, the invariants, every pull, and an
 * inline SVG timeline so a person sees the run at a glance:
 * - on top, request latency over time (the longest wait in each time bin,
 *   log scale), with each takeover gap (pull to the other board's first
 *   reply) shaded and labelled;
 * - below, each board's role as a coloured band (primary, backup, alone,
 *   switching, booting, off, ...), with any split brain marked in red;
 * - across both, a vertical line at every power pull and restore.
 * Every text that comes from the run is escaped.
 */
import { type CampaignRun, describeSkew, verdict, verdictLine } from './campaign.ts';
import type { RoleBand } from './history-check.ts';
import type { Percentiles } from './percentiles.ts';
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

/** Horizontal scale: at least this wide, else one pixel per this many ms. */
const WIDTH_MIN_PX = 1200;
const MS_PER_PX = 100;
const WIDTH_MAX_PX = 12_000;
const MARGIN_LEFT = 70;
const MARGIN_RIGHT = 20;
const LATENCY_TOP = 30;
const LATENCY_HEIGHT = 220;
const ROW_TOP = LATENCY_TOP + LATENCY_HEIGHT + 40;
const ROW_HEIGHT = 28;
const ROW_GAP = 10;
/** Latency bins per pixel column group. */
const BIN_PX = 2;

const f1 = (n: number) => n.toFixed(1);

export function timelineSvg(run: CampaignRun): string {
  const endMs = Math.max(run.endMs, 1);
  const plotWidth = Math.min(WIDTH_MAX_PX, Math.max(WIDTH_MIN_PX, endMs / MS_PER_PX));
  const width = MARGIN_LEFT + plotWidth + MARGIN_RIGHT;
  const height = ROW_TOP + 2 * (ROW_HEIGHT + ROW_GAP) + 40;
  const x = (ms: number) => MARGIN_LEFT + (Math.max(0, Math.min(ms, endMs)) / endMs) * plotWidth;
  const parts: string[] = [];

  // Latency: the longest wait per bin on a log scale from 1 ms.
  const maxWait = Math.max(10, ...run.waits.map((w) => w.waitedMs));
  const logMax = Math.log10(maxWait * 1.2);
  const y = (ms: number) =>
    LATENCY_TOP + LATENCY_HEIGHT - (Math.log10(Math.max(ms, 1)) / logMax) * LATENCY_HEIGHT;
  const bins = new Map<number, number>();
  for (const wait of run.waits) {
    const bin = Math.floor((x(wait.atMs) - MARGIN_LEFT) / BIN_PX);
    bins.set(bin, Math.max(bins.get(bin) ?? 0, wait.waitedMs));
  }
  parts.push(
    `<rect x="${MARGIN_LEFT}" y="${LATENCY_TOP}" width="${f1(plotWidth)}" height="${LATENCY_HEIGHT}" fill="#fafafa" stroke="#ccc"/>`,
  );
  for (let decade = 1; decade <= 10 ** Math.ceil(logMax); decade *= 10) {
    if (Math.log10(decade) > logMax) break;
    parts.push(
      `<line x1="${MARGIN_LEFT}" x2="${f1(MARGIN_LEFT + plotWidth)}" y1="${f1(y(decade))}" y2="${f1(y(decade))}" stroke="#e0e0e0"/>`,
      `<text x="${MARGIN_LEFT - 6}" y="${f1(y(decade) + 4)}" text-anchor="end" class="axis">${decade >= 1000 ? `${decade / 1000} s` : `${decade} ms`}</text>`,
    );
  }
  // Takeover gaps first, under the line.
  for (const pull of run.pulls) {
    if (pull.takeoverMs === null) continue;
    const x0 = x(pull.pulledAtMs);
    const w = Math.max(2, x(pull.pulledAtMs + pull.takeoverMs) - x0);
    parts.push(
      `<rect x="${f1(x0)}" y="${LATENCY_TOP}" width="${f1(w)}" height="${LATENCY_HEIGHT}" fill="#ef9a9a" opacity="0.6"><title>${escapeHtml(`pull ${pull.index + 1}: takeover gap ${pull.takeoverMs.toFixed(1)} ms (P${pull.processor} pulled, first reply from the other board)`)}</title></rect>`,
      `<text x="${f1(x0 + w + 2)}" y="${LATENCY_TOP + 12}" class="gap">${escapeHtml(`${pull.takeoverMs.toFixed(0)} ms`)}</text>`,
    );
  }
  const points = [...bins.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([bin, ms]) => `${f1(MARGIN_LEFT + bin * BIN_PX + BIN_PX / 2)},${f1(y(ms))}`);
  if (points.length > 0) {
    parts.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="#37474f" stroke-width="1"/>`,
    );
  }
  parts.push(
    `<text x="${MARGIN_LEFT}" y="${LATENCY_TOP - 10}" class="title">request latency (longest wait per ${BIN_PX} px, log scale); shaded: takeover gaps</text>`,
  );

  // Role bands, one row per board.
  parts.push(
    `<text x="${MARGIN_LEFT}" y="${ROW_TOP - 10}" class="title">each board's role (from its journal and the power events)</text>`,
  );
  const rowY = (processor: 1 | 2) => ROW_TOP + (processor - 1) * (ROW_HEIGHT + ROW_GAP);
  for (const processor of [1, 2] as const) {
    parts.push(
      `<text x="${MARGIN_LEFT - 6}" y="${rowY(processor) + ROW_HEIGHT / 2 + 4}" text-anchor="end" class="axis">P${processor}</text>`,
    );
  }
  for (const band of run.roles) {
    const x0 = x(band.fromMs);
    const w = Math.max(0.5, x(band.toMs) - x0);
    parts.push(
      `<rect x="${f1(x0)}" y="${rowY(band.processor)}" width="${f1(w)}" height="${ROW_HEIGHT}" fill="${BAND_COLOURS[band.band]}"><title>${escapeHtml(`P${band.processor} ${BAND_LABELS[band.band]} from ${band.fromMs.toFixed(0)} to ${band.toMs.toFixed(0)} ms: ${band.why}`)}</title></rect>`,
    );
  }
  for (const split of run.splitBrains) {
    const x0 = x(split.fromMs);
    const w = Math.max(3, x(split.toMs) - x0);
    parts.push(
      `<rect x="${f1(x0)}" y="${ROW_TOP - 4}" width="${f1(w)}" height="${2 * ROW_HEIGHT + ROW_GAP + 8}" fill="none" stroke="#d50000" stroke-width="3"><title>${escapeHtml(`split brain: both served from ${split.fromMs.toFixed(1)} to ${split.toMs.toFixed(1)} ms`)}</title></rect>`,
    );
  }

  // Power events across both panels.
  const bottom = rowY(2) + ROW_HEIGHT;
  for (const event of run.power) {
    const at = f1(x(event.atMs));
    parts.push(
      `<line x1="${at}" x2="${at}" y1="${LATENCY_TOP}" y2="${bottom}" stroke="${event.on ? '#2e7d32' : '#c62828'}" stroke-width="1" stroke-dasharray="${event.on ? '3,2' : ''}"><title>${escapeHtml(`P${event.processor} power ${event.on ? 'restored' : 'pulled'} at ${event.atMs.toFixed(0)} ms`)}</title></line>`,
    );
  }

  // Time axis.
  const tickMs = niceStep(endMs / 10);
  for (let ms = 0; ms <= endMs; ms += tickMs) {
    parts.push(
      `<line x1="${f1(x(ms))}" x2="${f1(x(ms))}" y1="${bottom}" y2="${bottom + 5}" stroke="#555"/>`,
      `<text x="${f1(x(ms))}" y="${bottom + 18}" text-anchor="middle" class="axis">${(ms / 1000).toFixed(tickMs < 1000 ? 1 : 0)} s</text>`,
    );
  }

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f1(width)}" height="${height}" viewBox="0 0 ${f1(width)} ${height}" role="img" aria-label="campaign timeline">`,
    '<style>.axis{font:11px sans-serif;fill:#444}.title{font:12px sans-serif;fill:#222}.gap{font:10px sans-serif;fill:#b71c1c}</style>',
    ...parts,
    '</svg>',
  ].join('\n');
}

function niceStep(raw: number): number {
  const steps = [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000];
  return steps.find((step) => step >= raw) ?? 600_000;
}

function percentilesText(p: Percentiles): string {
  if (p.count === 0) return 'none measured';
  const ms = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} ms`);
  return `p50 ${ms(p.p50)}, p99 ${ms(p.p99)}, max ${ms(p.max)} (${p.count})`;
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

export function htmlReport(run: CampaignRun): string {
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
    ['takeover (pull to first reply of the other board)', percentilesText(r.takeoverMs)],
    ['re-form (restore to the pair whole)', percentilesText(r.reformMs)],
    ['duration', `${r.durationS} s`],
  ];
  const legend = (Object.keys(BAND_COLOURS) as RoleBand[])
    .map(
      (band) =>
        `<span class="key"><span class="swatch" style="background:${BAND_COLOURS[band]}"></span>${escapeHtml(BAND_LABELS[band])}</span>`,
    )
    .join(' ');
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
.timeline{overflow-x:auto;border:1px solid #eee;padding:4px}
.key{margin-right:12px;white-space:nowrap}.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
pre{white-space:pre-wrap;margin:0}
</style>
</head>
<body>
<h1>tandem hil run: <span class="${outcome === 'pass' ? 'pass' : 'fail'}">${escapeHtml(verdictText)}</span></h1>
<p>${escapeHtml(`Started ${run.startedAt}. ${r.pulls} power pulls through the rig under client load; every request and reply checked afterwards.`)}</p>
<table>${summary.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<h2>Invariants</h2>
<table>${run.invariants.map((i) => `<tr class="${i.ok ? 'ok' : 'bad'}"><td class="${i.ok ? 'pass' : 'fail'}">${i.ok ? 'held' : 'BROKEN'}</td><th>${escapeHtml(i.title)}</th><td><pre>${escapeHtml(i.detail)}</pre></td></tr>`).join('')}</table>
${r.violations.length > 0 ? `<h2>Violations</h2><ul>${r.violations.map((v) => `<li>${escapeHtml(v)}</li>`).join('')}</ul>` : ''}
<h2>Timeline</h2>
<p>Red lines: power pulled; green dashed: power restored. ${legend}</p>
<div class="timeline">
${timelineSvg(run)}
</div>
<h2>Pulls</h2>
<table><tr><th>#</th><th>kind</th><th>board</th><th>at</th><th>takeover</th><th>re-form</th><th>outcome</th><th>detail</th></tr>
${run.pulls.map(pullRow).join('\n')}
</table>
</body>
</html>
`;
}
