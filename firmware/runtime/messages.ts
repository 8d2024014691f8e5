/**
 * Messages between the two processors of a pair, and between a client and
 * the pair. Every frame on an interconnect path carries one Envelope, CBOR
 * encoded; anything that does not match these shapes is refused with a
 * MessageError ('bad-shape') and changes nothing.
 */
import type { CheckpointModel } from '../app.ts';
import type { Reason } from '../reasons.ts';
import { withEncodedCbor } from '../wire/cbor.ts';
import type { CborLimits } from '../wire/cbor-limits.ts';
import { crc32c } from '../wire/crc32c.ts';
import { MessageError, REASON_TEXT_MAX } from '../wire/errors.ts';
import type { CacheOp, CacheSession, SessionChange } from './reply-cache.ts';
import { type PatchOp, parsePatch } from './state-diff.ts';

/** Envelopes must fit one frame. */
export const ENVELOPE_LIMITS: CborLimits = { bytesMax: 4096, depthMax: 24, itemsMax: 4096 };

export type RoleName =
  | 'booting'
  | 'joining'
  | 'backup'
  | 'primary'
  | 'primary-alone'
  | 'switching'
  | 'stopped';

/** What a processor tells its partner about the image it runs. */
export interface Hello {
  readonly app: string;
  readonly version: string;
  readonly stateVersion: number;
  /** What its checkpoints carry: partners must agree, or the backup cannot apply them. */
  readonly model: CheckpointModel;
  /** The state version this image converts from and to, or -1. */
  readonly priorStateVersion: number;
  /** Running an image that is not yet confirmed (it reverts on the next reset). */
  readonly testMode: boolean;
  /** Version of the image in the other slot, or '' when that slot is empty. */
  readonly otherVersion: string;
  /**
   * How long this boot took from the reset to asking the primary to join
   * (the boot ROM's checks, the engine loading the image, the store read
   * back, hearing the primary), where the board tells when it reset: a
   * switch waits for this board's next boot by it (switchBootLimitMs).
   */
  readonly joinAfterMs?: number;
  /**
   * Registrations are transactions, checkpointed and logged as requests are
   * (images before answered them at once, and read no registration entry).
   */
  readonly registers?: true;
  /**
   * Clients whose last replies its reply cache keeps (PairConfig.clientsMax):
   * partners must agree, or a takeover would forget sessions the primary
   * kept. Absent from images before it: the default, 256.
   */
  readonly clientsMax?: number;
  /**
   * Bytes of a big checkpoint this processor reads or writes in one call at
   * most (PairConfig.encodeSliceBytes): a partner sends it chunks no larger,
   * as a microcontroller joiner of a Linux-class primary needs. Absent from
   * images before it: no bound.
   */
  readonly sliceBytes?: number;
  /**
   * A backup on a shared field bus (PairConfig.busShared): it keeps the
   * requests it hears until a checkpoint covers them, so a replay
   * checkpoint may leave them out (lockstep). Absent from images before it.
   */
  readonly hearsBus?: true;
  /**
   * Reads a pre-copy's rounds in their compact form: the reply cache's
   * changes by session, one a client (CacheOp, SessionChange), and an
   * array's front cut (PatchOp). Absent from images before it: they get
   * every change one by one, and arrays item by item.
   */
  readonly compactRounds?: true;
  /**
   * Reads the requests a switch held in their compact form (HeldOnWire).
   * Absent from images before it: they get them as records.
   */
  readonly heldCompact?: true;
}

/** Carried by every frame: what I am and whom I hold as backup. */
export interface Status {
  readonly role: RoleName;
  readonly term: number;
  /** Incarnation of the processor I hold as my backup, 0 for none. */
  readonly backupInc: number;
  /**
   * A booting processor's durable store: the last transaction it holds
   * (with `term`, its history), or 'refused' when the store is not a log.
   * Absent when it holds nothing (or runs a memory app).
   */
  readonly stored?: StoredClaim;
}

