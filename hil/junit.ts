/**
 * A JUnit XML report, the format CI systems read test results from: one
 * `<testsuite>` of `<testcase>`s, each passed, failed (`<failure>`: a check
 * found a fault), in error (`<error>`: the run could not check it) or
 * skipped. Every text and attribute is escaped, and characters XML 1.0
 * cannot carry at all (most control characters) are dropped.
 */
import { type CampaignRun, verdictLine } from './campaign.ts';

export interface JunitCase {
  readonly name: string;
  readonly classname: string;
  readonly timeS: number;
  /** Absent for a pass. */
  readonly failure?: { readonly message: string; readonly detail: string };
  /** The case could not run to the end (an interrupted run, a rig that failed); counted in `errors`. */
  readonly error?: {
    readonly message: string;
    readonly detail: string;
    /** The error's type attribute; 'interrupted' unless given. */
    readonly type?: string;
  };
  /** A case that did not run, with why. */
  readonly skipped?: string;
  /** Lines for `<system-out>`. */
  readonly output?: string;
}

export interface JunitSuite {
  readonly name: string;
  /** ISO 8601, when the suite started. */
  readonly timestamp: string;
  readonly timeS: number;
  readonly properties?: Readonly<Record<string, string>>;
  readonly cases: readonly JunitCase[];
}

/** Characters XML 1.0 allows: tab, newline, carriage return, and from space up (minus surrogates and U+FFFE/FFFF). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes `text` for XML character data and attribute values (either quote). */
export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML_CHAR, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (s: number) => (Number.isFinite(s) ? s.toFixed(3) : '0.000');

