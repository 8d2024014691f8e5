/**
 * The property names the image build shortens (host/image/internal-names.ts)
 * are internal to the image: none names data in a contract file (the HAL,
 * the app API, status, events, anything written as CBOR), none is read by a
 * string, and the images carry none of them any more.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import ts from 'typescript';
import { resolveApp } from '../host/image/app-registry.ts';
import { bundleApp } from '../host/image/bundle.ts';
import {
  CONTRACT_FILES,
  CONTRACT_FOLDERS,
  IMAGE_INTERNAL_NAMES,
} from '../host/image/internal-names.ts';
import { REPO_ROOT } from '../host/image/repo-root.ts';

const internal = new Set(IMAGE_INTERNAL_NAMES);

function tsFilesUnder(folder: string): string[] {
  return readdirSync(join(REPO_ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(folder, name).split('\\').join('/'));
}

function parse(path: string): ts.SourceFile {
  return ts.createSourceFile(
    path,
    readFileSync(join(REPO_ROOT, path), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
}

/** Every node of `file` that `pick` turns into a name, with where it is. */
function namesIn(file: ts.SourceFile, pick: (node: ts.Node) => string | undefined): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const name = pick(node);
    if (name !== undefined && internal.has(name)) {
      const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
      found.push(`${file.fileName}:${line + 1} ${name}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** A property of an interface, a type literal or an object literal, or one taken apart by destructuring. */
function dataName(node: ts.Node): string | undefined {
  if (
    ts.isPropertySignature(node) ||
    ts.isPropertyAssignment(node) ||
    ts.isShorthandPropertyAssignment(node)
  ) {
    return ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) ? node.name.text : undefined;
  }
  if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
    const key = node.propertyName ?? node.name;
    return ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : undefined;
  }
  return undefined;
}

function stringName(node: ts.Node): string | undefined {
  return ts.isStringLiteralLike(node) ? node.text : undefined;
}

test('no shortened name names data in a contract file', (t) => {
  const files = [...CONTRACT_FILES, ...CONTRACT_FOLDERS.flatMap(tsFilesUnder)];
  t.deepEqual(
    files.flatMap((path) => namesIn(parse(path), dataName)),
    [],
  );
});

test('no firmware file reads a shortened name by a string', (t) => {
  t.deepEqual(
    tsFilesUnder('firmware').flatMap((path) => namesIn(parse(path), stringName)),
    [],
  );
});

test('the ledger images carry none of the shortened names', async (t) => {
  for (const version of ['1.0.0', '2.0.0']) {
    const { script } = await bundleApp(await resolveApp('ledger', version), 'state');
    // As a property, not as a word of a string (a reason code such as "early-overflow").
    const left = IMAGE_INTERNAL_NAMES.filter((name) =>
      new RegExp(`(?<![\\w$"'\`-])${name}(?![\\w$"'\`-])`).test(script),
    );
    t.deepEqual(left, [], `ledger ${version}`);
  }
});
