/** Writes a campaign's reports: JUnit XML for CI and the HTML timeline for people. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CampaignRun } from './campaign.ts';
import { htmlReport } from './html-report.ts';
import { campaignJunit } from './junit.ts';

export const JUNIT_FILE = 'junit.xml';
export const HTML_FILE = 'report.html';
export const RESULT_FILE = 'result.json';

/** Where reports go without --report-dir: one folder per run, named by its start time. */
export function defaultReportDir(startedAt: Date): string {
  return join('.tandem', 'hil', startedAt.toISOString().replace(/[:.]/g, '-'));
}

export interface ReportPaths {
  readonly junit: string;
  readonly html: string;
  readonly json: string;
}

export function writeReports(run: CampaignRun, dir: string): ReportPaths {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const paths = {
    junit: join(folder, JUNIT_FILE),
    html: join(folder, HTML_FILE),
    json: join(folder, RESULT_FILE),
  };
  writeFileSync(paths.junit, campaignJunit(run));
  writeFileSync(paths.html, htmlReport(run));
  writeFileSync(paths.json, `${JSON.stringify(run.result, null, 2)}\n`);
  return paths;
}
