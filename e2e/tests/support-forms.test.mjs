// i. Victim support forms (issue 12), each a GOV.UK form, a check page and the record, every
// page checked with axe: a support manager makes an emergency referral (errors first) and
// allocates it to emergency accommodation; the support worker records a Recovery Needs
// Assessment for a person in move-on support and the contract manager decides it; the contract
// manager records an inspection with a required action and sees the overdue actions; and the
// weekly payments ledger shows a week due and paid; and a support manager posts a week due,
// records a payment and an adjustment through the payment forms ("see a weekly payment"); and
// a support manager assigns a support worker, closes a concern with its outcome, records the
// person's exit (the end of a period that has not ended refused in words first) and adds
// accommodation; and, last, the support worker records the exit of the demo's person in
// move-on support (a positive CG) and starts Reach-In support after it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, choose, date, path, submit, today, type } from '../lib/journey.mjs';
import { CONTRACT, MANAGER, WORKER, confirm, home } from '../lib/support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a support manager makes an emergency referral and allocates it to emergency accommodation', async () => {
  const visit = new Visit(browser, 'support-emergency');
  const page = await visit.open();
  try {
    await home(visit, MANAGER);
    await visit.click(page.getByRole('link', { name: 'Make an emergency referral' }), 'emergency-form');
    await submit(visit, 'emergency-empty', /Continue/);
    await assertError(visit, { href: 'nation' });
    await choose(page, 'nation', 'england');
    await choose(page, 'adult', 'yes');
    await choose(page, 'consent', 'yes');
    await submit(visit, 'emergency-check', /Continue/);
    await confirm(visit, 'Make referral', 'emergency-episode');
    assert.match(path(page), /^\/support\/episodes\/SUP-[A-Z0-9]{8}$/);
    assert.match(await page.locator('main').innerText(), /Emergency request before Reasonable Grounds/);
    assert.match(await page.locator('main').innerText(), /Awaiting allocation/);

    await visit.click(page.getByRole('link', { name: 'Allocate the referral' }), 'allocate-form');
    await choose(page, 'provision', 'emergency_accommodation');
    await page.locator('input[name="provider"]').first().check();
    await page.locator('input[name="worker"]').last().check();
    await submit(visit, 'allocate-check', /Continue/);
    assert.match(await page.locator('main').innerText(), /Emergency accommodation/);
    await confirm(visit, 'Allocate', 'allocated');
    assert.match(await page.locator('main').innerText(), /Supported before Reasonable Grounds/);
    assert.equal(await page.getByRole('link', { name: 'Allocate the referral' }).count(), 0);
  } finally {
    await visit.close();
  }
});

