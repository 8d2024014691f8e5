/**
 * Writes the rig profile JSON Schema to hil/profiles/rig-profile.schema.json,
 * formatted by Biome. Run after changing `rigProfileSpec` (boards/rig-profile.ts):
 * `npx tsx hil/write-rig-profile-schema.ts` (test/rig-profile.test.ts fails
 * until the committed file matches).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { RIG_PROFILE_SCHEMA_FILE, rigProfileSchemaText } from '../boards/rig-profile.ts';

/** Beside the committed profiles, which point at it with `$schema`. */
const target = fileURLToPath(new URL(`profiles/${RIG_PROFILE_SCHEMA_FILE}`, import.meta.url));
writeFileSync(target, rigProfileSchemaText());
const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
execFileSync(process.execPath, [biome, 'format', '--write', target], { stdio: 'ignore' });
console.log(`wrote ${target}`);
