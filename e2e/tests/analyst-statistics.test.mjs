// h. An analyst: the statistics pages. The list of tables for a period (with the form's error
// state for a period that is not one), a table with its chart (an SVG with a title and a text
// alternative, and the data table beside it), and both downloads.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, field, path, signIn } from '../lib/journey.mjs';

const ANALYST = 'analyst@demo.invalid';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('an analyst reads the statistics tables and charts and downloads them', async () => {
  const visit = new Visit(browser, 'analyst-statistics');
  const page = await visit.open();
  try {
    await signIn(visit, { email: ANALYST, password: DEMO_PASSWORD }, { from: '/sign-in?next=/statistics' });
    assert.equal(path(page), '/statistics');
    assert.match(await page.locator('h1').innerText(), /^Statistics for /);

    // Not a period: the error summary links to the field, nothing is counted.
    await field(page, 'period').fill('2024Q7');
    await visit.click(page.getByRole('button', { name: 'Show tables' }), 'bad-period');
    assert.match(await page.title(), /^Error: /);
    await assertError(visit, { href: 'period', message: /a quarter, like 2024Q4/ });

    // This year's tables (the demo's cases are referred over the last four years).
    const year = String(new Date().getFullYear());
    await field(page, 'period').fill(year);
    await visit.click(page.getByRole('button', { name: 'Show tables' }), 'year');
    const links = page.locator('main table tbody tr td:first-child a');
    assert.ok((await links.count()) >= 20, 'every table is listed');

    await visit.click(page.getByRole('link', { name: /^NRM referrals by gender/ }), 'referrals-by-gender');
    assert.equal(path(page), '/statistics/tables/referrals_by_gender');
    const svg = page.locator('svg.nrm-chart');
    assert.equal(await svg.getAttribute('role'), 'img');
    assert.equal(await svg.getAttribute('aria-labelledby'), 'chart-title chart-desc');
    assert.match(await svg.locator('title').textContent(), /by gender/);
    assert.match(await svg.locator('desc').textContent(), /bar chart/i);
    const headers = await page.locator('main table thead th').allInnerTexts();
    assert.deepEqual(headers.map((h) => h.trim()).slice(-1), ['Total']);
    const totalRow = page.locator('main table tbody tr').last();
    assert.equal((await totalRow.locator('th').innerText()).trim(), 'Total');

    // The downloads: this table as CSV, every table as one ODS workbook.
    const csv = await page.request.get(await page.getByRole('link', { name: 'Download this table (CSV)' }).getAttribute('href'));
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /^text\/csv/);
    assert.match(await csv.text(), /^Gender,Adult \(18 or over\),/);
    const ods = await page.request.get(await page.getByRole('link', { name: 'every table (ODS)' }).getAttribute('href'));
    assert.equal(ods.status(), 200);
    assert.equal(ods.headers()['content-type'], 'application/vnd.oasis.opendocument.spreadsheet');
    const bytes = await ods.body();
    assert.equal(bytes.subarray(30, 38).toString(), 'mimetype');
  } finally {
    await visit.close();
  }
});
