/**
 * A TAP report (Test Anything Protocol, version 14) of the same cases as the
 * JUnit report, for CI systems and harnesses that read TAP. A failure or an
 * error is `not ok` with a YAML block saying why (its strings written as JSON
 * strings, which YAML reads as they are); a skipped case is `ok ... # SKIP`,
 * as TAP has it, and the plan counts every case.
 */
import type { JunitCase, JunitSuite } from './junit.ts';

/** A description on one line, with `#` escaped (it would start a directive). */
function description(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/#/g, '\\#');
}

function yamlBlock(entries: Readonly<Record<string, string>>): string[] {
  return [
    '  ---',
    ...Object.entries(entries).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
    '  ...',
  ];
}

function caseLines(c: JunitCase, number: number): string[] {
  const name = description(`${c.classname}: ${c.name}`);
  if (c.failure !== undefined) {
    return [
      `not ok ${number} - ${name}`,
      ...yamlBlock({ severity: 'fail', message: c.failure.message, detail: c.failure.detail }),
    ];
  }
  if (c.error !== undefined) {
    return [
      `not ok ${number} - ${name}`,
      ...yamlBlock({
        severity: c.error.type ?? 'interrupted',
        message: c.error.message,
        detail: c.error.detail,
      }),
    ];
  }
  if (c.skipped !== undefined) return [`ok ${number} - ${name} # SKIP ${description(c.skipped)}`];
  return [`ok ${number} - ${name}`];
}

export function tapReport(suite: JunitSuite): string {
  const lines = ['TAP version 14', `# ${description(suite.name)}`, `1..${suite.cases.length}`];
  suite.cases.forEach((c, index) => {
    lines.push(...caseLines(c, index + 1));
  });
  return `${lines.join('\n')}\n`;
}
