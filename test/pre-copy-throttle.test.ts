/**
 * A switch's pre-copy caps the change requests make only once its rounds
 * stop shrinking on their own (live migration's auto-converge): until then
 * nothing waits.
 */
import test from 'ava';
import { pairConfig } from '../firmware/runtime/config.ts';
import type { Bridge } from '../firmware/runtime/state-bridge.ts';
import type { Switching } from '../firmware/runtime/switch-procedure.ts';
import {
  chargeChange,
  PRE_COPY_BURST_BYTES,
  PRE_COPY_LINE_SHARE,
  type PreCopy,
  preCopyThrottles,
  throttledAfter,
} from '../firmware/runtime/switch-procedure.ts';

const config = pairConfig(1, {});

const preCopy = (lastBytes: number): PreCopy => ({
  bridge: {} as Bridge,
  id: 1,
  sent: {},
  rounds: 1,
  lastBytes,
  wholeBytes: lastBytes,
  acknowledged: true,
  throttled: false,
  allowance: PRE_COPY_BURST_BYTES,
  allowanceAtMs: 0,
  lastDue: false,
});

const switching = (p: PreCopy): Switching => ({
  name: 'switching',
  step: 'pre-copy',
  sinceMs: 0,
  bootLimitMs: 3000,
  held: [],
  heldSent: 0,
  snapshotLastSeq: 0,
  joinerInc: 0,
  oldBackupInc: 0,
  stopSeq: 0,
  progressMs: 0,
  rolesTaken: false,
  preCopy: p,
});

test('rounds that shrink by more than the line share are never throttled, however much requests change', (t) => {
  let p = preCopy(10_000);
  // Requests made ten times the burst of change in no time at all.
  for (let i = 0; i < 10; i++) p = chargeChange(config, p, 0, PRE_COPY_BURST_BYTES);
  p = throttledAfter(p, PRE_COPY_LINE_SHARE * 10_000, 0);
  t.false(p.throttled);
  t.false(preCopyThrottles(config, switching(p), 0));
});

test('a round that shrank too little throttles from then on, starting from a fresh burst', (t) => {
  let p = preCopy(1000);
  for (let i = 0; i < 10; i++) p = chargeChange(config, p, 0, PRE_COPY_BURST_BYTES);
  p = throttledAfter(p, PRE_COPY_LINE_SHARE * 1000 + 1, 5);
  t.true(p.throttled);
  t.like(p, { allowance: PRE_COPY_BURST_BYTES, allowanceAtMs: 5 });
  t.false(preCopyThrottles(config, switching(p), 5), 'the burst is there to spend');
  p = chargeChange(config, p, 5, PRE_COPY_BURST_BYTES + 1);
  t.true(preCopyThrottles(config, switching(p), 5), 'spent: requests wait');
  // A later round that shrank well does not lift it: the load that outran the rounds is still there.
  t.true(throttledAfter(p, 1, 6).throttled);
});
