// g. A decision maker: the work queue (a filter, a sort, page 2), a case awaiting Reasonable
// Grounds decided positive through the form and its confirmation step (with the form's
// error state on the way), then a case awaiting Conclusive Grounds whose earliest date has
// passed decided the same way.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import {
  assertError, choose, date, field, path, signIn, today, type,
} from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December'];

/** "30 November 2026" as a comparable number (20261130). */
function dayNumber(text) {
  const m = text.trim().match(/^(\d{1,2}) ([A-Za-z]+) (\d{4})$/);
  assert.ok(m, `a date, not ${JSON.stringify(text)}`);
  return Number(m[3]) * 10000 + (MONTHS.indexOf(m[2]) + 1) * 100 + Number(m[1]);
}

/** The value of a summary list row on the case page. */
async function summaryValue(page, key) {
  const values = await page.locator('.govuk-summary-list__row').evaluateAll((rows, wanted) => rows
    .filter((r) => r.querySelector('.govuk-summary-list__key')?.textContent.trim() === wanted)
    .map((r) => r.querySelector('.govuk-summary-list__value')?.textContent.trim()), key);
  assert.equal(values.length, 1, `one "${key}" row on ${page.url()}`);
  return values[0];
}

/** Filters and sorts the queue with its form. */
async function filter(visit, { status, sort }, slug) {
  const page = visit.page;
  if (status !== undefined) await field(page, 'status').selectOption(status);
  if (sort !== undefined) await field(page, 'sort').selectOption(sort);
  await visit.click(page.getByRole('button', { name: 'Apply' }), slug);
}

/** Records a decision from the case page: the form, the confirmation, the record. */
async function decide(visit, reference, kind, { withError = false } = {}) {
  const page = visit.page;
  const name = kind === 'rg' ? 'Reasonable Grounds' : 'Conclusive Grounds';
  const slug = kind === 'rg' ? 'reasonable-grounds' : 'conclusive-grounds';
  await visit.click(page.getByRole('button', { name: `Record ${name} decision` }), `${kind}-form`);
  assert.equal(path(page), `/cases/${reference}/${slug}`);

  if (withError) {
    await visit.click(page.getByRole('button', { name: 'Continue' }), `${kind}-form-empty`);
    await assertError(visit, { href: 'outcome' });
    await assertError(visit, { href: 'decided_on-day' });
    await assertError(visit, { href: 'reasons' });
    // A negative decision needs its reason; a future date is refused; the reasons are kept.
    await choose(page, 'outcome', 'negative');
    const [d, m, y] = today();
    await date(page, 'decided_on', [d, m, y + 1]);
    await type(page, 'reasons', 'Checking the form first.');
    await visit.click(page.getByRole('button', { name: 'Continue' }), `${kind}-form-errors`);
    await assertError(visit, { href: 'decided_on-day', message: /today or in the past/ });
    assert.equal(await field(page, 'reasons').inputValue(), 'Checking the form first.');
  }

  await choose(page, 'outcome', 'positive');
  await date(page, 'decided_on', today());
  await type(page, 'reasons', `The evidence meets the ${name} threshold.`);
  await visit.click(page.getByRole('button', { name: 'Continue' }), `${kind}-confirm`);
  const main = page.locator('main');
  assert.match(await page.locator('h1').innerText(), new RegExp(`Check the ${name} decision`));
  assert.match(await main.innerText(), /Positive/);
  assert.match(await main.innerText(), new RegExp(reference));

  await visit.click(page.getByRole('button', { name: 'Record decision' }), `${kind}-recorded`);
  assert.equal(path(page), `/cases/${reference}`);
  const banner = page.locator('.govuk-notification-banner--success');
  assert.match(await banner.innerText(), new RegExp(`${name} decision recorded`));
}

