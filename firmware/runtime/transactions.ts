/**
 * A request run on the primary, and its checkpoint entry applied on the
 * backup, in either checkpoint model: `state` sends the update and the
 * reply; `replay` sends the request with the time and seed it drew, and the
 * backup runs the handler again to the same decision. An entry may also
 * record a refusal (`storeFull`, `badRequest`): the request changed
 * nothing, in either model.
 */
import type { AnyApp, HandlerContext } from '../app.ts';
import { encodedLength } from '../wire/cbor.ts';
import { type CheckpointEntry, ENVELOPE_LIMITS, entryToWire } from './messages.ts';
import { seededRandom } from './random.ts';
import { clonePlain } from './state-diff.ts';
import { WriteLog } from './write-log.ts';

/** The app's state: opaque to the runtime, plain data that survives CBOR. */
export type AppState = ReturnType<AnyApp['init']>;

/**
 * What a request decides, before anything changes: its update, its reply,
 * and the entry that lets a backup do the same. The caller applies the
 * update (or refuses the request: nothing is half done).
 */
export interface Decided {
  readonly update: unknown;
  readonly reply: unknown;
  readonly entry: CheckpointEntry;
  /** The entry's encoded size, for group commit. */
  readonly entryBytes: number;
}

export function handlerContext(nowMs: number, seed: number): HandlerContext {
  return { nowMs, random: seededRandom(seed) };
}

/** Decides request `body` as transaction `txn`; throws whatever the app throws. Changes nothing. */
export function decide(
  app: AnyApp,
  state: AppState,
  request: {
    readonly txn: number;
    readonly clientId: string;
    readonly syncId: number;
    readonly body: unknown;
    readonly nowMs: number;
    readonly seed: number;
  },
): Decided {
  const { txn, clientId, syncId, body, nowMs, seed } = request;
  const decision = app.handle(state, app.parseRequest(body), handlerContext(nowMs, seed));
  const entry: CheckpointEntry =
    app.checkpoint === 'state'
      ? { txn, clientId, syncId, update: decision.update, reply: decision.reply }
      : { txn, clientId, syncId, request: body, nowMs, seed };
  const entryBytes = encodedLength(entryToWire(entry), ENVELOPE_LIMITS);
  return { update: decision.update, reply: decision.reply, entry, entryBytes };
}

/**
 * Applies `update` to `state` as one step: when the app throws half way,
 * what it wrote is undone (write-log.ts) and the error goes on, so that a
 * request refused for it changes nothing. The state is changed in place, as
 * the app changes it; the result is the state after.
 */
export function applyWhole(app: AnyApp, state: AppState, update: unknown): AppState {
  return applyLogged(app, state, update).state;
}

/**
 * applyWhole, with the log of what the update wrote to `state` (null for a
 * scalar state): the state after is `state` itself when the update changed
 * it in place, and another when the app returned one or ran on a copy.
 */
export function applyLogged(
  app: AnyApp,
  state: AppState,
  update: unknown,
): { readonly state: AppState; readonly log: WriteLog | null } {
  if (typeof state !== 'object' || state === null)
    return { state: app.apply(state, update), log: null };
  const log = new WriteLog(state);
  try {
    const after = app.apply(log.view, update);
    return { state: after === log.view ? state : log.unwrap(after), log };
  } catch {
    log.undo();
    // Again on a copy, which a second throw leaves behind: an app that the
    // view trips up (structuredClone refuses a proxy) runs there.
    return { state: app.apply(clonePlain(state), update), log };
  }
}

/**
 * Applies a checkpoint entry to the backup's state, with the update it
 * applied (none for a refusal or a registration); throws whatever the app
 * throws.
 */
export function applyEntry(
  app: AnyApp,
  state: AppState,
  entry: CheckpointEntry,
): { readonly state: AppState; readonly reply: unknown; readonly update?: unknown } {
  if (
    entry.storeFull !== undefined ||
    entry.badRequest !== undefined ||
    entry.registration === true
  )
    return { state, reply: null };
  if (app.checkpoint === 'state')
    return { state: app.apply(state, entry.update), reply: entry.reply, update: entry.update };
  const decision = app.handle(
    state,
    app.parseRequest(entry.request),
    handlerContext(entry.nowMs ?? 0, entry.seed ?? 0),
  );
  const { update, reply } = decision;
  return { state: app.apply(state, update), reply, update };
}
