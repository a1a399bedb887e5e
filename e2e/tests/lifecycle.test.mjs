// i. The lifecycle on the case page: a decision maker requests information and records the
// reply, is refused an extension before the Reasonable Grounds decision (the rule in words),
// decides Reasonable Grounds, is refused an extension that ends too soon (the date in words),
// extends, and serves the decision; every step through its form and its check page, the
// timeline saying who did what and when. A manager allocates a case to a caseworker.

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

/** The UK date `days` from today, as [day, month, year]. */
function inDays(days) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', day: 'numeric', month: 'numeric', year: 'numeric',
  }).formatToParts(new Date(Date.now() + days * 86_400_000));
  const get = (t) => Number(parts.find((p) => p.type === t).value);
  return [get('day'), get('month'), get('year')];
}

/** Opens the first case of the queue filtered to `status`; returns its reference. */
async function firstCase(visit, status) {
  const page = visit.page;
  await visit.goto(`/cases?status=${status}&sort=referred_newest`, `queue-${status}`);
  const link = page.locator('main table tbody tr').first().locator('a').first();
  const reference = (await link.innerText()).trim();
  await visit.click(link, `case-${reference}`);
  assert.equal(path(page), `/cases/${reference}`);
  return reference;
}

/** Follows an action's link on the case page. */
async function openAction(visit, reference, text, slug) {
  const page = visit.page;
  await visit.click(page.locator('#actions a', { hasText: text }), `${slug}-form`);
  assert.equal(path(page), `/cases/${reference}/actions/${slug}`);
  assert.equal(await page.locator('h1').innerText(), text);
}

/** Continues to the check page, then records; expects the success banner. */
async function checkAndRecord(visit, reference, slug, button, banner) {
  const page = visit.page;
  await visit.click(page.getByRole('button', { name: 'Continue' }), `${slug}-check`);
  assert.match(await page.locator('h1').innerText(), /^Check before you record/);
  assert.match(await page.locator('main').innerText(), new RegExp(reference));
  await visit.click(page.getByRole('button', { name: button }), `${slug}-recorded`);
  assert.equal(path(page), `/cases/${reference}`);
  assert.match(await page.locator('.govuk-notification-banner--success').innerText(), new RegExp(banner));
}

/** Continues to the check page, tries to record, and expects the rules' refusal. */
async function refused(visit, slug, button, message) {
  const page = visit.page;
  await visit.click(page.getByRole('button', { name: 'Continue' }), `${slug}-check`);
  await visit.click(page.getByRole('button', { name: button }), `${slug}-refused`);
  assert.match(await page.title(), /^Error: /);
  const link = page.locator('.govuk-error-summary a[href="#confirm"]');
  assert.equal(await link.count(), 1, 'the summary links to the button');
  assert.match(await link.innerText(), message);
}

