/**
 * How fast a command starts (issue 13): `tandem --version` and `tandem
 * status` on a running lab, each timed from spawn to exit, alternating run
 * for run with `node -e 0` on the same machine so that the ratio holds
 * however busy the machine is. bin/tandem.js runs the build in dist/ when
 * it is fresh (see scripts/build-dist.ts), else the sources through tsx.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildState } from '../../bin/build-state.js';
import { REPO_ROOT } from '../image/repo-root.ts';
import { labDown, labUp } from '../lab/lab.ts';
import { type Figure, figure, quantile, round } from './figure.ts';

const run = promisify(execFile);

export const STARTUP_TARGETS = { versionMs: 200, statusMs: 500 } as const;
/** Runs of each command (and as many of `node -e 0` beside them). */
export const STARTUP_RUNS = 9;
/** With `tandem bench --quick`. */
export const QUICK_STARTUP_RUNS = 3;

export interface StartupSample {
  readonly command: string;
  /** Runs it was timed over. */
  readonly runs: number;
  /** Median wall time from spawn to exit. */
  readonly medianMs: number;
  /** Median wall time of `node -e 0`, run in turn with it. */
  readonly nodeMedianMs: number;
  /** The CLI ran its build in dist/ (fresh through every run), not the sources. */
  readonly fromBuild: boolean;
}

async function wallMs(args: readonly string[]): Promise<number> {
  const started = performance.now();
  await run(process.execPath, [...args], { cwd: REPO_ROOT, env: { ...process.env, CI: 'true' } });
  return performance.now() - started;
}

/** What bin/tandem.js runs now: its build in dist/ while that is fresh, else the sources. */
function cliBuild(): ReturnType<typeof buildState> {
  // bin/tandem.js names the folder without a trailing separator.
  return buildState(join(REPO_ROOT, 'dist'), resolve(REPO_ROOT));
}

async function sample(command: string, args: readonly string[], runs: number, build: string) {
  const tandem: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < runs; i++) {
    // A source changed meanwhile: the runs would time two different things.
    const now = cliBuild();
    if (now !== build) {
      throw new Error(
        `the build in dist/ went ${now} during the run, so the CLI would no longer run what it ran at first: \`npm run build\` and measure again without changing the sources`,
      );
    }
    tandem.push(await wallMs([join(REPO_ROOT, 'bin/tandem.js'), ...args]));
    node.push(await wallMs(['-e', '0']));
  }
  return {
    command,
    runs,
    medianMs: quantile(tandem, 0.5) ?? 0,
    nodeMedianMs: quantile(node, 0.5) ?? 0,
    fromBuild: build === 'fresh',
  };
}

/** `tandem --version`, then `tandem status` on a lab of its own (in `root`). */
export async function benchStartup(options: {
  readonly root: string;
  readonly publicKeyFile: string;
  readonly runs?: number;
}): Promise<StartupSample[]> {
  const runs = options.runs ?? STARTUP_RUNS;
  const build = cliBuild();
  const version = await sample('tandem --version', ['--version'], runs, build);
  const dir = join(options.root, 'lab-startup');
  await labUp({
    dir,
    paths: 2,
    baud: 115_200,
    publicKeyFile: options.publicKeyFile,
    fresh: true,
  });
  try {
    return [version, await sample('tandem status', ['status', '--dir', dir], runs, build)];
  } finally {
    await labDown(dir);
  }
}

export function startupFigures(samples: readonly StartupSample[]): Figure[] {
  return samples.flatMap((s) => {
    const ran = `the CLI ran ${s.fromBuild ? 'its build in dist/' : 'from the TypeScript sources (no fresh build in dist/: `npm run build`)'}`;
    const how = `median of ${s.runs} runs from spawn to exit, each followed by a run of \`node -e 0\`; ${ran}`;
    const key = s.command === 'tandem status' ? 'status' : 'version';
    const targetMs = key === 'status' ? STARTUP_TARGETS.statusMs : STARTUP_TARGETS.versionMs;
    return [
      figure({
        id: `startup.${key}.ms`,
        label: `${s.command} start to exit`,
        value: round(s.medianMs, 1),
        unit: 'ms',
        target: { kind: 'max', value: targetMs },
        source: 'lab',
        note: `${how}${key === 'status' ? ', on a running lab' : ''}.`,
      }),
      figure({
        id: `startup.${key}.ratio`,
        label: `${s.command} against node -e 0`,
        value: round(s.medianMs / s.nodeMedianMs, 2),
        unit: 'x',
        target: null,
        source: 'lab',
        note: `${s.medianMs.toFixed(0)} ms against ${s.nodeMedianMs.toFixed(0)} ms for \`node -e 0\` measured in turn with it: the ratio is what holds on a busy machine, where both grow.`,
      }),
    ];
  });
}
