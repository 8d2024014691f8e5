/**
 * A simulated board's core in XS (the world's side is xs-core.ts):
 * evaluated in an xsnap worker, it makes PairCore with the ledger release
 * the world asks for and runs each input the world gives it, its store
 * reached through the board as an XS board's is. Plain ECMAScript, as the
 * image is.
 */
import { askBoard, boardStore } from '../../../boards/xs/engine/board-store.ts';
import { readChannel, writeChannel } from '../../../boards/xs/engine/channel-codec.ts';
import { LEDGER_VERSIONS } from '../../../firmware/apps/ledger/index.ts';
import { PairCore } from '../../../firmware/runtime/core.ts';
import type { CoreAnswer, CoreCommand, CoreReadings } from './core-channel.ts';

let core: PairCore | null = null;

function made(): PairCore {
  if (core === null) throw new Error('no core made yet');
  return core;
}

function run(command: CoreCommand): unknown {
  switch (command.op) {
    case 'make': {
      const factory = LEDGER_VERSIONS[command.app.version as keyof typeof LEDGER_VERSIONS];
      if (factory === undefined) throw new Error(`no ledger ${command.app.version} in XS`);
      // Under another name: a partner image built from another project.
      const app = { ...factory(command.app.checkpoint), name: command.app.name };
      core = new PairCore(
        command.config,
        app,
        command.boot,
        command.now,
        boardStore(command.store, askBoard),
      );
      return null;
    }
    case 'bytes':
      made().receiveBytes(command.path, command.bytes, command.now);
      return null;
    case 'dsr':
      made().setDsr(command.path, command.high, command.now);
      return null;
    case 'request':
      made().request(command.request, command.now);
      return null;
    case 'other-image':
      made().otherImageChanged(command.version, command.now);
      return null;
    case 'switch':
      return made().switchToOther(command.now);
    case 'tick':
      made().tick(command.now);
      return null;
    case 'state':
      return made().state;
  }
}

function readings(c: PairCore): CoreReadings {
  return {
    hello: c.hello,
    role: c.role,
    serving: c.serving,
    holdingRequests: c.holdingRequests,
    term: c.term,
    txn: c.txn,
    txnHeld: c.txnHeld,
    hasState: c.hasState,
    incarnation: c.incarnation,
    pathsUp: c.pathsUp,
    checkpointLag: c.checkpointLag,
    falseSuspicions: c.falseSuspicions,
    checkpointSentBytes: c.checkpointSentBytes,
    snapshotReceivedBytes: c.snapshotReceivedBytes,
    durable: c.durable,
    lineUse: c.lineUse,
    nextWakeMs: c.nextWakeMs(),
  };
}

/** xsnap calls this with each command from the world and sends back what it returns. */
(globalThis as { handleCommand?: (message: ArrayBuffer) => ArrayBuffer }).handleCommand = (
  message,
) => {
  const command = readChannel(message) as CoreCommand;
  let result: unknown = null;
  let error: string | undefined;
  try {
    result = run(command);
  } catch (thrown) {
    error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  }
  const answer: CoreAnswer = {
    outputs: core?.takeOutputs() ?? [],
    readings: core === null ? null : readings(core),
    result,
    ...(error === undefined ? {} : { error }),
  };
  return writeChannel(answer);
};
