/**
 * One suite for a board pair, run against every rig we have: the simulated
 * lab, PTY pairs on real termios devices, and real boards when environment
 * variables name their ports (node-serialport's testSerialPortClass habit).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { BindingInterface } from '@serialport/bindings-interface';
import test from 'ava';
import type { BoardStatus } from '../../boards/management.ts';
import { reasonText } from '../../firmware/reasons.ts';
import { type ClientReply, REGISTER_SYNC_ID } from '../../firmware/runtime/messages.ts';
import { BusPort } from '../../host/load/bus-port.ts';
import type { BoardClient } from '../../host/pair/board-client.ts';
import { readBoardStatuses, roleOf, waitForBoards } from '../../host/pair/board-watch.ts';

/** A pair of boards running ledger 1.0.0, as one rig or another provides it. */
export interface PairRig {
  readonly hosts: readonly [BoardClient, BoardClient];
  readonly binding: BindingInterface;
  /** Serial paths of the client ends of both bus ports. */
  readonly busPaths: readonly [string, string];
  readonly baud: number;
  /** Cuts a board's power; null where the rig cannot (real boards without the HIL rig). */
  readonly powerOff: ((board: 0 | 1) => Promise<void>) | null;
  close(): Promise<void>;
}

export interface RigSource {
  readonly name: string;
  /** Why the rig cannot run here, or null. */
  readonly unavailable: string | null;
  start(): Promise<PairRig>;
}

export function pairSuite(source: RigSource): void {
  if (source.unavailable !== null) {
    test.skip(`${source.name}: ${source.unavailable}`, () => {});
    console.log(`${source.name}: skipped: ${source.unavailable}`);
    return;
  }

  test.serial(
    `${source.name}: the pair forms, answers once, and a retry gets the saved reply`,
    async (t) => {
      const rig = await source.start();
      const session = await openSession(rig);
      try {
        const roles = await waitForRoles(rig, (r) => r.includes('primary') && r.includes('backup'));
        const primary = roles.indexOf('primary') as 0 | 1;
        const first = await session.ask(primary, 1, { op: 'open', account: 'x' });
        const retry = await session.ask(primary, 1, { op: 'open', account: 'x' });
        t.true(first.ok);
        t.deepEqual(retry, first);
        const backupAnswer = await session.ask(primary === 0 ? 1 : 0, 2, {
          op: 'balance',
          account: 'x',
        });
        t.like(backupAnswer, { ok: false, error: 'not-primary' });
      } finally {
        await session.close();
        await rig.close();
      }
    },
  );

  test.serial(
    `${source.name}: the backup takes over when the primary loses power, and answers retries from its reply cache`,
    async (t) => {
      const rig = await source.start();
      if (rig.powerOff === null) {
        await rig.close();
        t.pass('this rig cannot cut power (needs the HIL rig)');
        return;
      }
      const session = await openSession(rig);
      try {
        const roles = await waitForRoles(rig, (r) => r.includes('primary') && r.includes('backup'));
        const primary = roles.indexOf('primary') as 0 | 1;
        const survivor = primary === 0 ? 1 : 0;
        const opened = await session.ask(primary, 1, { op: 'open', account: 'y' });
        const deposited = await session.ask(primary, 2, { op: 'deposit', account: 'y', amount: 7 });
        await rig.powerOff(primary);
        await waitForRoles(rig, (r) => r[survivor] === 'primary-alone');
        t.deepEqual(await session.ask(survivor, 1, { op: 'open', account: 'y' }), opened);
        t.deepEqual(
          await session.ask(survivor, 2, { op: 'deposit', account: 'y', amount: 7 }),
          deposited,
        );
        const balance = await session.ask(survivor, 3, { op: 'balance', account: 'y' });
        t.like(balance, { ok: true, reply: { ok: true, balance: 7 } });
      } finally {
        await session.close();
        await rig.close();
      }
    },
  );
}

/** One client on both bus ports, asking one request at a time. */
async function openSession(rig: PairRig) {
  const replies: ClientReply[] = [];
  const buses = await Promise.all(
    rig.busPaths.map((path) =>
      BusPort.open(rig.binding, path, rig.baud, {
        reply: (r) => replies.push(r),
        announce: () => {},
      }),
    ),
  );
  let registered = false;
  const session = {
    /** The first request registers the client's session (sync id 0) with the board asked. */
    async ask(board: 0 | 1, syncId: number, body: unknown): Promise<ClientReply> {
      if (!registered) {
        registered = true;
        const registration = await session.ask(board, REGISTER_SYNC_ID, null);
        if (!registration.ok)
          throw new Error(`registration refused: ${reasonText(registration.why)}`);
      }
      const before = replies.length;
      buses[board]?.send({ clientId: 'suite', syncId, body });
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const reply = replies.slice(before).find((r) => r.syncId === syncId);
        if (reply !== undefined) return reply;
        await sleep(5);
      }
      throw new Error(`no reply to sync id ${syncId} from board ${board + 1}`);
    },
    async close(): Promise<void> {
      for (const bus of buses) await bus.close().catch(() => {});
    },
  };
  return session;
}

export async function waitForRoles(
  rig: PairRig,
  done: (roles: (string | null)[]) => boolean,
  timeoutMs = 60_000,
): Promise<(string | null)[]> {
  const asRoles = (statuses: (BoardStatus | null)[]) =>
    statuses.map((s) => (s === null ? 'silent' : roleOf(s)));
  const reached = await waitForBoards(rig.hosts, (s) => done(asRoles(s)), timeoutMs, 50);
  if (reached === null) {
    throw new Error(
      `roles stayed ${JSON.stringify(asRoles(await readBoardStatuses(rig.hosts, 1000)))}`,
    );
  }
  return asRoles(reached);
}
