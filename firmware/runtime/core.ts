/**
 * The pair core: one instance per processor, a deterministic state machine.
 * Inputs are bytes per interconnect path, DSR line levels, client requests,
 * commands and the current time; outputs (taken with `takeOutputs`) are bytes,
 * replies, effects on the hardware and events. The board asks `nextWakeMs`
 * when to call `tick` again. Nothing here reads a clock or a random source.
 */
import { type AnyApp, AppInputError, type ReceiveMessage } from '../app.ts';
import type { DurableRegion } from '../hal.ts';
import type { Reason } from '../reasons.ts';
import { decodeCbor, encodedLength, withEncodedCbor } from '../wire/cbor.ts';
import {
  errorFact,
  type FrameError,
  MessageError,
  REASON_TEXT_MAX,
  ReasonError,
} from '../wire/errors.ts';
import { encodeFrame } from '../wire/frame.ts';
import { type DataSegment, ReliableChannel } from '../wire/reliable-channel.ts';
import { CHECKPOINT_BATCH_BYTES_MAX, CheckpointStream } from './checkpoint-stream.ts';
import { lineBytesPerMs, type PairConfig, suspectAfterMs } from './config.ts';
import {
  DurableLog,
  type DurableStatus,
  type LoggedRound,
  type LogMark,
  lastTxn,
  type StoredLog,
  StoreFullError,
  StoreReadError,
} from './durable-log.ts';
import { FailureDetector } from './failure-detector.ts';
import { frameUse, LineUse, type LineUseCounts } from './line-use.ts';
import { Links } from './links.ts';
import {
  type BootChoice,
  type CheckpointEntry,
  type ClientErrorCode,
  type ClientReply,
  type ClientRequest,
  ENVELOPE_LIMITS,
  type Envelope,
  entryToWire,
  envelopeToWire,
  type HeldRequest,
  type Hello,
  type PeerBody,
  parseEnvelope,
  REGISTER_SYNC_ID,
  type RoleName,
  type Round,
  requestDigest,
  type Snapshot,
  type Status,
  type StoredClaim,
  type StoreFull,
} from './messages.ts';
import type { Effect, Output, PairEvent, RoleCause, SwitchStepName } from './outputs.ts';
import {
  firstRound,
  isLastRound,
  JOINER_ROUND_GROWTH_MAX,
  type RoundsSent,
  roundAcknowledged,
  roundSent,
} from './pre-copy.ts';
import { nextSeed, seededRandom } from './random.ts';
import { ReplyCache } from './reply-cache.ts';
import { ALONE, type Role } from './roles.ts';
import { type Bridge, bridgeTo, stateFor, stateFrom } from './state-bridge.ts';
import { applyPatch, clonePlain, diffState, withCopiedValues } from './state-diff.ts';
import {
  addChunk,
  addRound,
  type Chunk,
  chunksOf,
  EARLY_ENTRIES_MAX,
  encodeRound,
  endingShort,
  noTransfer,
  type Received,
  RoundInSlices,
  readRound,
  wholeRound,
} from './state-transfer.ts';
import { cacheBytesOf, type Judgement, noRoom, RoomMeasure, StoreRoom } from './store-room.ts';
import {
  changeAllowedAtMs,
  chargeChange,
  heldBatches,
  holdOnce,
  holdsRequests,
  oldBackupMayServe,
  PRE_COPY_BURST_BYTES,
  type PreCopy,
  preCopyThrottles,
  SWITCH_ROUND_GROWTH_MAX,
  type Switching,
  type SwitchRefusal,
  switchBootLimitMs,
  switchRefusal,
  throttledAfter,
  transferExpiresAtMs,
  transferPatienceMs,
} from './switch-procedure.ts';
import { type AppState, applyEntry, applyWhole, type Decided, decide } from './transactions.ts';

/** What the board knows at power-up. */
export interface BootInfo {
  /** Unique and increasing for every boot of this board (a boot counter in NVM). */
  readonly incarnation: number;
  /** The running image is on trial and reverts on the next reset unless confirmed. */
  readonly testMode: boolean;
  /** Version of the image in the other slot, '' if none. */
  readonly otherVersion: string;
  /** Seed for the handlers' random numbers. */
  readonly seed: number;
  /** When this boot began (the reset or power-on), on the core's clock; absent where the board does not tell. */
  readonly resetAtMs?: number;
}

/** A cached reply: what the client got, with the transaction that produced it. */
interface SavedReply {
  readonly reply: unknown;
  readonly txn: number;
  /** The transaction was a refusal for want of room in the store (`reply` is null). */
  readonly storeFull?: StoreFull;
  /** The transaction was a `bad-request` refusal for this reason (`reply` is null). */
  readonly badRequest?: Reason;
}

/** What a checkpoint entry leaves in the reply cache, `reply` being what applying it answered. */
function savedReplyOf(entry: CheckpointEntry, reply: unknown): SavedReply {
  const { txn, storeFull, badRequest } = entry;
  if (badRequest !== undefined) return { reply: null, txn, badRequest };
  return storeFull === undefined ? { reply, txn } : { reply: null, txn, storeFull };
}

/** The reply a client gets for a cached transaction. */
function replyFromSaved(clientId: string, syncId: number, saved: SavedReply): ClientReply {
  const { txn, storeFull, badRequest } = saved;
  if (badRequest !== undefined)
    return { clientId, syncId, ok: false, error: 'bad-request', why: badRequest, txn };
  if (storeFull === undefined) return { clientId, syncId, ok: true, reply: saved.reply, txn };
  return { clientId, syncId, ok: false, error: 'store-full', why: noRoom(storeFull), txn };
}

/** Most bytes a `bad-request` refusal's reason may take: it travels in a checkpoint entry and stays in the reply cache. */
const BAD_REQUEST_WHY_BYTES_MAX = 256;

/** An app's reason for refusing a request, as a refusal keeps it: within BAD_REQUEST_WHY_BYTES_MAX, else as its text cut short. */
function keptWhy(why: Reason): Reason {
  if (encodedLength(why) <= BAD_REQUEST_WHY_BYTES_MAX) return why;
  return { code: 'app-input', message: JSON.stringify(why).slice(0, REASON_TEXT_MAX) };
}

/** A history read back from the durable store, ready to serve from. */
interface StoredHistory {
  readonly state: AppState;
  readonly txn: number;
  readonly term: number;
  readonly cache: ReplyCache;
  /** No other store can hold anything newer (see LogMark.solo). */
  readonly solo: boolean;
  /**
   * Its snapshot is in another version's state shape, converted up to
   * serve: a copy of the same history kept by the version that runs here
   * is the better one (it holds what the other version dropped).
   */
  readonly converted: boolean;
}

/**
 * A history in a log this image cannot replay (another version wrote it),
 * as its records tell it: enough to compare with the partner's, not to serve.
 */
interface UnservableHistory extends LogMark {
  readonly txn: number;
}

/** Heartbeat rounds between two that carry the image details (the first one does). */
const HELLO_EVERY_BEATS = 8;
/** Hand the UART a new segment when it has at most this much left to send. */
const TX_AHEAD_MS = 1;
/**
 * While both wait, a big checkpoint's chunks get this many bytes for each
 * byte of checkpoint batches: half the line each, and the transfer takes
 * what the clients leave. At 2, a switch kept 64 clients at 115200 waiting
 * up to 2.7 times as long for a rejoin 7% shorter (test/bench/switch-waits.ts).
 */
const CHUNK_SHARE = 1;
/** Bytes of the joiner's last chunk at most: the replies queued behind it wait for it to cross. */
const LAST_CHUNK_BYTES = 16;
/** The smallest chunk a partner's slice bound makes us send: below it, framing takes the line. */
const CHUNK_BYTES_MIN = 64;
/**
 * A path down while the partner is up on another is an alarm once it has
 * stayed so for this many heartbeat intervals: a partner that resets drops
 * DSR on its paths a poll apart, and falls silent on them up to an interval
 * apart (every switch raised two such alarms on the lab).
 */
const PATH_ALARM_AFTER_BEATS = 2;

const SERVING: ReadonlySet<RoleName> = new Set(['primary', 'primary-alone', 'switching']);

/** Roles that hold the app's state: the serving ones and the backup. */
function holdsState(name: RoleName): boolean {
  return name === 'backup' || SERVING.has(name);
}

/** A round of the big checkpoint as the joiner read it: its transfer, and its bytes on the wire. */
interface RoundTaken extends LoggedRound {
  readonly bytes: number;
}

export class PairCore {
  #hello: Hello;
  #role: Role = { name: 'booting' };
  #term = 0;
  #state: AppState;
  #txn = 0;
  #cache: ReplyCache;
  readonly #random: () => number;

