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

/** What happened, for logs, status and the simulator's checks. */
export type PairEvent =
  | {
      readonly kind: 'role';
      readonly role: RoleName;
      readonly term: number;
      /** The last transaction executed or applied when the role changed. */
      readonly txn: number;
      readonly why: string;
    }
  | { readonly kind: 'takeover'; readonly fenced: boolean; readonly why: string }
  /** We pulsed the partner's reset line: as we took over, or because our backup was silent. */
  | { readonly kind: 'fence'; readonly cause: 'takeover' | 'backup-silent' }
  | { readonly kind: 'path'; readonly path: number; readonly up: boolean }
  | {
      readonly kind: 'switch';
      readonly step: SwitchStepName;
      readonly ok: boolean;
      readonly detail: string;
    }
  | {
      readonly kind: 'bad-input';
      readonly path: number;
      readonly code: string;
      readonly detail: string;
    }
  | { readonly kind: 'cold-start'; readonly version: string }
  /** The partner was silent on every path with DSR high, then heard again before any takeover. */
  | { readonly kind: 'false-suspicion'; readonly silentMs: number }
  /**
   * The primary executed a request as transaction `txn`, with this handler
   * context; a checker replays it with exactly that (the simulator's history).
   */
  | {
      readonly kind: 'executed';
      readonly txn: number;
      readonly clientId: string;
      readonly syncId: number;
      readonly nowMs: number;
      readonly seed: number;
    }
  | { readonly kind: 'alarm'; readonly detail: string };

export type Output =
  | { readonly kind: 'bytes'; readonly path: number; readonly bytes: Uint8Array }
  | { readonly kind: 'reply'; readonly reply: ClientReply }
  | { readonly kind: 'effect'; readonly effect: Effect }
  | { readonly kind: 'event'; readonly at: number; readonly event: PairEvent };
