/**
 * The `state` management op on a running lab (real board processes, paced
 * lines): a ledger grown to 1,500 accounts (over 50 KB of state) is read
 * whole from the primary and from the backup, and the two agree.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { MAX_ACCOUNT_ID_LENGTH } from '../firmware/apps/ledger/account-id.ts';
import { type ClientReply, REGISTER_SYNC_ID } from '../firmware/runtime/messages.ts';
import { encodeCbor } from '../firmware/wire/cbor.ts';
import { endpoint, portPath } from '../host/lab/lab-config.ts';
import { SimBinding } from '../host/lab/serial/sim-binding.ts';
import { BusPort } from '../host/load/bus-port.ts';
import { readPairState } from '../host/load/final-state.ts';
import { roleOf } from '../host/pair/board-watch.ts';
import { startLab } from './helpers/lab-pair.ts';

const ACCOUNTS = 1500;
/** Clients opening accounts at once, each one request at a time. */
const CLIENTS = 8;
/** A request not answered in this long fails the test (a healthy pair answers in milliseconds). */
const ANSWER_TIMEOUT_MS = 20_000;
/** A request not answered in this long is sent again (the pair answers a retry from its reply cache). */
const RESEND_MS = 1_000;

const accountId = (i: number) => `account-${i}-`.padEnd(MAX_ACCOUNT_ID_LENGTH, 'x');

test.serial('a ledger of 1,500 accounts is read whole from both boards', async (t) => {
  const lab = await startLab({ flash: true });
  try {
    const statuses = await lab.statuses();
    const primary = statuses.findIndex((s) => roleOf(s) === 'primary');
    t.not(primary, -1, 'a primary serves');
    const waiting = new Map<string, (reply: ClientReply) => void>();
    const bus = await BusPort.open(
      SimBinding,
      portPath(lab.config, endpoint.client(primary === 0 ? 1 : 2)),
      lab.config.busBaud,
      {
        reply: (reply) => waiting.get(`${reply.clientId}/${reply.syncId}`)?.(reply),
        announce: () => {},
      },
    );
    try {
      const ask = (clientId: string, syncId: number, body: unknown) =>
        new Promise<ClientReply>((resolve, reject) => {
          const key = `${clientId}/${syncId}`;
          // A frame cut by a board process stalled mid-frame is dropped: send again, same sync id.
          const resend = setInterval(() => bus.send({ clientId, syncId, body }), RESEND_MS);
          const timer = setTimeout(() => {
            clearInterval(resend);
            reject(new Error(`${key} not answered in ${ANSWER_TIMEOUT_MS} ms`));
          }, ANSWER_TIMEOUT_MS);
          waiting.set(key, (reply) => {
            clearTimeout(timer);
            clearInterval(resend);
            waiting.delete(key);
            resolve(reply);
          });
          bus.send({ clientId, syncId, body });
        });
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          const clientId = `opener-${c}`;
          await ask(clientId, REGISTER_SYNC_ID, null);
          for (let i = c, syncId = 1; i < ACCOUNTS; i += CLIENTS, syncId++) {
            let reply = await ask(clientId, syncId, { op: 'open', account: accountId(i) });
            // A busy pair (its backup silent for a moment on a loaded machine) is asked again.
            while (!reply.ok && reply.error === 'busy') {
              await sleep(20);
              reply = await ask(clientId, syncId, { op: 'open', account: accountId(i) });
            }
            if (!reply.ok) throw new Error(`open ${accountId(i)}: ${JSON.stringify(reply)}`);
          }
        }),
      );
    } finally {
      await bus.close();
    }
    const fromPrimary = await readPairState(lab.hosts[primary]);
    const accounts = (fromPrimary.state as { accounts: Record<string, number> }).accounts;
    t.is(Object.keys(accounts).length, ACCOUNTS);
    t.is(accounts[accountId(ACCOUNTS - 1)], 0);
    const bytes = encodeCbor(fromPrimary, {
      bytesMax: 1 << 20,
      depthMax: 16,
      itemsMax: 1 << 20,
    }).length;
    t.log(`state read: ${bytes} bytes encoded, txn ${fromPrimary.txn}`);
    t.true(bytes > 50_000);
    // The backup holds the same state once it has applied the last checkpoint.
    const backup = lab.hosts[primary === 0 ? 1 : 0];
    const fromBackup = await readPairState(backup);
    t.deepEqual(fromBackup.state, fromPrimary.state);
  } finally {
    await lab.close();
  }
});