/**
 * What a booting processor's store holds, as it tells its partner. Not
 * `servable`: a log this image cannot replay (another version wrote it),
 * whose history its records still tell, so the boards can compare; or one
 * it can serve only by converting another version's state, which loses a
 * tie to the partner's own copy.
 */
export type StoredClaim = { readonly txn: number; readonly servable: boolean } | 'refused';

/**
 * A request refused because the state after it would not fit the durable
 * store (see store-room.ts): it changed nothing. The refusal is a
 * transaction all the same (logged, checkpointed, kept in the reply cache),
 * so a retry gets the same answer from either board.
 */
export interface StoreFull {
  /** Bytes a snapshot of the state would have taken after the request. */
  readonly snapshotBytes: number;
  /** The most a snapshot may take in this store (StoreRoom.snapshotBytesMax). */
  readonly snapshotBytesMax: number;
}

/** How a stopped processor must come back. */
export type BootChoice = 'other-test' | 'confirmed';

export interface CheckpointEntry {
  readonly txn: number;
  readonly clientId: string;
  readonly syncId: number;
  /** State model: the update and the reply. */
  readonly update?: unknown;
  readonly reply?: unknown;
  /** Replay model: the request and the inputs the handler drew. */
  readonly request?: unknown;
  /**
   * Replay model, as a backup on a shared bus reads it in lockstep: the
   * request was left out, since the backup heard it; its digest (requestDigest).
   */
  readonly requestDigest?: number;
  readonly nowMs?: number;
  readonly seed?: number;
  /** Either model: the request was refused for want of room in the store, and changed nothing. */
  readonly storeFull?: StoreFull;
  /** Either model: the request was refused `bad-request` (its handler threw, or its entry could not travel), and changed nothing; the refusal's reason. */
  readonly badRequest?: Reason;
  /** Either model: a client's registration (sync id 0): its session begins, and nothing else changes. */
  readonly registration?: true;
}

export interface HeldRequest {
  readonly clientId: string;
  readonly syncId: number;
  readonly body: unknown;
  readonly arrivedMs: number;
}

/** Bodies of the reliable channel. */
export type PeerBody =
  | { readonly k: 'join'; readonly hello: Hello }
  | {
      readonly k: 'snap';
      readonly id: number;
      readonly index: number;
      readonly count: number;
      readonly data: Uint8Array;
    }
  | { readonly k: 'ckpt'; readonly entries: readonly CheckpointEntry[] }
  | { readonly k: 'stop'; readonly boot: BootChoice; readonly why: Reason }
  /** Requests held during a switch, sent ahead of the role switch in batches that fit a frame. */
  | { readonly k: 'held'; readonly requests: readonly HeldRequest[] }
  /** g: the old primary offers its roles (the held requests went before). */
  | { readonly k: 'role-switch' }
  /** The new version takes the roles: from now on only it may serve, once this is acknowledged. */
  | { readonly k: 'roles-taken' }
  | { readonly k: 'confirm' }
  | { readonly k: 'reject'; readonly why: Reason }
  /** The backup (or joiner) gave up its copy of the state: its acknowledgements no longer mean it holds anything. */
  | { readonly k: 'dropped'; readonly why: Reason };

export interface Envelope {
  readonly from: { readonly p: 1 | 2; readonly inc: number };
  /** The receiver's incarnation as the sender knows it, 0 if unknown. */
  readonly toInc: number;
  readonly ack: number;
  readonly st: Status;
  /**
   * Paths on which the sender hears the receiver, one bit each: a path can
   * fail in one direction only, and only the far end knows which way.
   */
  readonly hears: number;
  /** Sent now and then on heartbeats, and with every join. */
  readonly hello?: Hello;
  readonly seg?: { readonly seq: number; readonly body: PeerBody };
}

