/**
 * A request run on the primary, and its checkpoint entry applied on the
 * backup, in either checkpoint model: `state` sends the update and the
 * reply; `replay` sends the request with the time and seed it drew, and the
 * backup runs the handler again to the same decision.
 */
import type { AnyApp, HandlerContext } from '../app.ts';
import { encodedLength } from '../wire/cbor.ts';
import { type CheckpointEntry, ENVELOPE_LIMITS, entryToWire } from './messages.ts';
import { seededRandom } from './random.ts';

/** The app's state: opaque to the runtime, plain data that survives CBOR. */
export type AppState = ReturnType<AnyApp['init']>;

/** What a request did: the state after it, its reply, and the entry that lets a backup do the same. */
export interface Execution {
  readonly state: AppState;
  readonly reply: unknown;
  readonly entry: CheckpointEntry;
  /** The entry's encoded size, for group commit. */
  readonly entryBytes: number;
}

export function handlerContext(nowMs: number, seed: number): HandlerContext {
  return { nowMs, random: seededRandom(seed) };
}

/** Runs request `body` as transaction `txn`; throws whatever the app throws, having changed nothing. */
export function execute(
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
): Execution {
  const { txn, clientId, syncId, body, nowMs, seed } = request;
  const decision = app.handle(state, app.parseRequest(body), handlerContext(nowMs, seed));
  const after = app.apply(state, decision.update);
  const entry: CheckpointEntry =
    app.checkpoint === 'state'
      ? { txn, clientId, syncId, update: decision.update, reply: decision.reply }
      : { txn, clientId, syncId, request: body, nowMs, seed };
  const entryBytes = encodedLength(entryToWire(entry), ENVELOPE_LIMITS);
  return { state: after, reply: decision.reply, entry, entryBytes };
}

/** Applies a checkpoint entry to the backup's state; throws whatever the app throws. */
export function applyEntry(
  app: AnyApp,
  state: AppState,
  entry: CheckpointEntry,
): { readonly state: AppState; readonly reply: unknown } {
  if (app.checkpoint === 'state')
    return { state: app.apply(state, entry.update), reply: entry.reply };
  const decision = app.handle(
    state,
    app.parseRequest(entry.request),
    handlerContext(entry.nowMs ?? 0, entry.seed ?? 0),
  );
  return { state: app.apply(state, decision.update), reply: decision.reply };
}
