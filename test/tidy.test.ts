import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

test('firmware depends on nothing outside firmware/ but its packages', (t) => {
  const offenders = firmware.filter((file) =>
    /from\s+'(\.\.\/)+(host|boards|test)\//.test(code(file)),
  );
  t.deepEqual(offenders, []);
});

test('boards/ and firmware/ import nothing from host/ or hil/ (dependencies point down)', (t) => {
  const offenders = [...firmware, ...sources('boards')].filter((file) =>
    /from\s+'(\.\.\/)+(host|hil)\//.test(code(file)),
  );
  t.deepEqual(offenders, []);
});

test('no test.only is committed', (t) => {
  const offenders = sources('test').filter((file) =>
    /\btest\.only\(/.test(readFileSync(file, 'utf8')),
  );
  t.deepEqual(offenders, []);
});