/** The big checkpoint: everything a backup needs to give the same answers. */
export interface Snapshot {
  readonly stateVersion: number;
  readonly state: unknown;
  readonly txn: number;
  readonly term: number;
  /** Per client: [client id, [syncId, reply] pairs oldest first, sync ids run]. */
  readonly cache: ReadonlyArray<CacheSession>;
}

/**
 * The big checkpoint as it travels, in rounds. A switch's pre-copy sends
 * everything once (a whole round, base 0) and then what changed since the
 * round before, while the primary serves; its final round goes with
 * requests held, so the hold lasts only as long as the last changes take.
 * A joiner of the same version gets one whole, final round.
 */
export interface Round {
  /** Transfer id of the round this one changes; 0 for a whole round. */
  readonly base: number;
  /** The last round: the joiner installs what it holds and is a backup. */
  readonly final: boolean;
  readonly stateVersion: number;
  readonly txn: number;
  readonly term: number;
  /** The state, as changes to the base round's (a whole round: one set of the root). */
  readonly state: readonly PatchOp[];
  /** A whole round's sessions, as in a Snapshot; empty in a changed round. */
  readonly cache: ReadonlyArray<CacheSession>;
  /** A changed round's cache changes since its base, oldest first; empty in a whole round. */
  readonly cacheOps: readonly CacheOp[];
  /**
   * The channel sequence of the joiner's `join` this round answers (absent
   * from images before it): a transfer begun for an ask the joiner gave up,
   * still in the primary's channel, is not installed.
   */
  readonly ask?: number;
}

/** A request from a client, as it arrives on a board's client port (sync id 0 registers). */
export interface ClientRequest {
  readonly clientId: string;
  readonly syncId: number;
  readonly body: unknown;
}

export type ClientErrorCode =
  | 'not-primary'
  | 'too-old'
  | 'bad-request'
  | 'busy'
  /** The state after the request would not fit the durable store: nothing was done (see StoreFull). */
  | 'store-full'
  /** The pair keeps no session for this client: the request did not run now, and may or may not have run before. */
  | 'session-expired';

/** The sync id that registers a client's session; its requests use 1 and up. */
export const REGISTER_SYNC_ID = 0;

export type ClientReply =
  | {
      readonly clientId: string;
      readonly syncId: number;
      readonly ok: true;
      readonly reply: unknown;
      readonly txn: number;
    }
  | {
      readonly clientId: string;
      readonly syncId: number;
      readonly ok: false;
      readonly error: ClientErrorCode;
      /** The facts behind the error (the host's reasonText says them). */
      readonly why: Reason;
      /** The transaction that recorded the refusal (`store-full` and `bad-request`): a retry gets the same answer. */
      readonly txn?: number;
    };

/** Role names in wire order: a frame carries the index. */
const ROLES: readonly RoleName[] = [
  'booting',
  'joining',
  'backup',
  'primary',
  'primary-alone',
  'switching',
  'stopped',
];

/** Refuses a message: `field` is not what it must be (`want`: a map, a count, a time, text, a list). */
function fail(field: string, want?: 'map' | 'count' | 'time' | 'text' | 'list'): never {
  throw new MessageError('bad-shape', { code: 'bad-field', field, want });
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(what, 'map');
  return value as Record<string, unknown>;
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(what, 'count');
  }
  return value;
}

function timeMs(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(what, 'time');
  return value;
}

function text(value: unknown, what: string, maxLength = 64): string {
  if (typeof value !== 'string' || value.length > maxLength) fail(what, 'text');
  return value;
}

