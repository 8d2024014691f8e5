/**
 * Imports a user's module as an ES module wherever it lives. Node (and tsx)
 * decide a `.ts` or `.js` file's format from the nearest package.json: in a
 * folder without `"type": "module"` they take `export default ...` for
 * CommonJS and fail with "Cannot require() ES Module ... in a cycle". So a
 * module outside such a package is compiled here with esbuild into one ES
 * module, and imported from a `data:` URL (nothing written to disk).
 *
 * Files that already load as ES modules (inside a `"type": "module"` package,
 * such as tandem's own `firmware/app.ts`) and packages under node_modules stay
 * outside the bundle, imported by absolute URL: the app and the simulator then
 * share one copy of each, so `instanceof AppInputError` still holds.
 */
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Message, type Plugin } from 'esbuild';

/** esbuild refused the sources; `messages` are its errors, with file, line and column. */
export class ModuleCompileError extends Error {
  override name = 'ModuleCompileError';
  constructor(readonly messages: readonly string[]) {
    super(messages.join('\n'));
  }
}

/** How many of esbuild's errors a message repeats; the first ones are the useful ones. */
const COMPILE_ERRORS_SHOWN = 5;

/**
 * The module's exports. Throws ModuleCompileError when it does not compile,
 * and whatever the module throws while it is evaluated.
 */
export async function importEsModule(path: string): Promise<Record<string, unknown>> {
  const types = new PackageTypes();
  if (types.loadsAsEsModule(path)) return import(pathToFileURL(path).href);
  const code = await compile(path, types);
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

async function compile(path: string, types: PackageTypes): Promise<string> {
  try {
    const result = await build({
      entryPoints: [path],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      // In a data: module import.meta would describe the data itself; give the entry's own
      // place (to every file of the bundle: a file beside it sees the entry's).
      define: {
        'import.meta.url': JSON.stringify(pathToFileURL(path).href),
        'import.meta.filename': JSON.stringify(path),
        'import.meta.dirname': JSON.stringify(dirname(path)),
      },
      plugins: [keepEsModulesOutside(types)],
    });
    const output = result.outputFiles[0];
    if (output === undefined) throw new ModuleCompileError(['esbuild produced no output']);
    return output.text;
  } catch (error) {
    if (error instanceof ModuleCompileError) throw error;
    const messages = (error as { errors?: Message[] }).errors;
    if (messages === undefined || messages.length === 0) throw error;
    throw new ModuleCompileError(messages.slice(0, COMPILE_ERRORS_SHOWN).map(formatMessage));
  }
}

/** Leaves built-ins, packages and files that are ES modules already to Node, by absolute URL. */
function keepEsModulesOutside(types: PackageTypes): Plugin {
  return {
    name: 'keep-es-modules-outside',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point' || args.pluginData === RESOLVING) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        // Node takes file: URLs as specifiers; esbuild only paths.
        const specifier = args.path.startsWith('file:') ? fileURLToPath(args.path) : args.path;
        const resolved = await build.resolve(specifier, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: RESOLVING,
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        if (resolved.external) return { path: resolved.path, external: true };
        if (
          resolved.path.split(sep).includes('node_modules') ||
          types.loadsAsEsModule(resolved.path)
        ) {
          return { path: pathToFileURL(resolved.path).href, external: true };
        }
        return { path: resolved.path, sideEffects: resolved.sideEffects };
      });
    },
  };
}

/** Marks the plugin's own resolve calls, so it does not answer them itself. */
const RESOLVING = Symbol('resolving');

/**
 * Whether Node and tsx load a file, and every relative import of it, as an
 * ES module: only inside a package whose package.json says `"type": "module"`.
 * (An `.mjs` file elsewhere would load, but its `.ts` or `.js` neighbours would not.)
 */
class PackageTypes {
  readonly #byFolder = new Map<string, boolean>();

  loadsAsEsModule(path: string): boolean {
    return this.#moduleFolder(dirname(path));
  }

  #moduleFolder(folder: string): boolean {
    const known = this.#byFolder.get(folder);
    if (known !== undefined) return known;
    const type = packageType(join(folder, 'package.json'));
    const parent = dirname(folder);
    const answer = type === undefined ? parent !== folder && this.#moduleFolder(parent) : type;
    this.#byFolder.set(folder, answer);
    return answer;
  }
}

/** true for "type": "module", false for any other package.json, undefined where there is none. */
function packageType(file: string): boolean | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return (JSON.parse(text) as { type?: unknown }).type === 'module';
  } catch {
    return false; // Node refuses such a package too; at least do not call it ES.
  }
}

function formatMessage(message: Message): string {
  const where = message.location;
  return where === null
    ? message.text
    : `${where.file}:${where.line}:${where.column}: ${message.text}`;
}
