import type { Reason } from '../reasons.ts';
import type { CheckpointEntry, HeldRequest } from './messages.ts';
import type { RoundsSent } from './pre-copy.ts';
import type { Received, Transfer } from './state-transfer.ts';
import type { PreCopy } from './switch-procedure.ts';

/** Progress of an online replacement, as seen by the processor driving it. */
export type SwitchStep =
  /** The backup was asked to stop and boot the other image; waiting for it to come back. */
  | 'awaiting-boot'
  /**
   * The new version is receiving the big checkpoint in rounds, each what
   * changed since the one before, while this processor serves alone.
   */
  | 'pre-copy'
  /** The new version is receiving the last round; requests are held. */
  | 'big-checkpoint'
  /**
   * Roles were offered to the new version; this processor serves nothing and
   * waits to be stopped. Until the new version says it took them, a loss of
   * it gives the roles back.
   */
  | 'handed-over';

/**
 * The role of one processor, one state at a time. Handlers check the state
 * they expect; data that only makes sense in one state lives in that state.
 */
export type Role =
  /** Powered up, no application state yet; waiting to hear the partner. Serves nothing. */
  | { readonly name: 'booting' }
  /**
   * Asked the primary to join (at `sinceMs`, in the message numbered
   * `joinSeq`) and is receiving the big checkpoint: the chunks of the round
   * under way (`transfer`), what the rounds before gave (`received`), and
   * the checkpoints the primary sends between its chunks (`early`, applied
   * once it is installed). Cannot take over yet.
   */
  | {
      readonly name: 'joining';
      readonly sinceMs: number;
      readonly joinSeq: number;
      readonly transfer: Transfer;
      readonly received: Received | null;
      readonly early: CheckpointEntry[];
    }
  /** Holds everything the primary acknowledged; takes over when the primary goes silent. */
  | { readonly name: 'backup' }
  /** Serves clients; every reply waits until the backup has what it needs to give it again. */
  | { readonly name: 'primary' }
  /**
   * Serves clients with no synchronised backup, so replies leave at once.
   * `joinerInc` is a partner receiving the big checkpoint (0 if none), in
   * rounds (`preCopy`, pre-copy.ts) while replies leave at once and no
   * checkpoint goes to it; `snapshotLastSeq` is the channel sequence of
   * the last chunk of the round under way (0 while chunks wait for room).
   * Once the last round is queued (`preCopy` null), replies still leave at
   * once until its final chunk is queued, every entry they answer going
   * ahead of that chunk; after it, checkpoints follow, and replies wait for
   * the joiner's acknowledgement, as for a backup's.
   */
  | {
      readonly name: 'primary-alone';
      readonly joinerInc: number;
      readonly snapshotLastSeq: number;
      readonly preCopy: RoundsSent | null;
    }
  /** A primary driving a switch to the image in the other slot. */
  | {
      readonly name: 'switching';
      readonly step: SwitchStep;
      readonly sinceMs: number;
      /** How long from step a the new version may take to ask to join (switchBootLimitMs). */
      readonly bootLimitMs: number;
      readonly held: HeldRequest[];
      /**
       * During the last round, how many of `held` (from the first) went to
       * the new version: the rest go as the line frees once the round's
       * last chunk is queued, and at f, ahead of the roles.
       */
      readonly heldSent: number;
      readonly snapshotLastSeq: number;
      readonly joinerInc: number;
      /** The backup asked to stop at step a; its last frames are not the new version's. */
      readonly oldBackupInc: number;
      /** Channel sequence of that stop: until it is acknowledged, the old backup could still take over. */
      readonly stopSeq: number;
      /** When the big checkpoint last made progress (an acknowledgement advanced): the hold times out on none. */
      readonly progressMs: number;
      /** The new version said it took the roles (handed-over): it may serve, we may not again. */
      readonly rolesTaken: boolean;
      /** What the pre-copy's rounds sent so far (pre-copy), null otherwise. */
      readonly preCopy: PreCopy | null;
    }
  /** Stopped on purpose (told to reboot); waits for the board to reset it. */
  | { readonly name: 'stopped'; readonly why: Reason };

/** A primary serving with no partner joining. */
export const ALONE: Extract<Role, { name: 'primary-alone' }> = {
  name: 'primary-alone',
  joinerInc: 0,
  snapshotLastSeq: 0,
  preCopy: null,
};
