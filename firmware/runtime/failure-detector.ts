/**
 * What one processor knows of its partner's liveness, and the time rules
 * that judge it: silence on every path with DSR high is only a suspicion (a
 * busy machine or a stalled line is far more common than a dead board) and
 * becomes a takeover after `silenceTakeoverAfterMs`; DSR low on every path
 * is a power loss. A board that was itself frozen reads its input before it
 * judges anyone silent.
 */
import { type PairConfig, suspectAfterMs } from './config.ts';

export class FailureDetector {
  readonly #config: PairConfig;
  #lastHeardAnyMs: number;
  /** When the partner's last whole frame arrived. */
  #lastEnvelopeMs = -Infinity;
  /** Some path to the partner is up. */
  #partnerUp = false;
  /** The partner went silent on every path with its DSR high; null when it is heard. */
  #suspectedAtMs: number | null = null;
  #falseSuspicions = 0;
  /** When this board last came back from being frozen itself. */
  #resumedAtMs = -Infinity;
  /** Since when DSR has been low on every path (null while it is high on some). */
  #partnerOffSinceMs: number | null = null;

  constructor(config: PairConfig, now: number) {
    this.#config = config;
    this.#lastHeardAnyMs = now;
  }

  /**
   * Every input passes the time here. The core asks to be woken at least
   * every heartbeat, so a gap longer than the suspicion time means this
   * board itself was frozen (a stalled process): what its partner sent
   * meanwhile is still in its UART, and silence is not judged until it has
   * had a heartbeat's time to be read.
   */
  advance(previousMs: number, now: number): void {
    if (now - previousMs > suspectAfterMs(this.#config)) this.#resumedAtMs = now;
  }

  /** Bytes arrived: a sign of life even before their frame is complete. */
  heardBytes(now: number): void {
    this.#lastHeardAnyMs = now;
  }

  heardFrame(now: number): void {
    this.#lastHeardAnyMs = now;
    this.#lastEnvelopeMs = now;
  }

  dsrChanged(partnerOff: boolean, now: number): void {
    if (!partnerOff) this.#partnerOffSinceMs = null;
    else this.#partnerOffSinceMs ??= now;
  }

  get partnerUp(): boolean {
    return this.#partnerUp;
  }

  /** Records whether some path is up; true when that changed. */
  setPartnerUp(up: boolean): boolean {
    if (up === this.#partnerUp) return false;
    this.#partnerUp = up;
    return true;
  }

  /** The partner is heard again: how long it was suspected if it was (a false suspicion), else null. */
  heardAgain(now: number): number | null {
    if (this.#suspectedAtMs === null) return null;
    const silentMs = now - this.#suspectedAtMs;
    this.#falseSuspicions += 1;
    this.#suspectedAtMs = null;
    return silentMs;
  }

  /** Silent on every path: suspected if its DSR is high, known to be off if not. */
  silent(partnerOff: boolean, now: number): void {
    if (partnerOff) this.#suspectedAtMs = null;
    else this.#suspectedAtMs ??= now;
  }

  /** The partner's link starts over (it restarted, or it is gone). */
  forget(): void {
    this.#suspectedAtMs = null;
  }

  /** Silent long enough for a backup to take over with DSR still high, and our own input read. */
  silentForTakeover(now: number): boolean {
    return now - this.#lastHeardAnyMs > this.#config.silenceTakeoverAfterMs && this.inputRead(now);
  }

  /** What waited in our UARTs while we were frozen has had a heartbeat's time to be read. */
  inputRead(now: number): boolean {
    return now - this.#resumedAtMs > this.#config.heartbeatIntervalMs;
  }

  /** When `inputRead` next becomes true (past, unless we resumed within a heartbeat's time). */
  inputReadWakeMs(): number {
    return this.#resumedAtMs + this.#config.heartbeatIntervalMs + 1;
  }

  /** When `silentForTakeover` can next become true. */
  takeoverWakeMs(): number {
    const silentEnough = this.#lastHeardAnyMs + this.#config.silenceTakeoverAfterMs + 1;
    return Math.max(silentEnough, this.inputReadWakeMs());
  }

  /**
   * DSR has been low on every path for `partnerOffSettleMs`: if the cables
   * came out rather than the power went, a live partner would have taken
   * over and fenced us by now.
   */
  partnerOffSettled(now: number): boolean {
    return (
      this.#partnerOffSinceMs !== null &&
      now - this.#partnerOffSinceMs > this.#config.partnerOffSettleMs
    );
  }

  /** When `partnerOffSettled` can next become true (Infinity while DSR is high). */
  offSettledWakeMs(): number {
    return this.#partnerOffSinceMs === null
      ? Infinity
      : this.#partnerOffSinceMs + this.#config.partnerOffSettleMs + 1;
  }

  /**
   * Bytes keep a path up (a long frame takes longer than the suspicion time),
   * but only a whole frame says what the partner is now.
   */
  heardWholeFrame(now: number): boolean {
    return this.#partnerUp && now - this.#lastEnvelopeMs <= suspectAfterMs(this.#config);
  }

  /** Times the partner was silent on every path with DSR high and then heard again, no takeover. */
  get falseSuspicions(): number {
    return this.#falseSuspicions;
  }
}