function parseHello(value: unknown): Hello {
  const h = record(value, 'hello');
  const priorStateVersion = h.priorStateVersion;
  if (typeof priorStateVersion !== 'number' || !Number.isSafeInteger(priorStateVersion)) {
    fail('hello.priorStateVersion');
  }
  if (typeof h.testMode !== 'boolean') fail('hello.testMode');
  if (h.model !== 'state' && h.model !== 'replay') fail('hello.model');
  const hello: Hello = {
    app: text(h.app, 'hello.app'),
    version: text(h.version, 'hello.version'),
    stateVersion: count(h.stateVersion, 'hello.stateVersion'),
    model: h.model,
    priorStateVersion,
    testMode: h.testMode,
    otherVersion: text(h.otherVersion, 'hello.otherVersion'),
  };
  const { joinAfterMs, clientsMax, sliceBytes } = h;
  return {
    ...hello,
    ...(joinAfterMs === undefined ? {} : { joinAfterMs: count(joinAfterMs, 'hello.joinAfterMs') }),
    ...(h.registers === true ? { registers: true } : {}),
    ...(clientsMax === undefined ? {} : { clientsMax: count(clientsMax, 'hello.clientsMax') }),
    ...(sliceBytes === undefined ? {} : { sliceBytes: count(sliceBytes, 'hello.sliceBytes') }),
    ...(h.hearsBus === true ? { hearsBus: true } : {}),
    ...(h.compactRounds === true ? { compactRounds: true } : {}),
    ...(h.heldCompact === true ? { heldCompact: true } : {}),
  };
}

/**
 * Checkpoint entries travel as arrays, the bulk of the interconnect's load:
 * state model [txn, clientId, syncId, update, reply];
 * replay model [txn, clientId, syncId, request, nowMs, seed], or in
 * lockstep (a batch marked `h`) [txn, clientId, syncId, requestDigest, nowMs, seed];
 * a refusal, either model [txn, clientId, syncId, [snapshotBytes, snapshotBytesMax]] (store full)
 * or [txn, clientId, syncId, reason] (bad request);
 * a registration, either model [txn, clientId, syncId].
 */
export function entryToWire(e: CheckpointEntry): unknown[] {
  if (e.registration === true) return [e.txn, e.clientId, e.syncId];
  if (e.badRequest !== undefined) return [e.txn, e.clientId, e.syncId, e.badRequest];
  if (e.storeFull !== undefined)
    return [e.txn, e.clientId, e.syncId, [e.storeFull.snapshotBytes, e.storeFull.snapshotBytesMax]];
  return e.nowMs === undefined
    ? [e.txn, e.clientId, e.syncId, e.update ?? null, e.reply ?? null]
    : [e.txn, e.clientId, e.syncId, e.request ?? null, e.nowMs, e.seed ?? 0];
}

/**
 * A request's digest: the CRC-32C of its CBOR. A backup matches what it
 * heard on the bus against it, so a client that sent another body under the
 * same sync id cannot make it replay something the primary did not run.
 */
export function requestDigest(request: unknown): number {
  return withEncodedCbor(request, ENVELOPE_LIMITS, (bytes) => crc32c(bytes));
}

/** An entry in lockstep: a replay entry with a request gives its digest in the request's place. */
function heardEntryToWire(e: CheckpointEntry): unknown[] {
  if (e.nowMs === undefined) return entryToWire(e);
  return [e.txn, e.clientId, e.syncId, requestDigest(e.request), e.nowMs, e.seed ?? 0];
}

function parseHeardEntry(value: unknown): CheckpointEntry {
  const e = list(value, 'checkpoint entry');
  if (e.length !== 6) return parseEntry(value);
  return {
    txn: count(e[0], 'entry.txn'),
    clientId: text(e[1], 'entry.clientId'),
    syncId: count(e[2], 'entry.syncId'),
    requestDigest: count(e[3], 'entry.requestDigest'),
    nowMs: timeMs(e[4], 'entry.nowMs'),
    seed: count(e[5], 'entry.seed'),
  };
}

