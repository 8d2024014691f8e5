/**
 * Differences between two versions of an app's state (plain data: objects,
 * arrays, byte strings, primitives), as operations that turn one into the
 * other. A switch's pre-copy sends the state once and then only what
 * changed since the last round, so the round sent with requests held is
 * small whatever the state's size.
 */
import type { ReasonOf } from '../reasons.ts';
import { MessageError } from '../wire/errors.ts';

/** What can be wrong with a patch. */
type PatchFault = ReasonOf<
  | 'patch-not-list'
  | 'op-not-list'
  | 'patch-path'
  | 'patch-op'
  | 'path-nowhere'
  | 'cut-not-array'
  | 'delete-names-key'
  | 'delete-outside-object'
  | 'set-beyond-array'
  | 'set-in-scalar'
>['code'];

export type PathKey = string | number;

/**
 * One change: set the value at a path (the root for []), delete an object's
 * key, cut an array to a length, or cut items off an array's front (a
 * window that slides: a history that keeps its newest, say; images before
 * it read the first three only).
 */
export type PatchOp =
  | readonly [op: 0, path: readonly PathKey[], value: unknown]
  | readonly [op: 1, path: readonly PathKey[]]
  | readonly [op: 2, path: readonly PathKey[], length: number]
  | readonly [op: 3, path: readonly PathKey[], count: number];

const SET = 0;
const DELETE = 1;
const TRUNCATE = 2;
const CUT_FRONT = 3;

/** Items of an array a front cut is tried from: where its new first item was before (see frontCut). */
const FRONT_CUTS_TRIED = 4;

/** How the receiver reads a patch: whether it knows front cuts. */
export interface DiffOptions {
  readonly frontCuts: boolean;
}

/** The operations that turn `before` into `after`. */
export function diffState(
  before: unknown,
  after: unknown,
  options: DiffOptions = { frontCuts: false },
): PatchOp[] {
  const ops: PatchOp[] = [];
  diffInto(before, after, [], ops, options);
  return ops;
}

/**
 * `path` is one list the walk pushes onto and pops (a copy goes into each
 * op): a new list for every node visited cost a microcontroller-class
 * engine more than the comparisons themselves.
 */
function diffInto(
  before: unknown,
  after: unknown,
  path: PathKey[],
  ops: PatchOp[],
  options: DiffOptions,
): void {
  if (typeof after !== 'object' || after === null) {
    if (!Object.is(before, after)) ops.push([SET, [...path], after]);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const cut = options.frontCuts ? frontCut(before, after) : 0;
    if (cut > 0) ops.push([CUT_FRONT, [...path], cut]);
    const kept = cut > 0 ? before.slice(cut) : before;
    const common = Math.min(kept.length, after.length);
    for (let i = 0; i < common; i++) {
      path.push(i);
      diffInto(kept[i], after[i], path, ops, options);
      path.pop();
    }
    if (after.length < kept.length) ops.push([TRUNCATE, [...path], after.length]);
    for (let i = common; i < after.length; i++) ops.push([SET, [...path, i], after[i]]);
    return;
  }
  if (isRecord(before) && isRecord(after)) {
    const first = ops.length;
    let kept = 0;
    for (const key of Object.keys(after)) {
      if (!Object.hasOwn(before, key)) {
        ops.push([SET, [...path, key], after[key]]);
        continue;
      }
      kept += 1;
      const was = before[key];
      const is = after[key];
      // Most of a state is scalars: compared here, without a call each.
      if (typeof is !== 'object' || is === null) {
        if (!Object.is(was, is)) ops.push([SET, [...path, key], is]);
        continue;
      }
      path.push(key);
      diffInto(was, is, path, ops, options);
      path.pop();
    }
    const keys = Object.keys(before);
    if (kept === keys.length) return;
    // The keys gone go first, as the receiver has always read them.
    const deleted: PatchOp[] = [];
    for (const key of keys) if (!Object.hasOwn(after, key)) deleted.push([DELETE, [...path, key]]);
    ops.splice(first, 0, ...deleted);
    return;
  }
  if (!samePlain(before, after)) ops.push([SET, [...path], after]);
}

/**
 * How many items to cut off the front of `before` so that what is left is
 * the front of `after` (a window slid on: compared item by item, every one
 * would differ), or 0 when that would not take fewer changes. Only when the
 * first item changed, and only from the first few places where `after`'s
 * first item was before.
 */
function frontCut(before: readonly unknown[], after: readonly unknown[]): number {
  if (before.length < 2 || after.length === 0 || equalPlain(before[0], after[0])) return 0;
  let tried = 0;
  for (let cut = 1; cut < before.length && tried < FRONT_CUTS_TRIED; cut++) {
    if (!equalPlain(before[cut], after[0])) continue;
    tried += 1;
    const overlap = Math.min(before.length - cut, after.length);
    let same = 1;
    while (same < overlap && equalPlain(before[cut + same], after[same])) same += 1;
    if (same < overlap) continue;
    // The cut, then the items past the overlap; against the items that differ in place.
    const withCut = 1 + (after.length - overlap);
    let inPlace = Math.abs(after.length - before.length);
    for (let i = 0; i < Math.min(before.length, after.length) && inPlace <= withCut; i++)
      if (!equalPlain(before[i], after[i])) inPlace += 1;
    return withCut < inPlace ? cut : 0;
  }
  return 0;
}

