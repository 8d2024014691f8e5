/**
 * The simulator's scenarios with the boards' cores in Moddable's XS engine
 * (host/simulator/xs-core/), both boards and one of each: the same seed
 * gives the same run as with the cores in this process, line for line of
 * its trace (every role, every executed request, every fault, at the same
 * virtual time), with nothing lost or done twice. A difference would be
 * XS running the firmware otherwise than Node does; the first one found
 * was XS's 32-bit build misreading a float64 in 1 of about 2,000 (see
 * test/xs-floats.test.ts). Skips, saying why, where XS is not built.
 */
import test, { type ExecutionContext } from 'ava';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { pairConfig } from '../firmware/runtime/config.ts';
import { worldOptionsFor } from '../host/simulator/campaign.ts';
import ledgerSimulation from '../host/simulator/ledger-simulation.ts';
import { runSeed, type SeedResult, type WorldOptions } from '../host/simulator/world.ts';
import {
  coreEnginesFor,
  XS_CORE_FAULT_GROUPS,
  XsCoreEngine,
} from '../host/simulator/xs-core/xs-core.ts';
import { runCli } from './fixtures/run-cli.ts';
import { explain, runLedger } from './helpers/ledger-world.ts';

const xs = findXsnap();

type Engines = 'xs' | 'xs,node';

/** Both boards' cores in XS, or processor 1's in XS and processor 2's in this process. */
const engines = (which: Engines, workerPath: string) =>
  coreEnginesFor(which === 'xs' ? ['xs', 'xs'] : ['xs', 'node'], workerPath);

/** The run with XS cores is the run with Node cores, trace and all. */
function sameRun(t: ExecutionContext, node: SeedResult, inXs: SeedResult): void {
  t.is(explain(inXs), '');
  t.is(inXs.acknowledged, node.acknowledged);
  const differs = node.trace.findIndex((line, index) => inXs.trace[index] !== line);
  t.is(
    differs,
    -1,
    differs < 0
      ? ''
      : `line ${differs}:\n  node: ${node.trace[differs]}\n  xs:   ${inXs.trace[differs]}`,
  );
  t.is(inXs.trace.length, node.trace.length);
}

const SCENARIOS: ReadonlyArray<{
  readonly name: string;
  readonly engines: Engines;
  readonly options: Partial<WorldOptions> & { mode?: 'state' | 'replay' };
}> = [
  { name: 'a pair under load with no faults', engines: 'xs', options: {} },
  {
    name: 'the backup takes over when the primary loses power mid-checkpoint',
    engines: 'xs',
    options: { script: [{ atMs: 2500, action: 'pull-primary-mid-checkpoint' }] },
  },
  {
    name: 'the backup loses power and rejoins',
    engines: 'xs,node',
    options: {
      script: [
        { atMs: 2000, action: 'pull-backup' },
        { atMs: 4000, action: 'restore-power' },
      ],
    },
  },
  {
    name: 'a switch to 2.0.0, state checkpoints',
    engines: 'xs',
    options: { script: [{ atMs: 2000, action: 'switch' }], runMs: 10_000 },
  },
  {
    name: 'a switch to 2.0.0, replay checkpoints',
    engines: 'xs,node',
    options: { mode: 'replay', script: [{ atMs: 2000, action: 'switch' }], runMs: 10_000 },
  },
  {
    name: 'power pulls with the state retained in each store',
    engines: 'xs',
    options: {
      durability: 'retained',
      script: [
        { atMs: 2000, action: 'pull-primary' },
        { atMs: 3000, action: 'restore-power' },
      ],
    },
  },
];

for (const scenario of SCENARIOS) {
  test(`XS cores (${scenario.engines}): ${scenario.name}`, (t) => {
    if (!xs.available) {
      t.log(`skipped: ${xs.reason}`);
      t.pass();
      return;
    }
    const node = runLedger(scenario.options);
    sameRun(
      t,
      node,
      runLedger({ ...scenario.options, coreEngine: engines(scenario.engines, xs.path) }),
    );
  });
}

// Seed 2 has a partner image of another app (a mismatch), seed 4 store faults and cuts.
for (const seed of [2, 4]) {
  test(`XS cores: retained seed ${seed} of the wide model, 20 s`, (t) => {
    if (!xs.available) {
      t.log(`skipped: ${xs.reason}`);
      t.pass();
      return;
    }
    const options = worldOptionsFor({
      seed,
      mode: 'state',
      module: ledgerSimulation,
      durability: 'retained',
      faultGroups: XS_CORE_FAULT_GROUPS,
      runMs: 20_000,
    });
    sameRun(t, runSeed(options), runSeed({ ...options, coreEngine: engines('xs', xs.path) }));
  });
}

test('an app whose code the simulator changed (an injected fault) is refused by XS cores', (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const engine = new XsCoreEngine(xs.path);
  t.teardown(() => engine.close());
  const [release] = ledgerSimulation.versions('state');
  if (release === undefined) throw new Error('no ledger release');
  const changed = { ...release, handle: () => ({ update: null, reply: null }) };
  const boot = { incarnation: 1, testMode: false, otherVersion: '', seed: 1 };
  t.throws(() => engine.make(pairConfig(1), changed, boot, 0, null), {
    message: /only ledger releases as built run in XS cores/,
  });
});

test('`simulate --engine xs` gives the counts Node cores give with the same fault groups', async (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const seeds = ['--seeds', '2', '--run-ms', '3000', '--durability', 'retained', '--json'];
  const inXs = await runCli(['simulate', ...seeds, '--engine', 'xs'], 120_000);
  const inNode = await runCli(
    ['simulate', ...seeds, '--fault-groups', XS_CORE_FAULT_GROUPS.join(',')],
    120_000,
  );
  t.is(inXs.code, 0, inXs.stderr);
  t.is(inNode.code, 0, inNode.stderr);
  // Everything but the engines and the wall clock.
  const counts = (stdout: string) => {
    const { engines, wallMs, seedsPerMinute, ...rest } = JSON.parse(stdout);
    return { engines, rest };
  };
  const xsRun = counts(inXs.stdout);
  const nodeRun = counts(inNode.stdout);
  t.deepEqual(xsRun.engines, ['xs', 'xs']);
  t.deepEqual(nodeRun.engines, ['node', 'node']);
  t.deepEqual(xsRun.rest, nodeRun.rest);
  t.true(xsRun.rest.acknowledged > 0);
});

test('`simulate --engine xs` refuses the app faults, saying which and how to run', async (t) => {
  const run = await runCli([
    'simulate',
    '--seeds',
    '1',
    '--engine',
    'xs',
    '--fault-groups',
    'cuts,install-failure',
  ]);
  t.is(run.code, 2);
  // Where XS is not built, that is what it says.
  t.regex(
    run.stderr,
    xs.available
      ? /without install-failure\n {2}hint: leave install-failure out/
      : /npm run build:xs/,
  );
  t.is(run.stdout, '');
});
