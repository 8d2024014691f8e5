/** A firmware engineer's own app runs through the simulator with --app, and the contract says what is wrong. */
import test from 'ava';
import {
  AppModuleError,
  appVersions,
  asSimulationModule,
  loaderFor,
  loadSimulationModule,
  type SimulationModule,
} from '../host/simulator/app-module.ts';
import { simulation as counter } from './fixtures/counter-app.ts';
import { runCli } from './fixtures/run-cli.ts';

test('simulate --app runs the counter fixture through failovers', async (t) => {
  const run = await runCli([
    'simulate',
    '--app',
    'test/fixtures/counter-app.ts',
    '--seeds',
    '2',
    '--run-ms',
    '5000',
    '--json',
  ]);
  const result = JSON.parse(run.stdout) as Record<string, unknown>;
  t.is(result.app, 'counter');
  t.deepEqual(result.versions, ['1.0.0', '2.0.0']);
  t.is(result.seeds, 2);
  t.true((result.acknowledged as number) > 0, 'clients got answers');
  t.is(run.code, (result.violations as number) > 0 ? 1 : 0);
});

test('the contract checks name what a module gets wrong', (t) => {
  const ignoresModel: SimulationModule = {
    versions: () => [counter.versions('state')[0], counter.versions('state')[1]],
    workload: counter.workload,
  };
  t.throws(() => appVersions(ignoresModel, 'replay'), {
    instanceOf: AppModuleError,
    message: /checkpoint 'state', but 'replay' was asked for/,
  });
  t.throws(() => asSimulationModule({ versions: () => [] }, 'x.ts'), {
    instanceOf: AppModuleError,
    message: /missing function workload\(\)/,
  });
  const [current, next] = appVersions(counter, 'replay');
  const load = loaderFor([current, next]);
  t.is(load('2.0.0'), next);
  t.throws(() => load('9.9.9'), { message: /no app image for version 9\.9\.9/ });
});

test('loadSimulationModule accepts a named `simulation` export and rejects a missing file', async (t) => {
  const loaded = await loadSimulationModule('test/fixtures/counter-app.ts');
  t.is(loaded.versions('state')[0].name, 'counter');
  await t.throwsAsync(loadSimulationModule('test/fixtures/absent.ts'), {
    instanceOf: AppModuleError,
    message: /not found/,
  });
});