test('a decision maker works the queue and records Reasonable and Conclusive Grounds decisions', async () => {
  const visit = new Visit(browser, 'decision-maker');
  const page = await visit.open();
  const rows = page.locator('main table tbody tr');
  try {
    await signIn(visit, { email: DEMO.decisionMaker, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    assert.equal(path(page), '/cases', 'a decision maker starts at the queue');

    // The next page of all open cases (by cursor), if there is one.
    const next = page.locator('.govuk-pagination__next a');
    if (await next.count()) {
      await visit.click(next, 'queue-page-2');
      assert.match(page.url(), /cursor=/);
      assert.ok((await rows.count()) > 0, 'page 2 lists cases');
      await visit.click(page.locator('.govuk-pagination__prev a'), 'queue-page-1');
    }

    // Awaiting Reasonable Grounds, newest first.
    await filter(visit, { status: 'awaiting_reasonable_grounds', sort: 'referred_newest' }, 'queue-awaiting-rg');
    const count = await rows.count();
    assert.ok(count > 0, 'cases awaiting Reasonable Grounds');
    for (const status of await rows.locator('td:nth-child(3)').allInnerTexts()) {
      assert.equal(status.trim(), 'Awaiting Reasonable Grounds decision');
    }
    const referred = (await rows.locator('td:nth-child(4)').allInnerTexts()).map(dayNumber);
    assert.deepEqual(referred, [...referred].sort((a, b) => b - a), 'newest first');
    if (await next.count()) {
      await visit.click(next, 'queue-awaiting-rg-page-2');
    }

    const rgLink = rows.first().locator('a').first();
    const rgReference = (await rgLink.innerText()).trim();
    await visit.click(rgLink, 'rg-case');
    assert.equal(path(page), `/cases/${rgReference}`);
    await decide(visit, rgReference, 'rg', { withError: true });
    assert.equal(await summaryValue(page, 'Status'), 'Awaiting Conclusive Grounds decision');

    // Its Conclusive Grounds decision cannot be made yet (the recovery period runs first):
    // refused at the record step, with the reason shown.
    const earliest = await summaryValue(page, 'Conclusive Grounds decision can be made from');
    const [d0, m0, y0] = today();
    assert.ok(dayNumber(earliest) > y0 * 10000 + m0 * 100 + d0, 'the earliest date is ahead');
    await visit.click(page.getByRole('button', { name: 'Record Conclusive Grounds decision' }), 'early-cg-form');
    await choose(page, 'outcome', 'positive');
    await date(page, 'decided_on', today());
    await type(page, 'reasons', 'Too early.');
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'early-cg-confirm');
    await visit.click(page.getByRole('button', { name: 'Record decision' }), 'early-cg-refused');
    assert.match(await page.title(), /^Error: /);
    const summary = page.locator('.govuk-error-summary');
    assert.equal(await summary.locator('a[href="#confirm"]').count(), 1, 'the summary links to the button');
    assert.match(
      await summary.locator('a[href="#confirm"]').innerText(),
      new RegExp(`^The Conclusive Grounds decision cannot be made before ${earliest}, when the minimum recovery period ends$`),
      'the reason, in words',
    );
    await visit.goto(`/cases/${rgReference}`, 'early-cg-not-recorded');
    assert.equal(await summaryValue(page, 'Status'), 'Awaiting Conclusive Grounds decision');

    // A case awaiting Conclusive Grounds whose earliest date has passed.
    await visit.goto('/cases', 'queue');
    await filter(visit, { status: 'awaiting_conclusive_grounds', sort: 'referred_oldest' }, 'queue-awaiting-cg');
    const references = (await rows.locator('td:first-child a').allInnerTexts()).map((r) => r.trim());
    const [d, m, y] = today();
    const now = y * 10000 + m * 100 + d;
    let cgReference;
    for (const reference of references) {
      if (reference === rgReference) continue;
      await visit.goto(`/cases/${reference}`, `cg-candidate-${reference}`);
      const from = await summaryValue(page, 'Conclusive Grounds decision can be made from');
      if (from !== 'Not given' && dayNumber(from) <= now) {
        cgReference = reference;
        break;
      }
    }
    assert.ok(cgReference, 'the demo data has a case whose earliest Conclusive Grounds date has passed');
    await decide(visit, cgReference, 'cg');
    assert.equal(await summaryValue(page, 'Status'), 'Positive Conclusive Grounds');
  } finally {
    await visit.close();
  }
});
