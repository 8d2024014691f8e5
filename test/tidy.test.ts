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

/** The code of a file without its comments (they may name what the code avoids). */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
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

/**
 * Imports against the rule that stand until the layout moves them, each with
 * why. The simulated lab's relay board is wired as the simulated rig profile
 * says, and that profile's reader lives with the HIL rig.
 */
const STRAGGLERS: readonly { readonly from: string; readonly to: string }[] = [
  { from: 'host/lab/daemon.ts', to: 'hil/rig-profile.ts' },
  { from: 'host/lab/relay-controller.ts', to: 'hil/rig-profile.ts' },
];

function layerOf(file: string): Layer | null {
  const path = file.split(sep).join('/');
  if (path.startsWith('host/cli/')) return 'cli';
  const top = path.split('/')[0] ?? '';
  return top in MAY_IMPORT ? (top as Layer) : null;
}

/** The project files `file` imports (static, re-exported or dynamic, by a relative path). */
function importsOf(file: string): string[] {
  const specifiers = [
    ...code(file).matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm),
  ].map((match) => match[1] as string);
  return specifiers.map((specifier) =>
    relative('.', resolve(dirname(file), specifier))
      .split(sep)
      .join('/'),
  );
}

/** Every import from one layer into another that the rule does not allow, as "from -> to". */
function againstTheRule(files: readonly string[]): string[] {
  return files.flatMap((file) => {
    const from = layerOf(file);
    if (from === null) return [];
    const path = file.split(sep).join('/');
    return importsOf(file)
      .filter((to) => {
        const layer = layerOf(to);
        if (layer === null || MAY_IMPORT[from].includes(layer)) return false;
        return !STRAGGLERS.some((s) => s.from === path && s.to === to);
      })
      .map((to) => `${path} -> ${to}`);
  });
}

const project = ['firmware', 'boards', 'host', 'hil', 'scripts'].flatMap(sources);

test('imports between top-level folders point down: firmware <- boards <- host <- hil <- host/cli', (t) => {
  t.deepEqual(againstTheRule(project), []);
});

test('every straggler the rule lets through is still there (the list only shrinks)', (t) => {
  const found = new Set(
    project.flatMap((file) => importsOf(file).map((to) => `${file.split(sep).join('/')} -> ${to}`)),
  );
  for (const straggler of STRAGGLERS)
    t.true(found.has(`${straggler.from} -> ${straggler.to}`), straggler.from);
});

test('no test.only is committed', (t) => {
  const offenders = sources('test').filter((file) =>
    /\btest\.only\(/.test(readFileSync(file, 'utf8')),
  );
  t.deepEqual(offenders, []);
});
