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

const BOARDS = ['boards', 'boards/node', 'boards/linux', 'boards/xs'] as const;
const HOST = ['host/*.ts', 'host/pair', 'host/history', 'host/lab', 'host'] as const;

/**
 * The layers, lowest first, and what each may import. Firmware is the
 * bottom. Board support shared by every board (image format, profiles, the
 * management protocol) is under the Node board support (`boards/node/`), which
 * the Linux-class and the XS boards run on. On the host, the top-level files
 * are shared definitions; the operations on any pair (`host/pair/`) stand on
 * them, the simulated lab (`host/lab/`) uses those operations to reach its
 * boards, and the history checkers (`host/history/`) read the pair journals'
 * entries; the rest of `host/` (targets, load, demos, dashboard, bench,
 * simulator, images) may use all of these. The HIL campaigns stand on the
 * host; the command line (`host/cli/`) is the top: it offers every command,
 * `tandem hil` among them. Tests may import anything.
 */
const MAY_IMPORT = {
  firmware: ['firmware'],
  boards: ['firmware', 'boards'],
  'boards/node': ['firmware', 'boards', 'boards/node'],
  'boards/linux': ['firmware', 'boards', 'boards/node', 'boards/linux'],
  'boards/xs': ['firmware', 'boards', 'boards/node', 'boards/xs'],
  'host/*.ts': ['firmware', ...BOARDS, 'host/*.ts'],
  'host/pair': ['firmware', ...BOARDS, 'host/*.ts', 'host/pair'],
  'host/history': ['firmware', ...BOARDS, 'host/pair', 'host/history'],
  'host/lab': ['firmware', ...BOARDS, 'host/*.ts', 'host/pair', 'host/lab'],
  host: ['firmware', ...BOARDS, ...HOST],
  hil: ['firmware', ...BOARDS, ...HOST, 'hil'],
  'host/cli': ['firmware', ...BOARDS, ...HOST, 'hil', 'host/cli'],
  scripts: ['firmware', ...BOARDS, ...HOST, 'hil', 'host/cli', 'scripts'],
  test: ['firmware', ...BOARDS, ...HOST, 'hil', 'host/cli', 'scripts', 'test'],
} as const satisfies Readonly<Record<string, readonly string[]>>;
type Layer = keyof typeof MAY_IMPORT;

/** The folders a layer is (`host/*.ts` is the files directly in `host/`), most specific first. */
const FOLDERS: readonly Layer[] = (Object.keys(MAY_IMPORT) as Layer[])
  .filter((layer) => layer !== 'host/*.ts')
  .sort((a, b) => b.length - a.length);

function layerOf(file: string): Layer | null {
  const path = file.split(sep).join('/');
  if (/^host\/[^/]+$/.test(path)) return 'host/*.ts';
  return FOLDERS.find((folder) => path.startsWith(`${folder}/`)) ?? null;
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
        return layer !== null && !(MAY_IMPORT[from] as readonly Layer[]).includes(layer);
      })
      .map((to) => `${path} -> ${to}`);
  });
}

const project = ['firmware', 'boards', 'host', 'hil', 'scripts'].flatMap(sources);

test('imports point down: firmware <- boards <- boards/node <- host/pair <- host/lab <- host <- hil <- host/cli', (t) => {
  t.deepEqual(againstTheRule(project), []);
});

test('the rule sees an import that points up, in every form it is written', (t) => {
  const upward: Readonly<Record<string, string>> = {
    'boards/a.ts': "import { x } from '../host/x.ts';",
    'boards/b.ts': "export { y } from '../hil/y.ts';",
    'host/lab/c.ts': "const z = await import('../../hil/z.ts');",
    'host/d.ts': "import '../host/cli/main.ts';",
    'firmware/runtime/e.ts': "import type { B } from '../../boards/b.ts';",
    'boards/i.ts': "import { Board } from './node/board.ts';",
    'boards/node/j.ts': "import { gpio } from '../linux/gpio.ts';",
    'host/pair/k.ts': "import { LabClient } from '../lab/lab-client.ts';",
    'host/pair/l.ts': "import { History } from '../history/client-history.ts';",
    'host/history/m.ts': "import { World } from '../simulator/world.ts';",
    'host/lab/n.ts': "import { loadRun } from '../load/load-run.ts';",
    'host/o.ts': "import { pushImage } from './pair/push.ts';",
  };
  const downward: Readonly<Record<string, string>> = {
    'hil/f.ts': "import { x } from '../host/lab/x.ts';\nimport { y } from '../boards/y.ts';",
    'host/cli/g.ts': "import { z } from '../../hil/z.ts';",
    'host/h.ts': "// import { z } from '../hil/z.ts';",
    'boards/linux/p.ts': "import { Board } from '../node/board.ts';",
    'host/lab/q.ts': "import { BoardClient } from '../pair/board-client.ts';",
    'host/pair/r.ts': "import { isWhole } from '../pair-whole.ts';",
    'host/history/s.ts': "import type { PairJournalEntry } from '../pair/pair-journal.ts';",
    'host/simulator/u.ts': "import { History } from '../history/client-history.ts';",
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
      'boards/i.ts -> boards/node/board.ts',
      'boards/node/j.ts -> boards/linux/gpio.ts',
      'host/pair/k.ts -> host/lab/lab-client.ts',
      'host/pair/l.ts -> host/history/client-history.ts',
      'host/history/m.ts -> host/simulator/world.ts',
      'host/lab/n.ts -> host/load/load-run.ts',
      'host/o.ts -> host/pair/push.ts',
    ],
  );
});

test('no test.only is committed', (t) => {
  const offenders = sources('test').filter((file) =>
    /\btest\.only\(/.test(readFileSync(file, 'utf8')),
  );
  t.deepEqual(offenders, []);
});