test('a support worker records an RNA, the contract manager decides it, and the ledger shows a paid week', async () => {
  const worker = new Visit(browser, 'support-rna');
  const page = await worker.open();
  let episode;
  try {
    await home(worker, WORKER);
    const row = page.locator('main table tbody tr', { hasText: 'Move-on support' }).first();
    assert.equal(await row.count(), 1, 'the demo has a person in move-on support');
    await worker.click(row.locator('a').first(), 'move-on-episode');
    episode = path(page);

    // The weekly payments ledger: a week due and paid.
    await worker.click(page.getByRole('link', { name: 'See the weekly payments ledger' }), 'ledger');
    const ledger = await page.locator('#ledger').innerText();
    assert.match(ledger, /Subsistence due for the week beginning/);
    assert.match(ledger, /Paid to the person/);
    assert.match(await page.locator('main').innerText(), /Owed now\s+£0\.00/);
    await worker.goto(episode, 'back-to-episode');

    await worker.click(page.getByRole('link', { name: 'Record a Recovery Needs Assessment' }), 'rna-form');
    for (const [name, level] of [
      ['need_accommodation', 'ongoing'],
      ['need_health', 'met_elsewhere'],
      ['need_mental_health', 'ongoing'],
      ['need_legal', 'none'],
      ['need_finance', 'none'],
      ['need_immigration', 'met_elsewhere'],
      ['need_education_and_employment', 'none'],
    ]) {
      await choose(page, name, level);
    }
    await type(page, 'recommended_days', 'forty');
    await submit(worker, 'rna-errors', /Continue/);
    await assertError(worker, { href: 'need_safety' });
    await choose(page, 'need_safety', 'none');
    await type(page, 'recommended_days', '45');
    await type(page, 'evidence', 'Waiting for counselling; no move-on accommodation found yet.');
    await submit(worker, 'rna-check', /Continue/);
    await confirm(worker, 'Record assessment', 'rna-recorded');
    assert.equal(path(page), episode);
    assert.match(await page.locator('.govuk-task-list').innerText(), /Waiting for decision/);

    // A safeguarding review: nothing chosen is an error; then the check step and the record.
    await worker.click(page.getByRole('link', { name: 'Record a safeguarding review' }), 'review-form');
    await submit(worker, 'review-errors', /Continue/);
    await assertError(worker, { href: 'trigger' });
    await choose(page, 'trigger', 'scheduled');
    await type(page, 'notes', 'Settled in the safe house; no contact from the exploiters.');
    await submit(worker, 'review-check', /Continue/);
    await confirm(worker, 'Record review', 'review-recorded');
    assert.equal(path(page), episode);

    // A transition plan: an action needs its owner; then the check step and the record.
    await worker.click(page.getByRole('link', { name: 'Record a transition plan' }), 'plan-form');
    await choose(page, 'plan_1_area', 'accommodation');
    await type(page, 'details', 'A council tenancy from next month; counselling continues.');
    await submit(worker, 'plan-errors', /Continue/);
    await assertError(worker, { href: 'plan_1_owner' });
    await choose(page, 'plan_1_owner', 'local_authority');
    const [d, m, y] = today();
    await date(page, 'plan_1_due', [d, m, y + 1]);
    await submit(worker, 'plan-check', /Continue/);
    await confirm(worker, 'Record plan', 'plan-recorded');
    assert.equal(path(page), episode);
    assert.match(await page.locator('.govuk-task-list').innerText(), /1 action/);

    // The demo person's placement ends today, and they are placed again.
    await worker.click(page.getByRole('link', { name: 'End the placement' }), 'end-placement-form');
    await page.locator('input[name="placement"]').first().check();
    await date(page, 'end', today());
    await choose(page, 'reason', 'moved_to_other_accommodation');
    await submit(worker, 'end-placement-check', /Continue/);
    await confirm(worker, 'Record the end', 'end-placement-recorded');
    assert.equal(path(page), episode);
    await worker.click(page.getByRole('link', { name: 'Place the person in accommodation' }), 'start-placement-form');
    await page.locator('input[name="accommodation"]').first().check();
    await date(page, 'start', today());
    await submit(worker, 'start-placement-check', /Continue/);
    await confirm(worker, 'Record placement', 'start-placement-recorded');
    assert.equal(path(page), episode);
  } finally {
    await worker.close();
  }

  const contract = new Visit(browser, 'support-rna-decision');
  const cm = await contract.open();
  try {
    await home(contract, CONTRACT);
    await contract.goto(episode, 'rna-episode');
    await contract.click(cm.getByRole('link', { name: 'Decide on a Recovery Needs Assessment' }), 'decision-form');
    await cm.locator('input[name="rna"]').first().check();
    await choose(cm, 'decision', 'shortened');
    await type(cm, 'days_granted', '30');
    await type(cm, 'reasons', 'Accommodation need evidenced; mental health support available locally within 30 days.');
    await submit(contract, 'decision-check', /Continue/);
    await confirm(contract, 'Record decision', 'decided');
    const tasks = await cm.locator('.govuk-task-list').innerText();
    assert.match(tasks, /Shortened/);
    assert.match(tasks, /30 days granted/);
  } finally {
    await contract.close();
  }
});

