/**
 * The screen of `tandem monitor`: the readiness badge, one row per board in
 * fixed-width columns (they stay put when a board goes off), the counters,
 * and the latest events. Pure: a view in, lines out.
 */
import type { BoardReading } from '../dashboard/pair-feed.ts';
import {
  describeEvent,
  type LiveEvent,
  type PairView,
  type Readiness,
  readinessLabel,
} from '../dashboard/pair-view.ts';
import type { Style, Stylist } from './terminal-style.ts';
import { count } from './text-table.ts';

/** Columns: header, width, alignment. Widths hold the longest value each can take. */
const COLUMNS = [
  ['board', 5, 'left'],
  ['role', 13, 'left'],
  ['version', 9, 'left'],
  ['slots (*active)', 19, 'left'],
  ['links', 9, 'left'],
  ['lag', 5, 'right'],
  ['up', 7, 'right'],
] as const;

export const SCREEN_WIDTH = 80;

export function clockTime(atMs: number): string {
  return new Date(atMs).toISOString().slice(11, 23);
}

function cells(values: readonly string[]): string {
  return values
    .map((value, i) => {
      const [, width, align] = COLUMNS[i] ?? ['', 8, 'left'];
      const cut = value.length > width ? `${value.slice(0, width - 1)}…` : value;
      return align === 'right' ? cut.padStart(width) : cut.padEnd(width);
    })
    .join(' ')
    .trimEnd();
}

export function boardRow(board: BoardReading, style: Stylist): string {
  const s = board.status;
  if (s === null) {
    const why = board.powered === false ? 'power off' : 'no answer';
    return style('red', cells([`P${board.processor}`, why, '', '', '', '', '']));
  }
  const pair = s.pair;
  const slots = s.slots
    .map(
      (slot) =>
        `${slot.slot}:${slot.version ?? '-'}${slot.active ? '*' : ''}${slot.trial ? 't' : ''}`,
    )
    .join(' ');
  const row = cells([
    `P${board.processor}`,
    pair?.role ?? 'boot ROM',
    pair ? pair.version : '-',
    slots,
    pair ? pair.pathsUp.map((up, i) => `${i}:${up ? 'up' : 'DN'}`).join(' ') : '-',
    pair ? String(pair.checkpointLag) : '-',
    board.uptimeMs === null ? '-' : `${(board.uptimeMs / 1000).toFixed(0)} s`,
  ]);
  const role = pair?.role;
  return role === 'primary' || role === 'primary-alone' ? style('bold', row) : row;
}

const BADGE_STYLE: Record<Readiness['kind'], Style> = {
  redundant: 'green',
  solo: 'yellow',
  syncing: 'cyan',
  switching: 'cyan',
  down: 'red',
};

export function eventStyle(event: LiveEvent): Style | null {
  switch (event.kind) {
    case 'takeover':
    case 'split-brain':
      return 'inverse';
    case 'power':
      return event.on ? 'green' : 'red';
    case 'fence':
    case 'alarm':
    case 'false-suspicion':
      return 'yellow';
    case 'rejoin':
      return 'green';
    case 'switch-step':
      return event.ok ? 'cyan' : 'red';
    case 'path':
      return event.up ? null : 'yellow';
    case 'role':
      return 'dim';
  }
}

export function eventLine(event: LiveEvent, style: Stylist): string {
  const text = `${clockTime(event.atMs)}  ${describeEvent(event)}`;
  const cut = text.length > SCREEN_WIDTH - 2 ? `${text.slice(0, SCREEN_WIDTH - 3)}…` : text;
  const chosen = eventStyle(event);
  return `  ${chosen === null ? cut : style(chosen, cut)}`;
}

function ms(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(0)} ms`;
}

/** The whole screen; `eventRows` of the latest events fill its foot. */
export function monitorScreen(
  view: PairView,
  target: string,
  nowMs: number,
  style: Stylist,
  eventRows: number,
  /** The last action started from a key, and how it went. */
  action = '',
): string[] {
  const c = view.counters;
  const rate = view.requestsPerSecond === null ? '-' : count(view.requestsPerSecond);
  const badge = readinessLabel(view.readiness);
  const title = `tandem monitor  ${clockTime(nowMs)}`;
  const quit = 'q quit · s switch · f fall back';
  const lines = [
    `${style('bold', title)}${' '.repeat(Math.max(1, SCREEN_WIDTH - title.length - quit.length))}${style('inverse', quit)}`,
    style('dim', target.length > SCREEN_WIDTH ? `…${target.slice(-(SCREEN_WIDTH - 1))}` : target),
    `${style(BADGE_STYLE[view.readiness.kind], style('inverse', ` ${badge} `))}  ${rate.padStart(7)} requests/s`,
    action.length > SCREEN_WIDTH ? `${action.slice(0, SCREEN_WIDTH - 1)}…` : action,
    style('dim', cells(COLUMNS.map(([header]) => header))),
    ...(view.boards ?? []).map((board) => boardRow(board, style)),
    '',
    `takeovers ${c.takeovers}  last ${ms(c.lastTakeoverMs)}  max ${ms(c.maxTakeoverMs)}  role changes ${c.roleChanges}`,
    `fences ${c.fences}  false suspicions ${c.falseSuspicions}  split brain ${c.splitBrain}`,
    '',
    style('bold', 'events'),
  ];
  const shown = view.events.filter((e) => e.kind !== 'role').slice(-eventRows);
  for (const event of shown) lines.push(eventLine(event, style));
  return lines;
}
