/**
 * Writes the board profile JSON Schema to boards/profiles/board-profile.schema.json,
 * then formats it with Biome so `biome check` accepts the file as written.
 * Run after changing `boardProfileSpec`: `npx tsx boards/write-profile-schema.ts`
 * (test/profile-schema.test.ts fails until the committed file matches).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BOARD_PROFILE_SCHEMA_FILE, boardProfileSchemaText } from './profile-schema.ts';

const target = fileURLToPath(new URL(`profiles/${BOARD_PROFILE_SCHEMA_FILE}`, import.meta.url));
writeFileSync(target, boardProfileSchemaText());
const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
execFileSync(process.execPath, [biome, 'format', '--write', target], { stdio: 'ignore' });
console.log(`wrote ${target}`);