test('a decision maker works a case through its lifecycle on the case page', async () => {
  const visit = new Visit(browser, 'lifecycle');
  const page = await visit.open();
  try {
    await signIn(visit, { email: DEMO.decisionMaker, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    const reference = await firstCase(visit, 'awaiting_reasonable_grounds');

    // Finding it again by its reference: an unknown one first.
    await visit.goto('/search', 'search');
    await visit.click(page.getByRole('button', { name: 'Find case' }), 'search-empty');
    await assertError(visit, { href: 'reference' });
    await type(page, 'reference', 'NRM-2026-0000-0000');
    await visit.click(page.getByRole('button', { name: 'Find case' }), 'search-unknown');
    await assertError(visit, { href: 'reference', message: /No case you can see has that reference/ });
    await type(page, 'reference', reference.toLowerCase());
    await visit.click(page.getByRole('button', { name: 'Find case' }), 'search-found');
    assert.equal(path(page), `/cases/${reference}`);

    // What a decision maker may do here, and not what only a manager may.
    const offered = (await page.locator('#actions a').allInnerTexts()).map((t) => t.trim());
    for (const action of ['Request information', 'Extend the recovery period', 'Serve a decision',
      'Suspend the case', 'Withdraw the case', 'Close the case', 'Review a negative decision']) {
      assert.ok(offered.includes(action), `${action} is offered: ${offered}`);
    }
    assert.ok(!offered.includes('Allocate to a caseworker'), 'allocation is a manager\'s');
    assert.ok(!offered.includes('Reroute to another competent authority'), 'rerouting is a manager\'s');

    // Request information: the form's error first, then the request.
    await openAction(visit, reference, 'Request information', 'request-information');
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'request-information-empty');
    await assertError(visit, { href: 'from' });
    await choose(page, 'from', 'police');
    await checkAndRecord(visit, reference, 'request-information', 'Record request', 'Information request recorded');
    const timeline = page.locator('main ol').last();
    assert.match(await timeline.innerText(), /Information requested\s+\d{1,2} [A-Z][a-z]+ \d{4} at \d{1,2}:\d{2}[ap]m, by decision\.maker@demo\.invalid/);

    // The reply.
    await openAction(visit, reference, 'Record information received', 'record-information');
    await page.locator('input[name="request"]').first().check();
    await date(page, 'received_on', today());
    await checkAndRecord(visit, reference, 'record-information', 'Record information received', 'Information received recorded');

    // No extension before the recovery period starts: the rule says so.
    await openAction(visit, reference, 'Extend the recovery period', 'extend-recovery');
    await date(page, 'until', inDays(90));
    await refused(visit, 'extend-recovery', 'Record extension', /^Only a case in its recovery period/);
    await visit.goto(`/cases/${reference}`, 'case-after-refusal');

    // Reasonable Grounds, positive.
    await visit.click(page.getByRole('button', { name: 'Record Reasonable Grounds decision' }), 'rg-form');
    await choose(page, 'outcome', 'positive');
    await date(page, 'decided_on', today());
    await type(page, 'reasons', 'The account meets the Reasonable Grounds threshold.');
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'rg-confirm');
    await visit.click(page.getByRole('button', { name: 'Record decision' }), 'rg-recorded');

    // An extension must end after the recovery period's current end, given in words.
    await openAction(visit, reference, 'Extend the recovery period', 'extend-recovery');
    await date(page, 'until', inDays(1));
    await refused(visit, 'extend-recovery', 'Record extension',
      /must end after the current end of the recovery period \(\d{1,2} [A-Z][a-z]+ \d{4}\)/);
    await visit.goto(`/cases/${reference}/actions/extend-recovery`, 'extend-recovery-again');
    await date(page, 'until', inDays(120));
    await checkAndRecord(visit, reference, 'extend-recovery', 'Record extension', 'Recovery period extended');

    // Serving the Reasonable Grounds decision.
    await openAction(visit, reference, 'Serve a decision', 'serve');
    await choose(page, 'decision', 'reasonable_grounds');
    await date(page, 'served_on', today());
    await choose(page, 'legal_representative', 'no');
    await checkAndRecord(visit, reference, 'serve', 'Record service', 'Decision served');
    assert.match(await page.locator('main ol').last().innerText(), /Decision served/);
    assert.equal(await field(page, 'confirmed').count(), 0);

    // The served decision's notices, listed by recipient, each a letter to print.
    await visit.click(page.getByRole('link', { name: 'Decision notices to print' }), 'notices');
    assert.equal(path(page), `/cases/${reference}/notices`);
    const notices = page.locator('#notices tbody tr');
    assert.ok((await notices.count()) >= 2, 'a notice for each recipient');
    assert.match(await page.locator('#notices').innerText(), /The First Responder/);
    await visit.click(notices.first().locator('th a'), 'notice-letter');
    assert.equal(path(page), `/cases/${reference}/notices/1`);
    assert.match(await page.locator('#letter').innerText(), new RegExp(`Case reference: ${reference}`));
    assert.match(await page.locator('#letter').innerText(), /To: /);
  } finally {
    await visit.close();
  }
});

test('a manager allocates a case to a caseworker', async () => {
  const visit = new Visit(browser, 'allocate');
  const page = await visit.open();
  try {
    await signIn(visit, { email: DEMO.caManager, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    const reference = await firstCase(visit, 'awaiting_reasonable_grounds');
    await openAction(visit, reference, 'Allocate to a caseworker', 'allocate');
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'allocate-empty');
    await assertError(visit, { href: 'to' });
    await page.getByLabel(DEMO.decisionMaker).check();
    await checkAndRecord(visit, reference, 'allocate', 'Allocate case', 'Case allocated');
  } finally {
    await visit.close();
  }
});

test('a manager allocates unallocated cases in bulk from the team page; the caseworker finds them', async () => {
  const visit = new Visit(browser, 'team');
  const page = await visit.open();
  try {
    await signIn(visit, { email: DEMO.caManager, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    await visit.click(page.getByRole('link', { name: 'Your team and unallocated cases' }), 'team');
    assert.equal(path(page), '/cases/team');
    assert.match(await page.locator('main').innerText(), /Caseloads/);
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'team-empty');
    await assertError(visit, { href: 'cases' });
    const first = page.locator('input[name="cases"]').first();
    const reference = await first.getAttribute('value');
    await first.check();
    await page.getByLabel(DEMO.decisionMaker).check();
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'team-check');
    assert.match(await page.locator('h1').innerText(), new RegExp(`^Allocate 1 case to ${DEMO.decisionMaker.replaceAll('.', '\\.')}\\?$`));
    await visit.click(page.getByRole('button', { name: 'Allocate cases' }), 'team-allocated');
    assert.match(await page.locator('.govuk-notification-banner--success').innerText(), /1 case allocated/);
    await visit.goto('/cases', 'manager-queue');
    await visit.click(page.getByRole('link', { name: 'My cases' }), 'manager-my-cases');
    assert.equal(await page.locator('h1').innerText(), 'My cases');
    assert.ok(reference, 'a case was offered');
  } finally {
    await visit.close();
  }
});