export function parseEntry(value: unknown): CheckpointEntry {
  const e = list(value, 'checkpoint entry');
  const txn = count(e[0], 'entry.txn');
  const clientId = text(e[1], 'entry.clientId');
  const syncId = count(e[2], 'entry.syncId');
  // Literals, not a spread of a shared head: this runs for every entry a backup applies.
  if (e.length === 5) return { txn, clientId, syncId, update: e[3], reply: e[4] };
  if (e.length === 3) return { txn, clientId, syncId, registration: true };
  if (e.length === 4) {
    if (!Array.isArray(e[3]))
      return { txn, clientId, syncId, badRequest: reason(e[3], 'entry.badRequest') };
    const sizes = list(e[3], 'entry.storeFull');
    const storeFull = {
      snapshotBytes: count(sizes[0], 'entry.storeFull.snapshotBytes'),
      snapshotBytesMax: count(sizes[1], 'entry.storeFull.snapshotBytesMax'),
    };
    return { txn, clientId, syncId, storeFull };
  }
  if (e.length === 6) {
    const nowMs = timeMs(e[4], 'entry.nowMs');
    return { txn, clientId, syncId, request: e[3], nowMs, seed: count(e[5], 'entry.seed') };
  }
  return fail('checkpoint entry length');
}

/**
 * A held request in its compact form: [clientId, syncId, body], 56 bytes
 * for a ledger deposit that takes 96 as a record. When it arrived does not
 * travel (the old primary's clock is not the new version's): 0 here, and
 * the receiver takes its own time.
 */
type HeldOnWire = [clientId: string, syncId: number, body: unknown];

function heldToWire(request: HeldRequest): HeldOnWire {
  return [request.clientId, request.syncId, request.body];
}

function parseHeldOnWire(value: unknown): HeldRequest {
  const h = list(value, 'held request');
  if (h.length !== 3) fail('held request length');
  return {
    clientId: text(h[0], 'held.clientId'),
    syncId: count(h[1], 'held.syncId'),
    body: h[2],
    arrivedMs: 0,
  };
}

function parseHeld(value: unknown): HeldRequest {
  const h = record(value, 'held request');
  return {
    clientId: text(h.clientId, 'held.clientId'),
    syncId: count(h.syncId, 'held.syncId'),
    body: h.body,
    arrivedMs: timeMs(h.arrivedMs, 'held.arrivedMs'),
  };
}

/**
 * A reason as a partner sends it: a code and facts that are numbers, flags,
 * short names, reasons or nothing (a fact it left out). Its code is not
 * checked here (an image of another version may know codes this one does
 * not): only the host reads it.
 */
function reason(value: unknown, what: string): Reason {
  const r = record(value, what);
  text(r.code, `${what}.code`);
  for (const fact of Object.values(r)) {
    if (typeof fact === 'object') reason(fact, what);
    else if (typeof fact === 'string') text(fact, what, REASON_TEXT_MAX);
  }
  return r as Reason;
}

/**
 * The reason of a stop, reject or dropped: its facts, or the sentence that
 * an image built before reasons were typed sends in their place (`reason`).
 */
function bodyWhy(b: Record<string, unknown>, what: string): Reason {
  if (b.why === undefined && b.reason !== undefined) {
    return { code: 'said', text: text(b.reason, `${what}.reason`, REASON_TEXT_MAX) };
  }
  return reason(b.why, `${what}.why`);
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) fail(what, 'list');
  return value;
}

function parseBody(value: unknown): PeerBody {
  const b = record(value, 'body');
  switch (b.k) {
    case 'join':
      return { k: 'join', hello: parseHello(b.hello) };
    case 'confirm':
      return { k: 'confirm' };
    case 'snap': {
      if (!(b.data instanceof Uint8Array)) fail('snap.data');
      const index = count(b.index, 'snap.index');
      const total = count(b.count, 'snap.count');
      if (index >= total) fail('snap.index');
      return { k: 'snap', id: count(b.id, 'snap.id'), index, count: total, data: b.data };
    }
    case 'ckpt':
      return {
        k: 'ckpt',
        entries: list(b.e, 'ckpt.e').map(b.h === true ? parseHeardEntry : parseEntry),
      };
    case 'stop':
      if (b.boot !== 'other-test' && b.boot !== 'confirmed') fail('stop.boot');
      return { k: 'stop', boot: b.boot, why: bodyWhy(b, 'stop') };
    case 'held':
      return b.r === undefined
        ? { k: 'held', requests: list(b.requests, 'held.requests').map(parseHeld) }
        : { k: 'held', requests: list(b.r, 'held.r').map(parseHeldOnWire) };
    case 'role-switch':
      return { k: 'role-switch' };
    case 'roles-taken':
      return { k: 'roles-taken' };
    case 'reject':
      return { k: 'reject', why: bodyWhy(b, 'reject') };
    case 'dropped':
      return { k: 'dropped', why: bodyWhy(b, 'dropped') };
    default:
      return fail('body.k');
  }
}

