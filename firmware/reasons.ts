/**
 * Why things happen on a board, as typed facts: the one table of reasons,
 * shared by the firmware and the host. A board reports a reason as its
 * code and the facts that matter (`{ code: 'checkpoint-gap', have: 4, got:
 * 6 }`), never as a sentence, in events, peer messages, client replies and
 * errors. Firmware imports this file's types only, so an image carries the
 * codes and none of the sentences (test/image-bundle.test.ts holds it so);
 * the host renders a reason with `reasonText`. Each entry is a code, its
 * facts (the parameter's type) and its sentence.
 */

import type { Sample } from './apps/ledger/sample.ts';
import { FRAME_PAYLOAD_LIMIT_MAX_BYTES } from './wire/frame.ts';

/** A reason as any image may send it: a code this host may not know, and its facts. */
export interface ReasonValue {
  readonly code: string;
  readonly [fact: string]: Fact;
}

/** A fact: a number, a name, or a reason behind this one (an error caught on the way). */
export type Fact = number | string | boolean | ReasonValue;

const SENTENCES = {
  // Roles, takeovers and stops (the role events' `why`, alarms, peer stops).
  'dsr-dropped': () => 'DSR dropped on every path',
  'primary-silent': () => 'the primary is silent on every path',
  'primary-restarted': () => 'the primary restarted',
  'backup-restarted': () => 'the backup restarted',
  'joiner-restarted': () => 'the joiner restarted',
  'backup-off': () => 'the backup lost power',
  'joiner-silent': () => 'the joiner went silent during the big checkpoint',
  'joiner-missed-all': () =>
    'the joiner missed more than the whole state while silent: its big checkpoint starts over',
  'joiner-not-counted': () => 'the primary no longer counts us as its joiner',
  'backup-not-counted': () => 'the primary no longer counts us as its backup',
  'new-version-restarted': () => 'the new version restarted',
  'new-version-silent': () => 'the new version went silent',
  'new-version-off': () => 'the new version lost power',
  rejoined: () => 'the new version joined again: its rounds start over',
  'last-round': (r: { bytes: number }) =>
    `last round of the big checkpoint to the new version (${r.bytes} bytes), new requests held`,
  'switch-to': (r: { version: string }) => `switch to ${r.version}`,
  'failed-at': (r: { step: string }) => `switch failed at ${r.step}`,
  'newer-history': (r: { term: number }) =>
    `the partner's store holds a newer history (term ${r.term}): stepping down`,
  'two-primaries': (r: { term: number }) => `two primaries: stepping down for term ${r.term}`,
  'path-down': (r: { path: number }) =>
    `path ${r.path} is down; the pair runs on the remaining path`,
  'state-lost': () =>
    'cold start: the app keeps its state in memory only, so whatever the pair held before both boards stopped is gone',
  fault: (r: { path: number; error?: Fact }) =>
    `fault in receive on path ${r.path}${r.error === undefined ? '' : `: ${factText(r.error)}`}`,
  'own-id': () => 'frame from our own processor id',
  'refused-us': (r: { why: ReasonValue }) => `the primary refused us: ${reasonText(r.why)}`,
  // A partner's stop, reject or dropped as an image built before reasons were typed says it.
  said: (r: { text: string }) => r.text,

  // A backup or joiner that gives up its copy of the state.
  'early-overflow': (r: { max: number }) => `over ${r.max} checkpoints before the big checkpoint`,
  'snapshot-unusable': (r: { error: Fact }) => `big checkpoint unusable: ${factText(r.error)}`,
  'checkpoint-gap': (r: { have: number; got: number }) =>
    `checkpoint gap: have txn ${r.have}, got ${r.got}`,
  'entry-failed': (r: { txn: number; error: Fact }) =>
    `checkpoint txn ${r.txn} cannot be applied: ${factText(r.error)}`,

  // The switch: its steps' details, and why a primary cannot start one.
  'asked-to-stop': (r: { ms: number }) =>
    `backup asked to stop; the new version may take ${r.ms} ms`,
  'bridge-ok': (r: { ours: number; theirs: number }) => `checkpoints ${r.ours} <-> ${r.theirs}`,
  'came-back-on': (r: { version: string }) => `partner came back on ${r.version}`,
  'no-new-version': (r: { ms: number }) => `no new version within ${r.ms} ms`,
  'no-progress': (r: { ms: number }) => `the big checkpoint made no progress for ${r.ms} ms`,
  'handshake-refused': (r: { why: ReasonValue }) => `handshake refused: ${reasonText(r.why)}`,
  'could-not-take': (r: { why: ReasonValue }) =>
    `the new version could not take the big checkpoint: ${reasonText(r.why)}`,
  'in-progress': () => 'a switch is already in progress',
  'not-whole': (r: { processor: number; role: string }) =>
    `processor ${r.processor} is ${r.role}, not a primary with a backup`,
  'no-image': () => 'no image in the other slot',
  'same-version': (r: { version: string }) =>
    `the other slot holds the running version ${r.version}`,
  'partner-lacks-image': (r: { has: string; wants: string }) =>
    `the backup's other slot holds ${r.has || 'nothing'}, not ${r.wants}`,

  // Two images that meet: can they exchange state, and which one runs.
  'other-app': (r: { app: string; ours: string }) => `partner runs app ${r.app}, not ${r.ours}`,
  'other-model': (r: { model: string; ours: string }) =>
    `partner checkpoints in the ${r.model} model, we in the ${r.ours} model`,
  'other-clients-max': (r: { clientsMax: number; ours: number }) =>
    `partner's reply cache keeps ${r.clientsMax} clients, ours ${r.ours}: give both boards the same limits.clientsMax`,
  'no-converter': (r: { ours: number; version: string; theirs: number; partner: string }) =>
    `state version ${r.ours} (${r.version}) and ${r.theirs} (${r.partner}) have no converter between them`,
  'revert-trial': (r: { version: string }) => `primary runs ${r.version}: revert the trial image`,
  'boot-other': (r: { version: string }) => `primary runs ${r.version}: boot it`,
  'no-image-of': (r: { partner: string; version: string }) =>
    `partner runs ${r.partner} and has no image of ${r.version}`,

  // The durable store.
  'not-a-log': () =>
    'the store holds bytes that are not a log (no whole first record in either area)',
  'bad-record': (r: { error: Fact }) => `a record is not what the log writes: ${factText(r.error)}`,
  'snapshot-too-big': (r: { bytes: number; max: number }) =>
    `a snapshot of ${r.bytes} bytes is over the ${r.max} an area of this store gives it: a bigger store region is needed`,
  'no-store': () =>
    'the app keeps its state retained, but this board has no durable store: it runs in memory only',
  'store-refused': (r: { why: ReasonValue }) => `durable store refused: ${reasonText(r.why)}`,
  'no-room': (r: { bytes: number; max: number }) =>
    `the durable store is full: after this request a snapshot of the state would take ${r.bytes} bytes, over the ${r.max} this board's store gives it; nothing was done, and requests that do not grow the state still run. Free room in the state, or give the boards a bigger store region (the profile's store blockCount)`,
  'no-room-converted': (r: { bytes: number; max: number }) =>
    `the state converted to this version would take ${r.bytes} bytes as a snapshot, over the ${r.max} this board's store gives it: this version could not keep it. Free room in the state first, or give the boards a bigger store region (the profile's store blockCount)`,
  'store-failed': (r: { error: Fact }) =>
    `the durable store failed an operation (${factText(r.error)}): this processor stops and its partner serves on; check the board's store (worn flash, a file error)`,
  'store-full': (r: { why?: ReasonValue }) =>
    `the durable store is full${r.why === undefined ? '' : `: ${reasonText(r.why)}`}`,
  'log-unreplayable': (r: { version: string; error: Fact }) =>
    `its log cannot be replayed by ${r.version}: ${factText(r.error)}`,
  'log-other-version': (r: { version: string }) => `its entries were written by ${r.version}`,
  'unreadable-state': (r: { stateVersion: number; version: string }) =>
    `cannot read state version ${r.stateVersion} in ${r.version}`,
  'bad-geometry': (r: { blocks: number; blockBytes: number; writeBytes: number }) =>
    `a store needs at least 2 erase blocks of a whole number of ${r.writeBytes}-byte write units, not ${r.blocks} of ${r.blockBytes} bytes`,
  'record-changed': (r: { offset: number }) =>
    `the record at ${r.offset} changed since the store was opened`,
  'written-otherwise': (r: { offset: number }) =>
    `the snapshot written at ${r.offset} reads back otherwise: the flash did not take it`,
  'log-gap': (r: { txn: number; next: number }) => `gap in the log: txn ${r.txn}, then ${r.next}`,
  'store-writer': (r: { version: string }) =>
    `the newest history is in our store, written by ${r.version}: booting it`,
  'writer-missing': (r: { txn: number; term: number; version: string }) =>
    `the newest history (txn ${r.txn}, term ${r.term}) is in our store, written by ${r.version}, which neither slot holds: push it to serve that history`,

  // Frames (FrameError): what the decoder skipped, or what encodeFrame refused.
  'bad-header': () => 'frame header CRC-8 mismatch',
  'bad-crc': (r: { bytes: number }) => `frame payload CRC-32C mismatch (${r.bytes}-byte payload)`,
  oversize: (r: { bytes: number; max: number }) =>
    `a frame payload of ${r.bytes} bytes, above the limit of ${r.max} bytes`,
  garbage: () => 'bytes outside any frame were skipped',
  'cut-short': () => 'a frame stopped midway and the line fell silent',
  overdue: (r: { bytes: number }) =>
    `a frame declaring a ${r.bytes}-byte payload was still incomplete long after its line time: its header was noise`,

  // CBOR messages (MessageError): what the bounded scan refused, or what cannot be encoded.
  'too-large': (r: { bytes: number; max: number }) =>
    `message of ${r.bytes} bytes exceeds the limit of ${r.max} bytes`,
  empty: () => 'message is empty',
  'no-items': (r: { max: number }) => `item limit ${r.max} admits no message`,
  'too-deep': (r: { at: number; max: number }) =>
    `nesting at byte ${r.at} exceeds the depth limit of ${r.max}`,
  'too-many-items': (r: { max: number }) =>
    `message declares more than the limit of ${r.max} items`,
  'proto-key': (r: { at: number }) => `map key "__proto__" at byte ${r.at}`,
  'ends-early': (r: { at: number }) => `message ends at byte ${r.at} where an item was expected`,
  tag: (r: { at: number }) => `tag at byte ${r.at}: messages use no CBOR tags`,
  'key-not-text': (r: { at: number; major: number }) =>
    `map key at byte ${r.at} is not a text string (major type ${r.major})`,
  indefinite: (r: { at: number }) =>
    `indefinite-length item at byte ${r.at}: only definite lengths are accepted`,
  'bad-head': (r: { at: number; head: number }) =>
    `stray break or invalid head 0x${r.head.toString(16)} at byte ${r.at}`,
  'reserved-info': (r: { at: number; info: number }) =>
    `reserved additional information ${r.info} at byte ${r.at}`,
  'head-cut': (r: { at: number }) => `item head at byte ${r.at} is cut short`,
  int64: (r: { at: number }) =>
    `64-bit integer at byte ${r.at}: integers beyond 32 bits must be floats`,
  'declares-more': (r: { at: number; major: number; declared: number; remain: number }) =>
    `${cborItem(r.major)} at byte ${r.at} declares ${r.declared} ${r.major < 4 ? 'bytes' : 'items'} but only ${r.remain} bytes remain`,
  'length-8': (r: { at: number; major: number }) =>
    `${cborItem(r.major)} at byte ${r.at} has an 8-byte length: lengths take at most 4 bytes`,
  'simple-value': (r: { at: number }) =>
    `simple value at byte ${r.at}: only false, true, null, undefined and floats are accepted`,
  trailing: (r: { bytes: number }) => `${r.bytes} bytes follow the message's single top-level item`,
  'trailing-at': (r: { at: number }) =>
    `bytes follow the message's single top-level item at byte ${r.at}`,
  reentrant: () => 'a value was encoded while another one was being encoded',
  'cannot-encode': (r: { error: string }) => `value cannot be encoded as CBOR: ${r.error}`,
  'not-data': (r: { type: string }) => `a ${r.type} cannot be encoded: ${MESSAGE_DATA}`,
  cyclic: () => `a cyclic value cannot be encoded: ${MESSAGE_DATA}`,

  // Peer messages and the big checkpoint's rounds that do not have the shape they must.
  'bad-field': (r: { field: string; want?: string }) =>
    `bad message: ${r.field}${r.want === undefined ? '' : ` is not ${FIELD_WANTS[r.want] ?? r.want}`}`,
  'bad-length': (r: { field: string; items: number; length: number }) =>
    `bad message: ${r.field} has ${r.items} items, not ${r.length}`,
  'patch-not-list': () => 'state patch: patch is not a list',
  'op-not-list': () => 'state patch: patch op is not a list',
  'patch-path': () => 'state patch: patch path',
  'patch-op': () => 'state patch: patch op',
  'path-nowhere': () => 'state patch: patch path leads nowhere',
  'cut-not-array': () => 'state patch: cut of something not an array that long',
  'delete-names-key': () => 'state patch: a delete names a key',
  'delete-outside-object': () => 'state patch: delete of a key outside an object',
  'set-beyond-array': () => 'state patch: set beyond an array',
  'set-in-scalar': () => 'state patch: set inside something that is neither an object nor an array',
  'other-base': (r: { round: number; base: number }) =>
    `round ${r.round} changes round ${r.base} of another state version`,

  // Wrong arguments to the wire layer (WireArgumentError): programming errors.
  'bad-option': (r: { option: string; value: number }) =>
    `${r.option} must be ${OPTION_RULES[r.option] ?? 'valid'}, got ${r.value}`,
  'bad-range': (r: { start: number; end: number; length: number }) =>
    `range [${r.start}, ${r.end}) is outside the ${r.length}-byte input`,

  // The ledger app (firmware/apps/ledger): requests it refuses, v1 states it cannot convert.
  'not-a-request': (r: Sample) =>
    `a ledger request must be an object with an "op", got ${sampleText(r)}`,
  'bad-op': (r: { ops: string } & Sample) => `"op" must be one of ${r.ops}; got ${sampleText(r)}`,
  'bad-account': (r: { op: string; field: string; max: number } & Sample) =>
    `${r.op} needs "${r.field}": an account id of 1 to ${r.max} characters (well-formed text, not "__proto__"); got ${sampleText(r)}`,
  'bad-amount': (r: { op: string; field: string; max: number; orNull?: boolean } & Sample) =>
    `${r.op} needs "${r.field}": ${r.orNull === true ? 'null or ' : ''}a whole number of cents from 1 to ${r.max}; got ${sampleText(r)}`,
  'v1-not-object': (r: Sample) => `ledger v1 state: expected an object, got ${sampleText(r)}`,
  'v1-fields': (r: { fields: string }) => `ledger v1 state: unexpected fields ${r.fields}`,
  'v1-accounts': (r: Sample) =>
    `ledger v1 state: "accounts" must be an object, got ${sampleText(r)}`,
  'v1-bad-id': (r: Sample) => `ledger v1 state: ${sampleText(r)} is not an account id`,
  'v1-bad-balance': (r: { id: string } & Sample) =>
    `ledger v1 state: account ${JSON.stringify(r.id)} has no valid balance (${sampleText(r)})`,

  // Requests a primary refuses (client replies' `why`).
  'backup-in-doubt': () => 'the backup is silent; waiting to learn its fate',
  'not-serving': (r: { processor: number; role: string }) =>
    `processor ${r.processor} is ${r.role}`,
  'hold-full': () => 'switch in progress and the hold queue is full',
  'replies-waiting': () => 'too many replies waiting for the backup',
  'checkpoints-waiting': (f: { ms: number; max: number }) =>
    `the checkpoints waiting for the backup take ${f.ms} ms of the line, more than ${f.max} ms`,
  'session-expired': (r: { clientId: string; clientsMax: number; syncId: number }) =>
    `no session for ${r.clientId}: it expired after ${r.clientsMax} other clients, or never began here; sync id ${r.syncId} did not run now and may have run before; register under a new client id`,
  'too-old': (r: { syncId: number; syncDepth: number; newest: number }) =>
    `sync id ${r.syncId} is older than the last ${r.syncDepth} replies kept (newest ${r.newest})`,
  'app-input': (r: { message: string }) => r.message,
  'handler-failed': (r: { error: Fact }) => `handler failed: ${factText(r.error)}`,
  'entry-too-big': (r: { bytes: number; max: number }) =>
    `its checkpoint entry is ${r.bytes} bytes, over the ${r.max} a frame carries`,
} satisfies Record<string, (facts: never) => string>;

