/**
 * Property names internal to an image, which the build shortens (esbuild's
 * `mangleProps`): the fields of the role states, and the methods the pair
 * core calls on its failure detector, links and switch bookkeeping. The
 * minifier keeps every other property name, as it must for the contracts:
 * the HAL, the app API, the pair handle and its status, the journal's
 * events, and everything that crosses a wire or the durable store as CBOR
 * map keys. Saves about 1.7 KB of the ledger image.
 *
 * A name is renamed wherever it occurs in the bundle, so none of these may
 * name data in a contract file (a property of an interface, a type or an
 * object literal; a class's own method is no data, CBOR writes own keys
 * only), nor be read by a string anywhere (`'name' in x`, `x['name']`):
 * test/image-internal-names.test.ts checks both. Nor may one be a
 * constructor's parameter property (`constructor(readonly name: T)`):
 * esbuild renames its uses but not the field it declares, which the same
 * test finds left in the images.
 */

/** The firmware files whose data shapes are contracts: none of IMAGE_INTERNAL_NAMES names data in them. */
export const CONTRACT_FILES: readonly string[] = [
  'firmware/app.ts',
  'firmware/hal.ts',
  'firmware/pair-main.ts',
  'firmware/image-entry/tandem-image.ts',
  'firmware/runtime/checkpoint-stream.ts',
  'firmware/runtime/config.ts',
  'firmware/runtime/durable-log.ts',
  'firmware/runtime/line-use.ts',
  'firmware/runtime/messages.ts',
  'firmware/runtime/outputs.ts',
  'firmware/runtime/reply-cache.ts',
  'firmware/runtime/state-diff.ts',
  'firmware/runtime/state-transfer.ts',
  'firmware/runtime/store-room.ts',
];
/** Folders all of whose files are contracts (the CBOR codec and framing, the apps). */
export const CONTRACT_FOLDERS: readonly string[] = ['firmware/wire', 'firmware/apps'];

export const IMAGE_INTERNAL_NAMES: readonly string[] = [
  // Role states (firmware/runtime/roles.ts) and the switch's pre-copy (switch-procedure.ts).
  'allowance',
  'allowanceAtMs',
  'bootLimitMs',
  'entryBytes',
  'joinerInc',
  'joinSeq',
  'lastBytes',
  'oldBackupInc',
  'preCopy',
  'progressMs',
  'rolesTaken',
  'sinceMs',
  'snapshotLastSeq',
  'stopSeq',
  'early',
  // The failure detector (failure-detector.ts).
  'advance',
  'dsrChanged',
  'forget',
  'heardAgain',
  'heardBytes',
  'heardFrame',
  'heardWholeFrame',
  'inputRead',
  'inputReadWakeMs',
  'judge',
  'offSettledWakeMs',
  'partnerOffSettled',
  'partnerUp',
  'setPartnerUp',
  'silentForTakeover',
  'takeoverWakeMs',
  // The interconnect paths (links.ts).
  'anyUp',
  'beatNow',
  'beatsDue',
  'dsrHigh',
  'hearsMask',
  'lastHeardMs',
  'lineIdleAtMs',
  'nextBeatMs',
  'nextSilenceMs',
  'partnerHears',
  'partnerOff',
  'preferredPath',
  'transmitted',
  'txIdleAtMs',
  // The pair core's own accessors (core.ts), read by nothing outside the image.
  'hasState',
  'holdingRequests',
  // The pair core's inputs and outputs, which only the pair loop (pair-main.ts) calls, and its config.
  'config',
  'nextWakeMs',
  'receiveBytes',
  'serving',
  'setDsr',
  'takeOutputs',
  'tick',
  // The state bridge (state-bridge.ts).
  'bridge',
  // The reliable channel (wire/reliable-channel.ts) and the frame decoders the links hold.
  'ackNumber',
  'ackOwed',
  'ackSent',
  'decoder',
  'inFlight',
  'nextRetransmitAt',
  'onAck',
  'pending',
  'poll',
  'reset',
  'sendable',
  'sentUntil',
  // The joiner's rounds (roles.ts, switch-procedure.ts) and the links' and detector's methods.
  'heard',
  'received',
  'rounds',
  'silent',
  // Methods of the checkpoint stream, the reply cache and the durable log.
  'acknowledged',
  'commit',
  'compact',
  'due',
  'lag',
  'lookup',
  'register',
  'save',
  'addRetry',
  'dropUnsent',
  'earlyAcknowledged',
  'recordBytes',
  'releaseAll',
  'releaseReplies',
  'resetSequence',
  'stopRecording',
  'takeRecorded',
  'unsentBytes',
];
