/**
 * How long clients wait in a switch, in virtual time on two cores back to
 * back at 115200 (test/helpers/core-pair.ts): 64 clients, each thinking up
 * to 2 s, on ledgers of 0, 1,000 and 4,000 accounts, switched from 1.0.0 to
 * 2.0.0 until both boards run 2.0.0 as a whole pair again (the old
 * primary's rejoin included), after 3 s of warm-up; beside it the longest
 * wait in as long a time just before. A wait runs from when its client wants
 * to write, whether a board serves then or not, and the waits are also split
 * by phase: the handover (step f to step h) and the old primary's rejoin.
 * Then a saturated rejoin: 64 clients with no think time,
 * microcontroller limits, 1,000 accounts, the backup power-cycled: when it
 * holds the state, and how many entries it then has to apply. Prints one
 * JSON line each. Run: node --import tsx test/bench/switch-waits.ts
 */
import { MICROCONTROLLER_LIMITS } from '../../boards/microcontroller-limits.ts';
import type { AnyApp } from '../../firmware/app.ts';
import { ledgerV1 } from '../../firmware/apps/ledger/v1.ts';
import { ledgerV2 } from '../../firmware/apps/ledger/v2.ts';
import type { PairEvent } from '../../firmware/runtime/outputs.ts';
import { seededRandom } from '../../firmware/runtime/random.ts';
import { CorePair } from '../helpers/core-pair.ts';

const CLIENTS = 64;
/** A request not answered in this long is sent again, as the lab's clients do. */
const RESEND_AFTER_MS = 300;
const WARM_UP_MS = 3000;

interface Client {
  readonly id: string;
  syncId: number;
  /** When the request was first sent, and when last; -1 when none is out. */
  firstMs: number;
  sentMs: number;
  nextMs: number;
}

/** A request's wait: from when its client wanted to write until its reply. */
interface Wait {
  readonly fromMs: number;
  readonly ms: number;
}

const longest = (waits: readonly Wait[]): number => Math.max(0, ...waits.map((w) => w.ms));

/**
 * Clients thinking up to `thinkMs` (0: none) between requests to whichever
 * board serves; `step` runs a millisecond and returns the waits answered in it.
 */
function clientsOf(pair: CorePair, accounts: number, thinkMs: number, afterEachMs = () => {}) {
  const random = seededRandom(7);
  const clients: Client[] = Array.from({ length: CLIENTS }, (_, i) => ({
    id: `c${i}`,
    syncId: 0,
    firstMs: -1,
    sentMs: -1,
    nextMs: random() * thinkMs,
  }));
  const byId = new Map(clients.map((c) => [c.id, c]));
  let seen = pair.replies.length;
  return (): Wait[] => {
    const waits: Wait[] = [];
    for (const reply of pair.replies.slice(seen)) {
      const client = byId.get(reply.clientId);
      if (client === undefined || reply.syncId !== client.syncId || client.firstMs < 0) continue;
      if (reply.ok) {
        waits.push({ fromMs: client.firstMs, ms: pair.nowMs - client.firstMs });
        client.firstMs = -1;
        client.nextMs = pair.nowMs + random() * thinkMs;
      } else client.sentMs = -Infinity; // refused: sent again at once
    }
    seen = pair.replies.length;
    const board = ([0, 1] as const).find((b) => pair.cores[b]?.serving === true);
    for (const client of clients) {
      // A client's wait starts when it wants to write, whether a board serves then or not.
      if (client.firstMs < 0 && pair.nowMs >= client.nextMs) {
        client.syncId += 1;
        client.firstMs = pair.nowMs;
        client.sentMs = -Infinity;
      }
      if (board === undefined || client.firstMs < 0) continue;
      if (pair.nowMs - client.sentMs <= RESEND_AFTER_MS) continue;
      client.sentMs = pair.nowMs;
      const account = `acct-${Math.floor(random() * Math.max(1, accounts))}`;
      pair.request(board, client.id, client.syncId, { op: 'deposit', account, amount: 1 });
    }
    pair.run(1);
    afterEachMs();
    return waits;
  };
}

function openAccounts(pair: CorePair, accounts: number): void {
  for (let a = 0; a < accounts; a++)
    pair.ask(0, 'setup', a + 1, { op: 'open', account: `acct-${a}` });
}

function switchWaits(accounts: number) {
  const v1 = ledgerV1('state');
  const v2 = ledgerV2('state');
  const pair = new CorePair([v1, v1]);
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: v2.version });
  pair.runUntil(() => pair.whole, 60_000);
  openAccounts(pair, accounts);
  // A board the switch stopped boots the new version, on trial, as a boot ROM would.
  const bootStopped = () => {
    for (const board of [0, 1] as const)
      if (pair.cores[board] == null)
        pair.boot(board, { testMode: true, otherVersion: '' }, v2 as AnyApp);
  };
  const step = clientsOf(pair, accounts, 2000, bootStopped);
  // Past the clients' first burst (64 registrations in one millisecond) before anything counts.
  for (let ms = 0; ms < WARM_UP_MS; ms++) step();
  const before: Wait[] = [];
  for (let ms = 0; ms < 4000; ms++) before.push(...step());
  const startMs = pair.nowMs;
  if (pair.core(0).switchToOther(pair.nowMs) !== null) throw new Error('the switch was refused');
  const whole = () =>
    pair.whole && pair.cores.every((c) => c?.hello.version === v2.version && !c.hello.testMode);
  const during: Wait[] = [];
  while (!whole() && pair.nowMs - startMs < 120_000) during.push(...step());
  // The phases: the old primary serves with the new version as its backup until step f; the
  // roles change hands (f to h); the old primary, now on the new version, joins as the backup.
  const at = (board: 0 | 1, match: (e: PairEvent) => boolean) =>
    pair.events.find((e) => e.atMs >= startMs && e.board === board && match(e.event))?.atMs ??
    Number.NaN;
  const fMs = at(0, (e) => e.kind === 'switch' && e.step === 'f');
  const hMs = at(1, (e) => e.kind === 'switch' && e.step === 'h');
  const rejoinMs = at(0, (e) => e.kind === 'role' && e.role === 'joining');
  return {
    accounts,
    clients: CLIENTS,
    longestWaitMs: longest(during),
    handoverMs: hMs - fMs,
    longestWaitHandoverMs: longest(during.filter((w) => w.fromMs <= hMs && w.fromMs + w.ms >= fMs)),
    longestWaitRejoinMs: longest(during.filter((w) => w.fromMs >= rejoinMs)),
    longestWaitBeforeMs: longest(before),
    switchMs: pair.nowMs - startMs,
    whole: whole(),
  };
}

function saturatedRejoin(accounts: number) {
  const app = ledgerV1('state');
  const pair = new CorePair([app, app], { ...MICROCONTROLLER_LIMITS });
  pair.runUntil(() => pair.whole, 60_000);
  openAccounts(pair, accounts);
  const step = clientsOf(pair, accounts, 0);
  for (let ms = 0; ms < 500; ms++) step();
  pair.powerOff(1);
  pair.run(5);
  pair.boot(1);
  const bootMs = pair.nowMs;
  while (pair.cores[1]?.role !== 'backup' && pair.nowMs - bootMs < 120_000) step();
  const joiner = pair.core(1);
  return {
    accounts,
    clients: CLIENTS,
    holdsStateAfterMs: pair.nowMs - bootMs,
    entriesToApply: joiner.txnHeld - joiner.txn,
  };
}

for (const accounts of [0, 1000, 4000]) console.log(JSON.stringify(switchWaits(accounts)));
console.log(JSON.stringify(saturatedRejoin(1000)));
