/**
 * The contract for "an app the simulator can run": a firmware engineer
 * writes one small module next to their app, points `tandem simulate --app`
 * at it, and their app goes through the same failovers, cable faults and
 * online upgrades as the ledger example.
 *
 * The module's default export (or a named export `simulation`) is a
 * `SimulationModule`. See host/simulator/ledger-simulation.ts for an example.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { HintedError } from '../../boards/hinted-error.ts';
import type { AnyApp, CheckpointModel } from '../../firmware/app.ts';
import { importEsModule, ModuleCompileError } from './es-module-import.ts';

export interface SimulationModule {
  /**
   * The current version and the next one, built for checkpoint model `model`.
   * The simulator starts on the first and upgrades to the second (and falls
   * back); if their state versions differ, the next one's converters must
   * bridge them.
   */
  versions(model: CheckpointModel): readonly [AnyApp, AnyApp];
  /** A request generator for one client; every choice comes from `random`, so a seed replays. */
  workload(random: () => number): () => unknown;
}

export type AppModuleErrorCode =
  /** No file at the path given. */
  | 'not-found'
  /** The file does not compile (a syntax error, an import that does not resolve). */
  | 'does-not-compile'
  /** The module threw while it was imported. */
  | 'load-failed'
  /** Neither a default export nor an export named `simulation`. */
  | 'no-export'
  /** The export is not a SimulationModule { versions(model), workload(random) }. */
  | 'bad-shape'
  /** versions(model) threw or did not return two matching apps built for `model`. */
  | 'bad-versions';

const HINTS: Readonly<Record<AppModuleErrorCode, string>> = {
  'not-found': 'give the path of a .ts, .js or .mjs file, relative to the current directory',
  'does-not-compile':
    'fix the error at the place shown; the module is compiled as an ES module (TypeScript types are stripped, not checked)',
  'load-failed':
    'the module threw while it was imported; run `npx tsx <file>` to see where (the top level of the module should only define things)',
  'no-export':
    'end the module with `export default { versions(model) { return [current, next]; }, workload(random) { return () => request; } }`',
  'bad-shape':
    'the export must be an object with versions(model) returning [current, next] apps and workload(random) returning a request generator',
  'bad-versions':
    'versions(model) must return [current, next]: two apps of one name, built for the checkpoint model asked for, with distinct release versions',
};

/** The module given with --app cannot be loaded or does not keep the contract. */
export class AppModuleError extends HintedError<AppModuleErrorCode> {
  readonly appModuleError = true;
  override name = 'AppModuleError';

  constructor(code: AppModuleErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, HINTS[code], options);
  }
}

/** Imports a simulation module from a .ts, .js or .mjs file in any folder; `path` is resolved against the working directory. */
export async function loadSimulationModule(path: string): Promise<SimulationModule> {
  const absolute = resolve(path);
  if (!isFile(absolute)) {
    throw new AppModuleError('not-found', `app module ${path} not found (looked for ${absolute})`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = await importEsModule(absolute);
  } catch (error) {
    if (error instanceof ModuleCompileError) {
      throw new AppModuleError(
        'does-not-compile',
        `app module ${path} does not compile:\n${error.message}`,
        { cause: error },
      );
    }
    throw new AppModuleError(
      'load-failed',
      `app module ${path} failed to load: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  const candidate = exports.default ?? exports.simulation;
  if (candidate === undefined) {
    throw new AppModuleError(
      'no-export',
      `app module ${path} has no default export and no export named 'simulation'`,
    );
  }
  return asSimulationModule(candidate, path);
}

/** Checks the shape of a value that should be a SimulationModule; `source` names it in errors. */
export function asSimulationModule(value: unknown, source: string): SimulationModule {
  if (typeof value !== 'object' || value === null) {
    throw new AppModuleError(
      'bad-shape',
      `app module ${source}: the export is ${describe(value)}, not an object with versions() and workload()`,
    );
  }
  const missing = (['versions', 'workload'] as const).filter(
    (key) => typeof (value as Record<string, unknown>)[key] !== 'function',
  );
  if (missing.length > 0) {
    throw new AppModuleError(
      'bad-shape',
      `app module ${source}: missing function ${missing.map((key) => `${key}()`).join(' and ')}`,
    );
  }
  return value as SimulationModule;
}

/**
 * The module's two versions for `model`, checked: both are apps of the same
 * name built for `model`, with distinct release versions, and the next one
 * can read the current one's state.
 */
export function appVersions(
  module: SimulationModule,
  model: CheckpointModel,
): readonly [AnyApp, AnyApp] {
  let versions: unknown;
  try {
    versions = module.versions(model);
  } catch (error) {
    throw new AppModuleError('bad-versions', `versions('${model}') threw: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (!Array.isArray(versions) || versions.length !== 2) {
    throw new AppModuleError(
      'bad-versions',
      `versions('${model}') must return [current, next], got ${describe(versions)}`,
    );
  }
  const [current, next] = versions as unknown[];
  checkApp(current, `versions('${model}')[0]`, model);
  checkApp(next, `versions('${model}')[1]`, model);
  if (current.name !== next.name) {
    throw new AppModuleError(
      'bad-versions',
      `versions('${model}') returned two different apps: ${current.name} and ${next.name}`,
    );
  }
  if (current.version === next.version) {
    throw new AppModuleError(
      'bad-versions',
      `versions('${model}') returned version ${current.version} twice; the next version needs its own release version`,
    );
  }
  if (
    current.stateVersion !== next.stateVersion &&
    next.converters?.priorStateVersion !== current.stateVersion
  ) {
    throw new AppModuleError(
      'bad-versions',
      `${next.name} ${next.version} (state version ${next.stateVersion}) needs converters with priorStateVersion ${current.stateVersion} to take over from ${current.version}`,
    );
  }
  return [current, next];
}

/** The world's `loadApp`: the app image for a release version, from a fixed set. */
export function loaderFor(apps: readonly AnyApp[]): (version: string) => AnyApp {
  const byVersion = new Map(apps.map((app) => [app.version, app]));
  return (version) => {
    const app = byVersion.get(version);
    if (app === undefined) {
      throw new RangeError(
        `no app image for version ${version}; known: ${[...byVersion.keys()].join(', ')}`,
      );
    }
    return app;
  };
}

const APP_FUNCTIONS = ['init', 'parseRequest', 'handle', 'apply'] as const;

function checkApp(value: unknown, where: string, model: CheckpointModel): asserts value is AnyApp {
  if (typeof value !== 'object' || value === null) {
    throw new AppModuleError('bad-versions', `${where} is ${describe(value)}, not an app`);
  }
  const app = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['name', 'version'] as const) {
    if (typeof app[key] !== 'string' || app[key] === '')
      problems.push(`${key} (a non-empty string)`);
  }
  if (!Number.isSafeInteger(app.stateVersion)) problems.push('stateVersion (an integer)');
  for (const key of APP_FUNCTIONS) {
    if (typeof app[key] !== 'function') problems.push(`${key}()`);
  }
  if (problems.length > 0) {
    throw new AppModuleError(
      'bad-versions',
      `${where} is not an app: missing ${problems.join(', ')}`,
    );
  }
  // A module that ignores `model` would silently run every campaign in one model.
  if (app.checkpoint !== model) {
    throw new AppModuleError(
      'bad-versions',
      `${where} has checkpoint '${String(app.checkpoint)}', but '${model}' was asked for`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