export function junitXml(suite: JunitSuite): string {
  const failures = suite.cases.filter((c) => c.failure !== undefined).length;
  const errors = suite.cases.filter((c) => c.error !== undefined && c.failure === undefined).length;
  const skipped = suite.cases.filter(
    (c) => c.skipped !== undefined && c.failure === undefined && c.error === undefined,
  );
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(suite.name)}" tests="${suite.cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped.length}" time="${seconds(suite.timeS)}">`,
    `  <testsuite name="${escapeXml(suite.name)}" tests="${suite.cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped.length}" time="${seconds(suite.timeS)}" timestamp="${escapeXml(suite.timestamp)}">`,
  ];
  const properties = Object.entries(suite.properties ?? {});
  if (properties.length > 0) {
    lines.push('    <properties>');
    for (const [name, value] of properties) {
      lines.push(`      <property name="${escapeXml(name)}" value="${escapeXml(value)}"/>`);
    }
    lines.push('    </properties>');
  }
  for (const c of suite.cases) {
    const open = `    <testcase name="${escapeXml(c.name)}" classname="${escapeXml(c.classname)}" time="${seconds(c.timeS)}"`;
    const body: string[] = [];
    if (c.failure !== undefined) {
      body.push(
        `      <failure message="${escapeXml(c.failure.message)}" type="failure">${escapeXml(c.failure.detail)}</failure>`,
      );
    } else if (c.error !== undefined) {
      body.push(
        `      <error message="${escapeXml(c.error.message)}" type="${escapeXml(c.error.type ?? 'interrupted')}">${escapeXml(c.error.detail)}</error>`,
      );
    } else if (c.skipped !== undefined) {
      body.push(`      <skipped message="${escapeXml(c.skipped)}"/>`);
    }
    if (c.output !== undefined && c.output !== '') {
      body.push(`      <system-out>${escapeXml(c.output)}</system-out>`);
    }
    if (body.length === 0) lines.push(`${open}/>`);
    else lines.push(`${open}>`, ...body, '    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

/** The JUnit XML of a campaign (`campaignSuite`). */
export function campaignJunit(run: CampaignRun): string {
  return junitXml(campaignSuite(run));
}

/**
 * The cases of a campaign, as every report format takes them: a testcase
 * per pull (a double failure is reported as skipped, never as a pass), one
 * per invariant, and for an interrupted run one in error saying after how
 * many pulls it stopped, so CI never counts a cancelled run as green.
 */
export function campaignSuite(run: CampaignRun): JunitSuite {
  const r = run.result;
  const pulls: JunitCase[] = run.pulls.map((pull) => {
    const name = `pull ${pull.index + 1}: ${pull.kind}${pull.step ? ` after step ${pull.step}` : ''}, P${pull.processor} (${pull.victim})`;
    const timeS = ((pull.reformMs ?? 0) + (pull.restoredAtMs - pull.pulledAtMs)) / 1000;
    const output = [
      pull.takeoverMs === null ? null : `takeover ${pull.takeoverMs.toFixed(1)} ms`,
      pull.reformMs === null ? null : `re-formed ${pull.reformMs.toFixed(0)} ms after the restore`,
      pull.detail,
    ]
      .filter((line) => line !== null)
      .join('\n');
    const base = { name, classname: `hil.${r.scenario}.pulls`, timeS, output };
    if (pull.outcome === 'failed') {
      return { ...base, failure: { message: pull.detail, detail: output } };
    }
    if (pull.outcome === 'double-failure') {
      return {
        ...base,
        skipped: `double failure by design (the only copy of the state was pulled during a switch): not a pass; ${pull.detail}`,
      };
    }
    return base;
  });
  const checks: JunitCase[] = run.invariants.map((invariant) => ({
    name: `${invariant.name}: ${invariant.title}`,
    classname: `hil.${r.scenario}.invariants`,
    timeS: 0,
    output: invariant.detail,
    ...(invariant.ok
      ? {}
      : { failure: { message: invariant.detail.split('\n')[0] ?? '', detail: invariant.detail } }),
  }));
  const stopped: JunitCase[] = r.interrupted
    ? [
        {
          name: `campaign: ${r.pullsPlanned} pulls`,
          classname: `hil.${r.scenario}.campaign`,
          timeS: r.durationS,
          error: {
            message: `the run was interrupted after ${r.pulls} of ${r.pullsPlanned} pulls`,
            detail: `${verdictLine(r)}: the checks cover the ${r.pulls} pulls done, not the campaign asked for`,
          },
        },
      ]
    : [];
  return {
    name: `tandem hil run ${r.scenario} (${r.rig}, seed ${r.seed})`,
    timestamp: run.startedAt,
    timeS: r.durationS,
    properties: {
      seed: String(r.seed),
      pullsPlanned: String(r.pullsPlanned),
      interrupted: String(r.interrupted),
      overlapsWithinSkew: String(r.overlapsWithinSkew),
      rig: r.rig,
      scenario: r.scenario,
      acknowledged: String(r.acknowledged),
      lost: String(r.lost),
      duplicated: String(r.duplicated),
      splitBrain: String(r.splitBrain),
      doubleFailures: String(r.doubleFailures),
    },
    cases: [...stopped, ...pulls, ...checks],
  };
}

/**
 * A run the rig or the boards stopped before anything was checked: one case
 * in error (type 'infrastructure'), so CI shows the run neither passed nor
 * found violations.
 */
export function infrastructureSuite(options: {
  readonly scenario: string;
  readonly rig: string;
  readonly seed: number;
  readonly startedAt: string;
  readonly timeS: number;
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}): JunitSuite {
  return {
    name: `tandem hil run ${options.scenario} (${options.rig}, seed ${options.seed})`,
    timestamp: options.startedAt,
    timeS: options.timeS,
    properties: { seed: String(options.seed), rig: options.rig, infrastructure: options.code },
    cases: [
      {
        name: `campaign: infrastructure (${options.code})`,
        classname: `hil.${options.scenario}.campaign`,
        timeS: options.timeS,
        error: {
          message: options.message.split('\n')[0] ?? options.message,
          detail: `${options.message}\nhint: ${options.hint}`,
          type: 'infrastructure',
        },
      },
    ],
  };
}