/** Whether two plain values are equal all the way down. */
function equalPlain(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => equalPlain(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && equalPlain(a[key], b[key]))
    );
  }
  return samePlain(a, b);
}

/**
 * `doc` changed by `ops` (changed in place where it can be; use the result).
 * The values the ops set become part of the document as they are, not
 * copied: a whole state received is installed without a second copy of it
 * (on a microcontroller that copy was the state again). Pass ops that own
 * their values (decoded from a message) or copies. Throws a MessageError on
 * an op that does not fit, leaving `doc` changed by the ops before it: the
 * caller drops a document it could not finish.
 */
export function applyPatch(doc: unknown, ops: readonly PatchOp[]): unknown {
  let root = doc;
  for (const op of ops) {
    const path = op[1];
    if (op[0] === TRUNCATE || op[0] === CUT_FRONT) {
      const list = walk(root, path);
      if (!Array.isArray(list) || op[2] > list.length) fail('cut-not-array');
      if (op[0] === TRUNCATE) list.length = op[2];
      else list.splice(0, op[2]);
      continue;
    }
    if (path.length === 0) {
      if (op[0] !== SET) fail('delete-names-key');
      root = op[2];
      continue;
    }
    const parent = walk(root, path.slice(0, -1));
    const key = path[path.length - 1] as PathKey;
    if (op[0] === DELETE) {
      if (!isRecord(parent) || typeof key !== 'string') fail('delete-outside-object');
      delete parent[key];
    } else if (Array.isArray(parent)) {
      if (typeof key !== 'number' || key > parent.length) fail('set-beyond-array');
      parent[key] = op[2];
    } else if (isRecord(parent) && typeof key === 'string') {
      // defineProperty, not assignment: a key named __proto__ is data, never a prototype.
      Object.defineProperty(parent, key, {
        value: op[2],
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else {
      fail('set-in-scalar');
    }
  }
  return root;
}

/**
 * `ops` with a copy of each value they set: ops that own their values, as
 * applyPatch takes them. Patched with these, the copy a round was diffed
 * against becomes the next for the cost of what changed (a copy of the
 * whole state cost the state's size each round), and the round can be
 * encoded a slice at a time while the state it was taken from changes on.
 */
export function withCopiedValues(ops: readonly PatchOp[]): PatchOp[] {
  return ops.map((op): PatchOp => (op[0] === SET ? [SET, op[1], clonePlain(op[2])] : op));
}

/** A deep copy of plain data, sharing nothing with `value`. */
export function clonePlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clonePlain);
  if (value instanceof Uint8Array) return value.slice();
  if (isRecord(value)) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = clonePlain(value[key]);
      // Assignment is twice as fast; a key named __proto__ is data, never a prototype.
      if (key !== '__proto__') copy[key] = item;
      else
        Object.defineProperty(copy, key, {
          value: item,
          writable: true,
          enumerable: true,
          configurable: true,
        });
    }
    return copy;
  }
  return value;
}

/** Checks that a received value is a list of patch operations. */
export function parsePatch(value: unknown): PatchOp[] {
  if (!Array.isArray(value)) fail('patch-not-list');
  return value.map((item): PatchOp => {
    if (!Array.isArray(item)) fail('op-not-list');
    const [op, path] = item;
    if (!Array.isArray(path) || !path.every(isPathKey)) fail('patch-path');
    if (op === SET && item.length === 3) return [SET, path, item[2]];
    if (op === DELETE && item.length === 2 && path.length > 0) return [DELETE, path];
    if (
      (op === TRUNCATE || op === CUT_FRONT) &&
      item.length === 3 &&
      Number.isSafeInteger(item[2]) &&
      item[2] >= 0
    )
      return [op, path, item[2]];
    return fail('patch-op');
  });
}

function walk(root: unknown, path: readonly PathKey[]): unknown {
  let at = root;
  for (const key of path) at = child(at, key);
  return at;
}

function child(parent: unknown, key: PathKey): unknown {
  if (Array.isArray(parent) && typeof key === 'number' && key < parent.length) return parent[key];
  if (isRecord(parent) && typeof key === 'string' && Object.hasOwn(parent, key)) return parent[key];
  return fail('path-nowhere');
}

function samePlain(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
  return Object.is(a, b);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}

function isPathKey(key: unknown): key is PathKey {
  return typeof key === 'string' || (Number.isSafeInteger(key) && (key as number) >= 0);
}

/** Refuses a patch, saying what is wrong with it. */
function fail(code: PatchFault): never {
  throw new MessageError('bad-shape', { code });
}
