/**
 * The operator's workflow on real termios devices, driven only through the
 * CLI: two `tandem board run` processes joined by socat PTY pairs, then
 * `tandem flash`, `status --json`, `push`, `switch`, `journal`, `fallback`
 * `load`, `monitor` and `dashboard` as a user types them, once naming the pair with --port (and
 * --bus) and once with a pair file (--pair, TANDEM_PAIR, and the
 * tandem-pair.json found from the working directory).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { JournalEntry } from '../boards/journal.ts';
import type { BoardStatus } from '../boards/management.ts';
import { buildImage } from '../host/image/build.ts';
import { PUBLIC_KEY_FILE } from '../host/image/keys.ts';
import { type CliRun, REPO_ROOT, runCli } from './fixtures/run-cli.ts';
import { PTY_BAUD, PTY_UNAVAILABLE, type PtyPair, startPtyPair } from './helpers/pty-rig.ts';

/** Options and environment that name the pair one way or another. */
interface Naming {
  readonly name: string;
  /** Options for commands that reach only the management ports, and for `load`. */
  readonly target: readonly string[];
  readonly loadTarget: readonly string[];
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
}

async function cli(
  t: ExecutionContext,
  naming: Naming,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<CliRun> {
  const run = await runCli(args, timeoutMs, naming.cwd, naming.env);
  t.log(`tandem ${args.join(' ')} -> ${run.code}`);
  return run;
}

function ok(t: ExecutionContext, run: CliRun, what: string): void {
  t.is(run.code, 0, `${what}: ${run.stderr}${run.stdout}`);
}

async function images(pair: PtyPair): Promise<{ v1: string; v2: string }> {
  const files = { v1: join(pair.dir, 'ledger-1.0.0.img'), v2: join(pair.dir, 'ledger-2.0.0.img') };
  for (const [version, file] of [
    ['1.0.0', files.v1],
    ['2.0.0', files.v2],
  ] as const) {
    const { image } = await buildImage({
      app: 'ledger',
      version,
      boards: ['linux'],
      keyDir: pair.keyDir,
    });
    writeFileSync(file, image);
  }
  return files;
}

/** `status --json` until `done` holds for both boards (boards start, pairs form). */
async function statusUntil(
  t: ExecutionContext,
  naming: Naming,
  done: (statuses: readonly (BoardStatus | { error: string })[]) => boolean,
): Promise<BoardStatus[]> {
  const deadline = Date.now() + 90_000;
  let last = '';
  while (Date.now() < deadline) {
    const run = await runCli(
      ['status', '--json', ...naming.target],
      30_000,
      naming.cwd,
      naming.env,
    );
    last = run.stdout + run.stderr;
    if (run.code === 0) {
      const statuses = JSON.parse(run.stdout) as (BoardStatus | { error: string })[];
      if (done(statuses)) return statuses as BoardStatus[];
    }
  }
  t.fail(`the pair never reached the state waited for; last status: ${last}`);
  throw new Error('status wait timed out');
}

const roles = (statuses: readonly (BoardStatus | { error: string })[]) =>
  statuses.map((s) => ('error' in s ? null : (s.pair?.role ?? null)));
const whole = (statuses: readonly (BoardStatus | { error: string })[]) => {
  const r = roles(statuses);
  return r.includes('primary') && r.includes('backup');
};
const versions = (statuses: readonly BoardStatus[]) => statuses.map((s) => s.pair?.version);

async function workflow(t: ExecutionContext, pair: PtyPair, naming: Naming): Promise<void> {
  const { v1, v2 } = await images(pair);
  // Boards answer once their process is up: wait for both before flashing.
  await statusUntil(t, naming, (s) => s.every((b) => !('error' in b)));
  for (const board of ['1', '2']) {
    const flashed = await cli(t, naming, [
      'flash',
      v1,
      '--board',
      board,
      '--json',
      ...naming.target,
    ]);
    ok(t, flashed, `flash ${board}`);
    t.like(JSON.parse(flashed.stdout), { version: '1.0.0', running: true });
  }
  const formed = await statusUntil(t, naming, whole);
  t.deepEqual(versions(formed), ['1.0.0', '1.0.0']);
  const monitored = await cli(t, naming, ['monitor', '--count', '1', ...naming.target]);
  ok(t, monitored, 'monitor');
  // Piped, the monitor prints the readiness and a row per board.
  t.regex(monitored.stdout, /REDUNDANT \(P[12] primary\)/);
  t.regex(monitored.stdout, /P1 +(primary|backup) +1\.0\.0 /);
  t.regex(monitored.stdout, /P2 +(primary|backup) +1\.0\.0 /);
  await dashboardOnPorts(t, naming);

  const pushed = await cli(t, naming, ['push', v2, '--json', ...naming.target]);
  ok(t, pushed, 'push');
  t.deepEqual(
    (JSON.parse(pushed.stdout) as { boards: { version: string }[] }).boards.map((b) => b.version),
    ['2.0.0', '2.0.0'],
  );

  const switched = await cli(t, naming, ['switch', '--json', ...naming.target]);
  ok(t, switched, 'switch');
  t.like(JSON.parse(switched.stdout), { ok: true, from: '1.0.0', to: '2.0.0', settled: true });
  t.deepEqual(versions(await statusUntil(t, naming, whole)), ['2.0.0', '2.0.0']);

  const journal = await cli(t, naming, ['journal', '--json', ...naming.target]);
  ok(t, journal, 'journal');
  const entries = JSON.parse(journal.stdout) as (JournalEntry & { processor: number })[];
  t.true(
    entries.some((e) => e.kind === 'cold-start'),
    'a cold start',
  );
  t.true(
    entries.some((e) => e.kind === 'role' && e.cause === 'roles-taken' && e.version === '2.0.0'),
    'the new version took the roles with its cause',
  );
  const steps = new Set<string>(
    entries.flatMap((e) => (e.kind === 'switch' && e.ok ? [e.step] : [])),
  );
  for (const step of ['a', 'c', 'f', 'g', 'i', 'done'])
    t.true(steps.has(step), `switch step ${step}`);
  t.false(
    entries.some((e) => e.kind === 'executed'),
    'executed requests are for checkers, not the journal',
  );
  t.deepEqual(new Set(entries.map((e) => e.processor)), new Set([1, 2]));

  const fellBack = await cli(t, naming, ['fallback', '--json', ...naming.target]);
  ok(t, fellBack, 'fallback');
  t.like(JSON.parse(fellBack.stdout), { ok: true, from: '2.0.0', to: '1.0.0', settled: true });
  t.deepEqual(versions(await statusUntil(t, naming, whole)), ['1.0.0', '1.0.0']);

  const load = await cli(t, naming, [
    'load',
    '--seconds',
    '3',
    '--clients',
    '4',
    '--json',
    ...naming.loadTarget,
  ]);
  ok(t, load, 'load');
  const result = JSON.parse(load.stdout) as {
    acknowledged: number;
    lost: number;
    duplicated: number;
    violations: string[];
    allAnswered: boolean;
  };
  t.log(`load through ${naming.name}: ${load.stdout.trim()}`);
  t.true(result.acknowledged > 0, 'requests acknowledged');
  t.is(result.lost, 0);
  t.is(result.duplicated, 0);
  t.deepEqual(result.violations, []);
  t.true(result.allAnswered);
}

if (PTY_UNAVAILABLE !== null) {
  test.skip(`PTY pair through the CLI: ${PTY_UNAVAILABLE}`, () => {});
  console.log(`PTY pair through the CLI: skipped: ${PTY_UNAVAILABLE}`);
} else {
  test.serial('PTY pair through the CLI, named with --port and --bus', async (t) => {
    const pair = await startPtyPair('tandem-cli');
    try {
      const ports = `${pair.link('tool-p1')},${pair.link('tool-p2')}`;
      const target = ['--port', ports, '--baud', String(PTY_BAUD)];
      // The default public key is .tandem/keys under the working directory: run from the pair's.
      await workflow(t, pair, {
        name: '--port',
        target,
        loadTarget: [...target, '--bus', `${pair.link('client-p1')},${pair.link('client-p2')}`],
        cwd: pair.dir,
      });
    } finally {
      await pair.close();
    }
  });

  test.serial('PTY pair through the CLI, named by a pair file', async (t) => {
    const pair = await startPtyPair('tandem-cli');
    try {
      const pairFile = join(pair.dir, 'tandem-pair.json');
      const end = (name: string) => ({ path: pair.link(name), baud: PTY_BAUD });
      writeFileSync(
        pairFile,
        JSON.stringify({
          $schema: join(REPO_ROOT, 'host/target/pair.schema.json'),
          name: 'pty',
          publicKey: join('.tandem/keys', PUBLIC_KEY_FILE),
          boards: [1, 2].map((p) => ({
            processor: p,
            host: end(`tool-p${p}`),
            bus: end(`client-p${p}`),
            profile: `p${p}.board.json`,
          })),
        }),
      );
      await workflow(t, pair, {
        name: '--pair',
        target: ['--pair', pairFile],
        loadTarget: ['--pair', pairFile],
        cwd: REPO_ROOT,
      });
      // The same pair without naming it: from TANDEM_PAIR, and found from the working directory.
      for (const naming of [
        { name: 'env', target: [], loadTarget: [], cwd: REPO_ROOT, env: { TANDEM_PAIR: pairFile } },
        { name: 'walk-up', target: [], loadTarget: [], cwd: pair.link('.tandem/keys') },
      ]) {
        const run = await cli(t, naming, ['status', '--json']);
        ok(t, run, `status found through ${naming.name}`);
        t.deepEqual(
          (JSON.parse(run.stdout) as BoardStatus[]).map((s) => s.pair?.version),
          ['1.0.0', '1.0.0'],
        );
      }
      // --follow prints entries as they come and stops on Ctrl-C with 130.
      await followUntilInterrupted(t, pairFile);
    } finally {
      await pair.close();
    }
  });
}

async function followUntilInterrupted(t: ExecutionContext, pairFile: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'bin/tandem.js'),
      'journal',
      '--follow',
      '--json',
      '--board',
      '1',
      '--pair',
      pairFile,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  const firstLine = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.includes('\n')) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await firstLine;
  child.kill('SIGINT');
  t.is(await exited, 130);
  const first = JSON.parse(stdout.split('\n')[0] ?? '') as { processor: number; kind: string };
  t.is(first.processor, 1);
}

