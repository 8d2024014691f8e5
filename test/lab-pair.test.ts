import test from 'ava';
import { BoardRefusedError } from '../host/pair/board-client.ts';
import { flashImage } from '../host/pair/flash.ts';
import { roles, startLab } from './helpers/lab-pair.ts';

// Real processes: each board is an OS process, every UART a SerialPortStream
// over the lab's simulated binding, and a power pull is SIGKILL. Behaviour
// only: timing is measured by the demo and the benchmarks.
test.serial(
  'the backup takes over when the primary loses power, and the old primary rejoins as backup',
  async (t) => {
    const lab = await startLab({ flash: true });
    try {
      const before = roles(await lab.statuses());
      const primary = before[0] === 'primary' ? 1 : 2;
      await lab.lab.power(primary, false);
      const survivor = primary === 1 ? 1 : 0;
      await lab.waitFor((s) => ['primary', 'primary-alone'].includes(roles(s)[survivor] ?? ''));
      await lab.lab.power(primary, true);
      // The rejoined board is backup once it holds the big checkpoint; the
      // survivor is primary once that is acknowledged (after the backup's
      // store took it): two moments, so wait for both.
      const after = await lab.waitFor(
        (s) => roles(s)[primary - 1] === 'backup' && roles(s)[survivor] === 'primary',
      );
      t.deepEqual(roles(after).sort(), ['backup', 'primary']);
    } finally {
      await lab.close();
    }
  },
);

test.serial(
  'the primary carries on when the backup loses power, and the backup rejoins',
  async (t) => {
    const lab = await startLab({ flash: true });
    try {
      const before = roles(await lab.statuses());
      const backup = before[0] === 'backup' ? 1 : 2;
      const primaryIndex = backup === 1 ? 1 : 0;
      await lab.lab.power(backup, false);
      await lab.waitFor((s) => roles(s)[primaryIndex] === 'primary-alone');
      await lab.lab.power(backup, true);
      const after = await lab.waitFor(
        (s) => roles(s)[backup - 1] === 'backup' && roles(s)[primaryIndex] === 'primary',
      );
      t.deepEqual(roles(after).sort(), ['backup', 'primary']);
    } finally {
      await lab.close();
    }
  },
);

test.serial('a cut of one interconnect path is an alarm, never a takeover', async (t) => {
  const lab = await startLab({ flash: true });
  try {
    const before = roles(await lab.statuses());
    await lab.lab.request({ op: 'cable', cable: 'path0', faults: { cut: true } });
    const cut = await lab.waitFor((s) => s.every((x) => x?.pair?.pathsUp[0] === false));
    t.deepEqual(roles(cut), before);
    await lab.lab.request({ op: 'cable', cable: 'path0', restore: true });
    const restored = await lab.waitFor((s) =>
      s.every((x) => x?.pair?.pathsUp.every(Boolean) === true),
    );
    t.deepEqual(roles(restored), before);
  } finally {
    await lab.close();
  }
});

test.serial('a board refuses a corrupted image and keeps running nothing', async (t) => {
  const lab = await startLab({ flash: false });
  try {
    const bad = lab.image.slice();
    const at = bad.length - 100;
    bad[at] = (bad[at] ?? 0) ^ 0xff;
    const error = await t.throwsAsync(
      flashImage(lab.hosts[0], bad, () => {}),
      { instanceOf: BoardRefusedError },
    );
    t.regex(error?.message ?? '', /signature|SHA-256|corrupt/i);
    const [status] = await lab.statuses();
    t.is(status?.pair ?? null, null);
    t.true(status?.slots.every((slot) => slot.version === null));
  } finally {
    await lab.close();
  }
});
