/**
 * Runs the pair core on a board: bytes and line levels from the HAL go in,
 * the core's outputs go to UARTs, GPIO and the boot ROM. This is the loop a
 * firmware image runs; it is the same on every board.
 */
import type { AnyApp } from './app.ts';
import type { Hal } from './hal.ts';
import { type PairConfig, pairConfig } from './runtime/config.ts';
import { PairCore } from './runtime/core.ts';
import type { DurableStatus } from './runtime/durable-log.ts';
import type { LineUseCounts } from './runtime/line-use.ts';
import {
  announceToWire,
  type ClientRequest,
  parseBusRequest,
  type RoleName,
  replyToWire,
} from './runtime/messages.ts';
import type { Output } from './runtime/outputs.ts';
import type { SwitchRefusal } from './runtime/switch-procedure.ts';
import { decodeCbor, encodeCbor } from './wire/cbor.ts';
import { MessageError } from './wire/errors.ts';
import { byteTimeMs, encodeFrame, FRAME_CUT_SHORT_AFTER_MS, FrameDecoder } from './wire/frame.ts';

/** What the board can ask a running pair, for status and the switch command. */
export interface PairHandle {
  status(): PairStatus;
  /** Starts a switch to the other slot's image; returns why not, or null. */
  switchToOther(): SwitchRefusal | null;
  /** The board wrote a new image into the other slot (a push): the pair must know before a switch. */
  otherImageChanged(version: string): void;
  /** The application state, for audits (the demo compares it with the clients' history). */
  state(): unknown;
}

export interface PairStatus {
  readonly processor: 1 | 2;
  readonly role: RoleName;
  readonly app: string;
  readonly version: string;
  readonly testMode: boolean;
  readonly term: number;
  readonly txn: number;
  readonly pathsUp: readonly boolean[];
  readonly checkpointLag: number;
  /** Silences of the partner on every path, with its DSR high, that ended without a takeover, since power-on (absent from images before it). */
  readonly falseSuspicions?: number;
  /** Checkpoint payload sent as primary since power-on (entries' CBOR bytes, a resend once): the goodput. */
  readonly checkpointSentBytes: number;
  /** Big checkpoint bytes received as a joiner since power-on (a rejoin's progress). */
  readonly snapshotReceivedBytes: number;
  /** What this processor put on each interconnect path since power-on, by kind of frame (`pathLineUse` reads it). */
  readonly lineUse: readonly LineUseCounts[];
  /** A retained app's durable log (what the store holds, where the log stands); null for a memory app or a board without a store. */
  readonly durable: DurableStatus | null;
}

export function runPair(app: AnyApp, hal: Hal, overrides: Partial<PairConfig> = {}): PairHandle {
  const config = pairConfig(hal.processor, {
    pathCount: hal.interconnect.length === 1 ? 1 : 2,
    ...overrides,
  });
  // A board whose HAL predates the store (or a sandbox that does not pass it) has none.
  const core = new PairCore(config, app, hal.boot, hal.clock.now(), hal.store ?? null);
  const busDecoder = new FrameDecoder({
    cutShortAfterMs: FRAME_CUT_SHORT_AFTER_MS,
    byteTimeMs: byteTimeMs(config.busBaud),
  });
  let stopped = false;

  const sendBus = (wire: unknown[]) => hal.bus.write(encodeFrame(encodeCbor(wire)));

  const handle = (outputs: Output[]) => {
    for (const output of outputs) {
      if (stopped) return;
      switch (output.kind) {
        case 'bytes':
          hal.interconnect[output.path]?.write(output.bytes);
          break;
        case 'reply':
          sendBus(replyToWire(output.reply));
          break;
        case 'event':
          // One 'executed' event per request is for checkers, not for the journal or the log.
          if (output.event.kind === 'executed') break;
          if (output.event.kind !== 'path' && output.event.kind !== 'bad-input') {
            hal.record(output.event, output.at);
          }
          if (output.event.kind === 'role') hal.gpio.setLed('primary', core.serving);
          if (output.event.kind !== 'path' || !output.event.up)
            hal.log(JSON.stringify(output.event));
          break;
        case 'effect':
          switch (output.effect.kind) {
            case 'fence':
              hal.gpio.pulseFence();
              break;
            case 'announce':
              sendBus(announceToWire(hal.processor));
              break;
            case 'confirm':
              hal.boot.confirm();
              break;
            case 'reboot':
              stopped = true;
              hal.boot.reboot(output.effect.boot);
              return;
          }
          break;
      }
    }
    if (!stopped) hal.clock.wakeAt(core.nextWakeMs(), tick);
  };

  const tick = () => {
    if (stopped) return;
    core.tick(hal.clock.now());
    handle(core.takeOutputs());
  };

  hal.interconnect.forEach((uart, path) => {
    uart.setDtr(true);
    uart.onData((bytes) => {
      core.receiveBytes(path, bytes, hal.clock.now());
      handle(core.takeOutputs());
    });
    uart.onDsr((high) => {
      core.setDsr(path, high, hal.clock.now());
      handle(core.takeOutputs());
    });
  });

  hal.bus.setDtr(true);
  hal.bus.onData((bytes) => {
    const requests: ClientRequest[] = [];
    for (const event of busDecoder.push(bytes, hal.clock.now())) {
      if (event.kind !== 'frame') continue;
      try {
        // On a shared bus we hear the serving board's replies and announcements too.
        const request = parseBusRequest(decodeCbor(event.payload));
        if (request !== null) requests.push(request);
      } catch (error) {
        if (!(error instanceof MessageError)) throw error;
        hal.log(`bad client message: ${error.message}`);
      }
    }
    // All at once: the core takes a call's share of them and the rest in the ticks after.
    if (requests.length > 0) core.requests(requests, hal.clock.now());
    handle(core.takeOutputs());
  });

  hal.gpio.setLed('run', true);
  handle(core.takeOutputs());

  return {
    status: () => ({
      processor: hal.processor,
      role: core.role,
      app: core.hello.app,
      version: core.hello.version,
      testMode: core.hello.testMode,
      term: core.term,
      txn: core.txn,
      pathsUp: core.pathsUp,
      checkpointLag: core.checkpointLag,
      falseSuspicions: core.falseSuspicions,
      checkpointSentBytes: core.checkpointSentBytes,
      snapshotReceivedBytes: core.snapshotReceivedBytes,
      lineUse: core.lineUse,
      durable: core.durable,
    }),
    state: () => core.state,
    otherImageChanged: (version) => {
      core.otherImageChanged(version, hal.clock.now());
      handle(core.takeOutputs());
    },
    switchToOther: () => {
      const refusal = core.switchToOther(hal.clock.now());
      handle(core.takeOutputs());
      return refusal;
    },
  };
}