/** How a body goes, by what the partner reads or already has. */
export interface WireForm {
  /** The partner heard the requests of a checkpoint's entries on the shared bus: they go as digests (lockstep). */
  readonly requestsHeard?: boolean;
  /** The partner reads held requests compact (Hello.heldCompact). */
  readonly heldCompact?: boolean;
}

/**
 * The wire form of an envelope: a flat array, because every frame carries one
 * and a UART at 115200 baud moves only 11.5 bytes a millisecond.
 * [p, inc, toInc, ack, role, term, backupInc, hello | null, seq, body | null, hears],
 * and a twelfth element only from a booting processor with a store to
 * speak of: its stored txn, or 'refused'; a thirteenth, `false`, when this
 * image cannot serve from that history. The body's form follows what the
 * partner reads (WireForm).
 */
export function envelopeToWire(e: Envelope, form: WireForm = {}): unknown[] {
  return [
    e.from.p,
    e.from.inc,
    e.toInc,
    e.ack,
    ROLES.indexOf(e.st.role),
    e.st.term,
    e.st.backupInc,
    e.hello ?? null,
    e.seg?.seq ?? 0,
    e.seg === undefined ? null : bodyToWire(e.seg.body, form),
    e.hears,
    ...storedToWire(e.st.stored),
  ];
}

function storedToWire(stored: StoredClaim | undefined): unknown[] {
  if (stored === undefined) return [];
  if (stored === 'refused') return ['refused'];
  return stored.servable ? [stored.txn] : [stored.txn, false];
}

/**
 * A body's wire form. A stop, reject or dropped carries its reason's code
 * as `reason` too: an image built before reasons were typed (a partner
 * during a switch) reads only that field, as its sentence, and would refuse
 * the body without it.
 */
function bodyToWire(body: PeerBody, form: WireForm): unknown {
  if (body.k === 'held' && form.heldCompact === true)
    return { k: 'held', r: body.requests.map(heldToWire) };
  if (body.k === 'ckpt') {
    return form.requestsHeard === true
      ? { k: 'ckpt', e: body.entries.map(heardEntryToWire), h: true }
      : { k: 'ckpt', e: body.entries.map(entryToWire) };
  }
  return 'why' in body ? { ...body, reason: body.why.code } : body;
}

/** Checks a decoded CBOR value against the envelope's wire form. Throws MessageError. */
export function parseEnvelope(value: unknown): Envelope {
  const w = list(value, 'envelope');
  if (w.length < 11 || w.length > 13) fail('envelope length');
  const [p, inc, toInc, ack, role, term, backupInc, hello, seq, body, hears, stored, servable] = w;
  if (p !== 1 && p !== 2) fail('from.p');
  const roleName = ROLES[count(role, 'role')];
  if (roleName === undefined) fail('role');
  const envelope: {
    from: { p: 1 | 2; inc: number };
    toInc: number;
    ack: number;
    st: Status;
    hears: number;
    hello?: Hello;
    seg?: { seq: number; body: PeerBody };
  } = {
    from: { p, inc: count(inc, 'from.inc') },
    toInc: count(toInc, 'toInc'),
    ack: count(ack, 'ack'),
    st: { role: roleName, term: count(term, 'term'), backupInc: count(backupInc, 'backupInc') },
    hears: count(hears, 'hears'),
  };
  if (w.length === 13 && (servable !== false || stored === 'refused')) fail('stored.servable');
  if (w.length >= 12)
    envelope.st = {
      ...envelope.st,
      stored:
        stored === 'refused'
          ? 'refused'
          : { txn: count(stored, 'stored'), servable: w.length === 12 },
    };
  if (hello !== null) envelope.hello = parseHello(hello);
  if (body !== null) envelope.seg = { seq: count(seq, 'seq'), body: parseBody(body) };
  return envelope;
}