/**
 * `tandem dashboard` on the ports: the page's first message offers what a
 * target on ports has (no power, no cables; load, with the bus ports) and the
 * pair as REDUNDANT; a cable action is refused; Ctrl-C stops it with 0.
 */
async function dashboardOnPorts(t: ExecutionContext, naming: Naming): Promise<void> {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'bin/tandem.js'), 'dashboard', '--http-port', '0', ...naming.loadTarget],
    {
      cwd: naming.cwd,
      env: { ...process.env, CI: 'true', ...naming.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const found = /http:\/\/\S+\//.exec(output);
      if (found !== null) resolve(found[0]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((code) => reject(new Error(`dashboard exited ${code}: ${output}`)));
  });
  try {
    const address = await url;
    const abort = new AbortController();
    const events = await fetch(new URL('/events', address), { signal: abort.signal });
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!/event: state\ndata: .*"label":"REDUNDANT/.test(text)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    abort.abort();
    t.regex(text, /event: state\ndata: .*"label":"REDUNDANT \(P[12] primary\)"/);
    const hello = /event: hello\ndata: (.*)\n/.exec(text)?.[1] ?? '{}';
    t.like(JSON.parse(hello), { capabilities: { power: false, cables: 0, load: true } });
    const refused = await fetch(new URL('/api/action', address), {
      method: 'POST',
      body: '{"kind":"cable","path":0,"cut":true}',
    });
    t.is(refused.status, 400);
    t.like(await refused.json(), { code: 'unsupported' });
  } finally {
    child.kill('SIGINT');
  }
  t.is(await exited, 130, output);
}
