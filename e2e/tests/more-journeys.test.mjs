// Journeys around the main ones: signing out; an answer posted after the session ended,
// carried through signing in again; removing an exploitation entry and changing one from
// check your answers; a CA manager's queue (the overdue filter and paging).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, DEMO_PASSWORD, newFirstResponder } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { startJourney } from '../lib/flows.mjs';
import {
  choose, country, field, onStep, path, signIn, submit, type,
} from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('signing out ends the session', async () => {
  const visit = new Visit(browser, 'sign-out');
  const page = await visit.open();
  try {
    await signIn(visit, newFirstResponder('sign-out'));
    await visit.goto('/referrals', 'your-referrals');
    await visit.click(page.getByRole('button', { name: 'Sign out' }), 'signed-out');
    assert.equal(path(page), '/sign-in');
    const cookies = await visit.context.cookies();
    assert.equal(cookies.find((c) => c.name === '__Host-nrm-session'), undefined, 'the cookie is gone');
    await visit.goto('/referrals', 'asks-to-sign-in');
    assert.equal(path(page), '/sign-in');
  } finally {
    await visit.close();
  }
});

test('an answer posted after the session ended is saved after signing in again', async () => {
  const user = newFirstResponder('carried');
  const visit = new Visit(browser, 'answer-after-session-ended');
  const page = await visit.open();
  try {
    await signIn(visit, user);
    const id = await startJourney(visit, 'Refer a child', 'name');
    await type(page, 'given_names', 'Dana');
    await visit.context.clearCookies();
    await submit(visit, 'sign-in-again');
    assert.equal(await page.locator('h1').innerText(), 'Sign in', 'asked to sign in');
    assert.match(await page.locator('main').innerText(), /Your session ended before your answers/);
    await signIn(visit, user, { from: null });
    // One press saves what was posted.
    if (path(page) !== `/referrals/${id}/date-of-birth`) {
      await submit(visit, 'saved');
    }
    onStep(page, 'date-of-birth');
    await visit.click(page.getByRole('link', { name: 'Back' }), 'back-name');
    assert.equal(await field(page, 'given_names').inputValue(), 'Dana', 'the answer was saved');
  } finally {
    await visit.close();
  }
});

test('an exploitation entry removed, and one changed from check your answers', async () => {
  const visit = new Visit(browser, 'exploitation-entries');
  const page = await visit.open();
  const main = page.locator('main');
  try {
    await signIn(visit, newFirstResponder('entries'));
    await startJourney(visit, 'Send a Duty to Notify report', 'gender');
    await choose(page, 'gender', 'female');
    await submit(visit, 'nationality');
    await country(page, 'nationality', 'NG');
    await submit(visit, 'age-at-exploitation');
    await choose(page, 'age_at_exploitation', 'child');
    await submit(visit, 'exploitation-1');
    await choose(page, 'kind', 'sexual');
    await choose(page, 'place', 'scotland');
    await submit(visit, 'exploitation-summary-1');
    await choose(page, 'another', 'yes');
    await submit(visit, 'exploitation-2');
    await choose(page, 'kind', 'organ_harvesting');
    await choose(page, 'place', 'not_known');
    await submit(visit, 'exploitation-summary-2');
    assert.match(await page.locator('h1').innerText(), /You have added 2 exploitation details/);

    await visit.click(main.getByRole('button', { name: 'Remove exploitation 2' }), 'removed');
    onStep(page, 'exploitation');
    assert.match(await page.locator('h1').innerText(), /You have added 1 exploitation detail/);
    assert.equal(await main.getByText('Organ harvesting').count(), 0);
    await choose(page, 'another', 'no');
    await submit(visit, 'when');
    await choose(page, 'ongoing', 'no');
    await submit(visit, 'organisation');
    await choose(page, 'organisation_type', 'government_agency');
    await choose(page, 'immigration_cohort', 'none');
    await submit(visit, 'check-answers');

    const id = onStep(page, 'check');
    await visit.click(main.locator(`a[href="/referrals/${id}/exploitation/1"]`), 'change-exploitation-1');
    onStep(page, 'exploitation/1');
    assert.equal(await page.locator('input[name="kind"][value="sexual"]').isChecked(), true);
    await choose(page, 'place', 'northern_ireland');
    await submit(visit, 'changed');
    if (path(page).endsWith('/exploitation')) {
      await choose(page, 'another', 'no');
      await submit(visit, 'back-to-check');
    }
    onStep(page, 'check');
    await assert.doesNotReject(main.getByText('Sexual exploitation, Northern Ireland').waitFor());
  } finally {
    await visit.close();
  }
});

test('a CA manager filters the queue to overdue cases (and opens the next page when there is one)', async () => {
  const visit = new Visit(browser, 'ca-manager-queue');
  const page = await visit.open();
  const rows = page.locator('main table tbody tr');
  try {
    await signIn(visit, { email: DEMO.caManager, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    assert.equal(path(page), '/cases');
    const next = page.locator('.govuk-pagination__next a');
    if (await next.count()) {
      await visit.click(next, 'page-2');
      assert.match(page.url(), /cursor=/);
      assert.ok((await rows.count()) > 0);
      assert.equal(await page.locator('.govuk-pagination__prev a').count(), 1, 'a previous link');
    }
    await field(page, 'deadline').selectOption('overdue');
    await visit.click(page.getByRole('button', { name: 'Apply' }), 'overdue');
    assert.match(page.url(), /deadline=overdue/);
    assert.ok((await rows.count()) > 0, 'the demo data has overdue cases');
    for (const tag of await rows.locator('td:last-child').allInnerTexts()) {
      assert.match(tag, /Overdue/);
    }
  } finally {
    await visit.close();
  }
});

test('the pages that say no: not found, no access, an expired form', async () => {
  const visit = new Visit(browser, 'error-pages');
  const page = await visit.open();
  try {
    await signIn(visit, newFirstResponder('errors'));
    let response = await visit.goto('/referrals/00000000-0000-4000-8000-00000000dead/name', 'draft-not-found');
    assert.equal(response.status(), 404);
    assert.match(await page.locator('h1').innerText(), /Page not found/);
    response = await visit.goto('/no/such/page', 'page-not-found');
    assert.equal(response.status(), 404);
    // A case decision is not a First Responder's to make: such a case is "not found".
    await visit.goto('/cases', 'cases-referred-by-this-organisation');
    const reference = (await page.locator('main table tbody tr td a').first().innerText()).trim();
    response = await visit.goto(`/cases/${reference}/reasonable-grounds`, 'decision-not-found');
    assert.equal(response.status(), 404);
    // A form whose token is not this session's (an old tab from another session, say).
    await visit.goto('/referrals/new', 'choose-journey');
    await page.locator('main input[name="form_token"]').evaluate((el) => { el.value = 'stale'; });
    await page.getByLabel('Refer a child').check();
    await visit.click(page.locator('main').getByRole('button', { name: 'Continue' }), 'stale-form');
    assert.match(await page.locator('h1').innerText(), /This form has expired/);
    assert.match(await page.locator('main').innerText(), /reload the page and send the form again/);
    assert.equal(await page.locator('input[name="given_names"]').count(), 0, 'nothing started');

    // Someone whose role lists no cases.
    await visit.goto('/referrals', 'your-referrals');
    await visit.click(page.getByRole('button', { name: 'Sign out' }), 'signed-out');
    await signIn(visit, { email: 'support.worker@demo.invalid', password: DEMO_PASSWORD }, { from: null });
    response = await visit.goto('/cases', 'cases-no-access');
    assert.equal(response.status(), 403);
  } finally {
    await visit.close();
  }
});
