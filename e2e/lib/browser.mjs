// The browser, and the checks every page gets: axe (WCAG 2.2 AA rule sets, zero violations),
// the OFFICIAL-SENSITIVE marking, and a full-page screenshot saved under
// e2e/screenshots/<test>/<nn>-<slug>.png.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const BASE_URL = (process.env.NRM_BASE_URL || '').replace(/\/$/, '');
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

// Security target #34: every page the browser tests visit is checked for its marking.
/** The markings, by page language. */
// Welsh pages carry the marking in both languages: handling rules key on the English words.
const MARKINGS = { en: 'OFFICIAL-SENSITIVE', cy: 'SWYDDOGOL-SENSITIF / OFFICIAL-SENSITIVE' };

export async function launch() {
  if (!BASE_URL) {
    throw new Error('NRM_BASE_URL is not set: run the tests with scripts/e2e.sh');
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A readable list of axe violations. */
export function describeViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    at ${n.target.join(' ')}\n      ${(n.failureSummary || '').replace(/\n/g, '\n      ')}\n      ${n.html.slice(0, 300)}`)
        .join('\n');
      return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

function slugify(text) {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'page';
}

/**
 * One test's visit: a browser context and page, and `check(slug)` to run after each
 * navigation. Every new document loaded is counted; `check` fails if a page was left
 * unchecked, so no page a test passes through goes without axe and the marking check.
 */
export class Visit {
  constructor(browser, test, contextOptions = {}) {
    this.browser = browser;
    this.test = test;
    this.contextOptions = contextOptions;
    this.count = 0;
    this.navigations = 0;
    this.checkedAt = 0;
    this.dir = join(SCREENSHOTS, test);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  async open() {
    this.context = await this.browser.newContext({
      baseURL: BASE_URL,
      viewport: { width: 1024, height: 768 },
      ...this.contextOptions,
    });
    this.context.setDefaultTimeout(15_000);
    this.page = await this.context.newPage();
    this.watch(this.page);
    return this.page;
  }

  watch(page) {
    // A new document (not a same-document jump to #fragment).
    page.on('domcontentloaded', () => {
      this.navigations += 1;
    });
  }

  async close() {
    await this.mirror?.close();
    await this.context?.close();
  }

  /** Goes to a path of the service and checks the page. */
  async goto(path, slug) {
    const response = await this.page.goto(path);
    await this.check(slug);
    return response;
  }

  /** Checks the page now showing: marking, axe, screenshot. */
  async check(slug) {
    const page = this.page;
    await page.waitForLoadState('load');
    const unchecked = this.navigations - this.checkedAt;
    assert.ok(
      unchecked <= 1,
      `${unchecked} navigations since the last check: a page went unchecked before ${page.url()}`,
    );
    this.checkedAt = this.navigations;
    this.count += 1;
    const name = `${String(this.count).padStart(2, '0')}-${slugify(slug || (await page.title()))}`;
    // The screenshot is a record, not a check: Chromium under load sometimes answers
    // "Unable to capture screenshot" once, so it is tried a second time before failing.
    const shot = { path: join(this.dir, `${name}.png`), fullPage: true };
    try {
      await page.screenshot(shot);
    } catch (error) {
      if (!/Unable to capture screenshot/.test(String(error))) throw error;
      await page.waitForTimeout(1000);
      await page.screenshot(shot);
    }

    const lang = (await page.locator('html').getAttribute('lang')) || 'en';
    const marking = page.locator('.nrm-marking');
    await assert.doesNotReject(
      marking.first().waitFor({ state: 'visible', timeout: 2000 }),
      `${name}: no visible protective marking on ${page.url()}`,
    );
    assert.equal(
      (await marking.first().innerText()).trim(),
      MARKINGS[lang] || MARKINGS.en,
      `${name}: the marking on ${page.url()}`,
    );

    const results = await new AxeBuilder({ page: await this.axePage() }).withTags(AXE_TAGS).analyze();
    assert.equal(
      results.violations.length,
      0,
      `${name}: accessibility violations on ${page.url()}:\n${describeViolations(results.violations)}`,
    );
    return name;
  }

  /**
   * The page to run axe in. axe cannot run in a page whose JavaScript is off (its timers never
   * fire), so for such a visit the same HTML is served, at the same address, to a page whose
   * own scripts are blocked: what a person without JavaScript gets, which axe can examine.
   */
  async axePage() {
    if (this.contextOptions.javaScriptEnabled !== false) return this.page;
    const html = await this.page.content();
    const url = this.page.url();
    if (!this.mirror) {
      this.mirror = await this.browser.newContext({
        viewport: { width: 1024, height: 768 },
        ...this.contextOptions,
        javaScriptEnabled: true,
      });
      await this.mirror.route(
        (u) => /\.m?js(\?|$)/.test(u.pathname),
        (route) => route.abort(),
      );
      this.mirrorPage = await this.mirror.newPage();
    }
    await this.mirror.unroute(this.mirrorUrl || '**/__never__');
    this.mirrorUrl = url;
    await this.mirror.route(url, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await this.mirrorPage.goto(url);
    const scripts = await this.mirrorPage.evaluate(() => document.body.classList.contains('govuk-frontend-supported'));
    assert.equal(scripts, false, 'the page scripts stayed off for axe');
    return this.mirrorPage;
  }

  /** Clicks something that navigates, then checks the new page. */
  async click(locator, slug) {
    await Promise.all([this.page.waitForNavigation(), locator.click()]);
    await this.check(slug);
  }
}