/** Messages on the field bus, CBOR in frames: requests from clients, replies and announcements from boards. */
export type BusMessage =
  | { readonly kind: 'request'; readonly request: ClientRequest }
  | { readonly kind: 'reply'; readonly reply: ClientReply }
  | { readonly kind: 'announce'; readonly processor: 1 | 2 };

/** Each bus message's first item. */
const BUS_REQUEST = 0;
const BUS_REPLY = 1;
const BUS_REFUSAL = 2;
const BUS_ANNOUNCE = 3;

const CLIENT_ERRORS: readonly ClientErrorCode[] = [
  'not-primary',
  'too-old',
  'bad-request',
  'busy',
  'store-full',
  'session-expired',
];

/**
 * Bus messages travel as arrays, as checkpoint entries do: at 115200 baud a
 * reply's line time is the least a takeover takes as its client sees it,
 * and field names were half of a reply's frame. A request [0, clientId,
 * syncId, body]; a reply [1, clientId, syncId, txn, reply]; a refusal
 * [2, clientId, syncId, error, why] with its txn last where it has one;
 * an announcement [3, processor].
 */
export function busToWire(message: BusMessage): unknown[] {
  if (message.kind === 'announce') return announceToWire(message.processor);
  if (message.kind === 'reply') return replyToWire(message.reply);
  const { clientId, syncId, body } = message.request;
  return [BUS_REQUEST, clientId, syncId, body];
}

/** A board's reply or refusal on the bus (busToWire for one). */
export function replyToWire(r: ClientReply): unknown[] {
  if (r.ok) return [BUS_REPLY, r.clientId, r.syncId, r.txn, r.reply];
  const refusal = [BUS_REFUSAL, r.clientId, r.syncId, r.error, r.why];
  return r.txn === undefined ? refusal : [...refusal, r.txn];
}

/** A board's announcement on the bus (busToWire for one). */
export function announceToWire(processor: 1 | 2): unknown[] {
  return [BUS_ANNOUNCE, processor];
}

function requestFrom(m: unknown[]): ClientRequest {
  const [, clientId, syncId, body] = exactly(m, 4, 'request');
  return { clientId: text(clientId, 'clientId'), syncId: count(syncId, 'syncId'), body };
}

/**
 * What a board reads on the bus: a client's request, or null for a board's
 * message (on a shared bus it hears the other board's). Checks no more of a
 * board's message than its kind, so that the image carries no reader of
 * replies. Throws MessageError.
 */
export function parseBusRequest(value: unknown): ClientRequest | null {
  const m = list(value, 'bus message');
  if (m[0] === BUS_REPLY || m[0] === BUS_REFUSAL || m[0] === BUS_ANNOUNCE) return null;
  if (m[0] !== BUS_REQUEST) fail('bus message kind');
  return requestFrom(m);
}

