/**
 * Writes the pair file JSON Schema to host/target/pair.schema.json, formatted
 * by Biome. Run after changing `pairFileSpec`: `npx tsx host/target/write-pair-schema.ts`
 * (test/pair-target.test.ts fails until the committed file matches).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PAIR_SCHEMA_FILE, pairFileSchemaText } from './pair-file.ts';

const target = fileURLToPath(new URL(PAIR_SCHEMA_FILE, import.meta.url));
writeFileSync(target, pairFileSchemaText());
const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
execFileSync(process.execPath, [biome, 'format', '--write', target], { stdio: 'ignore' });
console.log(`wrote ${target}`);
