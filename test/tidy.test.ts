import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import test from 'ava';

// Firmware cores take time and randomness as inputs, and firmware is bundled
// for boards without Node: these rules keep it so.
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const firmware = sources('firmware');

/** Source text without its comments (they may name what the code avoids). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/** The code of a file without its comments. */
function code(file: string): string {
  return withoutComments(readFileSync(file, 'utf8'));
}

test('no clock, timer or random source anywhere under firmware/', (t) => {
  const offenders = firmware.filter((file) =>
    /\b(Date\.now|setTimeout|setInterval|Math\.random)\s*\(/.test(code(file)),
  );
  t.deepEqual(offenders, []);
});

test('firmware imports no Node built-ins', (t) => {
  const offenders = firmware.filter((file) => {
    const text = code(file);
    return /from\s+'node:|require\(|\bBuffer\b|\bprocess\./.test(text);
  });
  t.deepEqual(offenders, []);
});

/**
 * The layers, lowest first, and what each may import. The command line
 * (`host/cli/`) is the top: it offers every command, `tandem hil` among them.
 * The HIL campaigns stand on host operations (board client, push, switch,
 * load, the lab); the rest of `host/` never imports them. Tests may import
 * anything.
 */
const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  firmware: ['firmware'],
  boards: ['firmware', 'boards'],
  host: ['firmware', 'boards', 'host'],
  hil: ['firmware', 'boards', 'host', 'hil'],
  cli: ['firmware', 'boards', 'host', 'hil', 'cli'],
  scripts: ['firmware', 'boards', 'host', 'hil', 'cli', 'scripts'],
  test: ['firmware', 'boards', 'host', 'hil', 'cli', 'scripts', 'test'],
};
type Layer = 'firmware' | 'boards' | 'host' | 'hil' | 'cli' | 'scripts' | 'test';

function layerOf(file: string): Layer | null {
  const path = file.split(sep).join('/');
  if (path.startsWith('host/cli/')) return 'cli';
  const top = path.split('/')[0] ?? '';
  return top in MAY_IMPORT ? (top as Layer) : null;
}

/** The project files `file` imports (static, re-exported or dynamic, by a relative path). */
function importsOf(file: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm),
  ].map((match) => match[1] as string);
  return specifiers.map((specifier) =>
    relative('.', resolve(dirname(file), specifier))
      .split(sep)
      .join('/'),
  );
}

/**
 * Every import from one layer into another that the rule does not allow, as
 * "from -> to". `source` gives a file's text (default: read from disk).
 */
function againstTheRule(
  files: readonly string[],
  source = (file: string) => readFileSync(file, 'utf8'),
): string[] {
  return files.flatMap((file) => {
    const from = layerOf(file);
    if (from === null) return [];
    const path = file.split(sep).join('/');
    return importsOf(file, withoutComments(source(file)))
      .filter((to) => {
        const layer = layerOf(to);
        return layer !== null && !MAY_IMPORT[from].includes(layer);
      })
      .map((to) => `${path} -> ${to}`);
  });
}

const project = ['firmware', 'boards', 'host', 'hil', 'scripts'].flatMap(sources);

test('imports between top-level folders point down: firmware <- boards <- host <- hil <- host/cli', (t) => {
  t.deepEqual(againstTheRule(project), []);
});

test('the rule sees an import that points up, in every form it is written', (t) => {
  const upward: Readonly<Record<string, string>> = {
    'boards/a.ts': "import { x } from '../host/x.ts';",
    'boards/b.ts': "export { y } from '../hil/y.ts';",
    'host/lab/c.ts': "const z = await import('../../hil/z.ts');",
    'host/d.ts': "import '../host/cli/main.ts';",
    'firmware/runtime/e.ts': "import type { B } from '../../boards/b.ts';",
  };
  const downward: Readonly<Record<string, string>> = {
    'hil/f.ts': "import { x } from '../host/lab/x.ts';\nimport { y } from '../boards/y.ts';",
    'host/cli/g.ts': "import { z } from '../../hil/z.ts';",
    'host/h.ts': "// import { z } from '../hil/z.ts';",
  };
  const files = { ...upward, ...downward };
  t.deepEqual(
    againstTheRule(Object.keys(files), (file) => files[file] ?? ''),
    [
      'boards/a.ts -> host/x.ts',
      'boards/b.ts -> hil/y.ts',
      'host/lab/c.ts -> hil/z.ts',
      'host/d.ts -> host/cli/main.ts',
      'firmware/runtime/e.ts -> boards/b.ts',
    ],
  );
});

test('no test.only is committed', (t) => {
  const offenders = sources('test').filter((file) =>
    /\btest\.only\(/.test(readFileSync(file, 'utf8')),
  );
  t.deepEqual(offenders, []);
});