test('the contract manager records an inspection with a required action and sees those overdue', async () => {
  const visit = new Visit(browser, 'support-inspection');
  const page = await visit.open();
  try {
    await home(visit, CONTRACT);
    await visit.click(page.getByRole('link', { name: 'Inspections and required actions' }), 'inspections');
    assert.match(await page.locator('#overdue-actions').innerText(), /Staffing/);
    await visit.click(page.getByRole('link', { name: 'Record an inspection' }), 'inspection-form');
    await page.locator('input[name="accommodation"]').first().check();
    await date(page, 'inspected_on', today());
    for (const area of ['safety', 'safeguarding', 'staffing', 'wellbeing']) {
      await choose(page, `rating_${area}`, 'good');
    }
    await choose(page, 'rating_cleanliness', 'requires_improvement');
    await choose(page, 'action_1_area', 'cleanliness');
    await submit(visit, 'inspection-errors', /Continue/);
    await assertError(visit, { href: 'action_1_due-day' });
    const [, , year] = today();
    await date(page, 'action_1_due', [1, 3, year + 1]);
    await submit(visit, 'inspection-check', /Continue/);
    assert.match(await page.locator('main').innerText(), /Requires improvement/);
    await confirm(visit, 'Record inspection', 'inspection-recorded');
    assert.equal(path(page), '/support/inspections');
    const main = await page.locator('main').innerText();
    assert.match(main, /Cleanliness: Requires improvement/);
    assert.match(main, new RegExp(`1 March ${year + 1}`));
  } finally {
    await visit.close();
  }
});

test('see a weekly payment: a support manager posts a week due, records a payment and an adjustment', async () => {
  const visit = new Visit(browser, 'support-payments');
  const page = await visit.open();
  try {
    await home(visit, MANAGER);
    const row = page.locator('main table tbody tr', { hasText: 'Move-on support' }).first();
    assert.equal(await row.count(), 1, 'the demo has a person in move-on support');
    await visit.click(row.locator('a').first(), 'payments-episode');
    await visit.click(page.getByRole('link', { name: 'See the weekly payments ledger' }), 'payments-ledger');

    // A week that has ended, posted as due through the form (nothing chosen is an error).
    await visit.click(page.getByRole('link', { name: "Post a week's subsistence as due" }), 'week-due-form');
    await submit(visit, 'week-due-errors', /Continue/);
    await assertError(visit, { href: 'week' });
    await page.locator('input[name="week"]').first().check();
    await submit(visit, 'week-due-check', /Continue/);
    assert.match(await page.locator('main').innerText(), /The week beginning/);
    await confirm(visit, 'Post as due', 'week-due-posted');
    assert.match(path(page), /^\/support\/episodes\/SUP-[A-Z0-9]{8}\/payments$/);
    const dueRows = await page.locator('#ledger tbody tr', { hasText: 'Subsistence due' }).count();
    assert.ok(dueRows >= 2, 'the demo week and the one just posted');

    // A payment: an amount that is not one is an error first.
    await visit.click(page.getByRole('link', { name: 'Record a payment' }), 'payment-form');
    await date(page, 'paid_on', today());
    await type(page, 'amount', 'one pound');
    await submit(visit, 'payment-errors', /Continue/);
    await assertError(visit, { href: 'amount' });
    await type(page, 'amount', '1.00');
    await submit(visit, 'payment-check', /Continue/);
    await confirm(visit, 'Record payment', 'payment-recorded');
    assert.match(await page.locator('#ledger').innerText(), /−£1\.00/);

    // An adjustment with its reason.
    await visit.click(page.getByRole('link', { name: 'Adjust what is owed' }), 'adjust-form');
    await choose(page, 'direction', 'up');
    await type(page, 'amount', '2.50');
    await choose(page, 'reason', 'exceptional_payment');
    await submit(visit, 'adjust-check', /Continue/);
    assert.match(await page.locator('main').innerText(), /A one-off payment agreed by the Home Office/);
    await confirm(visit, 'Record adjustment', 'adjust-recorded');
    const ledger = await page.locator('#ledger').innerText();
    assert.match(ledger, /Adjustment: exceptional payment/);
    assert.match(ledger, /£2\.50/);
    assert.doesNotMatch(await page.locator('main').innerText(), /does not balance/);
  } finally {
    await visit.close();
  }
});

