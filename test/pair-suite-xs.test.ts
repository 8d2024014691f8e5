import { join } from 'node:path';
import test from 'ava';
import { regionBytes } from '../boards/flash-region.ts';
import { loadBoardProfile } from '../boards/profile.ts';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { endpoint, portPath, profileFile } from '../host/lab/lab-config.ts';
import { SimBinding } from '../host/lab/serial/sim-binding.ts';
import { startLab } from './helpers/lab-pair.ts';
import { pairSuite } from './helpers/pair-suite.ts';

// The pair suite on a lab whose processor 1 runs its image in XS (an xsnap
// worker) and processor 2 in Node: checkpoints cross between the engines, and
// whichever board is primary loses power. XS has a microcontroller's fixed
// heap, one region its chunks and slots share: when what lives outgrows it,
// the worker ends not-enough-memory and the board with it.
// Skips where XS is not built.
const xs = findXsnap();
/** The heap issue 12 gives a processor on a microcontroller. */
const XS_HEAP_BYTES = 256 * 1024;

pairSuite({
  name: 'simulated lab, P1 on XS in a fixed 256 KiB heap and P2 on Node',
  unavailable: xs.available ? null : xs.reason,
  async start() {
    const lab = await startLab({
      flash: true,
      engines: ['xs', 'node'],
      xsHeapBytes: XS_HEAP_BYTES,
    });
    return {
      hosts: lab.hosts,
      binding: SimBinding,
      busPaths: [
        portPath(lab.config, endpoint.client(1)),
        portPath(lab.config, endpoint.client(2)),
      ],
      baud: lab.config.busBaud,
      powerOff: async (board) => {
        await lab.lab.power(board === 0 ? 1 : 2, false);
      },
      close: () => lab.close(),
    };
  },
});

// The suite above passes with Node on both boards too: this says P1's image really runs in XS.
test.serial(
  'simulated lab, P1 on XS: its status reports XS and the heap XS accounts for',
  async (t) => {
    if (!xs.available) {
      t.log(`skipped: ${xs.reason}`);
      t.pass();
      return;
    }
    const lab = await startLab({
      flash: true,
      engines: ['xs', 'node'],
      xsHeapBytes: XS_HEAP_BYTES,
    });
    try {
      const [p1, p2] = await lab.statuses();
      t.like(p1?.engine, { kind: 'xs' });
      const engine = p1?.engine;
      if (engine?.kind !== 'xs') return t.fail('P1 does not report XS');
      // The image's own heap lies above the built-ins, the peak at or above what is in use now,
      // and the image's bytecode runs in place, outside the heap.
      t.true(engine.heapInUseBytes > engine.builtinsBytes && engine.builtinsBytes > 0);
      t.true(engine.heapPeakBytes >= engine.heapInUseBytes);
      // All XS took for its chunks, stack and slots lies in the fixed heap.
      t.true(engine.allocatedBytes <= XS_HEAP_BYTES, `${engine.allocatedBytes} B allocated`);
      t.log(
        `P1 in XS: ${engine.heapPeakBytes} B at the peak, ${engine.allocatedBytes} B allocated`,
      );
      t.true(engine.codeInPlaceBytes > 0);
      // The stack went some way down, never past its end, and the image's load is part of that.
      t.true(engine.stackPeakBytes > 0 && engine.stackPeakBytes <= engine.stackBytes);
      t.true(engine.stackScratchBytes >= 0 && engine.stackScratchBytes <= engine.stackBytes);
      // The engine reaches the durable store through the board: it never held a copy of it.
      const profile = await loadBoardProfile(join(lab.config.dir, profileFile(1)));
      // The XS board stands for a microcontroller: its profile gives it that class's limits.
      t.deepEqual(profile.limits, { class: 'microcontroller' });
      t.is((await loadBoardProfile(join(lab.config.dir, profileFile(2)))).limits, undefined);
      if (profile.store === undefined) return t.fail('P1 has no durable store');
      t.true(
        engine.heapPeakBytes < regionBytes(profile.store),
        `peak ${engine.heapPeakBytes} B, store ${regionBytes(profile.store)} B`,
      );
      // Each board times its calls into its image; XS also counts their computation units,
      // and times them by its own clock, inside the board's time around the call.
      const start = engine.calls.start;
      t.true((start?.ms ?? 0) > 0 && (start?.compute ?? 0) > 0);
      t.true((start?.engineMs ?? 0) > 0 && (start?.engineMs ?? 0) <= (start?.ms ?? 0));
      t.true((engine.calls.data?.compute ?? 0) > 0);
      t.like(p2?.engine, { kind: 'node' });
      const nodeStart = p2?.engine?.calls.start;
      t.true(
        (nodeStart?.ms ?? 0) > 0 &&
          nodeStart?.compute === undefined &&
          nodeStart?.engineMs === undefined,
      );
    } finally {
      await lab.close();
    }
  },
);
