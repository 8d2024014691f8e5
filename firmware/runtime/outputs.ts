import type { Durability } from '../app.ts';
import type { Reason } from '../reasons.ts';
import type { BootChoice, ClientReply, RoleName } from './messages.ts';

/** Something the board must do to the hardware. */
export type Effect =
  /** Pulse the partner's reset line (only on boards with a fence line). */
  | { readonly kind: 'fence' }
  /** Reset this board into `boot`, after the pending bytes have left. */
  | { readonly kind: 'reboot'; readonly boot: BootChoice }
  /** Mark the running image good, so a reset no longer reverts it. */
  | { readonly kind: 'confirm' }
  /** Tell clients at once that this processor now serves (a gratuitous announcement). */
  | { readonly kind: 'announce' };

/** Switch steps as ARCHITECTURE.md names them (a to i). */
export type SwitchStepName = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'done';

/**
 * Why a processor's role changed: a value for checkers to match on. Where
 * one cause has several occasions, the role event's `why` tells which.
 */
export type RoleCause =
  | 'boot'
  | 'join-asked'
  | 'join-refused'
  /** A joiner asked: the big checkpoint goes to it in rounds, while this primary serves. */
  | 'big-checkpoint-to-joiner'
  /** The joiner's last round: checkpoints follow it, and replies wait for the joiner. */
  | 'last-round-to-joiner'
  | 'big-checkpoint-installed'
  /** The primary no longer counts us as its joiner (it gave up on a silent one): we start over. */
  | 'join-abandoned'
  | 'backup-synchronised'
  /** The partner came back as a new incarnation (it restarted): what it held is gone. */
  | 'partner-restarted'
  /** Our backup can no longer serve (DSR down, or fenced and silent): we serve alone. */
  | 'backup-lost'
  /** Our backup or joiner gave up its copy of the state. */
  | 'backup-gave-up-copy'
  /** The primary went silent while we joined: we have no copy yet. */
  | 'primary-lost'
  | 'takeover'
  | 'cold-start'
  /** Both boards were off: this one's durable store holds the newest history, and it serves from it. */
  | 'recovered'
  /** This processor gave up its copy (a checkpoint it could not apply, a primary that dropped it). */
  | 'gave-up-copy'
  | 'stopped'
  /** Both boards were off: the newest history is in this board's store, written by the image in its other slot, which boots to serve it. */
  | 'boots-store-writer'
  /** A partner in a newer term was heard (serving, or booting from a store that holds it): it took over while we could not tell. */
  | 'stepped-down'
  | 'switch-started'
  | 'old-backup-stopped'
  /** f begins: the big checkpoint goes to the new version in rounds, while this primary serves. */
  | 'pre-copy-to-new-version'
  /** f ends: new requests are held while the last round crosses. */
  | 'big-checkpoint-to-new-version'
  /** g, old primary: the roles were offered to the new version; it serves no more. */
  | 'roles-offered'
  /** g, new version: it took the roles and serves. */
  | 'roles-taken'
  /** The new version, which had taken the roles, was lost with the only copy. */
  | 'new-primary-lost'
  | 'switch-failed';

/** What happened, for logs, status and the simulator's checks. */
export type PairEvent =
  | {
      readonly kind: 'role';
      readonly role: RoleName;
      readonly term: number;
      /** The last transaction executed or applied when the role changed. */
      readonly txn: number;
      readonly cause: RoleCause;
      /** Which occasion of the cause, where it has several (a takeover: DSR dropped or silence). */
      readonly why?: Reason;
    }
  | { readonly kind: 'takeover'; readonly fenced: boolean; readonly why: Reason }
  /** We pulsed the partner's reset line as we took over. */
  | { readonly kind: 'fence' }
  | { readonly kind: 'path'; readonly path: number; readonly up: boolean }
  | {
      readonly kind: 'switch';
      readonly step: SwitchStepName;
      readonly ok: boolean;
      /** Why it failed, or what it found where that is more than the step says. */
      readonly why?: Reason;
    }
  | {
      readonly kind: 'bad-input';
      readonly path: number;
      readonly code: string;
      readonly why: Reason;
    }
  | {
      readonly kind: 'cold-start';
      readonly version: string;
      /** The app's durability: a `memory` app that ran before on this board has lost its state. */
      readonly durability: Durability;
    }
  /** The app's state came back from this board's durable store (both boards had been off). */
  | {
      readonly kind: 'recovered';
      readonly txn: number;
      /** The term of the stored history; the recovered primary serves in a newer one. */
      readonly storedTerm: number;
      /** It recovered without hearing its partner: its store said no other could hold anything newer. */
      readonly alone: boolean;
    }
  /**
   * The durable store cannot be used: `unreadable` (bytes that are not a
   * log, or a log this version cannot apply), `full` (the state outgrew
   * it), `missing` (a retained app on a board without a store). The board
   * never starts empty in its place.
   */
  | {
      readonly kind: 'store-refused';
      readonly code: 'unreadable' | 'full' | 'failed' | 'missing';
      readonly why: Reason;
    }
  /**
   * The state reached the room the durable store gives it (`full`: a request
   * that would grow it past `snapshotBytesMax` was refused, answered
   * `store-full`), or has room again (`full` false: what was refused would
   * fit now). Requests that do not grow the state run either way.
   */
  | {
      readonly kind: 'store-full';
      readonly full: boolean;
      /** The snapshot's bytes: what the refused request would have made it, or (room again) at most what it is. */
      readonly snapshotBytes: number;
      readonly snapshotBytesMax: number;
    }
  /** A booting processor waits for its partner: its store may be older than the partner's. */
  | { readonly kind: 'awaiting-partner'; readonly storedTxn: number; readonly storedTerm: number }
  /** The partner was silent on every path with DSR high, then heard again before any takeover. */
  | { readonly kind: 'false-suspicion'; readonly silentMs: number }
  /**
   * The primary executed a request as transaction `txn`, with this handler
   * context, or refused it as that transaction (`refused`: it changed
   * nothing); a checker replays it with exactly that (the simulator's history).
   */
  | {
      readonly kind: 'executed';
      readonly txn: number;
      readonly clientId: string;
      readonly syncId: number;
      readonly nowMs: number;
      readonly seed: number;
      readonly refused?: 'bad-request' | 'store-full';
    }
  | { readonly kind: 'alarm'; readonly why: Reason };

export type Output =
  | { readonly kind: 'bytes'; readonly path: number; readonly bytes: Uint8Array }
  | { readonly kind: 'reply'; readonly reply: ClientReply }
  | { readonly kind: 'effect'; readonly effect: Effect }
  | { readonly kind: 'event'; readonly at: number; readonly event: PairEvent };
