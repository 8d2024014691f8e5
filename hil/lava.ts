/**
 * Results for a LAVA test job: run inside LAVA (its test shell exports
 * LAVA_JOB_ID), each case becomes a line LAVA's log parser records as a test
 * case, the line the `lava-test-case` helper prints:
 *   <LAVA_SIGNAL_TESTCASE TEST_CASE_ID=name RESULT=pass|fail|skip>
 * A case id may not contain spaces; anything but letters, digits, `_`, `.`
 * and `-` becomes `-`.
 */
import type { JunitCase, JunitSuite } from './junit.ts';

/** LAVA sets it in every test shell. */
export const LAVA_JOB_ENV = 'LAVA_JOB_ID';
const CASE_ID_MAX_CHARS = 120;

export function inLava(env: Readonly<Record<string, string | undefined>>): boolean {
  const id = env[LAVA_JOB_ENV];
  return id !== undefined && id !== '';
}

export function lavaCaseId(c: JunitCase): string {
  return `${c.classname}.${c.name}`
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-+$/g, '')
    .slice(0, CASE_ID_MAX_CHARS);
}

function result(c: JunitCase): 'pass' | 'fail' | 'skip' {
  if (c.failure !== undefined || c.error !== undefined) return 'fail';
  return c.skipped === undefined ? 'pass' : 'skip';
}

/** One signal line per case, in order. */
export function lavaTestCaseLines(suite: JunitSuite): string[] {
  return suite.cases.map(
    (c) => `<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=${lavaCaseId(c)} RESULT=${result(c)}>`,
  );
}
