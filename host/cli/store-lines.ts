/**
 * `tandem status`'s lines about each board's durable store: its geometry and
 * rated endurance, where the retained app's log stands in it and what it
 * holds, and the operations the board counted since power-on.
 */
import { totalErases } from '../../boards/counted-store.ts';
import { regionBytes } from '../../boards/flash-region.ts';
import type { BoardStatus } from '../../boards/management.ts';
import type { StatusOrSilence } from './board-table.ts';

/** Short form for the status table's column. */
export function storeCell(status: BoardStatus): string {
  if (status.store === null) return 'none';
  if (status.storeFailedBoots > 0) return `FAILED at ${status.storeFailedBoots} boots`;
  const durable = status.pair?.durable;
  if (status.pair === null || durable === undefined) return kib(regionBytes(status.store.geometry));
  if (durable === null) return 'not used';
  if (durable.refused) return 'REFUSED';
  if (durable.held === null) return 'empty';
  const held = `txn ${durable.held.txn} t${durable.held.term}`;
  return durable.room.full ? `${held} FULL` : held;
}

/** Four lines a board with a store, one for a board without. */
export function storeLines(statuses: readonly StatusOrSilence[]): string[] {
  return statuses.flatMap((s) => {
    if ('error' in s) return [];
    const name = `P${s.processor} store:`;
    if (s.store === null) return [`${name} none (a retained app runs in memory only)`];
    const g = s.store.geometry;
    const wear = s.store.sincePowerOn;
    const erases = totalErases(wear);
    const lines = [
      `${name} ${g.blockCount} blocks of ${kib(g.eraseBlockBytes)} (${kib(regionBytes(g))}), ${g.writeBytes}-byte writes, rated ${g.enduranceCycles} erases a block`,
      `  log: ${logLine(s)}`,
      `  room: ${roomLine(s)}`,
      `  since power-on: ${wear.writes} writes, ${kib(wear.bytesWritten)} written, ${erases} erases (at most ${Math.max(0, ...wear.erasesByBlock)} on one block)`,
    ];
    return lines;
  });
}

function logLine(s: BoardStatus): string {
  const durable = s.pair?.durable;
  if (s.pair === null || durable === undefined) return 'no image runs';
  if (durable === null) return `${s.pair.app} ${s.pair.version} keeps its state in memory: unused`;
  const held =
    durable.held === null
      ? 'holds no transaction yet'
      : `holds txn ${durable.held.txn} of term ${durable.held.term}`;
  if (durable.refused) return `REFUSED (see the journal); ${held}`;
  const p = durable.position;
  if (p === null) return held;
  return `generation ${p.generation} in area ${p.area === 0 ? 'A' : 'B'}, ${kib(p.usedBytes)} of ${kib(p.areaBytes)} used; ${held}`;
}

/** The room the store gives the state (store-room.ts): the limit, the primary's bound, and whether it is full. */
function roomLine(s: BoardStatus): string {
  const room = s.pair?.durable?.room;
  if (room === undefined) return 'no retained state';
  const limit = `a snapshot of the state may take ${kib(room.snapshotBytesMax)}`;
  const now = room.snapshotBytes === null ? '' : `; at most ${kib(room.snapshotBytes)} now`;
  const full = room.full
    ? '; FULL: requests that would grow the state are refused (store-full), the rest run'
    : '';
  return `${limit}${now}${full}`;
}

function kib(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  return `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KiB`;
}
