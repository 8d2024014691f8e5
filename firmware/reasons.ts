/**
 * Why things happen on a board, as typed facts: the one table of reasons,
 * shared by the firmware and the host. A board reports a reason as its
 * code and the facts that matter (`{ code: 'checkpoint-gap', have: 4, got:
 * 6 }`), never as a sentence, in events, peer messages, client replies and
 * errors. Firmware imports this file's types only, so an image carries the
 * codes and none of the sentences (test/image-build.test.ts holds it so);
 * the host renders a reason with `reasonText`. Each entry is a code, its
 * facts (the parameter's type) and its sentence.
 */

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
  'joiner-not-counted': () => 'the primary no longer counts us as its joiner',
  'backup-not-counted': () => 'the primary no longer counts us as its backup',
  'new-version-restarted': () => 'the new version restarted',
  'new-version-silent': () => 'the new version went silent',
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

  // A backup or joiner that gives up its copy of the state.
  'early-overflow': (r: { max: number }) => `over ${r.max} checkpoints before the big checkpoint`,
  'snapshot-unusable': (r: { error: Fact }) => `big checkpoint unusable: ${factText(r.error)}`,
  'checkpoint-gap': (r: { have: number; got: number }) =>
    `checkpoint gap: have txn ${r.have}, got ${r.got}`,
  'entry-failed': (r: { txn: number; error: Fact }) =>
    `checkpoint txn ${r.txn} cannot be applied: ${factText(r.error)}`,

  // The switch: its steps' details, and why a primary cannot start one.
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
  'store-full': (r: { why?: ReasonValue }) =>
    `the durable store is full${r.why === undefined ? '' : `: ${reasonText(r.why)}`}`,
  'log-unreplayable': (r: { version: string; error: Fact }) =>
    `its log cannot be replayed by ${r.version}: ${factText(r.error)}`,
  'log-other-version': (r: { version: string }) => `its entries were written by ${r.version}`,
  'log-gap': (r: { txn: number; next: number }) => `gap in the log: txn ${r.txn}, then ${r.next}`,
  'store-writer': (r: { version: string }) =>
    `the newest history is in our store, written by ${r.version}: booting it`,
  'writer-missing': (r: { txn: number; term: number; version: string }) =>
    `the newest history (txn ${r.txn}, term ${r.term}) is in our store, written by ${r.version}, which neither slot holds: push it to serve that history`,

  // Requests a primary refuses (client replies' `why`).
  'backup-in-doubt': () => 'the backup is silent; waiting to learn its fate',
  'not-serving': (r: { processor: number; role: string }) =>
    `processor ${r.processor} is ${r.role}`,
  'hold-full': () => 'switch in progress and the hold queue is full',
  'replies-waiting': () => 'too many replies waiting for the backup',
  'session-expired': (r: { clientId: string; clientsMax: number; syncId: number }) =>
    `no session for ${r.clientId}: it expired after ${r.clientsMax} other clients, or never began here; sync id ${r.syncId} did not run now and may have run before; register under a new client id`,
  'too-old': (r: { syncId: number; syncDepth: number; newest: number }) =>
    `sync id ${r.syncId} is older than the last ${r.syncDepth} replies kept (newest ${r.newest})`,
  'app-input': (r: { message: string }) => r.message,
  'handler-failed': (r: { error: Fact }) => `handler failed: ${factText(r.error)}`,
  'entry-too-big': (r: { bytes: number; max: number }) =>
    `its checkpoint entry is ${r.bytes} bytes, over the ${r.max} a frame carries`,
} satisfies Record<string, (facts: never) => string>;

type Sentences = typeof SENTENCES;

export type ReasonCode = keyof Sentences;

type FactsOf<C extends ReasonCode> = Parameters<Sentences[C]> extends [infer F] ? F : unknown;

/** A reason this firmware gives: its code and, as the table says, its facts. */
export type Reason = {
  [C in ReasonCode]: { readonly code: C } & Readonly<FactsOf<C>>;
}[ReasonCode];

/** The reasons with one of the codes `C`. */
export type ReasonOf<C extends ReasonCode> = Extract<Reason, { readonly code: C }>;

/** The sentence for a reason; one with a code this host does not know reads as its code and facts. */
export function reasonText(reason: ReasonValue): string {
  if (Object.hasOwn(SENTENCES, reason.code)) {
    return (SENTENCES as unknown as Record<string, (r: ReasonValue) => string>)[reason.code]?.(
      reason,
    ) as string;
  }
  const facts = Object.entries(reason)
    .filter(([name]) => name !== 'code')
    .map(([name, value]) => `${name} ${factText(value)}`);
  return facts.length === 0 ? reason.code : `${reason.code} (${facts.join(', ')})`;
}

/** Why a role changed: its cause, and the occasion where the event names one. */
export function causeText(cause: string, why?: ReasonValue): string {
  return why === undefined ? cause : `${cause}: ${reasonText(why)}`;
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
