/**
 * Bundles an image entry into one engine-neutral script: esbuild with
 * platform 'neutral', its declarations at the script's top (flat-script.ts),
 * setting globalThis.tandemImage, minified, no Node built-ins and no
 * require(). The same sources give the same bytes: no timestamps,
 * root-relative paths, no comments kept.
 */
import { build, type Message } from 'esbuild';
import { dynamicImportAt } from '../../boards/node/dynamic-import.ts';
import type { CheckpointModel } from '../../firmware/app.ts';
import type { AppSource } from './app-registry.ts';
import { BuildError } from './errors.ts';
import { firmwarePure } from './firmware-pure.ts';
import { flatScript } from './flat-script.ts';
import { ENTRY_SOURCEFILE, imageEntrySource } from './image-entry.ts';
import { IMAGE_INTERNAL_NAMES } from './internal-names.ts';
import { type NodeImport, nodeBuiltinGuard } from './node-builtins.ts';
import { PRIVATE_MEMBER_PREFIX, plainPrivateMembers } from './plain-private-members.ts';
import { REPO_ROOT } from './repo-root.ts';

export interface Bundle {
  readonly script: string;
  /** The source files that put code into the script, relative to the root (for checks and audits). */
  readonly inputs: readonly string[];
  /** Bytes of the script that each of `inputs` put there (the rest is esbuild's wrapper). */
  readonly inputBytes: Readonly<Record<string, number>>;
}

/** Language level of the script; the engines on boards must support it. */
export const IMAGE_TARGET = 'es2022';

/**
 * Any reference to a free `require` (a call, `typeof require`, esbuild's
 * dynamic-require shim), not `x.require` or `__require`.
 */
const REQUIRE_REFERENCE = /(?<![\w$.])require\b/;

/**
 * Property names esbuild shortens: only those internal to the image (see
 * internal-names.ts), and what the firmware's private members became.
 */
const INTERNAL_PROPERTY = new RegExp(
  `^(?:${IMAGE_INTERNAL_NAMES.join('|')})$|^${PRIVATE_MEMBER_PREFIX.replaceAll('$', '\\$')}`,
);

export function bundleApp(
  source: AppSource,
  model: CheckpointModel,
  root: string = REPO_ROOT,
): Promise<Bundle> {
  return bundleEntry(imageEntrySource({ source, model, root }), root);
}

/** Bundles entry source code whose imports resolve from `root`. */
export async function bundleEntry(contents: string, root: string = REPO_ROOT): Promise<Bundle> {
  const nodeImports: NodeImport[] = [];
  let result: Awaited<ReturnType<typeof buildScript>>;
  try {
    result = await buildScript(contents, root, nodeImports);
  } catch (error) {
    if (nodeImports.length > 0) throw nodeImportError(nodeImports);
    const messages = (error as { errors?: Message[] }).errors ?? [];
    const detail = messages.length > 0 ? messages.map(formatMessage).join('\n') : String(error);
    throw new BuildError('bundle-failed', `esbuild could not bundle the image:\n${detail}`, {
      cause: error,
    });
  }
  const file = result.outputFiles[0];
  if (file === undefined) throw new BuildError('bundle-failed', 'esbuild produced no output');
  const script = flatScript(file.text);
  if (REQUIRE_REFERENCE.test(script)) {
    throw new BuildError(
      'node-require',
      'the bundled image refers to require(), which only CommonJS hosts such as Node provide; find the dependency that uses require() (a CommonJS-only package) and replace it with an ES module one',
    );
  }
  const importAt = dynamicImportAt(script);
  if (importAt >= 0) {
    throw new BuildError(
      'dynamic-import',
      `the bundled image calls import() (near ${JSON.stringify(script.slice(importAt, importAt + 40))}), which boards refuse: it would reach the board's module loader; import every module statically so that esbuild bundles it (a string, comment or regular expression holding "import(" is refused too)`,
    );
  }
  const output = Object.values(result.metafile.outputs)[0];
  const used = Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const inputs = used.map(([path]) => path);
  const inputBytes = Object.fromEntries(used.map(([path, input]) => [path, input.bytesInOutput]));
  return { script, inputs, inputBytes };
}

function buildScript(contents: string, root: string, nodeImports: NodeImport[]) {
  return build({
    stdin: { contents, resolveDir: root, sourcefile: ENTRY_SOURCEFILE, loader: 'js' },
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'neutral',
    format: 'iife',
    target: IMAGE_TARGET,
    // Neutral resolves no package.json main fields by default. Without the 'node'
    // condition, packages with an exports map resolve to their default, non-Node
    // entry; the rest fall back to module, then main.
    mainFields: ['module', 'main'],
    conditions: [],
    minify: true,
    mangleProps: INTERNAL_PROPERTY,
    legalComments: 'none',
    sourcemap: false,
    logLevel: 'silent',
    // The guard first: it must see every import, also those under firmware/.
    plugins: [
      nodeBuiltinGuard(root, nodeImports),
      firmwarePure(root),
      plainPrivateMembers(root, IMAGE_TARGET),
    ],
  });
}

function nodeImportError(found: readonly NodeImport[]): BuildError {
  const unique = [...new Set(found.map((i) => `"${i.specifier}" (imported by ${i.importer})`))];
  return new BuildError(
    'node-import',
    `image code imports Node built-ins: ${unique.join(', ')}. Images run on boards without Node: keep Node code in host/ or boards/, and reach hardware through the Hal the board hands the app`,
  );
}

function formatMessage(message: Message): string {
  const where = message.location;
  return where === null
    ? message.text
    : `${where.file}:${where.line}:${where.column}: ${message.text}`;
}