  readonly #channel: ReliableChannel<PeerBody>;
  #lastSentSeq = 0;
  #peerAck = 0;
  #checkpointSentBytes = 0;
  /** Big checkpoint bytes received as a joiner since power-on (chunks, every round). */
  #snapshotReceivedBytes = 0;
  readonly #lineUse: LineUse;
  #snapshotId = 0;
  /** A joiner's big checkpoint being encoded, a slice a tick (#encodeSlice); its chunks follow. */
  #encoding: RoundInSlices | null = null;
  /**
   * A switch's round being encoded a slice a tick (#preCopySlice): the
   * first, the whole state from its copy, while requests run (in one call it
   * took a microcontroller-class engine 4 million XS units at 1,000 accounts
   * and 64 clients); a round after it that one slice does not hold, while
   * requests run (up to 1.3 million units); or the last, with requests held.
   * Its chunks follow.
   */
  #preCopyEncoding: RoundEncoding | null = null;
  /** The state and reply cache being measured for the store's room, a slice a tick (#measureSlice). */
  #measuring: RoomMeasure | null = null;
  /**
   * Our store's compaction going a slice a tick (#compactSlice), and what
   * its snapshot holds, for when it is done; nothing is logged meanwhile.
   */
  #compaction: { readonly mark: LogMark; readonly txn: number; readonly term: number } | null =
    null;
  /**
   * A joiner logging its big checkpoint's rounds as they come (durable-log.ts,
   * beginRounds): whether the first round's record is down yet, and the
   * rounds that came meanwhile, added once it is (the first round's state
   * holds still while it is encoded). Null when it logs none: no store, a
   * refused one, or a big checkpoint that came whole.
   */
  #roundsLog: { written: boolean; readonly waiting: RoundTaken[] } | null = null;
  /**
   * Another version's state, converted, measured for our store's room a
   * slice a tick (#judgeSlice) before the round that brought it is kept: in
   * one call it took a microcontroller-class engine 5.4 million XS units at
   * the bench's large state. Rounds that come meanwhile wait behind it.
   */
  #judging: {
    readonly taken: RoundTaken;
    readonly state: unknown;
    readonly received: Received;
    readonly measure: RoomMeasure;
    readonly waiting: RoundTaken[];
  } | null = null;
  /**
   * Requests that arrived while the state held still (#holdsStill), or past
   * a call's share (`requests`), or behind those.
   */
  #heldStill: HeldRequest[] = [];
  /** #serveHeldStill is serving some of them: they run, not wait again. */
  #servingHeldStill = false;
  /** Requests this call may still take (`requests`); unbounded for one request alone. */
  #takesLeft = Number.POSITIVE_INFINITY;
  /** Replies to send, in order, not yet sent (#sendReplies). */
  #repliesOut: ClientReply[] = [];
  /** Chunks of the big checkpoint not yet queued on the channel. */
  #chunksOut: Chunk[] = [];
  /** Bytes of chunks to send before the next checkpoint batch may go. */
  #chunkCredit = 0;
  /** Encoded bytes of the joiner's big checkpoint: what sending the whole state costs. */
  #transferBytes = 0;
  /** Bytes of the entries executed while the joiner was silent, during this big checkpoint. */
  #missedBytes = 0;
  /**
   * What a silent joiner missed outweighed the whole state, and the rest was
   * dropped (#abandonTransfer): its big checkpoint starts over once it is heard again.
   */
  #transferStale = false;
  readonly #links: Links;
  readonly #detector: FailureDetector;
  #partnerInc = 0;
  #partnerStatus: Status | null = null;
  #partnerHello: Hello | null = null;
  /** Paths that went down while the partner was up on another, by when: not yet an alarm. */
  readonly #pathsDownAlone = new Map<number, number>();
  /** The channel sequence of the partner's last `join` on this link (0: none): the rounds we send answer it. */
  #joinerAsk = 0;
  /** When this processor may ask to join again: Infinity after a refusal, until something changes. */
  #joinAllowedAtMs = 0;
  #becameBackupMs = 0;

  readonly #stream = new CheckpointStream();
  /**
   * On a backup on a shared bus: requests heard that no checkpoint has
   * covered yet, oldest first. None was acknowledged: a takeover runs them
   * at once, without waiting for their clients to resend.
   */
  #heard: HeldRequest[] = [];
  /**
   * On a backup: checkpoint entries received (and acknowledged) but not yet
   * applied, oldest first; `heldServedMax` a call, and all of them before it
   * serves or stops (#applyAll). A joiner's early entries wait here, so that
   * its install is not also their call.
   */
  #unapplied: CheckpointEntry[] = [];
  /**
   * How many of them a call may leave: a batch more than the fewest left
   * since the install (its early entries). Beyond it the backup applies
   * more at once: its acknowledgements no longer tell the primary how far
   * behind it is, so a backup slower than its primary would fall behind
   * without end.
   */
  #unappliedAllowed = 0;
  /** On the new version during a switch: requests the old primary held, until we serve them. */
  #incomingHeld: HeldRequest[] = [];
  /** Segments that arrived while our store compacted, taken once it is done (#defer). */
  #deferred: DataSegment<PeerBody>[] = [];
  /** On the new version: the sequence of our 'roles-taken', 0 when none waits for its ack. */
  #rolesTakenSeq = 0;
  #beatRounds = 0;
  /**
   * A reboot asked for: it happens once our UARTs have sent what we wrote
   * (a reset stops driving the lines, and a partner that sees DSR fall on
   * every path ignores what arrives after: it would miss our last
   * acknowledgement). Inputs meanwhile are dropped.
   */
  #rebootWhenSent: BootChoice | null = null;
  #outputs: Output[] = [];
  #now: number;

  /** A retained app's durable log, null for a memory app (or a board without a store). */
  readonly #log: DurableLog | null = null;
  /** The state's room in that store: requests that would outgrow it are refused. */
  readonly #room: StoreRoom | null = null;
  /** While booting: what our store holds, to recover from when ours is the newest history. */
  #stored: StoredHistory | null = null;
  /** Our store failed verification: we never serve from it, nor start empty in its place. */
  #storeRefused = false;
  /** A refused store whose log another version wrote: its history, to compare; null otherwise. */
  #unservable: UnservableHistory | null = null;
  /** Our store failed a read: the processor stops at the end of the input, to read it again at its next boot. */
  #readFailed: Reason | null = null;
  /** The alarm that the newest history needs an image neither slot holds went out (once a boot). */
  #writerMissingAlarmed = false;
  /** Entries executed or applied since the last log write (group commit at the end of the input). */
  #unlogged: CheckpointEntry[] = [];
  /** The next log write is a snapshot: a new history (a big checkpoint, a recovery, a cold start). */
  #compactNext = false;
  /** The mark of the last record written, null before the first. */
  #loggedMark: LogMark | null = null;
  /** The newest transaction our store holds, with its term (for status); null when it holds none. */
  #held: { readonly txn: number; readonly term: number } | null = null;
  /** When we last became `booting`: a solo history recovers alone after `recoverAloneAfterMs` of silence. */
  #bootingSinceMs: number;
  /** A field, not a parameter property: the image build shortens its name (host/image/internal-names.ts). */
  readonly config: PairConfig;

  constructor(
    config: PairConfig,
    readonly app: AnyApp,
    readonly boot: BootInfo,
    now: number,
    /** The board's durable region; a `retained` app keeps its log in it. */
    store: DurableRegion | null = null,
  ) {
    this.config = config;
    this.#now = now;
    this.#bootingSinceMs = now;
    this.#hello = {
      app: app.name,
      version: app.version,
      stateVersion: app.stateVersion,
      model: app.checkpoint,
      priorStateVersion: app.converters?.priorStateVersion ?? -1,
      testMode: boot.testMode,
      otherVersion: boot.otherVersion,
      registers: true,
      compactRounds: true,
      heldCompact: true,
      clientsMax: config.clientsMax,
      sliceBytes: config.encodeSliceBytes,
      ...(config.busShared && { hearsBus: true as const }),
    };
    this.#random = seededRandom(boot.seed);
    this.#cache = new ReplyCache(config.syncDepth, config.clientsMax);
    this.#channel = new ReliableChannel<PeerBody>({
      windowMax: config.channelWindowMax,
      queueMax: config.channelQueueMax,
      retransmitTimeoutMs: config.retransmitTimeoutMs,
    });
    this.#links = new Links(config, now);
    this.#lineUse = new LineUse(config.pathCount);
    this.#detector = new FailureDetector(config, now);
    this.#emit({ kind: 'role', role: 'booting', term: 0, txn: 0, cause: 'boot' });
    if (app.durability === 'retained') {
      if (store === null) {
        this.#emit({ kind: 'store-refused', code: 'missing', why: { code: 'no-store' } });
      } else {
        this.#log = new DurableLog(store);
        this.#room = new StoreRoom(this.#log.snapshotBytesMax(app.version));
        this.#readStore();
      }
    }
    this.#flush();
  }

  // ---------------------------------------------------------------- inputs

  /** Bytes that arrived on interconnect path `path`. */
  receiveBytes(path: number, bytes: Uint8Array, now: number): void {
    if (this.#rebooting(now)) return;
    this.#advance(now);
    const links = this.#links;
    if (!links.has(path)) return;
    // Bytes arriving are a sign of life even before their frame is complete:
    // a long frame at a low baud rate takes longer than the suspicion time.
    if (this.#partnerInc !== 0 && bytes.length > 0) {
      links.heard(path, now);
      this.#detector.heardBytes(now);
    }
    for (const event of links.decode(path, bytes, now)) {
      // With DSR low on every path the partner has no power: frames arriving
      // now were held by a stalled line and speak for a board that is gone.
      if (links.partnerOff) continue;
      if (event.kind === 'error') {
        this.#badInput(path, event.error);
        continue;
      }
      let envelope: Envelope;
      try {
        envelope = parseEnvelope(decodeCbor(event.payload, ENVELOPE_LIMITS));
      } catch (error) {
        if (error instanceof MessageError) {
          this.#badInput(path, error);
          continue;
        }
        throw error;
      }
      try {
        this.#onEnvelope(path, envelope);
      } catch (error) {
        // No input may stop a board: a fault here is reported, and a processor
        // that may have half-applied it gives up its copy rather than keep a wrong one.
        this.#onInternalFault(path, error);
      }
    }
    this.#flush();
  }

  /** The level of the DSR line on `path` (the partner's DTR), on boards that wire it. */
  setDsr(path: number, high: boolean, now: number): void {
    if (this.#rebooting(now)) return;
    this.#advance(now);
    if (!this.#links.setDsr(path, high)) return;
    this.#detector.dsrChanged(this.#links.partnerOff, now);
    this.#detectFailures();
    this.#flush();
  }

  /** A request from a client. The reply comes out as an output, now or later. */
  request(request: ClientRequest, now: number): void {
    if (this.#rebooting(now)) return;
    this.#advance(now);
    this.#onRequest(request.clientId, request.syncId, request.body, now);
    this.#flush();
  }

  /**
   * The client requests read from one piece of the field bus's bytes, in
   * order. At most `heldServedMax` are taken in this call and the rest in
   * the ticks after it, as requests held while the state holds still are:
   * a UART's buffer may hold ten requests, and running them all was a call
   * of ten requests' work (about 400,000 XS units at the bench's large state).
   */
  requests(requests: readonly ClientRequest[], now: number): void {
    if (this.#rebooting(now)) return;
    this.#advance(now);
    this.#takingShare(() => {
      for (const { clientId, syncId, body } of requests)
        this.#onRequest(clientId, syncId, body, now);
    });
    this.#flush();
  }

  /**
   * Runs `take` with this call's share of requests bounded by
   * `heldServedMax` (unless a caller bounded it already): those past it
   * wait in #heldStill for the ticks after.
   */
  #takingShare(take: () => void): void {
    if (this.#takesLeft !== Number.POSITIVE_INFINITY) {
      take();
      return;
    }
    this.#takesLeft = this.config.heldServedMax;
    try {
      take();
    } finally {
      this.#takesLeft = Number.POSITIVE_INFINITY;
    }
  }

  /**
   * A new image was written into the other slot while we run: tell the
   * partner with the next heartbeat, so both agree on what a switch would boot.
   */
  otherImageChanged(version: string, now: number): void {
    if (this.#rebooting(now)) return;
    this.#advance(now);
    this.#hello = { ...this.#hello, otherVersion: version };
    // A primary that refused us for want of this image may take us now: ask again.
    this.#joinAllowedAtMs = 0;
    // A heartbeat with the image details goes out at once on every path.
    this.#beatRounds = 0;
    this.#links.beatNow(now);
    this.#flush();
  }

  /**
   * The host asks the primary to switch to the image in the other slot
   * (online replacement; a fallback is the same from the newer version).
   * Returns why it cannot start, or null when the switch is under way.
   */
  switchToOther(now: number): SwitchRefusal | null {
    this.#advance(now);
    const refusal = switchRefusal(
      this.config.processor,
      this.#role,
      this.#hello,
      this.#partnerHello,
    );
    if (refusal !== null) {
      this.#switchStep('a', false, refusal);
      return refusal;
    }
    // a. the backup stops voluntarily and boots the new version on trial.
    // Replies already executed wait for the backup's acknowledgement as usual.
    const why: Reason = { code: 'switch-to', version: this.#hello.otherVersion };
    this.#send({ k: 'stop', boot: 'other-test', why });
    const bootLimitMs = switchBootLimitMs(this.config, this.#partnerHello);
    this.#switchStep('a', true, { code: 'asked-to-stop', ms: bootLimitMs });
    this.#setRole(
      {
        name: 'switching',
        step: 'awaiting-boot',
        sinceMs: now,
        bootLimitMs,
        held: [],
        heldSent: 0,
        snapshotLastSeq: 0,
        joinerInc: 0,
        oldBackupInc: this.#partnerInc,
        stopSeq: this.#lastSentSeq,
        progressMs: now,
        rolesTaken: false,
        preCopy: null,
      },
      'switch-started',
      why,
    );
    this.#flush();
    return null;
  }

  /** Every input passes the time here (see FailureDetector.advance). */
  #advance(now: number): void {
    this.#detector.advance(this.#now, now);
    this.#now = now;
  }

  /** Timers: call at or after `nextWakeMs()`. */
  tick(now: number): void {
    if (this.#rebooting(now)) return;
    this.#advance(now);
    this.#detectFailures();
    this.#serveThrottled();
    this.#applySome(this.config.heldServedMax);
    // One bounded job a call: a tick that takes a slice of what holds the
    // state still leaves the requests it held to the next one (the last
    // slice of a joiner's big checkpoint and the first held requests served
    // made one call twice as long as either: 420,104 XS units).
    const sliced = this.#slicing();
    this.#encodeSlice();
    this.#preCopySlice();
    this.#measureSlice();
    this.#compactSlice();
    // Before the first round's record: once down, the last round it held back is judged at once.
    this.#judgeSlice();
    this.#roundSlice();
    if (!sliced) this.#serveHeldStill();
    this.#eraseAhead();
    this.#flush();
  }

  /** When the core next needs `tick`. */
  nextWakeMs(): number {
    const links = this.#links;
    if (this.#rebootWhenSent !== null)
      return this.#compaction !== null ? this.#now : links.linesIdleAtMs(this.#now);
    let wake = Math.min(links.nextBeatMs(), links.nextSilenceMs());
    for (const sinceMs of this.#pathsDownAlone.values())
      wake = Math.min(wake, sinceMs + this.#pathAlarmAfterMs());
    // Segments wait for their turn on the line as well as for their timers.
    const lineFreeMs = links.lineIdleAtMs(links.preferredPath(), this.#now) - TX_AHEAD_MS;
    const retransmit = this.#channel.nextRetransmitAt();
    if (retransmit !== undefined) wake = Math.min(wake, Math.max(retransmit, lineFreeMs));
    const role = this.#role;
    const roundDue =
      (role.name === 'switching' || role.name === 'primary-alone') &&
      role.preCopy?.acknowledged === true;
    if (
      this.#channel.sendable > 0 ||
      this.#chunksOut.length > 0 ||
      roundDue ||
      this.#heldToSendAhead() !== null
    )
      wake = Math.min(wake, lineFreeMs);
    // The next slice of the big checkpoint or of the compaction, or the requests they held, at once.
    if (this.#slicing() || this.#heldStill.length > 0 || this.#repliesOut.length > 0)
      wake = this.#now;
    if (this.#unapplied.length > 0 && this.#compaction === null) wake = this.#now;
    if (this.#roundsLog?.written === false || this.#judging !== null) wake = this.#now;
    // Erasing ahead at once, not only as other work wakes us: a joiner that
    // idles through a pre-copy would leave it to its compaction after the
    // install, a tick a block while requests wait for the new version.
    if (this.#eraseAheadDue()) wake = this.#now;
    // A new version that may hold the last round or the roles is judged gone once its DSR settled low
    // (during the last round, on what we have read: #detectFailures).
    const awaitingNewVersion =
      role.name === 'switching' && (role.step === 'big-checkpoint' || role.step === 'handed-over');
    if ((this.#holdsBackup() || awaitingNewVersion) && this.#offProvesPowerLoss()) {
      const settledMs = this.#detector.offSettledWakeMs();
      const judgedMs =
        role.name === 'switching' && role.step === 'big-checkpoint'
          ? Math.max(settledMs, this.#detector.inputReadWakeMs())
          : settledMs;
      wake = Math.min(wake, judgedMs);
    }
    if (role.name === 'backup' || (this.#joinerMidTransfer() && !this.#detector.partnerUp))
      wake = Math.min(wake, this.#detector.takeoverWakeMs());
    // Alone only while no path is up (as the tick decides it); a path that is up wakes us when it falls silent.
    if (!this.#links.up.includes(true)) wake = Math.min(wake, this.#recoverAloneAtMs());
    if (role.name === 'switching' && role.step === 'awaiting-boot') {
      const limitMs = role.sinceMs + role.bootLimitMs + 1;
      wake = Math.min(wake, Math.max(limitMs, this.#detector.inputReadWakeMs()));
    } else if (role.name === 'switching' && bigCheckpointUnderWay(role)) {
      // Past it, a last round the new version may hold waits for news of it, not for the clock.
      const expiresMs = transferExpiresAtMs(this.config, role) + 1;
      if (expiresMs > this.#now || !this.#newVersionMayHoldLastRound(role))
        wake = Math.min(wake, Math.max(expiresMs, this.#detector.inputReadWakeMs()));
      if (role.preCopy !== null && role.held.length > 0)
        wake = Math.min(wake, changeAllowedAtMs(this.config, role.preCopy));
    }
    return Math.max(wake, this.#now);
  }

  takeOutputs(): Output[] {
    const outputs = this.#outputs;
    this.#outputs = [];
    return outputs;
  }

  // ------------------------------------------------------------- inspection

  /** The image this processor runs, as it tells its partner. */
  get hello(): Hello {
    return this.#hello;
  }

  get role(): RoleName {
    return this.#role.name;
  }

  /**
   * Serving clients: a primary in any form, not holding its requests for a
   * handover, and not waiting to learn whether its silent backup took over
   * (nothing it executed then could be acknowledged, and it may be stale).
   */
  get serving(): boolean {
    return (
      SERVING.has(this.#role.name) &&
      !(this.#role.name === 'switching' && this.#role.step === 'handed-over') &&
      !this.#backupInDoubt()
    );
  }

  /**
   * A switching primary holding every new request (for the old backup's
   * stop, or the big checkpoint's last round): it executes nothing, and
   * releases only replies its backup acknowledged.
   */
  get holdingRequests(): boolean {
    return this.#role.name === 'switching' && holdsRequests(this.#role);
  }

  get term(): number {
    return this.#term;
  }

  get txn(): number {
    return this.#txn;
  }

  /**
   * The last transaction this processor holds: applied, or acknowledged and
   * waiting to be applied (a backup's queue). What it would serve from if it
   * took over now.
   */
  get txnHeld(): number {
    return Math.max(this.#txn, this.#unapplied.at(-1)?.txn ?? 0);
  }

  /** The application state (read-only use: for status and the simulator's checks). */
  get state(): unknown {
    return this.#state;
  }

  get hasState(): boolean {
    return holdsState(this.#role.name);
  }

  get incarnation(): number {
    return this.boot.incarnation;
  }

  get pathsUp(): boolean[] {
    return this.#links.up;
  }

  /** Checkpoint entries executed but not yet acknowledged by the backup. */
  get checkpointLag(): number {
    return this.#stream.lag;
  }

  /** Times the partner was silent on every path with DSR high and then heard again, no takeover. */
  get falseSuspicions(): number {
    return this.#detector.falseSuspicions;
  }

  /** Checkpoint payload sent (the entries' CBOR bytes, without envelope or framing), as its frames first went to the UART: the goodput. */
  get checkpointSentBytes(): number {
    return this.#checkpointSentBytes;
  }

  /** Big checkpoint bytes received as a joiner since power-on: a rejoin's progress, before it completes. */
  get snapshotReceivedBytes(): number {
    return this.#snapshotReceivedBytes;
  }

  /** A retained app's durable log: what it holds and where it stands; null for a memory app or a board without a store. */
  get durable(): DurableStatus | null {
    const log = this.#log;
    const room = this.#room;
    if (log === null || room === null) return null;
    return {
      refused: this.#storeRefused,
      held: this.#held,
      position: log.position,
      room: room.status,
    };
  }

  /** What this processor put on each interconnect path since power-on, by kind of frame (see line-use.ts). */
  get lineUse(): LineUseCounts[] {
    return this.#lineUse.snapshot();
  }

  // --------------------------------------------------------------- clients

  #onRequest(clientId: string, syncId: number, body: unknown, arrivedMs: number): void {
    const role = this.#role;
    if (this.config.busShared && !this.serving) {
      // On a shared bus the serving processor answers and the others keep quiet.
      if (role.name === 'backup' && this.#mayRunAtTakeover(clientId, syncId))
        this.#hear({ clientId, syncId, body, arrivedMs });
      return;
    }
    if (this.#backupInDoubt()) {
      this.#replyError(clientId, syncId, 'busy', { code: 'backup-in-doubt' });
      return;
    }
    if (!this.serving) {
      this.#replyError(clientId, syncId, 'not-primary', {
        code: 'not-serving',
        processor: this.config.processor,
        role: role.name,
      });
      return;
    }
    // During a switch's hold every request waits, registrations too: they
    // travel with the roles, and the new version answers them from the reply
    // cache that came with the big checkpoint.
    if (
      role.name === 'switching' &&
      (holdsRequests(role) || preCopyThrottles(this.config, role, this.#now))
    ) {
      this.#hold(role.held, { clientId, syncId, body, arrivedMs });
      return;
    }
    if (
      this.#holdsStill() ||
      (this.#heldStill.length > 0 && !this.#servingHeldStill) ||
      this.#takesLeft <= 0
    ) {
      this.#hold(this.#heldStill, { clientId, syncId, body, arrivedMs });
      return;
    }
    this.#takesLeft -= 1;
    const partner = this.#partnerHello;
    if (syncId === REGISTER_SYNC_ID && partner !== null && partner.registers !== true) {
      // A partner of an older image reads no registration entry: answer at once, as it would.
      this.#cache.register(clientId);
      this.#room?.registered(clientId);
      this.#reply({ clientId, syncId, ok: true, reply: null, txn: this.#txn });
      return;
    }
    const lookup = this.#cache.lookup(clientId, syncId);
    // A registration begins a session (or runs in one that was begun without it).
    const registers =
      syncId === REGISTER_SYNC_ID && (lookup.kind === 'no-session' || lookup.kind === 'new');
    if (lookup.kind === 'no-session' && !registers) {
      const why: Reason = {
        code: 'session-expired',
        clientId,
        clientsMax: this.config.clientsMax,
        syncId,
      };
      const expired: ClientReply = { clientId, syncId, ok: false, error: 'session-expired', why };
      // A backup that took over on our silence may have begun the session:
      // only its acknowledgement of what we send next says it is still ours.
      if (this.#holdsBackup()) this.#stream.addAfterNextBatch(expired);
      else this.#reply(expired);
      return;
    }
    if (lookup.kind === 'saved') {
      const reply = replyFromSaved(clientId, syncId, lookup.reply as SavedReply);
      if (!this.#stream.addRetry(reply)) this.#reply(reply);
      return;
    }
    if (lookup.kind === 'too-old') {
      this.#replyError(clientId, syncId, 'too-old', {
        code: 'too-old',
        syncId,
        syncDepth: this.config.syncDepth,
        newest: lookup.newestSyncId,
      });
      return;
    }
    if (this.#stream.lag >= this.config.pendingRepliesMax) {
      this.#replyError(clientId, syncId, 'busy', { code: 'replies-waiting' });
      return;
    }
    const backlogMs = this.#stream.backlogBytes / lineBytesPerMs(this.config);
    if (this.#stream.lag > 0 && backlogMs > this.config.checkpointBacklogMsMax) {
      this.#replyError(clientId, syncId, 'busy', {
        code: 'checkpoints-waiting',
        ms: Math.round(backlogMs),
        max: this.config.checkpointBacklogMsMax,
      });
      return;
    }
    if (registers) this.#register(clientId);
    else this.#execute(clientId, syncId, body, arrivedMs);
  }

  /**
   * Only a request our copy has not run yet is worth keeping: one heard after
   * its checkpoint (a client's retry) is stale. Registrations are left to
   * their clients' retries: one heard late, after the reply cache forgot its
   * session, would begin the session again and let its old sync ids run twice.
   */
  #mayRunAtTakeover(clientId: string, syncId: number): boolean {
    return syncId !== REGISTER_SYNC_ID && this.#cache.lookup(clientId, syncId).kind === 'new';
  }

  /**
   * A retry replaces the copy heard before; past the limit the oldest is
   * forgotten. (A takeover leaves out those heard too long ago: the primary
   * answered them without a transaction, busy or too old, or never heard
   * them, and their clients have retried since, or given up.)
   */
  #hear(request: HeldRequest): void {
    this.#forgetHeard(request.clientId, request.syncId);
    this.#heard.push(request);
    if (this.#heard.length > this.config.heldRequestsMax) this.#heard.shift();
  }

  #forgetHeard(clientId: string, syncId: number): void {
    const index = this.#heard.findIndex((h) => h.clientId === clientId && h.syncId === syncId);
    if (index >= 0) this.#heard.splice(index, 1);
  }

  #execute(clientId: string, syncId: number, body: unknown, arrivedMs: number): void {
    const seed = nextSeed(this.#random);
    const txn = this.#txn + 1;
    const request = { txn, clientId, syncId, body, nowMs: this.#now, seed };
    let decided: Decided;
    let state: AppState;
    try {
      decided = decide(this.app, this.#state, request);
      if (decided.entryBytes > CHECKPOINT_BATCH_BYTES_MAX) {
        // Nothing changed yet: a request whose checkpoint cannot travel is refused, not half done.
        this.#refuse(request, {
          badRequest: {
            code: 'entry-too-big',
            bytes: decided.entryBytes,
            max: CHECKPOINT_BATCH_BYTES_MAX,
          },
        });
        return;
      }
      const judged = this.#judgeRoom(decided);
      if (judged.kind === 'measure') {
        // Nothing changed yet: it runs first once the state is measured (#measureSlice).
        this.#measuring = new RoomMeasure(this.#state, this.#cache.entries());
        this.#heldStill.unshift({ clientId, syncId, body, arrivedMs });
        return;
      }
      if (judged.kind === 'refused') {
        this.#refuse(request, { storeFull: judged.storeFull });
        return;
      }
      state =
        judged.kind === 'applied'
          ? judged.state
          : applyWhole(this.app, this.#state, decided.update);
    } catch (error) {
      const why: Reason =
        error instanceof AppInputError
          ? error.why
          : { code: 'handler-failed', error: errorFact(error) };
      this.#refuse(request, { badRequest: why });
      return;
    }
    this.#state = state;
    this.#txn = txn;
    this.#emit({ kind: 'executed', txn, clientId, syncId, nowMs: this.#now, seed });
    const reply: ClientReply = { clientId, syncId, ok: true, reply: decided.reply, txn };
    this.#commit(decided.entry, decided.entryBytes, { reply: decided.reply, txn }, reply);
  }

  /**
   * A client's session begins: a transaction that changes nothing else, so
   * that the backup and the store hold the session before the client hears
   * of it, and a takeover does not forget it.
   */
  #register(clientId: string): void {
    const txn = this.#txn + 1;
    const syncId = REGISTER_SYNC_ID;
    const entry: CheckpointEntry = { txn, clientId, syncId, registration: true };
    this.#txn = txn;
    this.#emit({ kind: 'executed', txn, clientId, syncId, nowMs: this.#now, seed: 0 });
    this.#room?.registered(clientId);
    this.#commitUnchanged(entry);
  }

  /** Whether the state has room in the store for what `decided` changes (always, without a store). */
  #judgeRoom(decided: Decided): Judgement {
    const room = this.#room;
    if (room === null || this.#storeRefused) return { kind: 'apply' };
    const wasFull = room.full;
    const judged = room.judge(this.app, this.#state, decided, () =>
      cacheBytesOf(this.#cache.entries()),
    );
    if (room.full !== wasFull) {
      const { snapshotBytesMax } = room;
      const snapshotBytes =
        judged.kind === 'refused'
          ? judged.storeFull.snapshotBytes
          : (room.status.snapshotBytes ?? 0);
      this.#emit({ kind: 'store-full', full: room.full, snapshotBytes, snapshotBytesMax });
      if (room.full && judged.kind === 'refused') this.#alarm(noRoom(judged.storeFull));
    }
    return judged;
  }

  /**
   * A request refused: its handler threw or its entry cannot travel
   * (`bad-request`), or the state has no room for it in the store
   * (`store-full`). A transaction that changes nothing: the cache and the
   * backup keep the answer, so a later copy of the request gets it too, never
   * a run on a state where it would succeed.
   */
  #refuse(
    request: {
      readonly txn: number;
      readonly clientId: string;
      readonly syncId: number;
      readonly nowMs: number;
      readonly seed: number;
    },
    refusal: { readonly storeFull: StoreFull } | { readonly badRequest: Reason },
  ): void {
    const { txn, clientId, syncId, nowMs, seed } = request;
    const storeFull = 'storeFull' in refusal;
    const entry: CheckpointEntry = storeFull
      ? { txn, clientId, syncId, storeFull: refusal.storeFull }
      : { txn, clientId, syncId, badRequest: keptWhy(refusal.badRequest) };
    this.#txn = txn;
    const refused = storeFull ? 'store-full' : 'bad-request';
    this.#emit({ kind: 'executed', txn, clientId, syncId, nowMs, seed, refused });
    this.#room?.refusalCached(entry.badRequest);
    this.#commitUnchanged(entry);
  }

  /** A transaction that changed nothing (a refusal, a registration): its answer comes from its entry. */
  #commitUnchanged(entry: CheckpointEntry): void {
    const saved = savedReplyOf(entry, null);
    const bytes = encodedLength(entryToWire(entry), ENVELOPE_LIMITS);
    this.#commit(entry, bytes, saved, replyFromSaved(entry.clientId, entry.syncId, saved));
  }

  /**
   * A transaction the primary ran (or refused): its entry goes to the log and
   * the backup, its reply to the cache, and to the client once the backup
   * holds the entry.
   */
  #commit(entry: CheckpointEntry, entryBytes: number, saved: SavedReply, reply: ClientReply): void {
    const role = this.#role;
    if (role.name === 'switching' && role.preCopy !== null) {
      const preCopy = chargeChange(this.config, role.preCopy, this.#now, entryBytes);
      this.#role = { ...role, preCopy };
    }
    if (this.#log !== null) this.#unlogged.push(entry);
    this.#cache.save(entry.clientId, entry.syncId, saved);
    // Replies wait for a backup's acknowledgement (it holds the entry then), and
    // for a joiner's as flow control (see #onPeerAck). A joiner taking rounds
    // gets what changed in the next round instead, and nothing waits for it;
    // nor for its last round, until the final chunk is queued.
    if (this.#joinerTakesRounds()) {
      this.#reply(reply);
      return;
    }
    if (this.#joinerMidTransfer() && !this.#detector.partnerUp) {
      // A silent joiner gets the entry when it is heard again; the reply does not wait for it.
      // A fast primary executes more in a short silence than the line carries
      // in the whole state's time: once what the joiner missed outweighs the
      // state, the state is cheaper to send again.
      if (!this.#transferStale) {
        this.#stream.add(entry, entryBytes, null);
        this.#missedBytes += entryBytes;
        if (this.#missedBytes > this.#transferBytes) this.#abandonTransfer();
      }
    } else if (this.#joinerLastRoundCrossing()) {
      this.#stream.add(entry, entryBytes, null);
    } else if (this.#holdsBackup()) {
      this.#stream.add(entry, entryBytes, reply);
      return;
    }
    this.#reply(reply);
  }

  /**
   * The joiner's last round is crossing, its final chunk not queued yet:
   * the joiner cannot take over before it has that chunk, and every entry
   * whose reply went goes ahead of it (#queueChunk), so the reply need not
   * wait for the joiner, as it does not during the rounds before. Waiting,
   * in the lab at 4,000 accounts, replies took up to 157 ms behind a last
   * round of 1.9 KB, a chunk at a time. Only a pre-copy's last round: a
   * single round of the whole state (joinerRounds off, a microcontroller)
   * keeps its flow control. And only while no reply waits for the joiner
   * and the checkpoints not yet acknowledged fit in a chunk: clients faster
   * than the line would otherwise pile up entries that a reply falling
   * back to waiting queues behind (a saturating switch's longest gap went
   * from 131 to 514 ms with a bound of 125 ms of line; 213 ms with this).
   */
  #joinerLastRoundCrossing(): boolean {
    return (
      this.config.joinerRounds &&
      this.#joinerMidTransfer() &&
      !this.#joinerTakesRounds() &&
      this.#stream.lag === 0 &&
      this.#stream.backlogBytes <= this.config.snapshotChunkBytes
    );
  }

  #replyError(clientId: string, syncId: number, error: ClientErrorCode, why: Reason): void {
    this.#reply({ clientId, syncId, ok: false, error, why });
  }

  /** Sends `reply` after this call's log write, in its turn (#sendReplies). */
  #reply(reply: ClientReply): void {
    this.#repliesOut.push(reply);
  }

  // ------------------------------------------------------------------ peer

  #onEnvelope(path: number, envelope: Envelope): void {
    if (envelope.from.p === this.config.processor) {
      this.#emit({ kind: 'bad-input', path, code: 'loopback', why: { code: 'own-id' } });
      return;
    }
    const inc = envelope.from.inc;
    if (inc < this.#partnerInc) return; // a frame from a previous life of the partner, late in the cable
    if (inc > this.#partnerInc) {
      const restarted = this.#partnerInc !== 0;
      this.#partnerInc = inc;
      if (restarted) this.#partnerRestarted(envelope.st);
    }
    this.#links.heard(path, this.#now);
    this.#detector.heardFrame(this.#now);
    if (envelope.toInc !== 0 && envelope.toInc !== this.boot.incarnation) return; // meant for our previous life
    const acknowledged = envelope.ack > this.#peerAck && envelope.ack <= this.#lastSentSeq;
    if (acknowledged) {
      this.#peerAck = envelope.ack;
      this.#channel.onAck(envelope.ack);
    }
    // A joiner that logs its rounds may install the last one a tick after it
    // acknowledged it (durable-log.ts, beginRounds): its acknowledgements then say so.
    const installed = envelope.st.role === 'backup' && this.#partnerStatus?.role !== 'backup';
    if (acknowledged || installed) this.#onPeerAck(envelope.st);
    this.#links.partnerHears = envelope.hears;
    if (envelope.hello !== undefined) this.#partnerHello = envelope.hello;
    this.#partnerStatus = envelope.st;
    this.#onPartnerStatus(envelope.st, envelope.ack);
    if (envelope.seg !== undefined) {
      if (this.#compaction === null) {
        this.#takeDeferred();
        this.#takeSegment(envelope.seg);
      } else this.#defer(envelope.seg);
    }
    this.#detectFailures();
  }

  #takeSegment(received: DataSegment<PeerBody>): void {
    const segment = this.#withHeardRequests(received);
    if (segment === null) return;
    let seq = this.#channel.ackNumber;
    for (const body of this.#channel.receive(segment)) this.#onBody(body, ++seq);
  }

  /**
   * A compacting processor takes no segment (nothing is logged before the
   * snapshot is down) and acknowledges none: it keeps it, up to a window's
   * worth, and takes it once the compaction is done, rather than have the
   * partner's timer run out and the line carry it again.
   */
  #defer(segment: DataSegment<PeerBody>): void {
    const deferred = this.#deferred;
    if (deferred.length >= this.config.channelWindowMax) return;
    if (deferred.some((d) => d.seq === segment.seq)) return;
    deferred.push(segment);
  }

  #takeDeferred(): void {
    if (this.#deferred.length === 0) return;
    const deferred = this.#deferred.sort((a, b) => a.seq - b.seq);
    this.#deferred = [];
    for (const segment of deferred) this.#takeSegment(segment);
  }

  /**
   * Lockstep: a checkpoint that left out the requests we heard on the shared
   * bus, with them put back. Null when one was not heard (lost at our drop,
   * or sent with another body under its sync id): the segment is not taken,
   * and comes again, resent with its requests.
   */
  #withHeardRequests(segment: {
    readonly seq: number;
    readonly body: PeerBody;
  }): { readonly seq: number; readonly body: PeerBody } | null {
    const body = segment.body;
    if (body.k !== 'ckpt' || !body.entries.some((e) => e.requestDigest !== undefined))
      return segment;
    if (this.#role.name !== 'backup') return null;
    const entries: CheckpointEntry[] = [];
    for (const entry of body.entries) {
      const { requestDigest: digest, ...rest } = entry;
      if (digest === undefined) {
        entries.push(entry);
        continue;
      }
      const heard = this.#heard.find(
        (h) =>
          h.clientId === entry.clientId &&
          h.syncId === entry.syncId &&
          requestDigest(h.body) === digest,
      );
      if (heard === undefined) return null;
      entries.push({ ...rest, request: heard.body });
    }
    return { seq: segment.seq, body: { k: 'ckpt', entries } };
  }

  /** Whether our checkpoints may leave out requests: a backup that hears the shared bus does too. */
  #backupHearsRequests(): boolean {
    return (
      this.config.busShared &&
      this.app.checkpoint === 'replay' &&
      this.#role.name === 'primary' &&
      this.#partnerHello?.hearsBus === true
    );
  }

  #partnerRestarted(status: Status): void {
    this.#resetLink();
    this.#stream.dropUnsent();
    this.#joinAllowedAtMs = 0;
    const role = this.#role;
    // It took over while we could not tell, and its store kept what it
    // served: nothing of ours waiting for it may leave (we step down below).
    if (this.#staleFor(status)) return;
    switch (role.name) {
      case 'joining':
        this.#setRole({ name: 'booting' }, 'partner-restarted', { code: 'primary-restarted' });
        return;
      case 'backup':
        // A new incarnation proves the old primary and its state are gone: no fence needed.
        this.#takeOver(false, { code: 'primary-restarted' });
        return;
      case 'primary':
        this.#releaseAllPending();
        this.#setRole(ALONE, 'partner-restarted', { code: 'backup-restarted' });
        return;
      case 'primary-alone':
        if (role.joinerInc !== 0) {
          this.#releaseAllPending();
          this.#setRole({ ...role, joinerInc: 0, preCopy: null }, 'partner-restarted', {
            code: 'joiner-restarted',
          });
        }
        return;
      case 'switching':
        this.#partnerRestartedDuringSwitch(role);
        return;
      default:
        return;
    }
  }

  #partnerRestartedDuringSwitch(role: Switching): void {
    if (role.step === 'awaiting-boot') {
      // Its acknowledgement of the stop told us already (step b).
      if (role.stopSeq === 0) return;
      this.#switchStep('b', true);
      this.#releaseAllPending();
      this.#setRole({ ...role, stopSeq: 0, held: [] }, 'old-backup-stopped', {
        code: 'backup-restarted',
      });
      this.#serveHeld(role.held);
      return;
    }
    if (bigCheckpointUnderWay(role)) {
      this.#failSwitch('f', { code: 'new-version-restarted' });
      return;
    }
    this.#onNewVersionGone(role, { code: 'new-version-restarted' });
  }

  /**
   * After the handover the new version is gone (restarted, or DSR dropped).
   * If it never said it took the roles it cannot have served: we still hold
   * everything, so the switch fails at g and we serve again. If it did, the
   * only copy of what it served was its own: we restart, as an old primary
   * that steps down does, and join it. (Booting in place, we kept our end of
   * the channel while a new version that took over by silence had started
   * its end over: neither read the other's segments again, simulator seed
   * 111, replay.)
   */
  #onNewVersionGone(role: Switching, how: Reason): void {
    if (!role.rolesTaken) {
      this.#failSwitch('g', how);
      return;
    }
    this.#stop('confirmed', how, 'new-primary-lost');
  }

  /** `ack`: what of ours the partner had received when it sent `status`. */
  #onPartnerStatus(status: Status, ack: number): void {
    const role = this.#role;
    const partnerServes = SERVING.has(status.role);
    switch (role.name) {
      case 'booting':
        // A store in a newer term than the partner serves in holds what it
        // has not got: we wait for it to step down rather than join and be overwritten.
        if (partnerServes && this.#now >= this.#joinAllowedAtMs && !this.#storeNewerThan(status)) {
          this.#noteJoinAfter();
          this.#send({ k: 'join', hello: this.hello });
          this.#setRole(
            {
              name: 'joining',
              sinceMs: this.#now,
              joinSeq: this.#lastSentSeq,
              transfer: noTransfer(),
              received: null,
              early: [],
            },
            'join-asked',
          );
        } else if (status.role === 'booting') {
          this.#bothBooting(status);
        }
        return;
      case 'joining':
        // The primary counts no joiner or another one, a suspicion time after we
        // asked: it gave up on us (we were silent), or had our ask when it could
        // not take it, and sends no chunks. We ask again (one way of a cable cut
        // can do either). Only a status sent once it had our ask tells: one sent
        // before counts no joiner, and reaches us late if we stalled.
        if (
          partnerServes &&
          ack >= role.joinSeq &&
          status.backupInc !== this.boot.incarnation &&
          this.#now - role.sinceMs > suspectAfterMs(this.config)
        ) {
          this.#dropState({ code: 'joiner-not-counted' }, 'join-abandoned');
        }
        return;
      case 'backup':
        if (
          (status.role === 'primary' || status.role === 'primary-alone') &&
          status.backupInc !== this.boot.incarnation &&
          this.#now - this.#becameBackupMs > suspectAfterMs(this.config)
        ) {
          this.#dropState({ code: 'backup-not-counted' });
        }
        return;
      case 'primary':
      case 'primary-alone':
      case 'switching':
        if (this.#staleFor(status)) {
          const why: Reason = { code: 'newer-history', term: status.term };
          this.#alarm(why);
          this.#stop('confirmed', why, 'stepped-down');
          return;
        }
        // After a handover the partner is meant to serve: it will stop us
        // itself. One that serves without having taken our roles took over
        // (a cut it could not tell from our power loss): we step down below.
        if (role.name === 'switching' && role.step === 'handed-over' && role.rolesTaken) return;
        if (
          partnerServes &&
          (status.term > this.#term || (status.term === this.#term && this.config.processor === 2))
        ) {
          const why: Reason = { code: 'two-primaries', term: status.term };
          this.#alarm(why);
          this.#stop('confirmed', why, 'stepped-down');
        }
        return;
      default:
        return;
    }
  }

  /** A body from the partner's channel, `seq` its sequence number there. */
  #onBody(body: PeerBody, seq: number): void {
    const role = this.#role;
    switch (body.k) {
      case 'join':
        this.#partnerHello = body.hello;
        this.#joinerAsk = seq;
        if (SERVING.has(role.name)) this.#onJoin(body.hello);
        return;
      case 'snap':
        if (role.name === 'joining') {
          this.#snapshotReceivedBytes += body.data.length;
          this.#onSnapshotChunk(role, body);
        }
        return;
      case 'ckpt':
        if (role.name === 'joining') {
          role.early.push(...body.entries);
          if (role.early.length > EARLY_ENTRIES_MAX)
            this.#dropState({ code: 'early-overflow', max: EARLY_ENTRIES_MAX });
        } else if (role.name === 'backup') {
          this.#unapplied.push(...body.entries);
          const over = this.#unapplied.length - this.#unappliedAllowed;
          this.#applySome(Math.max(this.config.heldServedMax, over));
        }
        return;
      case 'stop':
        if (role.name !== 'primary' && role.name !== 'primary-alone' && role.name !== 'stopped') {
          if (role.name === 'switching') this.#switchStep('i', true);
          this.#stop(body.boot, body.why);
        }
        return;
      case 'held':
        // When one arrived at the old primary is not a time on our clock.
        if (role.name === 'backup')
          for (const request of body.requests)
            this.#incomingHeld.push({ ...request, arrivedMs: this.#now });
        return;
      case 'role-switch':
        if (role.name === 'backup') {
          this.#applyAll();
          if (this.#role.name === 'backup') this.#takeRoles();
        }
        return;
      case 'roles-taken':
        if (role.name === 'switching' && role.step === 'handed-over')
          this.#role = { ...role, rolesTaken: true };
        return;
      case 'confirm':
        if (role.name === 'backup') this.#confirm();
        return;
      case 'dropped':
        this.#onPartnerDropped(body.why);
        return;
      case 'reject':
        if (role.name === 'joining' || role.name === 'booting') {
          // A refusal for want of an image our other slot has received since
          // (it crossed our news of it) is stale: we ask again.
          const stale =
            body.why.code === 'no-image-of' && body.why.version === this.#hello.otherVersion;
          this.#joinAllowedAtMs = stale ? this.#now + this.config.joinRetryAfterMs : Infinity;
          this.#alarm({ code: 'refused-us', why: body.why });
          this.#setRole({ name: 'booting' }, 'join-refused', body.why);
        }
        return;
    }
  }

  /** Our backup or joiner gave up its copy: it can no longer take over, so we are alone. */
  #onPartnerDropped(why: Reason): void {
    const role = this.#role;
    if (this.#holdsBackup()) {
      this.#releaseAllPending();
      this.#setRole(ALONE, 'backup-gave-up-copy', why);
    } else if (role.name === 'switching' && bigCheckpointUnderWay(role)) {
      this.#failSwitch('f', { code: 'could-not-take', why });
    }
  }

  /** A processor asks to join us as backup: decide by versions, then send the big checkpoint. */
  #onJoin(partner: Hello): void {
    const role = this.#role;
    // The old backup's last words, sent before it stopped: it is going away.
    if (role.name === 'switching' && this.#partnerInc === role.oldBackupInc) return;
    if (partner.version === this.hello.version) {
      this.#startSnapshot(partner);
      return;
    }
    if (role.name === 'switching' && role.step === 'awaiting-boot') {
      this.#switchStep('c', true);
      this.#switchStep('d', true);
      const bridge = bridgeTo(this.app, partner, this.#hello);
      if (bridge.kind === 'incompatible') {
        this.#switchStep('e', false, bridge.why);
        this.#send({
          k: 'stop',
          boot: 'confirmed',
          why: { code: 'handshake-refused', why: bridge.why },
        });
        this.#setRole(ALONE, 'switch-failed', { code: 'failed-at', step: 'e' });
        return;
      }
      this.#switchStep('e', true, {
        code: 'bridge-ok',
        ours: this.app.stateVersion,
        theirs: partner.stateVersion,
      });
      this.#beginPreCopy(role, bridge);
      return;
    }
    if (
      role.name === 'switching' &&
      bigCheckpointUnderWay(role) &&
      this.#partnerInc === role.joinerInc
    ) {
      // The new version gave up the rounds it held (we were silent as long as
      // it waits for a primary) and asks again, as the same incarnation: it
      // starts its big checkpoint over, still in the switch.
      const bridge = bridgeTo(this.app, partner, this.#hello);
      if (bridge.kind === 'incompatible') this.#failSwitch('f', bridge.why);
      else this.#beginPreCopy(role, bridge, { code: 'rejoined' });
      return;
    }
    // Mixed versions outside a switch: bring the partner onto our version.
    if (partner.testMode) {
      this.#send({
        k: 'stop',
        boot: 'confirmed',
        why: { code: 'revert-trial', version: this.hello.version },
      });
    } else if (partner.otherVersion === this.hello.version) {
      this.#send({
        k: 'stop',
        boot: 'other-test',
        why: { code: 'boot-other', version: this.hello.version },
      });
    } else {
      this.#send({
        k: 'reject',
        why: { code: 'no-image-of', partner: partner.version, version: this.hello.version },
      });
    }
  }

  /** The first ask of this boot: how long since the reset goes in our hello, for the switches to come. */
  #noteJoinAfter(): void {
    const { resetAtMs } = this.boot;
    if (resetAtMs === undefined || this.#hello.joinAfterMs !== undefined) return;
    this.#hello = { ...this.#hello, joinAfterMs: Math.round(Math.max(0, this.#now - resetAtMs)) };
  }

  #startSnapshot(partner: Hello, why?: Reason): void {
    const role = this.#role;
    if (role.name === 'switching') {
      // The old backup came back on the old version: the switch did not happen.
      this.#failSwitch(role.step === 'awaiting-boot' ? 'c' : 'f', {
        code: 'came-back-on',
        version: partner.version,
      });
    }
    const preCopy = this.#sendSnapshot(partner);
    if (preCopy === 'refused') return;
    this.#setRole(
      { ...ALONE, joinerInc: this.#partnerInc, preCopy },
      'big-checkpoint-to-joiner',
      why,
    );
  }

  /**
   * What our silent joiner missed outweighs the whole state: what is not
   * sent yet is dropped (its replies went already), and so are the chunks
   * still to send (a joiner that installed them could not follow: the
   * entries after them are not sent); a new big checkpoint, which holds it
   * all, goes once the joiner is heard again (#detectFailures).
   */
  #abandonTransfer(): void {
    this.#transferStale = true;
    this.#releaseAllPending();
    this.#chunksOut = [];
  }

  /**
   * Prepares the big checkpoint's first round for a joiner, the whole
   * state: its chunks go out a chunk at a time (#queueChunk), and what
   * changes from now on goes in the rounds after it; null when it is the
   * only round (config.joinerRounds). `refused` when the partner cannot
   * take our state (it is told why).
   */
  #sendSnapshot(partner: Hello): RoundsSent | null | 'refused' {
    const bridge = bridgeTo(this.app, partner, this.#hello);
    if (bridge.kind === 'incompatible') {
      this.#send({ k: 'reject', why: bridge.why });
      return 'refused';
    }
    const inRounds = this.config.joinerRounds;
    const { stateVersion, state } = stateFor(this.app, this.#state, bridge);
    const snapshot: Snapshot = {
      stateVersion,
      state,
      txn: this.#txn,
      term: this.#term,
      cache: this.#cache.entries(),
    };
    // Encoded a slice a tick from here (#encodeSlice), requests held meanwhile.
    this.#snapshotId += 1;
    this.#encoding = new RoundInSlices(
      { ...wholeRound(snapshot), final: !inRounds, ...this.#answering() },
      this.#snapshotId,
      this.#chunkBytes(),
    );
    this.#transferBytes = 0;
    this.#missedBytes = 0;
    this.#transferStale = false;
    this.#chunksOut = [];
    // What is queued is in the big checkpoint; what runs from now on goes in
    // the next rounds, or follows it as checkpoints. Replies still waiting go
    // now: the partner joining again has no copy to take over with until it
    // installs the last round.
    this.#releaseAllPending();
    if (!inRounds) return null;
    this.#cache.record(partner.compactRounds === true);
    return firstRound(bridge, this.#snapshotId, clonePlain(state), 0);
  }

  /**
   * f. send everything once while serving (alone: replies leave at once),
   * then what changed. Requests held for a last round are served again as
   * the pre-copy allows.
   */
  #beginPreCopy(role: Switching, bridge: Bridge, why?: Reason): void {
    this.#setRole(
      {
        ...role,
        step: 'pre-copy',
        sinceMs: this.#now,
        progressMs: this.#now,
        snapshotLastSeq: 0,
        joinerInc: this.#partnerInc,
        preCopy: this.#firstRound(bridge),
      },
      'pre-copy-to-new-version',
      why,
    );
    // A Linux-class board's slice is the whole state of most apps: its chunks are queued now.
    this.#preCopySlice();
  }

  /**
   * f, the pre-copy's first round: everything, in the state version the new
   * version reads. From now on the cache's changes are recorded for the
   * rounds after it.
   */
  #firstRound(bridge: Bridge): PreCopy {
    const { stateVersion, state } = stateFor(this.app, this.#state, bridge);
    // The copy the next round is diffed against is what this one encodes, as requests change ours.
    const sent = clonePlain(state);
    const round: Round = {
      ...wholeRound({ stateVersion, state: sent, txn: this.#txn, term: this.#term, cache: [] }),
      final: false,
      cache: this.#cache.entries(),
      ...this.#answering(),
    };
    const slices = new RoundInSlices(round, ++this.#snapshotId, this.#chunkBytes());
    this.#preCopyEncoding = { slices, id: this.#snapshotId, round: 'first', sent };
    this.#chunksOut = [];
    this.#cache.record(this.#partnerHello?.compactRounds === true);
    return {
      ...firstRound(bridge, this.#snapshotId, sent, 0),
      throttled: false,
      allowance: PRE_COPY_BURST_BYTES,
      allowanceAtMs: this.#now,
      lastDue: false,
    };
  }

  /**
   * The new version holds the last round and the line is free: send what
   * changed since, while serving, or, once that is small, as the final
   * round with new requests held from now on (f ends; g follows its
   * acknowledgement). Taken only when it can go at once, so that it
   * carries what changed up to the moment it leaves. A round that one
   * slice does not hold is encoded a slice a tick while requests run, so it
   * goes as it is; had it been small enough, the next one is the last.
   */
  #nextRound(role: Switching, preCopy: PreCopy): void {
    const round = this.#roundAfter(preCopy);
    const id = ++this.#snapshotId;
    const base = { ...role, snapshotLastSeq: 0, progressMs: this.#now };
    if (preCopy.lastDue) {
      this.#holdForLastRound(base, preCopy.lastBytes);
      const slices = new RoundInSlices({ ...round, final: true }, id, this.#chunkBytes());
      this.#preCopyEncoding = { slices, id, round: 'last', sent: null };
      this.#preCopySlice();
      return;
    }
    const slices = new RoundInSlices(round, id, this.#chunkBytes());
    const chunks = slices.step(this.config.encodeSliceBytes);
    if (chunks === null) {
      const sent = applyPatch(preCopy.sent, round.state);
      this.#role = { ...base, preCopy: { ...preCopy, acknowledged: false } };
      this.#preCopyEncoding = { slices, id, round: 'next', sent };
      return;
    }
    const bytes = slices.bytes;
    if (isLastRound(this.config, preCopy, bytes, SWITCH_ROUND_GROWTH_MAX)) {
      this.#holdForLastRound(base, bytes);
      this.#chunksOut = chunksOf(encodeRound({ ...round, final: true }), id, this.#chunkBytes());
      return;
    }
    this.#chunksOut = chunks;
    const sent = applyPatch(preCopy.sent, round.state);
    this.#role = {
      ...base,
      preCopy: roundSent(throttledAfter(preCopy, bytes, this.#now), id, sent, bytes),
    };
  }

  /** f's last round, of `bytes`: requests are held from now on. */
  #holdForLastRound(base: Switching, bytes: number): void {
    this.#setRole(
      { ...base, step: 'big-checkpoint', sinceMs: this.#now, preCopy: null, heldSent: 0 },
      'big-checkpoint-to-new-version',
      { code: 'last-round', bytes },
    );
  }

  /**
   * The round after the last one `preCopy` sent: what changed since, its
   * values copies (the state changes on while a round is encoded).
   */
  #roundAfter(preCopy: RoundsSent): Round {
    const { stateVersion, state } = stateFor(this.app, this.#state, preCopy.bridge);
    const frontCuts = this.#partnerHello?.compactRounds === true;
    return {
      base: preCopy.id,
      final: false,
      stateVersion,
      txn: this.#txn,
      term: this.#term,
      state: withCopiedValues(diffState(preCopy.sent, state, { frontCuts })),
      cache: [],
      cacheOps: this.#cache.takeRecorded(),
      ...this.#answering(),
    };
  }

  /**
   * Our joiner holds the last round and the line is free: send what changed
   * since, while serving. Once that is small (or stops shrinking) it goes as
   * the last round, and from then on checkpoints follow it: the joiner is a
   * backup once it has that round and the checkpoints queued behind it.
   */
  #nextJoinerRound(role: Extract<Role, { name: 'primary-alone' }>, preCopy: RoundsSent): void {
    const round = this.#roundAfter(preCopy);
    const encoded = encodeRound(round);
    const id = ++this.#snapshotId;
    if (isLastRound(this.config, preCopy, encoded.length, JOINER_ROUND_GROWTH_MAX)) {
      // What changed may outweigh the whole state (requests faster than the line changed most of it).
      const changes =
        encoded.length <= preCopy.wholeBytes
          ? round
          : {
              ...round,
              ...wholeRound({
                ...round,
                state: stateFor(this.app, this.#state, preCopy.bridge).state,
                cache: this.#cache.entries(),
              }),
            };
      const last = encodeRound({ ...changes, final: true });
      this.#chunksOut = endingShort(chunksOf(last, id, this.#chunkBytes()), LAST_CHUNK_BYTES);
      this.#setRole({ ...role, snapshotLastSeq: 0, preCopy: null }, 'last-round-to-joiner', {
        code: 'last-round',
        bytes: last.length,
      });
      return;
    }
    this.#chunksOut = chunksOf(encoded, id, this.#chunkBytes());
    this.#role = {
      ...role,
      snapshotLastSeq: 0,
      preCopy: roundSent(preCopy, id, applyPatch(preCopy.sent, round.state), encoded.length),
    };
  }

  /**
   * Queues the next chunk of the big checkpoint when the line is idle and
   * nothing else waits for it: checkpoints of requests served meanwhile go
   * first, and wait at most for the one chunk on the line. The last chunk's
   * sequence completes the transfer.
   */
  #queueChunk(path: number): void {
    const channel = this.#channel;
    const idle =
      channel.pending === channel.inFlight &&
      this.#links.lineIdleAtMs(path, this.#now) <= this.#now + TX_AHEAD_MS;
    const before = this.#role;
    if (this.#chunksOut.length === 0 && idle) {
      if (before.name === 'switching' && before.preCopy?.acknowledged)
        this.#nextRound(before, before.preCopy);
      else if (before.name === 'primary-alone' && before.preCopy?.acknowledged)
        this.#nextJoinerRound(before, before.preCopy);
    }
    const chunk = this.#chunksOut[0];
    if (chunk === undefined || !idle) return;
    // The joiner is a backup, and may take over, once it has the last chunk:
    // every entry whose reply went already goes ahead of it.
    if (this.#chunksOut.length === 1 && this.#stream.earlyUnsent) {
      this.#sendBatches();
      if (this.#stream.earlyUnsent) return;
    }
    if (!this.#send(chunk)) return;
    this.#chunksOut.shift();
    this.#chunkCredit -= chunk.data.length;
    if (this.#chunksOut.length > 0) return;
    const role = this.#role;
    if (role.name === 'primary-alone' || role.name === 'switching')
      this.#role = { ...role, snapshotLastSeq: this.#lastSentSeq };
  }

  #onSnapshotChunk(
    role: Extract<Role, { name: 'joining' }>,
    body: Extract<PeerBody, { k: 'snap' }>,
  ): void {
    const { transfer, complete } = addChunk(role.transfer, body);
    if (transfer !== role.transfer) this.#role = { ...role, transfer };
    if (complete === null) return;
    let round: Round;
    try {
      round = readRound(complete);
    } catch (error) {
      this.#snapshotUnusable(error);
      return;
    }
    // A transfer begun for an ask we gave up, sent again from the
    // primary's channel: what it holds is older than what was served since.
    if (round.ask !== undefined && round.ask !== role.joinSeq) return;
    this.#roundIn({ id: transfer.id, round, bytes: complete.round.length });
  }

  /** A round whose chunks are all in: taken now, or after the judgement or the first round's record under way. */
  #roundIn(taken: RoundTaken): void {
    const judging = this.#judging;
    if (judging !== null) {
      judging.waiting.push(taken);
      return;
    }
    const logging = this.#roundsLog;
    if (logging !== null && !logging.written && taken.round.base !== 0) {
      logging.waiting.push(taken);
      return;
    }
    this.#takeRound(taken);
  }

  /**
   * Payload bytes of the chunks we send the partner: the line's (config)
   * unless either side reads or writes fewer in one call (encodeSliceBytes),
   * a partner's bound taken no lower than CHUNK_BYTES_MIN.
   */
  #chunkBytes(): number {
    const partner = Math.max(CHUNK_BYTES_MIN, this.#partnerHello?.sliceBytes ?? Infinity);
    return Math.min(this.config.snapshotChunkBytes, this.config.encodeSliceBytes, partner);
  }

  /** A big checkpoint's round that does not make a state: ask again later. */
  #snapshotUnusable(error: unknown): void {
    // A fault that passes (a bad chunk, a partner mid-restart) must not keep us out.
    this.#joinAllowedAtMs = this.#now + this.config.joinRetryAfterMs;
    this.#dropState({ code: 'snapshot-unusable', error: errorFact(error) });
  }

  /** A round of the big checkpoint, added to what the joiner holds; the last one installs it. */
  #takeRound(taken: RoundTaken): void {
    const { id, round } = taken;
    const role = this.#role;
    if (role.name !== 'joining') return;
    let received: Received | null;
    let state: unknown;
    try {
      received = addRound(role.received, id, round, this.config);
      if (received === null) return;
      if (!round.final) this.#role = { ...role, received };
      // Judged at the first round too: a switch this version's store cannot
      // take fails before requests wait for its last round (and on Node the
      // judgement at the last round then runs on code already compiled).
      const judged = this.#judgesConverted(received) && (round.final || role.received === null);
      if (!round.final && !judged) {
        this.#logRound(taken);
        return;
      }
      state = stateFrom(this.app, received.stateVersion, received.state);
      if (judged) {
        const measure = new RoomMeasure(state, received.cache.entries());
        this.#judging = { taken, state, received, measure, waiting: [] };
        // A Linux-class board's slice is the whole of most states: judged, and
        // the last round installed, in this call (its acknowledgement then
        // says it is a backup, and the switch's hold does not wait a tick).
        this.#judgeSlice();
        return;
      }
    } catch (error) {
      this.#snapshotUnusable(error);
      return;
    }
    this.#keepRound(taken, received, state);
  }

  /** The next slice of the judgement of another version's state; once it is measured, its round is kept or given up. */
  #judgeSlice(): void {
    const judging = this.#judging;
    if (judging === null) return;
    const sizes = judging.measure.step(this.config.encodeSliceBytes);
    if (sizes === null) return;
    this.#judging = null;
    const overflow = this.#room?.admits(sizes) ?? null;
    if (overflow !== null) {
      this.#joinAllowedAtMs = this.#now + this.config.joinRetryAfterMs;
      const { snapshotBytes: bytes, snapshotBytesMax: max } = overflow;
      this.#dropState({ code: 'no-room-converted', bytes, max });
      return;
    }
    this.#keepRound(judging.taken, judging.received, judging.state);
    for (const taken of judging.waiting) this.#roundIn(taken);
  }

  /** A round the joiner keeps, `state` what it holds as this version keeps it: logged, and the last one installed. */
  #keepRound(taken: RoundTaken, received: Received, state: unknown): void {
    const role = this.#role;
    if (role.name !== 'joining') return;
    if (!taken.round.final) {
      this.#logRound(taken);
      return;
    }
    const logged = this.#logRound(taken);
    if (this.#role.name !== 'joining') return; // the store failed
    this.#state = state;
    this.#txn = received.txn;
    this.#term = received.term;
    this.#cache = received.cache;
    this.#becameBackupMs = this.#now;
    // Our store's history is replaced by the primary's, before we acknowledge
    // anything: a store refused at boot (a log this image cannot replay, as
    // after a fallback) holds the pair's history again from here on. Where
    // it logged every round, it holds it already.
    this.#storeRefused = false;
    this.#unservable = null;
    // Another version's state was measured as this version keeps it (#judgeSlice).
    const measured = this.#room?.status.snapshotBytes ?? null;
    if (logged === null) {
      this.#compactNext = true;
      this.#unlogged = [];
    } else this.#logged(logged);
    this.#setRole({ name: 'backup' }, 'big-checkpoint-installed');
    // The rounds' records bound the state they add up to, as a compaction's record would.
    const rounds = logged === null ? null : (measured ?? this.#log?.position?.usedBytes ?? null);
    if (rounds !== null) this.#room?.known(rounds);
    this.#receive({ kind: 'state-transfer', txn: this.#txn });
    // What the primary served while the chunks crossed, from the next tick on
    // (entries the big checkpoint already holds are skipped).
    this.#unapplied = role.early;
    this.#unappliedAllowed = role.early.length + this.config.checkpointEntriesMax;
  }

  /**
   * Logs a round as the joiner takes it: the first of several starts the
   * log's new history (a slice a tick, #roundSlice), and each after it is
   * appended whole, in its call, when it is no larger than a slice. Gives
   * the mark the log holds the rounds under once it holds every round to
   * this one, or null: the install then compacts, as it does after a whole
   * round, or a store refused at boot.
   */
  #logRound({ id, round, bytes }: RoundTaken): LogMark | null {
    const log = this.#log;
    if (log === null || this.#storeRefused || this.#readFailed !== null) return null;
    const mark: LogMark = { version: this.app.version, term: round.term, solo: false };
    if (round.base === 0) {
      this.#roundsLog = null;
      if (round.final) return null;
      log.beginRounds(mark, id, round);
      this.#roundsLog = { written: false, waiting: [] };
      return null;
    }
    if (this.#roundsLog?.written !== true) return null;
    try {
      if (bytes <= this.config.encodeSliceBytes && log.appendRound(mark, id, round)) return mark;
    } catch (error) {
      this.#roundsLog = null;
      this.#storeFailed(error);
      return null;
    }
    // Not appended: the rest of the transfer is not logged, and the install compacts.
    this.#roundsLog = null;
    return null;
  }

  /** The next slice of the first round's record; once it is down, the rounds that came meanwhile. */
  #roundSlice(): void {
    const log = this.#log;
    const logging = this.#roundsLog;
    if (log === null || logging === null || logging.written) return;
    const done = this.#logSlice(log, () => {
      this.#roundsLog = null;
    });
    if (!done) return;
    logging.written = true;
    for (const taken of logging.waiting.splice(0)) this.#roundIn(taken);
  }

  /**
   * Another version's state is judged by our store's room once converted
   * (the primary judged it in its own version): where it may take more than
   * ours gives, the joiner gives the transfer up and asks again later.
   */
  #judgesConverted(received: Received): boolean {
    return this.#room !== null && received.stateVersion !== this.app.stateVersion;
  }

  /** Up to `max` of the entries a backup has not applied yet; none while its store compacts (the state holds still). */
  #applySome(max: number): void {
    if (this.#compaction !== null || this.#unapplied.length === 0) return;
    const batch = this.#unapplied.splice(0, max);
    // The allowance follows the queue down, never up.
    const left = this.#unapplied.length + this.config.checkpointEntriesMax;
    this.#unappliedAllowed = Math.min(this.#unappliedAllowed, left);
    for (const entry of batch) {
      if (this.#role.name !== 'backup') return;
      this.#applyEntry(entry);
    }
  }

  /**
   * Every entry a backup has not applied, now: it is about to serve, or to
   * stop with what it holds. A compaction under way gives way: its snapshot
   * would miss them, and what it was to write is written again (a new
   * history's snapshot is still due; a due compaction's entries are logged).
   */
  #applyAll(): void {
    if (this.#unapplied.length === 0) return;
    if (this.#compaction !== null) {
      this.#compaction = null;
      this.#log?.cancelCompaction();
    }
    this.#applySome(this.#unapplied.length);
  }

  #applyEntry(entry: CheckpointEntry): void {
    if (entry.txn <= this.#txn) return; // already have it
    if (entry.txn !== this.#txn + 1) {
      this.#dropState({ code: 'checkpoint-gap', have: this.#txn, got: entry.txn });
      return;
    }
    let reply: unknown;
    try {
      const applied = applyEntry(this.app, this.#state, entry);
      this.#state = applied.state;
      reply = applied.reply;
      // The bound of the store's room grows as the primary's did, so that a takeover need not measure.
      const room = this.#room;
      if (entry.registration === true) room?.registered(entry.clientId);
      else if (applied.update === undefined) room?.refusalCached(entry.badRequest);
      else room?.followed(applied.update, reply);
    } catch (error) {
      // The primary applied this entry; a backup that cannot has no copy worth keeping.
      this.#dropState({ code: 'entry-failed', txn: entry.txn, error: errorFact(error) });
      return;
    }
    this.#txn = entry.txn;
    if (this.#log !== null) this.#unlogged.push(entry);
    this.#cache.save(entry.clientId, entry.syncId, savedReplyOf(entry, reply));
    this.#forgetHeard(entry.clientId, entry.syncId);
    this.#receive({
      kind: 'checkpoint',
      txn: entry.txn,
      clientId: entry.clientId,
      syncId: entry.syncId,
    });
  }

  /**
   * g (on the new version): the old primary offered its roles. We say we
   * take them and serve once that is acknowledged: until the old primary
   * knows, it may give the roles back to itself if we vanish, so we must
   * not have served anything by then.
   */
  #takeRoles(): void {
    this.#send({ k: 'roles-taken' });
    this.#rolesTakenSeq = this.#lastSentSeq;
  }

  /** The old primary knows we took the roles: serve, with the requests it held. */
  #acceptRoles(): void {
    const held = this.#incomingHeld;
    this.#incomingHeld = [];
    this.#rolesTakenSeq = 0;
    this.#term += 1;
    // A retained history we serve from now on is written by this version: a
    // reset must not revert the board to an image that cannot read it.
    if (this.#log !== null && this.#hello.testMode) this.#confirm();
    this.#switchStep('g', true);
    this.#setRole(ALONE, 'roles-taken');
    this.#effect({ kind: 'announce' });
    // h. stop the old version; it boots ours on trial and joins as backup.
    this.#send({
      k: 'stop',
      boot: 'other-test',
      why: { code: 'switch-to', version: this.hello.version },
    });
    this.#switchStep('h', true);
    this.#serveHeld(held);
  }

  /**
   * The partner acknowledged up to `#peerAck`. An acknowledgement says the
   * bytes arrived; only one from a processor that says it is our backup also
   * says it holds what they carried (a joiner that could not install the
   * big checkpoint acknowledges its chunks all the same).
   */
  #onPeerAck(partner: Status): void {
    let role = this.#role;
    const holdsCopy = partner.role === 'backup';
    if (role.name === 'switching' && bigCheckpointUnderWay(role)) {
      role = { ...role, progressMs: this.#now };
      this.#role = role;
    }
    if (
      role.name === 'backup' &&
      this.#rolesTakenSeq !== 0 &&
      this.#peerAck >= this.#rolesTakenSeq
    ) {
      this.#acceptRoles();
      return;
    }
    if (
      (role.name === 'primary-alone' || role.name === 'switching') &&
      role.preCopy !== null &&
      role.snapshotLastSeq !== 0 &&
      partner.role === 'joining' &&
      this.#peerAck >= role.snapshotLastSeq
    ) {
      // The next round is taken when the line can carry it (#queueChunk).
      this.#role = roundAcknowledged(role);
    } else if (
      role.name === 'primary-alone' &&
      role.joinerInc !== 0 &&
      role.preCopy === null &&
      role.snapshotLastSeq !== 0 &&
      holdsCopy &&
      this.#peerAck >= role.snapshotLastSeq &&
      this.#stream.earlyAcknowledged(this.#peerAck)
    ) {
      this.#setRole({ name: 'primary' }, 'backup-synchronised');
      // A backup can join on trial under a primary that has confirmed already
      // (it reset before the confirm reached it): it needs the confirm too.
      const partnerOnTrial = this.#partnerHello?.testMode === true;
      if (this.#hello.testMode || partnerOnTrial) {
        // The pair is whole on a trial image: both boards confirm it.
        if (this.#hello.testMode) this.#confirm();
        this.#send({ k: 'confirm' });
        this.#switchStep('done', true);
      }
    } else if (
      role.name === 'switching' &&
      role.step === 'awaiting-boot' &&
      role.stopSeq !== 0 &&
      this.#peerAck >= role.stopSeq
    ) {
      // The old backup has everything and has stopped: requests run alone until the new version joins.
      this.#switchStep('b', true);
      this.#releaseAllPending();
      this.#setRole({ ...role, stopSeq: 0, held: [] }, 'old-backup-stopped');
      this.#serveHeld(role.held);
    } else if (
      role.name === 'switching' &&
      role.step === 'big-checkpoint' &&
      role.snapshotLastSeq !== 0 &&
      holdsCopy &&
      this.#peerAck >= role.snapshotLastSeq
    ) {
      // g. offer the roles with the held requests the new version has not
      // had yet; keep a copy of them all until it says it took them.
      const allSent = this.#sendHeldUnsent(role);
      if (allSent !== null) {
        this.#switchStep('f', true);
        this.#send({ k: 'role-switch' });
        this.#setRole({ ...allSent, step: 'handed-over', sinceMs: this.#now }, 'roles-offered');
      }
    }
    // A joiner's acknowledgements are flow control: it cannot take over
    // yet, so what it acknowledged goes as from a primary alone.
    if (holdsCopy || partner.role === 'joining') this.#releaseAcknowledged();
  }

  // -------------------------------------------------------------- failures

  #detectFailures(): void {
    const now = this.#now;
    const detector = this.#detector;
    const { changes, anyUp } = this.#links.judge(now);
    for (const change of changes) this.#emit({ kind: 'path', path: change.path, up: change.up });
    if (detector.setPartnerUp(anyUp))
      this.#receive({ kind: anyUp ? 'partner-up' : 'partner-down' });
    if (anyUp && this.#transferStale && this.#joinerMidTransfer() && this.#partnerHello !== null)
      this.#startSnapshot(this.#partnerHello, { code: 'joiner-missed-all' });
    if (anyUp) {
      // One path failing alone is an alarm, never a takeover.
      for (const change of changes) {
        if (change.up) this.#pathsDownAlone.delete(change.path);
        else this.#pathsDownAlone.set(change.path, now);
      }
      for (const [path, sinceMs] of this.#pathsDownAlone) {
        if (now < sinceMs + this.#pathAlarmAfterMs()) continue;
        this.#pathsDownAlone.delete(path);
        this.#alarm({ code: 'path-down', path });
      }
      // Silent on every path with DSR high, then heard again: a busy machine or a stalled line.
      const silentMs = detector.heardAgain(now);
      if (silentMs !== null) this.#emit({ kind: 'false-suspicion', silentMs });
    } else {
      // The partner is down: the paths that went just before went with it.
      this.#pathsDownAlone.clear();
      if (this.#partnerInc !== 0) {
        detector.silent(this.#links.partnerOff, now);
        this.#onPartnerSilent();
        if (this.#holdsBackup() && this.#offProvesPowerLoss() && detector.partnerOffSettled(now))
          this.#goAlone({ code: 'backup-off' });
      }
    }
    if (!anyUp && now >= this.#recoverAloneAtMs()) this.#serveNewest(0, true);
    const role = this.#role;
    // A switch's time limits are judged on what we have read: a board that
    // was stalled reads what waited for it (a join, a round's acknowledgement) first.
    if (role.name === 'switching' && detector.inputRead(now)) {
      if (role.step === 'awaiting-boot' && now - role.sinceMs > role.bootLimitMs) {
        this.#failSwitch('d', { code: 'no-new-version', ms: role.bootLimitMs });
      } else if (role.step === 'big-checkpoint' && this.#partnerPowerLost()) {
        // Requests are held: no need to wait out the time limit for a new version that lost power.
        this.#failSwitch('f', { code: 'new-version-off' });
      } else if (
        bigCheckpointUnderWay(role) &&
        now > transferExpiresAtMs(this.config, role) &&
        !this.#newVersionMayHoldLastRound(role)
      ) {
        this.#failSwitch('f', { code: 'no-progress', ms: transferPatienceMs(this.config, role) });
      }
    }
  }

  #pathAlarmAfterMs(): number {
    return PATH_ALARM_AFTER_BEATS * this.config.heartbeatIntervalMs;
  }

  /** Every path is silent (or its DSR dropped). */
  #onPartnerSilent(): void {
    const role = this.#role;
    if (role.name === 'backup') {
      if (this.#links.partnerOff) {
        this.#takeOver(this.config.fenceWired, { code: 'dsr-dropped' });
      } else if (this.#detector.silentForTakeover(this.#now)) {
        this.#takeOver(this.config.fenceWired, { code: 'primary-silent' });
      }
    } else if (
      role.name === 'joining' &&
      this.#detector.inputRead(this.#now) &&
      // A powered primary may be busy (a slow engine encoding our big checkpoint): wait as a backup would.
      (this.#links.partnerOff || this.#detector.silentForTakeover(this.#now))
    ) {
      this.#setRole({ name: 'booting' }, 'primary-lost');
    } else if (this.#joinerMidTransfer()) {
      // It cannot have the whole big checkpoint, so it cannot take over: its
      // acknowledgements are flow control only, and a silent joiner holds
      // nothing up. A busy machine stalls it for a while; one silent as long
      // as a backup would take over is given up, and starts over.
      for (const reply of this.#stream.releaseReplies()) this.#reply(reply);
      if (this.#detector.silentForTakeover(this.#now)) this.#goAlone({ code: 'joiner-silent' });
    } else if (role.name === 'switching' && role.step === 'handed-over') {
      // Only a power loss (or its restart) proves the new version never serves:
      // a silent one may be stalled, and may take over once it is not. DSR
      // dropping proves it only where a cut cable cannot look the same
      // (#offProvesPowerLoss): with one path and no fence the new version,
      // a backup by now, takes over on it, and we must not serve again; with
      // a fence, only once it stayed low for as long as the new version
      // takes to fence us.
      if (this.#partnerPowerLost() || role.rolesTaken)
        this.#onNewVersionGone(role, { code: 'new-version-silent' });
    }
  }

  /**
   * Once the last round went out, a silent new version may hold it: a backup
   * by then, it takes over a silent primary and fences it, so serving alone
   * would acknowledge what it never gets. Time proves nothing (a stalled line
   * is silent as long as it likes): the switch gives up only once the new
   * version is known not to serve, its power lost (DSR low and settled,
   * where that proves it) or heard to be no backup after it read the last
   * round (a status sent before that says nothing: the round, still in our
   * channel, may make it a backup once the line lets it through; simulator
   * seed 4838, replay). Meanwhile requests stay held, and `busy` once the
   * hold is full.
   */
  #newVersionMayHoldLastRound(role: Switching): boolean {
    if (role.step !== 'big-checkpoint' || this.#partnerPowerLost()) return false;
    return (
      !this.#detector.partnerUp ||
      this.#partnerStatus?.role === 'backup' ||
      this.#peerAck < role.snapshotLastSeq
    );
  }

  /** The partner's DSR dropped on every path and stayed low for the settling time, where that proves a power loss. */
  #partnerPowerLost(): boolean {
    return (
      this.#links.partnerOff &&
      this.#offProvesPowerLoss() &&
      this.#detector.partnerOffSettled(this.#now)
    );
  }

  /**
   * DSR low on every path for the settling time shows the backup lost power
   * only if a cut could not look the same: with a fence, a backup that is
   * alive behind cut cables has taken over and fenced us by then; with two
   * paths, one fault cannot cut both. With one path and no fence, a cable
   * cut is indistinguishable, the backup has taken over, and we must not
   * serve too: we answer `busy` until we hear the partner again.
   */
  #offProvesPowerLoss(): boolean {
    return this.config.fenceWired || this.config.pathCount >= 2;
  }

  /**
   * Our backup (or a joiner that may already hold the big checkpoint) is
   * silent on every path: its replies stay held until we know it cannot
   * serve: its DSR dropped and stayed low (#detectFailures), or it came back
   * as a new incarnation (#partnerRestarted). Time proves nothing: a silent,
   * powered backup may be stalled, or may have taken over. Nor do we fence
   * it: a pulse held by a stalled line could land after it took over and
   * served, and take the only copy of what it acknowledged. Only a backup
   * that takes over fences (its partner, if alive, holds every reply), so
   * two pulses never meet. Without DSR, a backup that lost power is known
   * only when it comes back. Once it cannot serve, what waited for it is
   * released, and we serve alone.
   */
  #goAlone(why: Reason): void {
    this.#releaseAllPending();
    this.#setRole(ALONE, 'backup-lost', why);
  }

  /** A primary whose partner holds, or is about to hold, a copy it could take over with. */
  #holdsBackup(): boolean {
    const role = this.#role;
    return role.name === 'primary' || (role.name === 'primary-alone' && role.joinerInc !== 0);
  }

  /**
   * Our backup is silent on every path, and we do not yet know that it
   * cannot serve: after a silence it may have taken over, and its first
   * whole frame will tell us to step down.
   */
  #backupInDoubt(): boolean {
    return (
      this.#holdsBackup() &&
      !this.#joinerMidTransfer() &&
      this.#partnerInc !== 0 &&
      !this.#detector.heardWholeFrame(this.#now)
    );
  }

  /** A round's `ask`: the join it answers, when one came on this link. */
  #answering(): Pick<Round, 'ask'> {
    return this.#joinerAsk === 0 ? {} : { ask: this.#joinerAsk };
  }

  /** A joiner that cannot have the whole big checkpoint yet: its last chunk is not even queued. */
  #joinerMidTransfer(): boolean {
    const role = this.#role;
    return (
      role.name === 'primary-alone' &&
      role.joinerInc !== 0 &&
      (role.snapshotLastSeq === 0 || role.preCopy !== null)
    );
  }

  /** A joiner taking the rounds before its last: it holds nothing it could serve from. */
  #joinerTakesRounds(): boolean {
    const role = this.#role;
    return role.name === 'primary-alone' && role.joinerInc !== 0 && role.preCopy !== null;
  }

  #takeOver(fence: boolean, why: Reason): void {
    this.#applyAll();
    if (this.#role.name !== 'backup') return; // an entry it could not apply: it holds no copy to serve
    // What no checkpoint covered was never acknowledged: it runs now, without waiting for a resend.
    const keptFromMs = this.#now - this.config.heardKeepMs;
    const heard = this.#heard.filter((h) => h.arrivedMs >= keptFromMs);
    if (fence) this.#fence();
    this.#term = Math.max(this.#term, this.#partnerStatus?.term ?? 0) + 1;
    this.#resetLink();
    this.#emit({ kind: 'takeover', fenced: fence, why });
    this.#setRole(ALONE, 'takeover', why);
    // The replies to what it heard first: on a shared bus the clients take
    // them from either board, and with the announcement ahead of them the
    // first came 2.6 ms later at 115200 (median).
    this.#serveHeld(heard);
    this.#effect({ kind: 'announce' });
  }

  #alarm(why: Reason): void {
    this.#emit({ kind: 'alarm', why });
  }

  #switchStep(step: SwitchStepName, ok: boolean, why?: Reason): void {
    this.#emit(
      why === undefined ? { kind: 'switch', step, ok } : { kind: 'switch', step, ok, why },
    );
  }

  /**
   * The switch ends on the old version. An old backup that never took its
   * stop (no acknowledgement, no restart) may be stalled rather than gone,
   * and take over with what it acknowledged: it is still our backup. Alone,
   * we would acknowledge what it lacks, and the replies waiting for it would
   * wait for nobody. As a backup it has its usual fate: we serve once we
   * hear it, and what waits for it goes once it cannot serve (#goAlone,
   * #partnerRestarted).
   */
  #failSwitch(step: SwitchStepName, why: Reason): void {
    const role = this.#role;
    this.#switchStep(step, false, why);
    const oldBackupKept = role.name === 'switching' && oldBackupMayServe(role);
    this.#setRole(oldBackupKept ? { name: 'primary' } : ALONE, 'switch-failed', {
      code: 'failed-at',
      step,
    });
    if (role.name === 'switching') this.#serveHeld(role.held);
  }

  /** A request waits in `held` (a retry of one that waits keeps its place), or is refused busy when too many wait. */
  #hold(held: HeldRequest[], request: HeldRequest): void {
    if (held.length >= this.config.heldRequestsMax) {
      this.#replyError(request.clientId, request.syncId, 'busy', { code: 'hold-full' });
      return;
    }
    holdOnce(held, request);
  }

  /**
   * The state and the reply cache hold still while a joiner's big checkpoint
   * is encoded, or our store compacts, a slice at a time: no request runs,
   * and a compacting processor reads no checkpoint (its partner sends them
   * again), so that nothing is logged before the snapshot is down.
   */
  #holdsStill(): boolean {
    return this.#encoding !== null || this.#compaction !== null || this.#measuring !== null;
  }

  /** Work going a slice a tick: what holds the state still, or a switch's first round. */
  #slicing(): boolean {
    return this.#holdsStill() || this.#preCopyEncoding !== null;
  }

  /**
   * Requests held while the state held still, once it moves again (also
   * when what held it was given up), in order, `heldServedMax` a tick: all
   * at once would be the long call the hold avoided. New ones wait behind.
   */
  #serveHeldStill(): void {
    this.#servingHeldStill = true;
    try {
      // One at a time from the front: one may hold the state still again (a measure), and the rest wait in order.
      for (let served = 0; served < this.config.heldServedMax && !this.#holdsStill(); served++) {
        const request = this.#heldStill.shift();
        if (request === undefined) break;
        this.#onRequest(request.clientId, request.syncId, request.body, request.arrivedMs);
      }
    } finally {
      this.#servingHeldStill = false;
    }
  }

  /** The next slice of the measure the store's room asked for; then the requests it held run. */
  #measureSlice(): void {
    const measuring = this.#measuring;
    if (measuring === null) return;
    const sizes = measuring.step(this.config.encodeSliceBytes);
    if (sizes === null) return;
    this.#measuring = null;
    this.#room?.measured(sizes);
  }

  /** The next slice of a joiner's big checkpoint; once it is whole, its chunks are queued. */
  #encodeSlice(): void {
    const encoding = this.#encoding;
    if (encoding === null) return;
    let chunks: Chunk[] | null;
    try {
      chunks = encoding.step(this.config.encodeSliceBytes);
    } catch (error) {
      // A state that cannot travel: the joiner is told, and we serve on alone.
      this.#encoding = null;
      const why: Reason = { code: 'snapshot-unusable', error: errorFact(error) };
      this.#alarm(why);
      this.#send({ k: 'reject', why });
      this.#setRole(ALONE, 'join-refused', why);
      return;
    }
    if (chunks === null) return;
    this.#encoding = null;
    this.#transferBytes = encoding.bytes;
    this.#chunksOut = endingShort(chunks, LAST_CHUNK_BYTES);
    const role = this.#role;
    if (role.name === 'primary-alone' && role.preCopy !== null)
      this.#role = {
        ...role,
        preCopy: { ...role.preCopy, lastBytes: encoding.bytes, wholeBytes: encoding.bytes },
      };
  }

  /** The next slice of a switch's round; once it is whole, its chunks are queued. */
  #preCopySlice(): void {
    const encoding = this.#preCopyEncoding;
    const role = this.#role;
    if (encoding === null || role.name !== 'switching') return;
    let chunks: Chunk[] | null;
    try {
      chunks = encoding.slices.step(this.config.encodeSliceBytes);
    } catch (error) {
      this.#preCopyEncoding = null;
      this.#failSwitch('f', { code: 'snapshot-unusable', error: errorFact(error) });
      return;
    }
    if (chunks === null) return;
    this.#preCopyEncoding = null;
    this.#chunksOut = chunks;
    const bytes = encoding.slices.bytes;
    const preCopy = role.preCopy;
    if (preCopy === null) return; // the last round
    if (encoding.round === 'first') {
      this.#role = { ...role, preCopy: { ...preCopy, lastBytes: bytes, wholeBytes: bytes } };
      return;
    }
    const lastDue = isLastRound(this.config, preCopy, bytes, SWITCH_ROUND_GROWTH_MAX);
    const sent = roundSent(
      throttledAfter(preCopy, bytes, this.#now),
      encoding.id,
      encoding.sent,
      bytes,
    );
    this.#role = { ...role, preCopy: { ...sent, lastDue } };
  }

  /**
   * Requests a pre-copy made wait, served as far as its change allowance
   * and the call's share go; the rest keep their place. Once one waits
   * again, or the share is spent, every one after it would: they are not
   * tried (on XS at 64 clients, trying 74 of them a tick cost 165,000 units).
   */
  #serveThrottled(): void {
    const role = this.#role;
    if (role.name !== 'switching' || role.preCopy === null || role.held.length === 0) return;
    const held = role.held;
    this.#role = { ...role, held: [] };
    const heldAgain = () => this.#role.name === 'switching' && this.#role.held.length > 0;
    const next = this.#serveShare(held, () => !heldAgain());
    const after = this.#role;
    if (after.name === 'switching')
      this.#role = { ...after, held: [...after.held, ...held.slice(next)] };
    else this.#serveHeld(held.slice(next));
  }

  /** Requests held (during a switch, or heard on a shared bus), served in the order they arrived. */
  #serveHeld(held: readonly HeldRequest[]): void {
    // A call's share at a time: a new version that took the roles served the
    // 64 requests held for it, and logged them, in one call of 1.5 million XS units.
    const next = this.#serveShare(held, () => true);
    // The rest wait for the ticks after, in order, without each going the request's way to get there.
    for (const request of held.slice(next)) this.#hold(this.#heldStill, request);
  }

  /** Serves `held` from the front, in order, while this call's share lasts and `goOn` holds: how many it took. */
  #serveShare(held: readonly HeldRequest[], goOn: () => boolean): number {
    let next = 0;
    this.#takingShare(() => {
      while (next < held.length && this.#takesLeft > 0 && goOn()) {
        const request = held[next++] as HeldRequest;
        this.#onRequest(request.clientId, request.syncId, request.body, request.arrivedMs);
      }
    });
    return next;
  }

  /**
   * The last round's final chunk is queued, and held requests have not gone
   * yet: the switching role they wait in, else null. Those held so far go
   * behind the chunk, and those held from then on as the line frees, rather
   * than all of them behind the round's acknowledgement. The new version
   * has installed the round when they arrive (its install is one call), and
   * is a backup.
   */
  #heldToSendAhead(): Switching | null {
    const role = this.#role;
    return role.name === 'switching' &&
      role.step === 'big-checkpoint' &&
      role.snapshotLastSeq !== 0 &&
      role.heldSent < role.held.length
      ? role
      : null;
  }

  /**
   * The held requests not yet sent go, in batches, as far as the channel's
   * queue takes them: the role once all went, else null. (During the last
   * round `held` only grows: a retry keeps its place.)
   */
  #sendHeldUnsent(role: Switching): Switching | null {
    let sent = role.heldSent;
    // A slice's worth a call: 60 held requests, measured and sent in one
    // call as frames of 4 KB, took a microcontroller-class engine 620,000 XS units.
    const slice = this.config.encodeSliceBytes;
    const batches = heldBatches(
      role.held.slice(sent),
      Math.min(CHECKPOINT_BATCH_BYTES_MAX, slice),
      slice,
    );
    for (const requests of batches) {
      if (!this.#send({ k: 'held', requests })) break;
      sent += requests.length;
    }
    const after = { ...role, heldSent: sent };
    this.#role = after;
    return sent === role.held.length ? after : null;
  }

  /** The partner's channel state starts over (it restarted, or it is gone). */
  #resetLink(): void {
    this.#links.partnerHears = 0;
    this.#deferred = [];
    this.#incomingHeld = [];
    this.#rolesTakenSeq = 0;
    this.#detector.forget();
    this.#channel.reset();
    this.#lastSentSeq = 0;
    this.#peerAck = 0;
    this.#joinerAsk = 0;
    this.#stream.resetSequence();
    this.#partnerStatus = null;
  }

  #coldStart(partnerTerm: number): void {
    this.#state = this.app.init();
    this.#txn = 0;
    this.#cache = new ReplyCache(this.config.syncDepth, this.config.clientsMax);
    this.#term = Math.max(this.#term, partnerTerm) + 1;
    // What the state actually rests on: a retained app on a board without a store is in memory only.
    const durability = this.#log === null ? 'memory' : 'retained';
    this.#emit({ kind: 'cold-start', version: this.hello.version, durability });
    // A board that ran before (a boot counter past 1) held this app's state in memory only.
    if (durability === 'memory' && this.boot.incarnation > 1) this.#alarm({ code: 'state-lost' });
    this.#compactNext = true;
    this.#setRole(ALONE, 'cold-start');
    this.#effect({ kind: 'announce' });
  }

  // --------------------------------------------------------------- durable

  /** Reads our store: the history to recover from, or a loud refusal. Never an empty start in its place. */
  #readStore(): void {
    const log = this.#log;
    if (log === null) return;
    this.#stored = null;
    this.#storeRefused = false;
    this.#unservable = null;
    this.#writerMissingAlarmed = false;
    this.#unlogged = [];
    this.#loggedMark = null;
    this.#held = null;
    try {
      this.#openStore(log);
    } catch (error) {
      if (!(error instanceof StoreReadError)) throw error;
      // Not knowing what the store holds is not holding nothing: never serve or start empty from it.
      this.#stored = null;
      this.#storeRefused = true;
      this.#readFailed = { code: 'store-failed', error: errorFact(error.cause) };
    }
  }

  /** #readStore's reading: throws StoreReadError when the store fails a read. */
  #openStore(log: DurableLog): void {
    const opening = log.open();
    if (opening.kind === 'empty') return;
    if (opening.kind === 'found') {
      try {
        this.#stored = this.#replayStore(opening.log);
      } catch (error) {
        if (error instanceof StoreReadError) throw error;
        // Its records still tell its history: the boards compare it, and the
        // image that wrote it may serve it (#serveNewest).
        const unservable = { ...opening.log.mark, txn: lastTxn(opening.log) };
        this.#refuseStore({
          code: 'log-unreplayable',
          version: this.app.version,
          error: errorFact(error),
        });
        this.#unservable = unservable;
        return;
      }
      const stored = this.#stored;
      this.#held = { txn: stored.txn, term: stored.term };
      if (!stored.solo)
        this.#emit({ kind: 'awaiting-partner', storedTxn: stored.txn, storedTerm: stored.term });
      return;
    }
    this.#refuseStore(opening.why);
  }

  #refuseStore(why: Reason): void {
    this.#storeRefused = true;
    this.#emit({ kind: 'store-refused', code: 'unreadable', why });
    this.#alarm({ code: 'store-refused', why });
  }

  /** The stored base and entries, applied as a backup applies checkpoints. Throws when they do not apply. */
  #replayStore(stored: StoredLog): StoredHistory {
    const { config, app } = this;
    const base = stored.snapshot ?? this.#roundsAdded(stored.joinedRounds);
    let state: AppState =
      base === null ? app.init() : stateFrom(app, base.stateVersion, base.state);
    let txn = base?.txn ?? 0;
    const cache =
      base === null
        ? new ReplyCache(config.syncDepth, config.clientsMax)
        : ReplyCache.from(config.syncDepth, config.clientsMax, base.cache);
    for (const { version, entry } of stored.entries) {
      if (version !== app.version) throw new ReasonError({ code: 'log-other-version', version });
      if (entry.txn <= txn) continue;
      if (entry.txn !== txn + 1) throw new ReasonError({ code: 'log-gap', txn, next: entry.txn });
      const applied = applyEntry(app, state, entry);
      state = applied.state;
      txn = entry.txn;
      cache.save(entry.clientId, entry.syncId, savedReplyOf(entry, applied.reply));
    }
    const converted = base !== null && base.stateVersion !== app.stateVersion;
    return { state, txn, term: stored.mark.term, cache, solo: stored.mark.solo, converted };
  }

  /** The state a log's rounds add up to, as the joiner that logged them held it; null for none. */
  #roundsAdded(rounds: readonly LoggedRound[]): Snapshot | null {
    let received: Received | null = null;
    for (const { id, round } of rounds) {
      const after: Received | null = addRound(received, id, round, this.config);
      if (after === null)
        throw new ReasonError({ code: 'log-gap', txn: received?.txn ?? 0, next: round.txn });
      received = after;
    }
    if (received === null) return null;
    const { stateVersion, state, txn, term, cache } = received;
    return { stateVersion, state, txn, term, cache: cache.entries() };
  }

  /**
   * Both processors boot. The newer history serves: the higher (term, txn)
   * of the two stores, on a tie one this image can serve from, then
   * processor 1; the other joins it. With no history on either side,
   * processor 1 starts the app empty, as before. A store that is not a log
   * stops both: what it held may be the newest, unless ours is solo (no
   * other store can hold anything newer: we recover, as we would if the
   * refusing partner were off, and it joins us).
   */
  #bothBooting(partner: Status): void {
    const mine = this.#storedClaim();
    const theirs = partner.stored;
    if (mine === 'refused') return;
    if (theirs === 'refused') {
      if ((this.#stored ?? this.#unservable)?.solo === true) this.#serveNewest(partner.term, false);
      return;
    }
    if (mine === undefined) {
      if (theirs === undefined && this.config.processor === 1) this.#coldStart(partner.term);
      return;
    }
    const term = this.#storedTerm() ?? 0;
    const newer =
      theirs === undefined ||
      term > partner.term ||
      (term === partner.term &&
        (mine.txn > theirs.txn ||
          (mine.txn === theirs.txn &&
            (mine.servable !== theirs.servable ? mine.servable : this.config.processor === 1))));
    if (newer) this.#serveNewest(partner.term, false);
  }

  /** What our store holds, as a booting processor tells it (see Status.stored). */
  #storedClaim(): StoredClaim | undefined {
    // A converted history is claimed as not servable, so that on a tie the
    // partner's own copy wins; with no such copy, it still serves (#serveNewest).
    if (this.#stored !== null) return { txn: this.#stored.txn, servable: !this.#stored.converted };
    if (this.#unservable !== null) return { txn: this.#unservable.txn, servable: false };
    return this.#storeRefused ? 'refused' : undefined;
  }

  /**
   * Our store holds the newest history: we serve from it, or, when another
   * version wrote it, the image that wrote it boots to serve it, if our
   * other slot holds it (on a trial image that is the confirmed one).
   * Otherwise both wait, with an alarm: an older history is never served
   * while a newer acknowledged one exists.
   */
  #serveNewest(partnerTerm: number, alone: boolean): void {
    const unservable = this.#unservable;
    if (unservable === null) {
      this.#recover(partnerTerm, alone);
    } else if (this.#hello.otherVersion === unservable.version) {
      this.#stop(
        this.#hello.testMode ? 'confirmed' : 'other-test',
        { code: 'store-writer', version: unservable.version },
        'boots-store-writer',
      );
    } else if (!this.#writerMissingAlarmed) {
      this.#writerMissingAlarmed = true;
      const { txn, term, version } = unservable;
      this.#alarm({ code: 'writer-missing', txn, term, version });
    }
  }

  /**
   * We still count the partner as our backup (or a joiner that may hold
   * the big checkpoint), and it boots with a stored history in a newer
   * term: it took over while we could not tell (one path, no fence, a cut
   * cable: we held every request) and may have acknowledged alone, so ours
   * is the stale history: we step down for it. A primary that went alone
   * (it knew the partner could not serve: its power loss proven, its copy
   * given up) served since, and keeps serving: a newer term in the
   * partner's store is then a takeover that never served (the board lost
   * power in it), and the partner joins (#storeNewerThan).
   */
  #staleFor(status: Status): boolean {
    const stored = status.stored;
    return (
      this.#holdsBackup() &&
      status.role === 'booting' &&
      stored !== undefined &&
      stored !== 'refused' &&
      status.term > this.#term
    );
  }

  /**
   * Our store's history is in a newer term than the serving partner's,
   * which still counts a backup: it will step down for it (#staleFor), and
   * joining would overwrite it.
   */
  #storeNewerThan(status: Status): boolean {
    const term = this.#storedTerm();
    const countsBackup =
      (status.role === 'primary' || status.role === 'primary-alone') && status.backupInc !== 0;
    return countsBackup && term !== undefined && term > status.term;
  }

  /** Serves from our store's history, in a new term, with a fresh log. */
  #recover(partnerTerm: number, alone: boolean): void {
    const stored = this.#stored;
    if (stored === null) return;
    this.#stored = null;
    this.#state = stored.state;
    this.#txn = stored.txn;
    this.#cache = stored.cache;
    this.#term = Math.max(stored.term, partnerTerm) + 1;
    this.#emit({ kind: 'recovered', txn: stored.txn, storedTerm: stored.term, alone });
    // The log's tail may be torn: the new history starts from a snapshot.
    this.#compactNext = true;
    this.#setRole(ALONE, 'recovered');
    this.#effect({ kind: 'announce' });
  }

  /**
   * A booting processor whose store holds a solo history, and hears no
   * partner, recovers alone (or boots the image that wrote it, when this
   * one cannot replay it and the other slot holds that image).
   */
  #recoverAloneAtMs(): number {
    if (this.#role.name !== 'booting') return Infinity;
    const unservable = this.#unservable;
    const solo =
      this.#stored?.solo === true ||
      (unservable?.solo === true && this.#hello.otherVersion === unservable.version);
    return solo ? this.#bootingSinceMs + this.config.recoverAloneAfterMs : Infinity;
  }

  /** The term of the history our store holds, whether this image can serve it or not. */
  #storedTerm(): number | undefined {
    return this.#stored?.term ?? this.#unservable?.term;
  }

  /**
   * No other store can hold anything newer than ours: we serve, and no
   * partner could take over from us (none synchronised or joining, the old
   * backup of a switch stopped).
   */
  #soloAuthoritative(): boolean {
    const role = this.#role;
    // During a pre-copy the joiner, or the new version, holds nothing it could serve from.
    if (role.name === 'primary-alone') return role.joinerInc === 0 || role.preCopy !== null;
    if (role.name === 'switching')
      return (role.step === 'awaiting-boot' && role.stopSeq === 0) || role.step === 'pre-copy';
    return false;
  }

  /**
   * Group commit: the entries since the last write, in one record (or a
   * snapshot, when one is due), before any reply or acknowledgement of them
   * leaves. A state that outgrew the store (past the room the primary
   * judges requests by, store-room.ts) stops this processor: nothing it
   * cannot keep is acknowledged.
   */
  #persist(solo: boolean): void {
    const log = this.#log;
    if (log === null || this.#storeRefused) return;
    // Nothing is written while a compaction goes a slice at a time.
    if (this.#compaction !== null) return;
    const mark: LogMark = { version: this.app.version, term: this.#term, solo };
    const last = this.#loggedMark;
    const unchanged = last !== null && last.term === mark.term && last.solo === mark.solo;
    if (!this.#compactNext && this.#unlogged.length === 0 && unchanged) return;
    // A new history's first snapshot goes a slice at a time unless replies wait for it (a
    // backup's acknowledgements of the big checkpoint went already, as a joiner's do).
    const sliced = this.#unlogged.length === 0 || this.#role.name === 'backup';
    try {
      if (this.#compactNext && !sliced) log.compact(mark, this.#snapshot());
      else if (this.#compactNext) {
        this.#beginCompaction(log, mark, this.#snapshot());
        // Held: what the snapshot covers is the store's once it is down (#compactSlice).
        this.#unlogged = [];
        return;
      } else {
        log.commit(mark, this.#unlogged, () => this.#snapshot());
        if (log.compactionDue) this.#beginCompaction(log, mark, this.#snapshot());
      }
    } catch (error) {
      this.#storeFailed(error);
      return;
    }
    this.#logged(mark);
  }

  /** The state and the reply cache as a store's snapshot holds them. */
  #snapshot(): Snapshot {
    return {
      stateVersion: this.app.stateVersion,
      state: this.#state,
      txn: this.#txn,
      term: this.#term,
      cache: this.#cache.entries(),
    };
  }

  /** What the store holds now: everything up to `txn`, under `mark`. */
  #logged(mark: LogMark, txn = this.#txn, term = this.#term): void {
    this.#unlogged = [];
    this.#compactNext = false;
    this.#loggedMark = mark;
    this.#held = { txn, term };
  }

  #beginCompaction(log: DurableLog, mark: LogMark, snapshot: Snapshot): void {
    log.beginCompaction(mark, snapshot);
    this.#compaction = { mark, txn: this.#txn, term: this.#term };
  }

  /**
   * The next slice of the log's job (a compaction, or a first round's
   * record): true once the record is down. When the store throws, the work
   * is `abandon`ed before the store is given up (false).
   */
  #logSlice(log: DurableLog, abandon: () => void): boolean {
    try {
      return log.compactSlice(this.config.encodeSliceBytes);
    } catch (error) {
      abandon();
      this.#storeFailed(error);
      return false;
    }
  }

  /** The next slice of our store's compaction (durable-log.ts); the state holds still until it is done. */
  #compactSlice(): void {
    const log = this.#log;
    const compaction = this.#compaction;
    if (log === null || compaction === null) return;
    const done = this.#logSlice(log, () => {
      this.#compaction = null;
    });
    if (!done) return;
    this.#compaction = null;
    // Nothing ran meanwhile: the snapshot holds the current transaction (a takeover may have moved the term).
    this.#logged(compaction.mark, compaction.txn, compaction.term);
    // Its record holds a snapshot of the state as it is: a bound as good as a measurement.
    const written = log.position?.usedBytes;
    if (written !== undefined) this.#room?.known(written);
    this.#takeDeferred();
  }

  /** A store operation threw: too little room for the state, or the store failed. */
  #storeFailed(error: unknown): void {
    if (error instanceof StoreFullError) {
      this.#storeGaveUp('full', error.why, { code: 'store-full', why: error.why });
    } else {
      const failed: Reason = { code: 'store-failed', error: errorFact(error) };
      this.#storeGaveUp('failed', failed, failed);
    }
  }

  /**
   * A block of the store's redundant area, erased now rather than by the
   * next compaction, whose single call would otherwise erase a whole area
   * (durable-log.ts). One a tick: erasing is the store's slowest operation.
   */
  #eraseAhead(): void {
    const log = this.#log;
    if (log === null || !this.#eraseAheadDue()) return;
    try {
      log.eraseAhead();
    } catch (error) {
      this.#storeFailed(error);
    }
  }

  /**
   * Our store has blocks left to erase ahead, and we may: booting or joining
   * too, as the live area keeps its log until a compaction replaces it. A
   * compaction under way erases its own blocks, one a tick. A log this image
   * cannot replay is whole all the same (the image that wrote it may serve
   * it): its other area is as redundant as ever.
   */
  #eraseAheadDue(): boolean {
    const refused = this.#storeRefused && this.#unservable === null;
    return this.#log?.eraseAheadDue === true && !refused && this.#compaction === null;
  }

  /**
   * The store did not take what this processor must keep (too big for it, or
   * an operation failed: worn flash, a file error): nothing it holds only in
   * memory may be acknowledged, so it stops, and its partner serves on.
   */
  #storeGaveUp(code: 'full' | 'failed', why: Reason, alarm: Reason): void {
    const unlogged = new Set(this.#unlogged.map((e) => e.txn));
    // Replies of what the store could not take must not leave, queued or given:
    // refusals recorded as transactions neither.
    const ofUnlogged = (reply: ClientReply) => reply.txn !== undefined && unlogged.has(reply.txn);
    this.#repliesOut = this.#repliesOut.filter((reply) => !ofUnlogged(reply));
    this.#outputs = this.#outputs.filter((o) => !(o.kind === 'reply' && ofUnlogged(o.reply)));
    this.#unlogged = [];
    this.#storeRefused = true;
    this.#emit({ kind: 'store-refused', code, why });
    this.#alarm(alarm);
    if (this.#role.name !== 'stopped') this.#stop('confirmed', alarm, 'stopped');
  }

  #confirm(): void {
    this.#hello = { ...this.#hello, testMode: false };
    this.#effect({ kind: 'confirm' });
  }

  #dropState(why: Reason, cause: RoleCause = 'gave-up-copy'): void {
    const name = this.#role.name;
    if (name === 'backup' || name === 'joining') this.#send({ k: 'dropped', why });
    this.#state = undefined;
    this.#alarm(why);
    this.#setRole({ name: 'booting' }, cause, why);
  }

  #stop(boot: BootChoice, why: Reason, cause: RoleCause = 'stopped'): void {
    this.#applyAll();
    // What ran is logged now, as in any call (its replies may leave in it),
    // under a mark that says this board stopped holding the newest history.
    const snapshot = this.hasState ? this.#snapshot() : null;
    if (snapshot !== null) this.#persist(false);
    this.#state = undefined;
    this.#setRole({ name: 'stopped', why }, cause, why);
    this.#rebootWhenSent = boot;
    // The next image reads a snapshot (converters apply), never another
    // version's entries: it goes down a slice a call before the reboot
    // (#stopSlice). In one call it took a microcontroller-class engine up to
    // 7 million XS units; a power cut before it is down boots this image
    // again, on its log.
    const log = this.#log;
    if (log === null || snapshot === null || this.#storeRefused) return;
    try {
      this.#beginCompaction(
        log,
        { version: this.app.version, term: this.#term, solo: false },
        snapshot,
      );
    } catch (error) {
      this.#storeFailed(error);
    }
  }

  /** The next slice of the snapshot a stop leaves the next image; the reboot waits for it. */
  #stopSlice(): void {
    const log = this.#log;
    if (log === null || this.#compaction === null) return;
    const abandon = () => {
      this.#compaction = null;
    };
    if (this.#logSlice(log, abandon)) abandon();
  }

  // ---------------------------------------------------------------- output

  #releaseAcknowledged(): void {
    this.#repliesOut.push(...this.#stream.acknowledged(this.#peerAck));
  }

  #releaseAllPending(): void {
    this.#repliesOut.push(...this.#stream.releaseAll());
  }

  /**
   * Replies released (their entries are logged, and held by the backup or
   * not waited for), refusals and replies from the cache, `heldServedMax` a
   * call: an acknowledgement may release a hundred at once, a UART's buffer
   * may hold ten requests that a processor not serving refuses, and writing
   * each reply is the board's work in the same call (about 9,000 XS units).
   */
  #sendReplies(): void {
    // Every input ends here: nothing to do, nothing allocated.
    if (this.#repliesOut.length === 0) return;
    for (const reply of this.#repliesOut.splice(0, this.config.heldServedMax))
      this.#outputs.push({ kind: 'reply', reply });
  }

  /** Queues a body on the reliable channel; false when the queue is full. */
  #send(body: PeerBody): boolean {
    if (!this.#channel.send(body)) return false;
    this.#lastSentSeq += 1;
    return true;
  }

  /** End of every input: group commit, segments, acks, heartbeats, then effects. */
  #flush(): void {
    const readFailed = this.#readFailed;
    if (readFailed !== null) {
      this.#readFailed = null;
      this.#storeGaveUp('failed', readFailed, readFailed);
    }
    // The log write comes first: no reply or acknowledgement below leaves before it.
    if (this.hasState) this.#persist(this.#soloAuthoritative());
    this.#sendReplies();
    const links = this.#links;
    const channel = this.#channel;
    const path = links.preferredPath();
    // Group commit: an idle line with nothing queued and room in the window
    // sends the entries at once rather than wait for the ack. (Queued bodies
    // must not count as idle: a queue of one-entry bodies would keep every
    // batch that small.)
    const lineIdle =
      channel.pending === channel.inFlight &&
      channel.inFlight < this.config.channelWindowMax &&
      links.lineIdleAtMs(path, this.#now) <= this.#now + TX_AHEAD_MS;
    // Chunks of a big checkpoint and checkpoint batches share the line: each
    // batch earns chunks of as many bytes (at most the backlog's line time)
    // before the next batch, so the transfer keeps at least half the line
    // whatever the load. A lone writer's small batch earns one chunk; a batch
    // of many clients' entries earns several, which its successors wait for.
    if (this.#chunkCredit > 0) this.#queueChunk(path);
    const batchMayGo = this.#chunkCredit <= 0 || this.#chunksOut.length === 0;
    if (batchMayGo && this.#stream.due(this.#peerAck, lineIdle, this.config.checkpointEntriesMax)) {
      const bytes = this.#sendBatches();
      if (this.#chunksOut.length > 0)
        this.#chunkCredit = Math.min(CHUNK_SHARE * bytes, this.#backlogLineBytes());
    }
    // An idle line with nothing else to send takes a chunk.
    this.#queueChunk(path);
    // Held requests group as checkpoint entries do: those held while a frame is on the line go in the next.
    const heldAhead = this.#heldToSendAhead();
    if (
      heldAhead !== null &&
      channel.pending === channel.inFlight &&
      links.lineIdleAtMs(path, this.#now) <= this.#now + TX_AHEAD_MS
    )
      this.#sendHeldUnsent(heldAhead);
    // Segments are paced to the line: a deep UART queue would only delay heartbeats
    // and make retransmission timers fire for frames still waiting to be sent.
    while (links.lineIdleAtMs(path, this.#now) <= this.#now + TX_AHEAD_MS) {
      const [segment] = channel.poll(this.#now, 1);
      if (segment === undefined) break;
      // A segment sent again carries its requests: the backup did not take it as it was.
      this.#transmit(path, { seg: segment }, !segment.resent && this.#backupHearsRequests());
      channel.sentUntil(segment.seq, links.lineIdleAtMs(path, this.#now));
    }
    if (channel.ackOwed) this.#transmit(path, {});
    const due = links.beatsDue(this.#now);
    if (due.length > 0) {
      // The image details ride along now and then; the partner keeps the last ones.
      const withHello = this.#beatRounds++ % HELLO_EVERY_BEATS === 0;
      for (const beat of due) this.#transmit(beat, withHello ? { hello: this.hello } : {});
    }
    this.#rebootIfSent();
  }

  #rebootIfSent(): void {
    const boot = this.#rebootWhenSent;
    if (boot === null || this.#compaction !== null) return;
    if (this.#links.linesIdleAtMs(this.#now) > this.#now) return;
    this.#effect({ kind: 'reboot', boot });
    this.#rebootWhenSent = null;
  }

  /** Stopped, waiting for the lines to send what we wrote before the reboot: true when `now`'s input is dropped. */
  #rebooting(now: number): boolean {
    if (this.#rebootWhenSent === null) return false;
    this.#advance(now);
    this.#stopSlice();
    this.#rebootIfSent();
    return true;
  }

  /** Bytes the line carries in `checkpointBacklogMsMax`. */
  #backlogLineBytes(): number {
    return this.config.checkpointBacklogMsMax * lineBytesPerMs(this.config);
  }

  /** The checkpoint entries waiting go, in batches that fit a frame, as far as the channel's queue takes them: their bytes. */
  #sendBatches(): number {
    return this.#stream.send(
      (body) => (this.#send(body) ? this.#lastSentSeq : null),
      this.config.checkpointEntriesMax,
    );
  }

  #transmit(path: number, parts: Pick<Envelope, 'seg' | 'hello'>, requestsHeard = false): void {
    const envelope: Envelope = {
      from: { p: this.config.processor, inc: this.boot.incarnation },
      toInc: this.#partnerInc,
      ack: this.#channel.ackNumber,
      st: this.#status(),
      hears: this.#links.hearsMask(this.#now),
      ...parts,
    };
    this.#channel.ackSent();
    // Framed straight from the encoder's area: no copy of the payload on its own.
    const bytes = withEncodedCbor(
      envelopeToWire(envelope, {
        requestsHeard,
        heldCompact: this.#partnerHello?.heldCompact === true,
      }),
      ENVELOPE_LIMITS,
      encodeFrame,
    );
    this.#outputs.push({ kind: 'bytes', path, bytes });
    const use = frameUse(parts.seg);
    this.#lineUse.count(path, use, bytes.length);
    // Counted as its frame goes, not as it joins the channel's queue: the goodput is what crossed.
    if (use === 'checkpoint')
      this.#checkpointSentBytes += this.#stream.batchBytes(parts.seg?.seq ?? 0);
    this.#links.transmitted(path, bytes.length, this.#now);
  }

  #status(): Status {
    const role = this.#role;
    let backupInc = 0;
    if (role.name === 'primary') backupInc = this.#partnerInc;
    else if (role.name === 'primary-alone' || role.name === 'switching') backupInc = role.joinerInc;
    const status: Status = { role: role.name, term: this.#term, backupInc };
    if (role.name !== 'booting' || this.#log === null) return status;
    const stored = this.#storedClaim();
    if (stored === undefined) return status;
    if (stored === 'refused') return { ...status, stored };
    return { ...status, term: this.#storedTerm() ?? 0, stored };
  }

  #setRole(role: Role, cause: RoleCause, why?: Reason): void {
    const transferring =
      (role.name === 'primary-alone' && role.joinerInc !== 0) ||
      (role.name === 'switching' && bigCheckpointUnderWay(role));
    if (!transferring) {
      // Requests the encoding held are served (by the role taken) at the next tick.
      this.#encoding = null;
      this.#preCopyEncoding = null;
      this.#chunksOut = [];
    }
    // Only a processor that serves judges requests by the room.
    if (!SERVING.has(role.name)) this.#measuring = null;
    if (role.name === 'booting' || role.name === 'joining' || role.name === 'stopped') {
      // No state left to keep: the live area keeps the log it had.
      this.#compaction = null;
      this.#log?.cancelCompaction();
    }
    // A new role takes no more of a transfer's rounds (its install logged them all).
    if (this.#roundsLog?.written === false) this.#log?.cancelCompaction();
    this.#roundsLog = null;
    this.#judging = null;
    const preCopying =
      (role.name === 'switching' && role.step === 'pre-copy') ||
      (role.name === 'primary-alone' && role.preCopy !== null);
    if (!preCopying) this.#cache.stopRecording();
    const wasBooting = this.#role.name === 'booting';
    // A backup keeps the bound as it applies checkpoints (#applyEntry).
    const keepsBound = holdsState(this.#role.name) && holdsState(role.name);
    this.#role = role;
    if (role.name !== 'backup') {
      this.#heard = [];
      this.#unapplied = [];
    }
    // Only a backup takes a switch's roles, with the requests held for it.
    if (role.name !== 'backup') this.#incomingHeld = [];
    // The room is judged by the processor that serves, from what it measures itself (a
    // whole encoding of the state): one that serves on, or takes over, keeps its bound.
    if (!keepsBound) this.#room?.forget();
    // A processor that leaves booting without recovering (it joined) drops its stored history: it
    // holds a whole state and reply cache, and only a booting processor reads it.
    if (wasBooting && role.name !== 'booting') this.#stored = null;
    if (role.name === 'booting' && !wasBooting) {
      this.#bootingSinceMs = this.#now;
      // What this board can recover from is what its store holds, not its memory.
      if (this.#log !== null) this.#readStore();
    }
    this.#links.beatNow(this.#now); // tell the partner at once
    const event: PairEvent = {
      kind: 'role',
      role: role.name,
      term: this.#term,
      txn: this.#txn,
      cause,
    };
    this.#emit(why === undefined ? event : { ...event, why });
  }

  #fence(): void {
    this.#emit({ kind: 'fence' });
    this.#effect({ kind: 'fence' });
  }

  #effect(effect: Effect): void {
    this.#outputs.push({ kind: 'effect', effect });
  }

  #emit(event: PairEvent): void {
    this.#outputs.push({ kind: 'event', at: this.#now, event });
    const message = receiveMessageFor(event);
    if (message !== null) this.#receive(message);
  }

  /** Hands a message to the app's $RECEIVE hook; a fault in it must not stop the pair. */
  #receive(message: ReceiveMessage): void {
    try {
      this.app.receive?.(message);
    } catch {
      // The hook only observes; its failure changes nothing.
    }
  }

  #onInternalFault(path: number, error: unknown): void {
    this.#alarm({ code: 'fault', path, error: errorFact(error) });
    const name = this.#role.name;
    if (name === 'backup' || name === 'joining') this.#dropState({ code: 'fault', path });
  }

  #badInput(path: number, error: FrameError | MessageError): void {
    this.#emit({ kind: 'bad-input', path, code: error.code, why: error.why });
  }
}

/** The new version is receiving the big checkpoint: its pre-copy, or its last round. */
function bigCheckpointUnderWay(role: Switching): boolean {
  return role.step === 'pre-copy' || role.step === 'big-checkpoint';
}

/** A switch's round being encoded a slice a tick, and the copy the new version holds after it. */
interface RoundEncoding {
  readonly slices: RoundInSlices;
  readonly id: number;
  readonly round: 'first' | 'next' | 'last';
  /** The state as the new version holds it after this round (null for the last: nothing follows). */
  readonly sent: unknown;
}

/** The events the app's $RECEIVE loop hears about, as messages. */
function receiveMessageFor(event: PairEvent): ReceiveMessage | null {
  switch (event.kind) {
    case 'path':
      return { kind: event.up ? 'path-up' : 'path-down', path: event.path };
    case 'takeover':
      return { kind: 'takeover', why: event.why };
    case 'switch':
      return event.step === 'a' && event.ok ? { kind: 'switch-requested' } : null;
    case 'role':
      return event.role === 'stopped' && event.why !== undefined
        ? { kind: 'voluntary-stop', why: event.why }
        : null;
    default:
      return null;
  }
}
