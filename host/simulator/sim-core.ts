/**
 * A simulated board's core as the world drives it: PairCore's inputs,
 * outputs and readings. The engine that runs it is a dependency of the
 * board: Node runs PairCore in this process; XS runs it in an xsnap worker
 * (xs-core.ts), as a microcontroller's engine would.
 */
import type { AnyApp } from '../../firmware/app.ts';
import type { DurableRegion } from '../../firmware/hal.ts';
import type { PairConfig } from '../../firmware/runtime/config.ts';
import { type BootInfo, PairCore } from '../../firmware/runtime/core.ts';

/** What the world reads of a core between its inputs (they change only with an input). */
export type SimCoreReading =
  | 'hello'
  | 'role'
  | 'serving'
  | 'holdingRequests'
  | 'term'
  | 'txn'
  | 'txnHeld'
  | 'hasState'
  | 'incarnation'
  | 'pathsUp'
  | 'checkpointLag'
  | 'falseSuspicions'
  | 'checkpointSentBytes'
  | 'snapshotReceivedBytes'
  | 'durable'
  | 'lineUse';

/** The members the world uses: the inputs, the outputs and the readings. */
export type SimCore = Pick<
  PairCore,
  | 'receiveBytes'
  | 'setDsr'
  | 'request'
  | 'otherImageChanged'
  | 'switchToOther'
  | 'tick'
  | 'nextWakeMs'
  | 'takeOutputs'
  | 'state'
  | SimCoreReading
>;

/** Makes a board's core at each boot; closed once the world is done with the board. */
export interface CoreEngine {
  make(
    config: PairConfig,
    app: AnyApp,
    boot: BootInfo,
    now: number,
    store: DurableRegion | null,
  ): SimCore;
  close(): void;
}

/** PairCore in this process. */
export const NODE_CORES: CoreEngine = {
  make: (config, app, boot, now, store) => new PairCore(config, app, boot, now, store),
  close: () => {},
};