test('a support manager assigns a worker, closes a concern, records an exit and adds accommodation', async () => {
  const visit = new Visit(browser, 'support-exit');
  const page = await visit.open();
  try {
    await home(visit, MANAGER);
    // A person of its own: an emergency referral, allocated with no worker yet.
    await visit.click(page.getByRole('link', { name: 'Make an emergency referral' }), 'exit-emergency-form');
    await choose(page, 'nation', 'england');
    await choose(page, 'adult', 'yes');
    await choose(page, 'consent', 'yes');
    await submit(visit, 'exit-emergency-check', /Continue/);
    await confirm(visit, 'Make referral', 'exit-episode');
    const episode = path(page);
    await visit.click(page.getByRole('link', { name: 'Allocate the referral' }), 'exit-allocate-form');
    await choose(page, 'provision', 'accommodation');
    await page.locator('input[name="provider"]').first().check();
    await choose(page, 'worker', 'none');
    await submit(visit, 'exit-allocate-check', /Continue/);
    await confirm(visit, 'Allocate', 'exit-allocated');

    // The manager assigns one of the provider's support workers (nothing chosen: an error).
    await visit.click(page.getByRole('link', { name: 'Assign a support worker' }), 'assign-form');
    await submit(visit, 'assign-errors', /Continue/);
    await assertError(visit, { href: 'worker' });
    await page.locator('input[name="worker"]').first().check();
    await submit(visit, 'assign-check', /Continue/);
    assert.match(await page.locator('main').innerText(), /support\.worker@demo\.invalid/);
    await confirm(visit, 'Assign worker', 'assigned');
    assert.equal(path(page), episode);

    // A concern raised, then closed with its outcome (none chosen: an error).
    await visit.click(page.getByRole('link', { name: 'Raise a safeguarding concern' }), 'exit-concern-form');
    await choose(page, 'kind', 'domestic_abuse');
    await choose(page, 'severity', 'low');
    await type(page, 'details', 'A former partner called the house; the person is safe.');
    await visit.click(page.getByRole('button', { name: 'Raise concern' }), 'exit-concern-raised');
    await visit.click(page.getByRole('link', { name: 'Close a concern' }), 'close-concern-form');
    await page.locator('input[name="concern"]').first().check();
    await submit(visit, 'close-concern-errors', /Continue/);
    await assertError(visit, { href: 'outcome' });
    await choose(page, 'outcome', 'risk_reduced');
    await submit(visit, 'close-concern-check', /Continue/);
    assert.match(await page.locator('main').innerText(), /The risk has reduced/);
    await confirm(visit, 'Close concern', 'concern-closed');
    assert.equal(path(page), episode);
    assert.match(await page.locator('main table').first().innerText(), /Closed/);
    assert.equal(await page.getByRole('link', { name: 'Close a concern' }).count(), 0);

    // The exit: the end of a support period that has not ended is refused in words and
    // nothing is recorded; then the person withdraws their consent.
    const exitLink = page.getByRole('link', { name: "Record the person's exit from support" });
    await visit.click(exitLink, 'exit-form');
    await submit(visit, 'exit-errors', /Continue/);
    await assertError(visit, { href: 'reason' });
    await choose(page, 'reason', 'support_period_ended');
    await submit(visit, 'exit-check', /Continue/);
    await confirm(visit, 'Record exit', 'exit-refused');
    assert.match(await page.locator('.govuk-error-summary').innerText(), /The support period has not ended/);
    await visit.goto(`${episode}/record/exit`, 'exit-form-again');
    await choose(page, 'reason', 'consent_withdrawn');
    await submit(visit, 'exit-check-again', /Continue/);
    assert.match(await page.locator('main').innerText(), /The person withdrew their consent/);
    await confirm(visit, 'Record exit', 'exited');
    assert.equal(path(page), episode);
    const main = await page.locator('main').innerText();
    assert.match(main, /Exited/);
    assert.match(main, /consent withdrawn/);
    assert.equal(await exitLink.count(), 0, 'exited once');

    // Accommodation added from the home page; its address is not shown.
    await visit.goto('/support', 'home-before-accommodation');
    await visit.click(page.getByRole('link', { name: 'Add accommodation' }), 'accommodation-form');
    await submit(visit, 'accommodation-errors', /Continue/);
    await assertError(visit, { href: 'kind' });
    await assertError(visit, { href: 'capacity' });
    await choose(page, 'kind', 'catered');
    await type(page, 'capacity', '4');
    await choose(page, 'region', 'north_east');
    await type(page, 'address', '3 Quayside Row, Newcastle');
    await submit(visit, 'accommodation-check', /Continue/);
    assert.match(await page.locator('main').innerText(), /Catered: meals are provided/);
    await confirm(visit, 'Add accommodation', 'accommodation-added');
    assert.equal(path(page), '/support');
    const added = page.locator('main table tbody tr', { hasText: 'North east' });
    assert.equal(await added.count(), 1);
    assert.match(await added.innerText(), /0 of 4/);
    assert.doesNotMatch(await page.locator('main').innerText(), /Quayside/);
  } finally {
    await visit.close();
  }
});

