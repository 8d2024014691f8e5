/**
 * The app API: what a firmware engineer writes to run an application as a
 * process pair. An app is plain data plus pure functions; the runtime owns
 * time, randomness, checkpointing and failover.
 *
 * A request is handled in two steps so that both checkpoint models of the
 * NonStop Availability Guide (p. 7-14) work from the same code:
 * - `handle` decides (pure: reads the state, returns an update and a reply);
 * - `apply` commits the update to the state.
 * In the `state` model the primary runs `handle` and sends the update and the
 * reply to the backup, which only runs `apply` (fast takeover, busier primary).
 * In the `replay` model the primary sends the request and the inputs it drew
 * (time, random seed); the backup runs `handle` itself (lighter checkpoints,
 * more work in the backup).
 */
import type { Reason } from './reasons.ts';

/** How the backup is kept current. */
export type CheckpointModel = 'state' | 'replay';

/**
 * Where the app's state lives. `memory`: in the two boards' memory only; a
 * loss of both boards (or of the only copy during a switch) starts the app
 * empty, with an alarm. `retained`: also in each board's durable store, as
 * a write-ahead log with snapshots; a reply leaves only once the entry is
 * on a store, and a pair that lost both boards recovers from its stores.
 */
export type Durability = 'memory' | 'retained';

/** Inputs the runtime supplies to a handler, so that replay is deterministic. */
export interface HandlerContext {
  /** Milliseconds on the primary's clock when the request was taken. */
  readonly nowMs: number;
  /** A deterministic random number in [0, 1), drawn from the runtime's seeded generator. */
  readonly random: () => number;
}

/** What a handler decides: the change to the state and the reply to the client. */
export interface Decision<Update, Reply> {
  readonly update: Update;
  readonly reply: Reply;
}

/**
 * A request the app refuses to parse. The client gets `why` back: the
 * reason, as typed facts from firmware/reasons.ts (the ledger's), or a
 * plain message as `{ code: 'app-input', message }`.
 */
export class AppInputError extends Error {
  readonly appInput = true;
  override name = 'AppInputError';
  readonly why: Reason;

  constructor(why: string | Reason) {
    const reason: Reason = typeof why === 'string' ? { code: 'app-input', message: why } : why;
    super(typeof why === 'string' ? why : JSON.stringify(why));
    this.why = reason;
  }
}

/**
 * Converters between this version's state and its neighbours'. The newer
 * version carries both directions, because an older version cannot know the
 * shape of a newer one (Availability Guide p. 10-40: each version exchanges
 * context with the prior, current and next versions).
 */
export interface StateConverters<State> {
  /** State version this app can convert from and to (usually stateVersion - 1). */
  readonly priorStateVersion: number;
  /** Upgrade: the prior version's state to ours. Must not mutate `prior`. */
  fromPrior(prior: unknown): State;
  /** Downgrade: our state to the prior version's, for fallback. */
  toPrior(state: State): unknown;
}

/**
 * What a processor's `$RECEIVE` loop delivers to the app (Availability Guide
 * p. 7-14): checkpoints as the backup applies them, and system messages about
 * the partner, the paths and planned changes. For logging, LEDs, alarms:
 * `receive` must not change the state, or the two copies would differ.
 */
export type ReceiveMessage =
  | {
      readonly kind: 'checkpoint';
      readonly txn: number;
      readonly clientId: string;
      readonly syncId: number;
    }
  | { readonly kind: 'state-transfer'; readonly txn: number }
  | { readonly kind: 'partner-down' }
  | { readonly kind: 'partner-up' }
  | { readonly kind: 'path-down'; readonly path: number }
  | { readonly kind: 'path-up'; readonly path: number }
  | { readonly kind: 'switch-requested' }
  | { readonly kind: 'voluntary-stop'; readonly why: Reason }
  | { readonly kind: 'takeover'; readonly why: Reason };

export interface App<State, Request, Update, Reply> {
  /** Application name; both processors must run the same app. */
  readonly name: string;
  /** Release version, semver ("1.2.0"). */
  readonly version: string;
  /** Version of the shape of `State`; bumped whenever that shape changes. */
  readonly stateVersion: number;
  readonly checkpoint: CheckpointModel;
  /** Where the state lives (see Durability); absent means `memory`. */
  readonly durability?: Durability;
  /** The state a freshly started pair begins with. */
  init(): State;
  /** Checks a request from the outside world; throws AppInputError if it is not one. */
  parseRequest(input: unknown): Request;
  /** Decides what a request does. Pure: must not mutate `state`. */
  handle(
    state: Readonly<State>,
    request: Request,
    context: HandlerContext,
  ): Decision<Update, Reply>;
  /**
   * Commits an update; may mutate and return `state`. An update should not
   * grow the state's encoding by more than its own: a retained app's
   * primary bounds the state's size by that between two measurements, to
   * refuse what the store has no room for (firmware/runtime/store-room.ts).
   */
  apply(state: State, update: Update): State;
  /** Present when this version can exchange state with the prior state version. */
  readonly converters?: StateConverters<State>;
  /** The `$RECEIVE` loop: checkpoints and system messages, observed (see ReceiveMessage). */
  receive?(message: ReceiveMessage): void;
}

/** An app with its type parameters erased, as the runtime holds it. */
// biome-ignore lint/suspicious/noExplicitAny: the runtime treats app data as opaque values.
export type AnyApp = App<any, any, any, any>;

/** Defines an app; exists so that TypeScript infers and checks the type parameters. */
export function defineApp<State, Request, Update, Reply>(
  app: App<State, Request, Update, Reply>,
): App<State, Request, Update, Reply> {
  return app;
}
