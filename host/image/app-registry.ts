/**
 * Which app an image holds. A spec is `name@version` (or `name` for the
 * newest release) for an app in APP_REGISTRY, or a path to a user module whose
 * default export is an app factory `(model) => AnyApp`.
 *
 * For a registered app the entry imports the factory by its own export name
 * when the module exports it (the ledger's index exports ledgerV1 and ledgerV2
 * besides LEDGER_VERSIONS), so the image carries one version, not the table.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyApp, CheckpointModel } from '../../firmware/app.ts';
import { typeScriptImports } from '../code-location.ts';
import { BuildError } from './errors.ts';
import { REPO_ROOT } from './repo-root.ts';

export type AppFactory = (model: CheckpointModel) => AnyApp;

export interface RegisteredApp {
  /** Module path, relative to the repository root. */
  readonly module: string;
  /** Its export mapping release version -> factory, oldest first. */
  readonly versions: string;
}

export const APP_REGISTRY: Readonly<Record<string, RegisteredApp>> = {
  ledger: { module: 'firmware/apps/ledger/index.ts', versions: 'LEDGER_VERSIONS' },
};

/** Where the image entry gets the factory from. */
export interface AppSource {
  /** For messages: `ledger@1.0.0` or the path as given. */
  readonly spec: string;
  readonly modulePath: string;
  /** The export the entry imports ('default' for user modules). */
  readonly importName: string;
  /** When the import is a version table: the version to take from it. */
  readonly tableKey?: string;
  /** The registered name, which the app must declare; undefined for user modules. */
  readonly expectedName?: string;
  /** The requested release version; undefined for user modules (the app's own). */
  readonly expectedVersion?: string;
  /** The factory itself, for reading the app's name and versions on the host. */
  readonly factory: AppFactory;
}

const SPEC = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:@(.+))?$/;

export function isModulePath(spec: string): boolean {
  return /[/\\]/.test(spec) || /\.(?:[cm]?[jt]s)$/.test(spec);
}

export async function resolveApp(spec: string, version?: string): Promise<AppSource> {
  if (isModulePath(spec)) {
    if (version !== undefined) {
      throw new BuildError(
        'version-conflict',
        `--version applies to registered apps; ${spec} builds the version its app declares, so leave --version out`,
      );
    }
    return userModule(spec);
  }
  const match = SPEC.exec(spec);
  const registered = match?.[1] === undefined ? undefined : APP_REGISTRY[match[1]];
  if (match === null || registered === undefined) {
    throw new BuildError(
      'unknown-app',
      `no app '${spec}': give one of ${Object.keys(APP_REGISTRY).join(', ')} (as name or name@version) or a path to a module whose default export is an app factory`,
    );
  }
  const name = match[1] as string;
  if (match[2] !== undefined && version !== undefined && match[2] !== version) {
    throw new BuildError(
      'version-conflict',
      `${spec} and --version ${version} ask for different versions; give the version once`,
    );
  }
  return registeredApp(name, registered, match[2] ?? version);
}

async function registeredApp(
  name: string,
  registered: RegisteredApp,
  version: string | undefined,
): Promise<AppSource> {
  const modulePath = join(REPO_ROOT, registered.module);
  await typeScriptImports();
  const exports = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  const table = exports[registered.versions] as Readonly<Record<string, AppFactory>>;
  const known = Object.keys(table);
  const chosen = version ?? known[known.length - 1];
  if (chosen === undefined || !Object.hasOwn(table, chosen)) {
    throw new BuildError(
      'unknown-version',
      `${name} has no version ${chosen}; known versions: ${known.join(', ')}`,
    );
  }
  const factory = table[chosen] as AppFactory;
  const ownExport = Object.keys(exports).find((key) => exports[key] === factory);
  const common = {
    spec: `${name}@${chosen}`,
    modulePath,
    expectedName: name,
    expectedVersion: chosen,
    factory,
  };
  return ownExport === undefined
    ? { ...common, importName: registered.versions, tableKey: chosen }
    : { ...common, importName: ownExport };
}

async function userModule(spec: string): Promise<AppSource> {
  const modulePath = isAbsolute(spec) ? spec : resolve(spec);
  if (!existsSync(modulePath)) {
    throw new BuildError('app-module', `app module ${spec} not found (looked for ${modulePath})`);
  }
  let exports: Record<string, unknown>;
  try {
    await typeScriptImports();
    exports = await import(pathToFileURL(modulePath).href);
  } catch (error) {
    throw new BuildError('app-module', `app module ${spec} failed to load: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (typeof exports.default !== 'function') {
    throw new BuildError(
      'app-module',
      `app module ${spec} must have a default export (model) => app; its default export is ${typeof exports.default}`,
    );
  }
  return { spec, modulePath, importName: 'default', factory: exports.default as AppFactory };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
