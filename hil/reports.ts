/**
 * Writes a campaign's reports: JUnit XML for CI, TAP where asked (`--tap`),
 * and the HTML timeline for people. A run the infrastructure stopped gets
 * JUnit and TAP of its one case in error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { projectPath } from '../host/project-dir.ts';
import type { CampaignRun } from './campaign.ts';
import { htmlReport } from './html-report.ts';
import { campaignSuite, type JunitSuite, junitXml } from './junit.ts';
import { tapReport } from './tap.ts';

export const JUNIT_FILE = 'junit.xml';
export const HTML_FILE = 'report.html';
export const RESULT_FILE = 'result.json';

/** Where reports go without --report-dir: one folder per run, named by its start time. */
export function defaultReportDir(startedAt: Date): string {
  return projectPath(process.cwd(), 'hil', startedAt.toISOString().replace(/[:.]/g, '-'));
}

export interface ReportPaths {
  readonly junit: string;
  readonly html: string | null;
  readonly json: string | null;
  /** The TAP file, where one was asked for. */
  readonly tap: string | null;
}

export function writeReports(run: CampaignRun, dir: string, tapFile?: string): ReportPaths {
  const written = writeSuiteReports(campaignSuite(run), dir, tapFile);
  const folder = resolve(dir);
  const html = join(folder, HTML_FILE);
  const json = join(folder, RESULT_FILE);
  writeFileSync(html, htmlReport(run, { dir: folder }));
  writeFileSync(json, `${JSON.stringify(run.result, null, 2)}\n`);
  return { ...written, html, json };
}

/** JUnit into `dir`, and TAP into `tapFile` where given. */
export function writeSuiteReports(suite: JunitSuite, dir: string, tapFile?: string): ReportPaths {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const junit = join(folder, JUNIT_FILE);
  writeFileSync(junit, junitXml(suite));
  let tap: string | null = null;
  if (tapFile !== undefined) {
    tap = resolve(tapFile);
    mkdirSync(dirname(tap), { recursive: true });
    writeFileSync(tap, tapReport(suite));
  }
  return { junit, html: null, json: null, tap };
}
