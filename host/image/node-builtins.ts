/**
 * An esbuild plugin that refuses imports of Node built-ins (`node:fs`, `fs`,
 * `path`, ...). Images run on engines without Node; with platform 'neutral'
 * esbuild would only say it cannot resolve them, which hides the reason.
 */
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import type { Plugin } from 'esbuild';
import { ENTRY_SOURCEFILE } from './image-entry.ts';

export interface NodeImport {
  readonly specifier: string;
  /** Importing file, relative to the build's root ('<entry>' for the generated entry). */
  readonly importer: string;
}

const escaped = builtinModules.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
/** `node:anything`, or a built-in's bare name, alone or with a subpath (`fs/promises`). */
export const NODE_BUILTIN = new RegExp(`^(?:node:.*|(?:${escaped.join('|')})(?:/.*)?)$`);

/** Records every Node import into `found` and fails its resolution. */
export function nodeBuiltinGuard(root: string, found: NodeImport[]): Plugin {
  return {
    name: 'tandem-no-node-builtins',
    setup(build) {
      build.onResolve({ filter: NODE_BUILTIN }, (args) => {
        // The generated entry (esbuild stdin) has a made-up path in the root.
        const importer =
          args.importer === join(root, ENTRY_SOURCEFILE)
            ? '<entry>'
            : relative(root, args.importer);
        found.push({ specifier: args.path, importer });
        return {
          errors: [{ text: `image code may not import the Node built-in "${args.path}"` }],
        };
      });
    },
  };
}