/** What a message may carry (the encoder's refusals say it). */
const MESSAGE_DATA =
  'messages carry plain objects, arrays, strings, numbers, booleans, null, undefined and Uint8Array';

/** The values the wire layer's options take. */
const OPTION_RULES: Readonly<Record<string, string>> = {
  payloadMaxBytes: `an integer from 0 to ${FRAME_PAYLOAD_LIMIT_MAX_BYTES}`,
  windowMax: 'a positive integer',
  queueMax: 'a positive integer',
  retransmitTimeoutMs: 'a finite number >= 0',
};

/** What a message's field must be, as `bad-field` names it. */
const FIELD_WANTS: Readonly<Record<string, string>> = {
  map: 'a map',
  count: 'a non-negative integer',
  time: 'a time',
  text: 'a short string',
  list: 'an array',
};

/** A value a client sent (or a state held), from its sample (firmware/apps/ledger/sample.ts). */
function sampleText(s: Sample): string {
  if (s.type === 'bigint') return `the bigint ${s.got}`;
  if (s.type === 'null') return 'null';
  if (s.type !== undefined) return `${/^[aeiou]/.test(s.type) ? 'an' : 'a'} ${s.type}`;
  if (s.got === undefined) return 'nothing';
  if (typeof s.got !== 'string') return String(s.got);
  const text = JSON.stringify(s.got);
  return s.length === undefined ? text : `${text}\u2026 (${s.length} characters)`;
}

