/**
 * A primary that does not know it was deposed answers from its own reply
 * cache. A session begun at the new primary is not in it, and "your session
 * expired" would be a lie the client acts on (found by simulator seed
 * 292141: one path cut from the primary one way, DSR and fence unwired).
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import type { ClientReply } from '../firmware/runtime/messages.ts';
import { CorePair } from './helpers/core-pair.ts';

const SILENCE_ONLY = {
  pathCount: 1,
  dsrWired: false,
  fenceWired: false,
  heartbeatIntervalMs: 20,
} as const;

function repliesTo(pair: CorePair, clientId: string): ClientReply[] {
  return pair.replies.filter((r) => r.clientId === clientId);
}

for (const model of ['replay', 'state'] as const)
  test(`a deposed primary does not tell a client of the new primary that its session expired (${model})`, (t) => {
    const pair = new CorePair([ledgerV1(model), ledgerV1(model)], SILENCE_ONLY);
    pair.runUntil(() => pair.whole);
    t.true(pair.ask(0, 'c1', 1, { op: 'open', account: 'a' }).ok);
    // Processor 1's frames stop reaching processor 2; it still hears processor 2.
    (pair.cut[0] as boolean[])[0] = true;
    pair.runUntil(() => pair.core(1).serving);
    t.is(pair.core(0).role, 'primary', 'processor 1 has not heard of the takeover yet');
    // A client begins its session at the new primary, then its next request
    // reaches the old one before the old one hears that it was deposed.
    pair.request(1, 'k', 0, null);
    t.true(repliesTo(pair, 'k').at(-1)?.ok, 'the new primary begins the session');
    pair.request(0, 'k', 1, { op: 'open', account: 'k' }, { register: false });
    pair.run(1000);
    t.not(pair.cores[0]?.serving, true, 'processor 1 stepped down');
    const lies = repliesTo(pair, 'k').filter((r) => !r.ok && r.error === 'session-expired');
    t.deepEqual(lies, [], 'no refusal from a session the pair still keeps');
  });

test('a primary with its backup says a forgotten session expired once the backup acknowledges', (t) => {
  const pair = new CorePair([ledgerV1(), ledgerV1()], SILENCE_ONLY);
  pair.runUntil(() => pair.whole);
  pair.run(500);
  const askedMs = pair.nowMs;
  pair.request(0, 'stranger', 3, { op: 'open', account: 's' }, { register: false });
  t.deepEqual(repliesTo(pair, 'stranger'), [], 'not before the backup acknowledges');
  pair.runUntil(() => repliesTo(pair, 'stranger').length > 0, 1000);
  const [reply] = repliesTo(pair, 'stranger');
  t.is(reply?.ok === false ? reply.error : undefined, 'session-expired');
  // Frames take 1 ms each way: an empty batch went at once, not with the next heartbeat.
  t.true(pair.nowMs - askedMs <= 5, `answered after ${pair.nowMs - askedMs} ms`);
  t.true(pair.whole);
});

test('a primary alone (its backup off, seen on DSR) says a forgotten session expired at once', (t) => {
  const pair = new CorePair([ledgerV1(), ledgerV1()], { heartbeatIntervalMs: 20 });
  pair.runUntil(() => pair.whole);
  pair.powerOff(1);
  pair.runUntil(() => pair.core(0).role === 'primary-alone');
  pair.request(0, 'stranger', 3, { op: 'open', account: 's' }, { register: false });
  const [reply] = repliesTo(pair, 'stranger');
  t.is(reply?.ok === false ? reply.error : undefined, 'session-expired');
});
