// Issue 11: a caseworker's whole day in the pages, axe on every page. A decision maker signs
// in, finds a person by name and a case by reference, opens it, requests information and
// records the reply, decides Reasonable Grounds and extends the recovery period. The
// Conclusive Grounds decision needs the recovery period behind it (RG + 30 days under the rules
// of today), and the demo runs on the real clock: so the day goes on with a demo case whose
// RG was made long ago: a negative CG, the second caseworker's review (the manager: nobody
// reviews their own decision), then service and the notice's print view.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { choose, date, path, signIn, today, type } from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The UK date `days` from today, as [day, month, year]. */
function inDays(days) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', day: 'numeric', month: 'numeric', year: 'numeric',
  }).formatToParts(new Date(Date.now() + days * 86_400_000));
  const get = (t) => Number(parts.find((p) => p.type === t).value);
  return [get('day'), get('month'), get('year')];
}

/** The first case of the queue filtered to `status` (not opened); its reference. */
async function firstOf(visit, status, sort = 'referred_newest') {
  await visit.goto(`/cases?status=${status}&sort=${sort}`, `queue-${status}`);
  const link = visit.page.locator('main table tbody tr').first().locator('a').first();
  return (await link.innerText()).trim();
}

/** Finds a case by its reference on the search page. */
async function byReference(visit, reference, name) {
  const page = visit.page;
  await visit.goto('/search', `${name}-search`);
  await type(page, 'reference', reference);
  await visit.click(page.getByRole('button', { name: 'Find case' }), `${name}-found`);
  assert.equal(path(page), `/cases/${reference}`);
}

/** Follows an action's link on the case page. */
async function openAction(visit, reference, text, slug) {
  const page = visit.page;
  await visit.click(page.locator('#actions a', { hasText: text }), `${slug}-form`);
  assert.equal(path(page), `/cases/${reference}/actions/${slug}`);
}

/** Continues to the check page, then records; expects the success banner. */
async function checkAndRecord(visit, reference, slug, button, banner) {
  const page = visit.page;
  await visit.click(page.getByRole('button', { name: 'Continue' }), `${slug}-check`);
  assert.match(await page.locator('h1').innerText(), /^Check before you record/);
  await visit.click(page.getByRole('button', { name: button }), `${slug}-recorded`);
  assert.equal(path(page), `/cases/${reference}`);
  assert.match(await page.locator('.govuk-notification-banner--success').innerText(), new RegExp(banner));
}

/** Records a Reasonable or Conclusive Grounds decision from the case page. */
async function decide(visit, kind, outcome) {
  const page = visit.page;
  await visit.click(page.getByRole('button', { name: `Record ${kind} decision` }), `${kind}-form`);
  await choose(page, 'outcome', outcome);
  if (outcome === 'negative') await choose(page, 'negative_reason', 'insufficient_evidence');
  await date(page, 'decided_on', today());
  await type(page, 'reasons', `The ${kind} decision, with its reasons.`);
  await visit.click(page.getByRole('button', { name: 'Continue' }), `${kind}-confirm`);
  await visit.click(page.getByRole('button', { name: 'Record decision' }), `${kind}-recorded`);
}

test('a caseworker\'s whole day: search, open, request information, the reply, RG, extend, CG, review, serve', async () => {
  const visit = new Visit(browser, 'caseworker-day');
  const page = await visit.open();
  let cgCase;
  try {
    await signIn(visit, { email: DEMO.decisionMaker, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });

    // The morning's search: a person by name and date of birth (the demo's re-referred person).
    await visit.goto('/search', 'search');
    await type(page, 'given', 'Ardita');
    await type(page, 'family', 'Hoxha');
    await date(page, 'born', [12, 3, 1994]);
    await visit.click(page.getByRole('button', { name: 'Search by name' }), 'search-by-name');
    const hits = page.locator('table.govuk-table tbody tr');
    assert.ok((await hits.count()) >= 1, 'the person is found');
    await visit.click(hits.first().locator('th a'), 'search-open');
    assert.match(path(page), /^\/cases\/NRM-/);

    // A new referral, found by its reference and worked.
    const reference = await firstOf(visit, 'awaiting_reasonable_grounds');
    await byReference(visit, reference, 'new-case');
    await openAction(visit, reference, 'Request information', 'request-information');
    await choose(page, 'from', 'first_responder');
    await checkAndRecord(visit, reference, 'request-information', 'Record request', 'Information request recorded');
    await openAction(visit, reference, 'Record information received', 'record-information');
    await page.locator('input[name="request"]').first().check();
    await date(page, 'received_on', today());
    await checkAndRecord(visit, reference, 'record-information', 'Record information received', 'Information received recorded');
    await decide(visit, 'Reasonable Grounds', 'positive');
    assert.equal(path(page), `/cases/${reference}`);
    await openAction(visit, reference, 'Extend the recovery period', 'extend-recovery');
    await date(page, 'until', inDays(120));
    await checkAndRecord(visit, reference, 'extend-recovery', 'Record extension', 'Recovery period extended');
    const timeline = await page.locator('main ol').last().innerText();
    for (const step of ['Information requested', 'Recovery period extended']) {
      assert.match(timeline, new RegExp(step), `${step} on the timeline`);
    }

    // A case whose recovery period is behind it: a negative Conclusive Grounds decision.
    cgCase = await firstOf(visit, 'awaiting_conclusive_grounds', 'referred_oldest');
    await byReference(visit, cgCase, 'cg-case');
    await decide(visit, 'Conclusive Grounds', 'negative');
    const refusal = await page.locator('.govuk-error-summary').count() ? await page.locator('.govuk-error-summary').innerText() : '';
    assert.equal(path(page), `/cases/${cgCase}`, refusal);
  } finally {
    await visit.close();
  }

  // The second caseworker reviews it; then it is served and its notice printed.
  const manager = new Visit(browser, 'caseworker-day-review');
  const mpage = await manager.open();
  try {
    await signIn(manager, { email: DEMO.caManager, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    await byReference(manager, cgCase, 'review-case');
    await openAction(manager, cgCase, 'Review a negative decision', 'review');
    await choose(mpage, 'decision', 'conclusive_grounds');
    await choose(mpage, 'outcome', 'agree');
    await type(mpage, 'reviewer_agency', 'Single Competent Authority');
    await date(mpage, 'reviewed_on', today());
    await type(mpage, 'reasons', 'The decision follows from the evidence.');
    await checkAndRecord(manager, cgCase, 'review', 'Record review', 'Review recorded');
    await openAction(manager, cgCase, 'Serve a decision', 'serve');
    await choose(mpage, 'decision', 'conclusive_grounds');
    await date(mpage, 'served_on', today());
    await choose(mpage, 'legal_representative', 'no');
    await checkAndRecord(manager, cgCase, 'serve', 'Record service', 'Decision served');
    await manager.click(mpage.getByRole('link', { name: 'Decision notices to print' }), 'notices');
    assert.equal(path(mpage), `/cases/${cgCase}/notices`);
    await manager.click(mpage.locator('#notices tbody tr').first().locator('th a'), 'notice-letter');
    assert.match(await mpage.locator('#letter').innerText(), new RegExp(`Case reference: ${cgCase}`));
  } finally {
    await manager.close();
  }
});