/** A CBOR item by its major type, as the reader's reasons name it. */
function cborItem(major: number): string {
  return major === 5 ? 'map' : major === 4 ? 'array' : 'string';
}

type Sentences = typeof SENTENCES;

export type ReasonCode = keyof Sentences;

/** Every code of the table. */
export const REASON_CODES = Object.keys(SENTENCES) as readonly ReasonCode[];

type FactsOf<C extends ReasonCode> = Parameters<Sentences[C]> extends [infer F] ? F : unknown;

/** A reason this firmware gives: its code and, as the table says, its facts. */
export type Reason = {
  [C in ReasonCode]: { readonly code: C } & Readonly<FactsOf<C>>;
}[ReasonCode];

/** The reasons with one of the codes `C`. */
export type ReasonOf<C extends ReasonCode> = Extract<Reason, { readonly code: C }>;

/**
 * The sentence for a reason. One this host cannot say, because its code is
 * not in the table (a newer image's) or its facts do not fit it, reads as
 * its code and facts: a board's journal never stops a host command.
 */
export function reasonText(reason: ReasonValue): string {
  if (!isReason(reason)) return String(reason);
  if (Object.hasOwn(SENTENCES, reason.code)) {
    const sentence = (SENTENCES as unknown as Record<string, (r: ReasonValue) => string>)[
      reason.code
    ];
    try {
      const text = sentence?.(reason);
      if (typeof text === 'string') return text;
    } catch {
      // Facts that do not fit the sentence: said as they are, below.
    }
  }
  const facts = Object.entries(reason)
    .filter(([name]) => name !== 'code')
    .map(([name, value]) => `${name} ${factText(value)}`);
  return facts.length === 0 ? reason.code : `${reason.code} (${facts.join(', ')})`;
}

