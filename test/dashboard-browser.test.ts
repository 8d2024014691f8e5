/**
 * The dashboard in a real browser (headless Chromium from the operating
 * system) on a running lab: the cards and the badge show the pair; a click
 * on the primary's "Pull power" makes the other board primary and marks the
 * takeover on the timeline; "Restore power" brings REDUNDANT back. The
 * screenshot is kept in test-results/ (CI keeps that folder).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { chromium } from 'playwright-core';
import { startDashboard } from '../host/dashboard/server.ts';
import { TargetFeed } from '../host/dashboard/target-feed.ts';
import { openPairTarget } from '../host/target/pair-target.ts';
import { REPO_ROOT } from './fixtures/run-cli.ts';
import { CHROMIUM_MISSING, findChromium } from './helpers/chromium.ts';
import { roles, startLab } from './helpers/lab-pair.ts';

const CHROMIUM = findChromium();
const WAIT_MS = 60_000;
const RESULTS_DIR = join(REPO_ROOT, 'test-results');

if (CHROMIUM === null) console.warn(`dashboard-browser: skipped: ${CHROMIUM_MISSING}`);
const browserTest = CHROMIUM === null ? test.serial.skip : test.serial;

browserTest('the dashboard shows a power-pull takeover and the pair whole again', async (t) => {
  const lab = await startLab({ flash: true });
  const primary = roles(await lab.statuses())[0] === 'primary' ? 1 : 2;
  const survivor = primary === 1 ? 2 : 1;
  // A management port has one owner: the dashboard's from here on.
  for (const host of lab.hosts) await host.close();
  const target = openPairTarget({
    kind: 'lab',
    dir: lab.config.dir,
    source: { via: 'option', option: '--lab' },
  });
  const feed = await TargetFeed.open(target, { keyDir: lab.keyDir, clients: 4 });
  const dashboard = await startDashboard(feed, { host: '127.0.0.1', port: 0, intervalMs: 200 });
  // Root (CI) needs --no-sandbox; the page is our own, on loopback.
  const browser = await chromium.launch({
    executablePath: CHROMIUM as string,
    args: ['--no-sandbox'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(dashboard.url);
    const text = (selector: string) => page.locator(selector).first().textContent();
    // Polled in the page (a string: the test is not compiled for the DOM).
    const waitText = (selector: string, pattern: RegExp) =>
      page.waitForFunction(
        `new RegExp(${JSON.stringify(pattern.source)}).test(document.querySelector(${JSON.stringify(selector)})?.textContent ?? '')`,
        undefined,
        { timeout: WAIT_MS },
      );

    await waitText('#badge', new RegExp(`REDUNDANT \\(P${primary} primary\\)`));
    t.is(await text(`#card-${primary} .role`), 'primary');
    t.is(await text(`#card-${survivor} .role`), 'backup');
    t.regex(
      (await text(`#card-${primary} .version`)) ?? '',
      /ledger 1\.0\.0 · slot \d · confirmed/,
    );

    await page.getByRole('button', { name: 'Start load' }).click();
    await waitText('#result', /load running/);
    await waitText('#health [data-name="acknowledged"] b', /^[1-9]/);

    await page.locator(`#card-${primary} button.power`).click();
    await waitText(`#card-${survivor} .role`, /^primary/);
    await waitText('#badge', new RegExp(`SOLO \\(P${survivor} alone\\)`));
    await page.locator('#marks li[data-kind="takeover"]').waitFor({ timeout: WAIT_MS });
    t.regex(
      (await text('#marks li[data-kind="takeover"]')) ?? '',
      new RegExp(`takeover P${survivor} \\d+ ms`),
    );
    t.regex(
      (await text('#result .cli')) ?? '',
      new RegExp(`npx tandem power pull ${primary} --lab `),
    );
    t.regex((await text(`#card-${primary} .role`)) ?? '', /power off/);

    await page.locator(`#card-${primary} button.power`).click();
    await waitText('#badge', new RegExp(`REDUNDANT \\(P${survivor} primary\\)`));
    await page.locator('#marks li[data-kind="rejoin"]').waitFor({ timeout: WAIT_MS });
    t.is(await text(`#card-${primary} .role`), 'backup');

    // One pull and one restore: a poll of the rails from before a click is no news.
    t.is(await page.locator('#log tr.power').count(), 2);

    mkdirSync(RESULTS_DIR, { recursive: true });
    const shot = join(RESULTS_DIR, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.log(`screenshot: ${shot}`);
    t.deepEqual(errors, []);
  } finally {
    await browser.close();
    await dashboard.close();
    await feed.close();
    await lab.close();
  }
});