/** Checks a decoded CBOR value against the bus messages' wire forms. Throws MessageError. */
export function parseBusMessage(value: unknown): BusMessage {
  const m = list(value, 'bus message');
  switch (m[0]) {
    case BUS_REQUEST:
      return { kind: 'request', request: requestFrom(m) };
    case BUS_REPLY: {
      const [, clientId, syncId, txn, reply] = exactly(m, 5, 'reply');
      return {
        kind: 'reply',
        reply: {
          clientId: text(clientId, 'reply.clientId'),
          syncId: count(syncId, 'reply.syncId'),
          ok: true,
          reply,
          txn: count(txn, 'reply.txn'),
        },
      };
    }
    case BUS_REFUSAL: {
      const [, clientId, syncId, error, why, txn] = m.length === 5 ? m : exactly(m, 6, 'refusal');
      if (!CLIENT_ERRORS.includes(error as ClientErrorCode)) fail('refusal.error');
      return {
        kind: 'reply',
        reply: {
          clientId: text(clientId, 'refusal.clientId'),
          syncId: count(syncId, 'refusal.syncId'),
          ok: false,
          error: error as ClientErrorCode,
          why: reason(why, 'refusal.why'),
          ...(txn === undefined ? {} : { txn: count(txn, 'refusal.txn') }),
        },
      };
    }
    case BUS_ANNOUNCE: {
      const [, processor] = exactly(m, 2, 'announce');
      if (processor !== 1 && processor !== 2) fail('announce.processor');
      return { kind: 'announce', processor };
    }
    default:
      return fail('bus message kind');
  }
}

export function parseSnapshot(value: unknown): Snapshot {
  const s = record(value, 'snapshot');
  return {
    stateVersion: count(s.stateVersion, 'snapshot.stateVersion'),
    state: s.state,
    txn: count(s.txn, 'snapshot.txn'),
    term: count(s.term, 'snapshot.term'),
    cache: parseSessions(s.cache),
  };
}

export function parseRound(value: unknown): Round {
  const r = record(value, 'round');
  if (typeof r.final !== 'boolean') fail('round.final');
  const cacheOps = list(r.cacheOps, 'round.cacheOps').map((item): CacheOp => {
    const op = list(item, 'cache op');
    const clientId = text(op[0], 'cache op clientId');
    if (op.length === 1) return [clientId];
    if (op.length === 3) return [clientId, count(op[1], 'cache op syncId'), op[2]];
    if (op.length === 2 && op[1] === null) return [clientId, null];
    // A session's changes: its replies saved since and its window, as a session has them.
    if (op.length === 5) return parseSessions([op])[0] as SessionChange;
    return fail('cache op');
  });
  return {
    base: count(r.base, 'round.base'),
    final: r.final,
    stateVersion: count(r.stateVersion, 'round.stateVersion'),
    txn: count(r.txn, 'round.txn'),
    term: count(r.term, 'round.term'),
    state: parsePatch(r.state),
    cache: parseSessions(r.cache),
    cacheOps,
    ...(r.ask !== undefined && { ask: count(r.ask, 'round.ask') }),
  };
}

/**
 * Checks the sessions where they lie rather than copying them: a big
 * checkpoint's sessions are most of what it decodes to, and a copy would be
 * held beside them while the joiner installs them.
 */
function parseSessions(value: unknown): CacheSession[] {
  const sessions = list(value, 'cache');
  for (const item of sessions) {
    const session = list(item, 'cache item');
    text(session[0], 'cache clientId');
    for (const reply of list(session[1], 'cache replies'))
      count(exactly(reply, 2, 'cache reply')[0], 'cache syncId');
    if (session.length === 3) {
      for (const id of list(session[2], 'cache ran')) count(id, 'cache ran id');
    } else {
      exactly(session, 5, 'cache item');
      // The highest is -1 for a session that only registered.
      if (session[2] !== -1) count(session[2], 'cache highest syncId');
      count(session[3], 'cache ran word');
      count(session[4], 'cache ran word');
    }
  }
  return sessions as CacheSession[];
}

function exactly(value: unknown, length: number, what: string): unknown[] {
  const items = list(value, what);
  if (items.length !== length) {
    throw new MessageError('bad-shape', {
      code: 'bad-length',
      field: what,
      items: items.length,
      length,
    });
  }
  return items;
}
