/**
 * `tandem build`'s library: app spec -> bundle -> manifest -> signed image.
 * Deterministic: the same sources, key, boards and model give the same bytes
 * (esbuild is deterministic, the manifest holds no time, ed25519 signatures
 * are deterministic).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256Hex } from '../../boards/image/format.ts';
import {
  APP_NAME_PATTERN,
  BOARD_NAME_PATTERN,
  type Manifest,
  VERSION_PATTERN,
} from '../../boards/image/manifest.ts';
import type { AnyApp, CheckpointModel } from '../../firmware/app.ts';
import { projectPath } from '../project-dir.ts';
import { type AppSource, resolveApp } from './app-registry.ts';
import { bundleApp } from './bundle.ts';
import { BuildError } from './errors.ts';
import { loadSigningKey } from './keys.ts';
import { REPO_ROOT } from './repo-root.ts';
import { signImage } from './sign.ts';
import { type SizePart, sizeByPart } from './size-report.ts';

export const DEFAULT_BOARDS: readonly string[] = ['sim', 'linux'];
export const DEFAULT_IMAGE_DIR = '.tandem/images';

export interface BuildOptions {
  /** `name`, `name@version`, or a path to a module whose default export is an app factory. */
  readonly app: string;
  /** Release version of a registered app (default: its newest). */
  readonly version?: string;
  readonly model?: CheckpointModel;
  /** Board targets (default: sim and linux). */
  readonly boards?: readonly string[];
  /** Directory with the signing key (default: .tandem/keys). */
  readonly keyDir?: string;
  /** Root the image's sources resolve from (default: this repository). */
  readonly root?: string;
}

export interface BuiltImage {
  readonly image: Uint8Array;
  readonly manifest: Manifest;
  /** SHA-256 of the whole image, hex. */
  readonly sha256: string;
  /** Where the image's bytes go (size-report.ts), largest first. */
  readonly sizeByPart: readonly SizePart[];
}

export interface WrittenImage {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly manifest: Manifest;
}

export async function buildImage(options: BuildOptions): Promise<BuiltImage> {
  const model = options.model ?? 'state';
  const boards = boardList(options.boards ?? DEFAULT_BOARDS);
  const source = await resolveApp(options.app, options.version);
  const app = describedApp(source, model);
  const key = loadSigningKey(options.keyDir ?? projectPath(process.cwd(), 'keys'));
  const bundle = await bundleApp(source, model, options.root ?? REPO_ROOT);
  const payload = new TextEncoder().encode(bundle.script);
  const manifest: Manifest = {
    app: app.name,
    version: app.version,
    stateVersion: app.stateVersion,
    // With converters, an app reads the prior state version (upgrade) and writes it (fallback).
    readsStateVersions: stateVersions(app),
    writesStateVersions: stateVersions(app),
    checkpoint: model,
    boards,
    payloadBytes: payload.length,
    payloadSha256: sha256Hex(payload),
    keyId: key.keyId,
  };
  const image = signImage(manifest, payload, key.privateKey);
  return {
    image,
    manifest,
    sha256: createHash('sha256').update(image).digest('hex'),
    sizeByPart: sizeByPart(bundle, payload.length, image.length),
  };
}

/** Builds and writes the image; `out` defaults to .tandem/images/<app>-<version>.img. */
export async function buildImageFile(
  options: BuildOptions & { readonly out?: string },
): Promise<WrittenImage> {
  const built = await buildImage(options);
  const path = options.out ?? defaultImagePath(built.manifest);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, built.image);
  return { path, bytes: built.image.length, sha256: built.sha256, manifest: built.manifest };
}

/** `<app>-<version>.img`, with `-replay` for the replay model so the two never overwrite each other. */
export function defaultImagePath(manifest: Manifest): string {
  const suffix = manifest.checkpoint === 'replay' ? '-replay' : '';
  return projectPath(process.cwd(), 'images', `${manifest.app}-${manifest.version}${suffix}.img`);
}

/** Sorted and without duplicates: the manifest's canonical order. */
export function boardList(boards: readonly string[]): string[] {
  const bad = boards.filter((board) => !BOARD_NAME_PATTERN.test(board));
  if (boards.length === 0 || bad.length > 0) {
    throw new BuildError(
      'bad-board',
      `board targets must be 1 or more names of lowercase letters, digits and '-' (like sim,linux); got [${boards.join(', ')}]`,
    );
  }
  return [...new Set(boards)].sort();
}

function stateVersions(app: AnyApp): number[] {
  const prior = app.converters?.priorStateVersion;
  const versions = prior === undefined ? [app.stateVersion] : [prior, app.stateVersion];
  return [...new Set(versions)].sort((a, b) => a - b);
}

/** Builds the app on the host to read what it declares, and checks that against the spec. */
function describedApp(source: AppSource, model: CheckpointModel): AnyApp {
  let app: AnyApp;
  try {
    app = source.factory(model);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BuildError('app-module', `${source.spec}: the app factory threw: ${reason}`, {
      cause: error,
    });
  }
  if (typeof app !== 'object' || app === null) {
    throw new BuildError(
      'app-module',
      `${source.spec}: the factory returned ${String(app)}, not an app`,
    );
  }
  const problems: string[] = [];
  if (typeof app.name !== 'string' || !APP_NAME_PATTERN.test(app.name)) {
    problems.push(`name ${JSON.stringify(app.name)} is not a plain name (letters, digits, . _ -)`);
  }
  if (typeof app.version !== 'string' || !VERSION_PATTERN.test(app.version)) {
    problems.push(`version ${JSON.stringify(app.version)} is not semver (1.2.3)`);
  }
  if (!Number.isSafeInteger(app.stateVersion) || app.stateVersion < 0) {
    problems.push(`stateVersion ${String(app.stateVersion)} is not a whole number`);
  }
  const prior = app.converters?.priorStateVersion;
  if (prior !== undefined && (!Number.isSafeInteger(prior) || prior < 0)) {
    problems.push(`converters.priorStateVersion ${String(prior)} is not a whole number`);
  }
  if (app.checkpoint !== model) {
    problems.push(`checkpoint is '${String(app.checkpoint)}' but '${model}' was asked for`);
  }
  if (source.expectedName !== undefined && app.name !== source.expectedName) {
    problems.push(`name is '${app.name}', not '${source.expectedName}'`);
  }
  if (source.expectedVersion !== undefined && app.version !== source.expectedVersion) {
    problems.push(`version is '${app.version}', not '${source.expectedVersion}'`);
  }
  if (problems.length > 0) {
    throw new BuildError('app-mismatch', `${source.spec}: the app's ${problems.join('; ')}`);
  }
  return app;
}
