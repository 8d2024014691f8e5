/**
 * The classes of bug the simulator's checks must catch (issue 9's list, and
 * those a mutation sample found the corpus missing), each
 * planted by hand as a small change to the source: the code to find, which
 * must occur exactly once, and what replaces it. planted.ts runs the
 * mutation corpus against each and says which check caught it, if any.
 */
export interface PlantedBug {
  /** How the list names it. */
  readonly name: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export const PLANTED_BUGS: readonly PlantedBug[] = [
  {
    name: 'a reply released before the backup acknowledged',
    file: 'firmware/runtime/core.ts',
    find: 'this.#stream.add(entry, entryBytes, reply);\n      return;',
    replace: 'this.#stream.add(entry, entryBytes, null);',
  },
  {
    name: 'a takeover when only one path is silent',
    file: 'firmware/runtime/links.ts',
    find: 'return { changes, anyUp };',
    replace: 'return { changes, anyUp: anyUp && this.#paths.every((p) => p.up) };',
  },
  {
    name: "replies released early after the joiner's final chunk is queued",
    file: 'firmware/runtime/core.ts',
    find: '      this.#joinerMidTransfer() &&\n      !this.#joinerTakesRounds() &&\n      this.#stream.lag === 0 &&',
    replace:
      "      this.#holdsBackup() &&\n      this.#role.name === 'primary-alone' &&\n      !this.#joinerTakesRounds() &&\n      this.#stream.lag === 0 &&",
  },
  {
    name: 'a reply cache not checkpointed',
    file: 'firmware/runtime/core.ts',
    find: 'this.#cache.save(entry.clientId, entry.syncId, savedReplyOf(entry, reply));',
    replace: '',
  },
  {
    name: 'a reply cache not sent in the big checkpoint',
    file: 'firmware/runtime/core.ts',
    find: 'cache: this.#cache.entries(),\n    };\n    // Encoded a slice a tick from here',
    replace: 'cache: [],\n    };\n    // Encoded a slice a tick from here',
  },
  {
    name: 'sync depth one short',
    file: 'firmware/runtime/reply-cache.ts',
    find: 'if (replies.length > this.syncDepth) replies.shift();',
    replace: 'if (replies.length >= this.syncDepth) replies.shift();',
  },
  {
    name: 'a takeover without fencing',
    file: 'firmware/runtime/core.ts',
    find: 'if (fence) this.#fence();',
    replace: '',
  },
  {
    name: 'requests served during the big checkpoint of a switch',
    file: 'firmware/runtime/switch-procedure.ts',
    find: "(role.step === 'big-checkpoint' || oldBackupMayServe(role))",
    replace: 'oldBackupMayServe(role)',
  },
  {
    name: 'a lost checkpoint frame never resent',
    file: 'firmware/wire/reliable-channel.ts',
    find: 'if ((this.#retransmitAtMs[slot] as number) <= now) {',
    replace: 'if (false) {',
  },
  {
    name: 'a corrupted frame accepted',
    file: 'firmware/wire/frame.ts',
    find: 'if (crc32c(buffer, payloadStart, payloadEnd) !== readUint32LittleEndian(buffer, payloadEnd)) {',
    replace: 'if (false) {',
  },
  {
    name: 'a replay with the wrong time',
    file: 'firmware/runtime/transactions.ts',
    find: 'handlerContext(entry.nowMs ?? 0, entry.seed ?? 0)',
    replace: 'handlerContext(0, entry.seed ?? 0)',
  },
  {
    name: 'a replay with the wrong seed',
    file: 'firmware/runtime/transactions.ts',
    find: 'handlerContext(entry.nowMs ?? 0, entry.seed ?? 0)',
    replace: 'handlerContext(entry.nowMs ?? 0, 0)',
  },
  {
    name: 'a log write that never reaches the store',
    file: 'firmware/runtime/durable-log.ts',
    find: '    this.#region.write(offset, record);\n',
    replace: '',
  },
  {
    name: 'the term not bumped on a takeover',
    file: 'firmware/runtime/core.ts',
    find: 'this.#term = Math.max(this.#term, this.#partnerStatus?.term ?? 0) + 1;',
    replace: 'this.#term = Math.max(this.#term, this.#partnerStatus?.term ?? 0);',
  },
  {
    name: 'a request let in past the store room',
    file: 'firmware/runtime/core.ts',
    find: 'this.#refuse(request, { storeFull: judged.storeFull });\n        return;',
    replace: '',
  },
  {
    name: 'a store-full refusal of a request that grows nothing',
    file: 'firmware/runtime/store-room.ts',
    find: 'if (grows && snapshotBytes > this.snapshotBytesMax)',
    replace: 'if (snapshotBytes > this.snapshotBytesMax)',
  },
  {
    name: 'a store-full refusal that leaves what the request wrote',
    file: 'firmware/runtime/store-room.ts',
    find: '      tried.log?.undo();\n',
    replace: '',
  },
  {
    name: 'a second execution hidden by the bus, judged only at the second',
    file: 'host/simulator/bus-executions.ts',
    find: '        first.atMs,\n',
    replace: '',
  },
  {
    name: "a write log blind to a map's key count",
    file: 'firmware/runtime/write-log.ts',
    find: 'if (added === 0) return 0;',
    replace: 'return 0;',
  },
  {
    name: 'a backup on a shared bus that keeps registrations and stale retries',
    file: 'firmware/runtime/core.ts',
    find: "return syncId !== REGISTER_SYNC_ID && this.#cache.lookup(clientId, syncId).kind === 'new';",
    replace: 'return true;',
  },
  {
    name: 'a backup on a shared bus that keeps what a checkpoint covered',
    file: 'firmware/runtime/core.ts',
    find: 'this.#forgetHeard(entry.clientId, entry.syncId);',
    replace: '',
  },
  {
    name: 'a takeover on a shared bus that leaves what it heard to resends',
    file: 'firmware/runtime/core.ts',
    find: "this.#serveHeld(heard);\n    this.#effect({ kind: 'announce' });",
    replace: "this.#effect({ kind: 'announce' });",
  },
  {
    name: 'a backup on a shared bus that answers',
    file: 'firmware/runtime/core.ts',
    find: 'if (this.config.busShared && !this.serving) {',
    replace: 'if (this.config.busShared && !this.serving && role.name !== role.name) {',
  },
  {
    name: 'lockstep: a checkpoint sent again still without the requests the backup missed',
    file: 'firmware/runtime/core.ts',
    find: '!segment.resent && this.#backupHearsRequests()',
    replace: 'this.#backupHearsRequests()',
  },
  {
    name: 'lockstep: a backup that replays a body it heard without checking its digest',
    file: 'firmware/runtime/core.ts',
    find: 'requestDigest(h.body) === digest,',
    replace: 'digest >= 0,',
  },
  {
    name: 'a failed store operation that escapes the core',
    file: 'firmware/runtime/core.ts',
    find: "} else {\n      const failed: Reason = { code: 'store-failed', error: errorFact(error) };",
    replace:
      "} else {\n      if (error) throw error;\n      const failed: Reason = { code: 'store-failed', error: errorFact(error) };",
  },
  {
    name: 'a failed store read that escapes the core',
    file: 'firmware/runtime/core.ts',
    find: 'if (!(error instanceof StoreReadError)) throw error;',
    replace: 'throw error;',
  },
  {
    name: 'a backup that takes over without applying the entries it acknowledged',
    file: 'firmware/runtime/core.ts',
    find: "    this.#applyAll();\n    if (this.#role.name !== 'backup') return; // an entry",
    replace: "    if (this.#role.name !== 'backup') return; // an entry",
  },
  {
    name: 'a backup that leaves entries it acknowledged to wait behind a compaction when it must serve',
    file: 'firmware/runtime/core.ts',
    find: '    if (this.#compaction !== null) {\n      this.#compaction = null;\n      this.#log?.cancelCompaction();\n    }\n    this.#applySome(this.#unapplied.length);',
    replace: '    this.#applySome(this.#unapplied.length);',
  },
  {
    name: 'a last chunk of the big checkpoint sent ahead of entries whose replies went before the joiner held them',
    file: 'firmware/runtime/core.ts',
    find: '    if (this.#chunksOut.length === 1 && this.#stream.earlyUnsent) {\n      this.#sendBatches();\n      if (this.#stream.earlyUnsent) return;\n    }\n',
    replace: '',
  },
  {
    name: "replies released in a joiner's silence hide newer entries answered early",
    file: 'firmware/runtime/checkpoint-stream.ts',
    find: 'if (newest !== undefined && newest.txn > this.#earlyTxn)\n',
    replace: 'if (newest !== undefined)\n',
  },
  {
    name: "replies released in a joiner's silence marked by the last in their list, not the newest",
    file: 'firmware/runtime/checkpoint-stream.ts',
    find: 'if (newest === undefined || pending.txn > newest.txn) newest = pending;',
    replace: 'newest = pending;',
  },
  {
    name: 'a retry tied to another run of the same request',
    file: 'firmware/runtime/checkpoint-stream.ts',
    find: ' &&\n        p.txn === reply.txn,\n',
    replace: ',\n',
  },
  {
    name: 'a joiner that installs a transfer begun for an ask it gave up',
    file: 'firmware/runtime/core.ts',
    find: '    if (round.ask !== undefined && round.ask !== role.joinSeq) return;\n',
    replace: '',
  },
  {
    name: 'a switch given up at f on a status the new version sent before it read the last round',
    file: 'firmware/runtime/core.ts',
    find: "      this.#partnerStatus?.role === 'backup' ||\n      this.#peerAck < role.snapshotLastSeq\n",
    replace: "      this.#partnerStatus?.role === 'backup'\n",
  },
  {
    name: "a joiner's rounds that leave out the reply cache's changes",
    file: 'firmware/runtime/core.ts',
    find: "      (role.name === 'switching' && role.step === 'pre-copy') ||\n      (role.name === 'primary-alone' && role.preCopy !== null);",
    replace: "      role.name === 'switching' && role.step === 'pre-copy';",
  },
  {
    name: 'a tick that takes a slice and serves the requests it held as well',
    file: 'firmware/runtime/core.ts',
    find: '    if (!sliced) this.#serveHeldStill();',
    replace: '    this.#serveHeldStill();',
  },
  {
    name: 'an old primary that drops its state when the new version is lost before it took the roles',
    file: 'firmware/runtime/core.ts',
    find: "    if (!role.rolesTaken) {\n      this.#failSwitch('g', how);\n      return;\n    }\n",
    replace: '',
  },
  {
    name: 'a refusal read from the reply cache, sent before the backup says it is still ours',
    file: 'firmware/runtime/core.ts',
    find: '      if (this.#holdsBackup()) this.#stream.addAfterNextBatch(expired);\n      else this.#reply(expired);\n',
    replace: '      this.#reply(expired);\n',
  },
  {
    name: 'a refusal that waits for an acknowledgement with no batch sent to ask for it',
    file: 'firmware/runtime/checkpoint-stream.ts',
    find: '    if (this.#outbox.length === 0) return this.#awaitingBatch.length > 0 && (!inFlight || lineIdle);\n',
    replace: '    if (this.#outbox.length === 0) return false;\n',
  },
  {
    name: 'requests held for a new version, all served in the call that took the roles',
    file: 'firmware/runtime/core.ts',
    find: '    let next = 0;\n    this.#takingShare(() => {\n      while (next < held.length && this.#takesLeft > 0 && goOn()) {\n',
    replace:
      '    let next = 0;\n    ((run: () => void) => run())(() => {\n      while (next < held.length && goOn()) {\n',
  },
];

/** `source` with the bug planted; throws when its code is not found exactly once (the source moved on: update the bug). */
export function plant(bug: PlantedBug, source: string): string {
  const at = source.indexOf(bug.find);
  if (at < 0 || source.indexOf(bug.find, at + 1) >= 0)
    throw new Error(
      `${bug.file}: the code "${bug.name}" changes is not there exactly once; update planted-bugs.ts`,
    );
  return source.slice(0, at) + bug.replace + source.slice(at + bug.find.length);
}