/** A `store-full` event (its typed facts) as a sentence, for traces and the journal. */
export function storeFullEventText(event: {
  readonly full: boolean;
  readonly snapshotBytes: number;
  readonly snapshotBytesMax: number;
}): string {
  return event.full
    ? `durable store full: a request would have made the snapshot ${event.snapshotBytes} bytes, over the ${event.snapshotBytesMax} the store gives it; requests that grow the state are refused (store-full)`
    : `durable store has room again: the snapshot takes at most ${event.snapshotBytes} of ${event.snapshotBytesMax} bytes`;
}

/** Why a role changed: its cause, and the occasion where the event names one. */
export function causeText(cause: string, why?: ReasonValue): string {
  return why === undefined ? cause : `${cause}: ${reasonText(why)}`;
}

/**
 * What an event (a journal entry) or a client's error reply says why, as a
 * sentence: its reason, or the sentence an image built before reasons were
 * typed wrote (as `why`, `detail` or `message`); '' where it says nothing.
 */
export function whyText(said: object): string {
  const { why, detail, message } = said as { why?: unknown; detail?: unknown; message?: unknown };
  if (isReason(why)) return reasonText(why);
  const text = why ?? detail ?? message;
  return typeof text === 'string' ? text : '';
}

/** An error as text: one that carries a reason (the firmware's) as its sentence. */
export function errorText(error: unknown): string {
  const why = (error as { why?: unknown } | null)?.why;
  if (isReason(why)) return reasonText(why);
  return error instanceof Error ? error.message : String(error);
}

/** A value shaped like a reason (from an image, which the host does not trust to send one). */
export function isReason(value: unknown): value is ReasonValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** A fact as text: a reason as its sentence. */
export function factText(fact: Fact): string {
  return typeof fact === 'object' ? reasonText(fact) : String(fact);
}

/**
 * What keeps `value` from being said in full, if anything: not a reason, a
 * code the table does not have, or a fact missing (undefined or NaN), in it
 * or in a reason behind it. Null when the table says it all. ('' is a fact:
 * an empty slot's version.)
 */
export function unsaidPart(value: unknown): string | null {
  if (!isReason(value)) return `${JSON.stringify(value)} is not a reason`;
  if (!Object.hasOwn(SENTENCES, value.code)) return `no sentence for code "${value.code}"`;
  for (const [name, fact] of Object.entries(value)) {
    if (fact === undefined || Number.isNaN(fact)) return `${value.code}: fact ${name} is missing`;
    if (typeof fact === 'object') {
      const behind = unsaidPart(fact);
      if (behind !== null) return `${value.code}, behind it: ${behind}`;
    }
  }
  return null;
}
