/**
 * An esbuild plugin that makes the firmware's private class members (`#name`)
 * plain properties in the image, with names the build then shortens
 * (`mangleProps`, bundle.ts). XS keeps private members dearly: with
 * the ledger image's 122 private methods and 132 private fields, a processor
 * held 37 KB more heap at rest than with plain properties (245,156 bytes
 * against 208,336, the engine bench's small state, 32-bit XS). Inside an
 * image the privacy buys nothing: the image is one program, built and signed
 * as a whole. The sources keep `#` (and the type checker and Node keep it
 * private); only the bundled image changes.
 *
 * Each member gets a name of its own per file and class, so no two classes'
 * members meet on one object, even along an inheritance chain. `#name in
 * object` has no plain-property equivalent and is refused.
 */
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { type Node, parse } from 'acorn';
import { type Plugin, transform } from 'esbuild';

/** Every name a private member becomes starts so; the build shortens them all. */
export const PRIVATE_MEMBER_PREFIX = '$private$';

/** `target`: the image's language level, as the bundle has it. */
export function plainPrivateMembers(root: string, target: string): Plugin {
  const firmware = join(root, 'firmware') + sep;
  return {
    name: 'tandem-plain-private-members',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!args.path.startsWith(firmware)) return undefined; // esbuild loads it as usual
        const source = await readFile(args.path, 'utf8');
        // TypeScript to JavaScript first, as the bundle would (target and module syntax alike).
        const js = await transform(source, {
          loader: 'ts',
          format: 'esm',
          target,
          sourcefile: args.path,
        });
        const file = relative(root, args.path).split(sep).join('/');
        try {
          return { contents: withPlainMembers(js.code, file), loader: 'js' };
        } catch (error) {
          if (!(error instanceof PrivateInError)) throw error;
          return { errors: [{ text: `${file}: ${error.message}` }] };
        }
      });
    },
  };
}

class PrivateInError extends Error {}

interface ClassScope {
  readonly names: ReadonlySet<string>;
  readonly tag: string;
}

/** `code` with each private name replaced by the plain name of its member. */
export function withPlainMembers(code: string, file: string): string {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'module' });
  const fileTag = file.replace(/[^\w]/g, '_');
  const edits: { start: number; end: number; text: string }[] = [];
  const scopes: ClassScope[] = [];
  const visit = (node: Node): void => {
    const isClass = node.type === 'ClassDeclaration' || node.type === 'ClassExpression';
    if (isClass)
      scopes.push({ names: declaredPrivateNames(node), tag: `${fileTag}$${node.start}` });
    if (node.type === 'BinaryExpression' && field(node, 'left')?.type === 'PrivateIdentifier') {
      throw new PrivateInError(
        `\`#name in object\` at offset ${node.start} has no plain-property equivalent in an image; test with instanceof`,
      );
    }
    if (node.type === 'PrivateIdentifier') {
      const name = (node as Node & { name: string }).name;
      const scope = declaring(scopes, name);
      // An undeclared private name does not parse, so a scope always declares it.
      if (scope !== undefined) {
        edits.push({
          start: node.start,
          end: node.end,
          text: `${PRIVATE_MEMBER_PREFIX}${scope.tag}$${name}`,
        });
      }
    }
    for (const child of children(node)) visit(child);
    if (isClass) scopes.pop();
  };
  visit(ast);
  // One pass over the code, not a copy of it per edit (core.ts has some 1,400).
  const parts: string[] = [];
  let at = 0;
  for (const edit of edits.sort((a, b) => a.start - b.start)) {
    parts.push(code.slice(at, edit.start), edit.text);
    at = edit.end;
  }
  parts.push(code.slice(at));
  return parts.join('');
}

/** The innermost class that declares `name`, as the language resolves a private name. */
function declaring(scopes: readonly ClassScope[], name: string): ClassScope | undefined {
  for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]?.names.has(name)) return scopes[i];
  return undefined;
}

function declaredPrivateNames(classNode: Node): Set<string> {
  const names = new Set<string>();
  const body = field(classNode, 'body');
  for (const member of body === undefined ? [] : children(body)) {
    const key = field(member, 'key');
    if (key?.type === 'PrivateIdentifier') names.add((key as Node & { name: string }).name);
  }
  return names;
}

function field(node: Node, name: string): Node | undefined {
  const value = (node as unknown as Record<string, unknown>)[name];
  return isNode(value) ? value : undefined;
}

/** Every node directly under `node`. */
function children(node: Node): Node[] {
  const found: Node[] = [];
  for (const value of Object.values(node)) {
    if (isNode(value)) found.push(value);
    else if (Array.isArray(value)) for (const item of value) if (isNode(item)) found.push(item);
  }
  return found;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).type === 'string';
}