// Last in this file: it ends the support of the demo's only person in move-on support, whom
// the journeys above need.
test('a support worker records the exit of a person with a positive CG and starts Reach-In support', async () => {
  const visit = new Visit(browser, 'support-reach-in');
  const page = await visit.open();
  try {
    await home(visit, WORKER);
    const row = page.locator('main table tbody tr', { hasText: 'Move-on support' }).first();
    assert.equal(await row.count(), 1, 'the demo has a person in move-on support (a positive CG)');
    await visit.click(row.locator('a').first(), 'reach-in-episode');
    const episode = path(page);
    const reachIn = page.getByRole('link', { name: 'Start Reach-In support' });
    assert.equal(await reachIn.count(), 0, 'Reach-In follows the exit');

    // The person moves on; the rules of today (the Modern Slavery Victim Care Contract in
    // England) provide Reach-In after an exit that follows a positive CG.
    await visit.click(page.getByRole('link', { name: "Record the person's exit from support" }), 'reach-in-exit-form');
    await choose(page, 'reason', 'moved_on');
    await submit(visit, 'reach-in-exit-check', /Continue/);
    assert.match(await page.locator('main').innerText(), /The person has moved on to other support or independence/);
    await confirm(visit, 'Record exit', 'reach-in-exited');
    assert.equal(path(page), episode);
    assert.match(await page.locator('main dl').first().innerText(), /Exited\s+.*: moved on/);

    await visit.click(reachIn, 'reach-in-form');
    assert.equal(await page.locator('h1').innerText(), 'Start Reach-In support');
    await submit(visit, 'reach-in-check', /Continue/);
    assert.match(await page.locator('main').innerText(), new RegExp(episode.split('/').pop()));
    await confirm(visit, 'Start Reach-In support', 'reach-in-started');
    assert.equal(path(page), episode);
    const summary = await page.locator('main dl').first().innerText();
    assert.match(summary, /Support\s+Reach-In support/);
    assert.match(summary, /Reach-In support since/);
    assert.equal(await reachIn.count(), 0, 'started once');
    // No longer in support: nothing the rules would refuse is offered.
    assert.equal(await page.getByRole('link', { name: 'Record a safeguarding review' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Raise a safeguarding concern' }).count(), 0);
    // Out of the open caseload now.
    await visit.goto('/support', 'reach-in-caseload');
    const caseload = page.getByRole('table', { name: 'People in support' });
    assert.equal(await caseload.locator('tbody tr', { hasText: episode.split('/').pop() }).count(), 0);
  } finally {
    await visit.close();
  }
});
