// j. The later victim support forms (issue 12), each reached as the demo account that uses it
// would, every page (form, check page, result) checked with axe: a support worker records a
// missing person found (after raising a low missing-person concern on a person of the test's
// own) and escalates a medium concern to the Home Office by hand, which the contract manager
// then sees and acknowledges; a support worker asks for a refused Recovery Needs Assessment
// decision to be reconsidered (the RNA recorded and refused first, and decided again after,
// so the demo's person in move-on support is left with nothing awaiting a decision); and the
// contract manager records a follow-up of the demo's inspection, one dated before the
// inspection it follows refused in words first. Starting Reach-In support after an exit is
// the last journey of support-forms.test.mjs: it ends the support of the demo's only person in
// move-on support, whom that file's earlier journeys need.

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

/** A UK date `days` before today, as [day, month, year]. */
function daysAgo(days) {
  const [d, m, y] = today();
  const then = new Date(Date.UTC(y, m - 1, d - days));
  return [then.getUTCDate(), then.getUTCMonth() + 1, then.getUTCFullYear()];
}

/** The episode page's concerns table row for a concern of `kind`. */
function concernRow(page, kind) {
  return page.locator('main table tbody tr', { hasText: kind });
}

test('a support worker records a missing person found and escalates a concern the contract manager then sees', async () => {
  // A person of the test's own: an emergency referral allocated to the demo support worker.
  const manager = new Visit(browser, 'followups-referral');
  const mpage = await manager.open();
  let episode;
  try {
    await home(manager, MANAGER);
    await manager.click(mpage.getByRole('link', { name: 'Make an emergency referral' }), 'emergency-form');
    await choose(mpage, 'nation', 'england');
    await choose(mpage, 'adult', 'yes');
    await choose(mpage, 'consent', 'yes');
    await submit(manager, 'emergency-check', /Continue/);
    await confirm(manager, 'Make referral', 'emergency-episode');
    episode = path(mpage);
    assert.match(episode, /^\/support\/episodes\/SUP-[A-Z0-9]{8}$/);
    await manager.click(mpage.getByRole('link', { name: 'Allocate the referral' }), 'allocate-form');
    await choose(mpage, 'provision', 'accommodation');
    await mpage.locator('input[name="provider"]').first().check();
    await mpage.getByLabel(/support\.worker@demo\.invalid/).check();
    await submit(manager, 'allocate-check', /Continue/);
    await confirm(manager, 'Allocate', 'allocated');
    assert.equal(path(mpage), episode);
  } finally {
    await manager.close();
  }
  const reference = episode.split('/').pop();

  const worker = new Visit(browser, 'followups-missing');
  const page = await worker.open();
  try {
    await home(worker, WORKER);
    await worker.goto(episode, 'episode');
    const found = page.getByRole('link', { name: 'Record that the missing person has been found' });
    const escalate = page.getByRole('link', { name: 'Escalate a concern to the Home Office' });
    assert.equal(await found.count(), 0, 'nobody is missing yet');
    assert.equal(await escalate.count(), 0, 'no concern to escalate yet');

    // The person goes missing: a low concern with the police reference of the report.
    await worker.click(page.getByRole('link', { name: 'Raise a safeguarding concern' }), 'missing-form');
    await choose(page, 'kind', 'going_missing');
    await choose(page, 'severity', 'low');
    await type(page, 'details', 'Did not come back to the safe house last night.');
    await type(page, 'police_reference', 'MP-4411');
    await worker.click(page.getByRole('button', { name: 'Raise concern' }), 'missing-raised');
    assert.equal(path(page), episode);
    assert.match(await concernRow(page, 'Going missing').innerText(), /Open/);

    // Found: nothing chosen is an error first; then the check page and the record.
    await worker.click(found, 'found-form');
    assert.equal(await page.locator('h1').innerText(), 'Record that the missing person has been found');
    await submit(worker, 'found-errors', /Continue/);
    await assertError(worker, { href: 'concern', message: /Select/ });
    await page.getByLabel(/Going missing \(low severity\)/).check();
    await submit(worker, 'found-check', /Continue/);
    assert.match(await page.locator('main').innerText(), /Going missing \(low severity\), raised/);
    await confirm(worker, 'Record as found', 'found-recorded');
    assert.equal(path(page), episode);
    assert.equal(await found.count(), 0, 'found once: the form is no longer offered');
    // Nobody is missing now, so the concern can be closed with its outcome.
    assert.equal(await page.getByRole('link', { name: 'Close a concern' }).count(), 1);

    // A medium concern does not reach the Home Office by itself: the worker escalates it.
    await worker.click(page.getByRole('link', { name: 'Raise a safeguarding concern' }), 'medium-form');
    await choose(page, 'kind', 're_trafficking');
    await choose(page, 'severity', 'medium');
    await type(page, 'details', 'Said on return that a former gangmaster offered work again.');
    await worker.click(page.getByRole('button', { name: 'Raise concern' }), 'medium-raised');
    assert.match(await concernRow(page, 'Re trafficking').innerText(), /Open/);
    await worker.click(escalate, 'escalate-form');
    const offered = await page.locator('main .govuk-radios').innerText();
    assert.match(offered, /Re trafficking \(medium severity\)/);
    assert.match(offered, /Going missing \(low severity\)/, 'the missing concern is not escalated either');
    await page.getByLabel(/Re trafficking \(medium severity\)/).check();
    await submit(worker, 'escalate-check', /Continue/);
    assert.match(await page.locator('main').innerText(), /Re trafficking \(medium severity\), raised/);
    await confirm(worker, 'Escalate concern', 'escalated');
    assert.equal(path(page), episode);
    assert.match(await concernRow(page, 'Re trafficking').innerText(), /Escalated to the Home Office/);
    assert.match(await concernRow(page, 'Going missing').innerText(), /Open/);
    // The missing-person concern can still be escalated; the escalated one is not offered again.
    await worker.click(escalate, 'escalate-form-again');
    assert.doesNotMatch(await page.locator('main .govuk-radios').innerText(), /Re trafficking/);
  } finally {
    await worker.close();
  }

  // The contract manager sees the escalated concern in the Home Office's queue.
  const contract = new Visit(browser, 'followups-escalated');
  const cm = await contract.open();
  try {
    await home(contract, CONTRACT);
    const queue = cm.locator('main table').first();
    await contract.click(queue.getByRole('link', { name: reference }).first(), 'escalated-episode');
    assert.equal(path(cm), episode);
    const row = concernRow(cm, 'Re trafficking');
    assert.match(await row.innerText(), /Escalated to the Home Office/);
    assert.equal(await concernRow(cm, 'Going missing').count(), 0, 'the Home Office sees escalated concerns only');
    await contract.click(row.getByRole('button', { name: /^Acknowledge/ }), 'acknowledged');
    assert.match(await concernRow(cm, 'Re trafficking').innerText(), /Acknowledged by the Home Office/);
  } finally {
    await contract.close();
  }
});

test('a support worker asks for a refused RNA decision to be reconsidered and the contract manager decides again', async () => {
  // Two people at once, each signed in once: the worker and the contract manager.
  const worker = new Visit(browser, 'followups-reconsider-worker');
  const contract = new Visit(browser, 'followups-reconsider-contract');
  const page = await worker.open();
  const cm = await contract.open();
  try {
    await home(worker, WORKER);
    const row = page.locator('main table tbody tr', { hasText: 'Move-on support' }).first();
    assert.equal(await row.count(), 1, 'the demo has a person in move-on support');
    await worker.click(row.locator('a').first(), 'move-on-episode');
    const episode = path(page);

    // An assessment recommending 60 more days.
    await worker.click(page.getByRole('link', { name: 'Record a Recovery Needs Assessment' }), 'rna-form');
    for (const [name, level] of [
      ['need_accommodation', 'ongoing'],
      ['need_health', 'none'],
      ['need_mental_health', 'ongoing'],
      ['need_legal', 'met_elsewhere'],
      ['need_finance', 'none'],
      ['need_immigration', 'met_elsewhere'],
      ['need_education_and_employment', 'none'],
      ['need_safety', 'ongoing'],
    ]) {
      await choose(page, name, level);
    }
    await type(page, 'recommended_days', '60');
    await type(page, 'evidence', 'Trauma therapy started last month; the exploiters still look for the person.');
    await submit(worker, 'rna-check', /Continue/);
    await confirm(worker, 'Record assessment', 'rna-recorded');
    assert.equal(path(page), episode);

    // The Home Office refuses further support.
    await home(contract, CONTRACT);
    await contract.goto(episode, 'contract-episode');
    await contract.click(cm.getByRole('link', { name: 'Decide on a Recovery Needs Assessment' }), 'refuse-form');
    await cm.getByLabel(/60 days recommended/).check();
    await choose(cm, 'decision', 'refused');
    await type(cm, 'days_granted', '0');
    await type(cm, 'reasons', 'The needs can be met by local services from now on.');
    await submit(contract, 'refuse-check', /Continue/);
    await confirm(contract, 'Record decision', 'refused');
    let tasks = await cm.locator('.govuk-task-list').innerText();
    assert.match(tasks, /Refused/);
    assert.match(tasks, /0 days granted/);

    // The worker asks for it to be reconsidered: nothing chosen and no grounds are errors first.
    await worker.goto(episode, 'episode-refused');
    const reconsider = page.getByRole('link', { name: 'Ask for the RNA decision to be reconsidered' });
    await worker.click(reconsider, 'reconsider-form');
    await submit(worker, 'reconsider-errors', /Continue/);
    await assertError(worker, { href: 'decided_rna' });
    await assertError(worker, { href: 'grounds' });
    const refused = page.getByLabel(/Refused .*: 0 of the 60 days recommended granted/);
    assert.equal(await refused.count(), 1, 'the refused decision is offered');
    await refused.check();
    await type(page, 'grounds', 'The local counselling service has a six-month waiting list; a letter from it is on file.');
    await submit(worker, 'reconsider-check', /Continue/);
    const check = await page.locator('main').innerText();
    assert.match(check, /0 of the 60 days recommended granted/);
    assert.match(check, /six-month waiting list/);
    await confirm(worker, 'Ask for reconsideration', 'reconsideration-asked');
    assert.equal(path(page), episode);
    tasks = await page.locator('.govuk-task-list').innerText();
    assert.match(tasks, /Reconsideration requested/);
    // Asked once: the refused decision is no longer offered for reconsideration.
    if (await reconsider.count()) {
      await worker.click(reconsider, 'reconsider-form-again');
      assert.equal(await page.getByLabel(/0 of the 60 days recommended granted/).count(), 0);
      await worker.goto(episode, 'episode-after-asking');
    }
    assert.equal(await page.getByRole('link', { name: 'Record a Recovery Needs Assessment' }).count(), 0,
      'no new assessment while one awaits the Home Office');

    // The contract manager decides again and approves the 60 days.
    await contract.goto(episode, 'contract-episode-reconsider');
    await contract.click(cm.getByRole('link', { name: 'Decide on a Recovery Needs Assessment' }), 'redecide-form');
    await cm.getByLabel(/60 days recommended/).check();
    await choose(cm, 'decision', 'approved');
    await type(cm, 'days_granted', '60');
    await type(cm, 'reasons', 'The waiting list letter shows the need cannot be met locally yet.');
    await submit(contract, 'redecide-check', /Continue/);
    await confirm(contract, 'Record decision', 'approved');
    tasks = await cm.locator('.govuk-task-list').innerText();
    assert.match(tasks, /Approved/);
    assert.match(tasks, /60 days granted/);
    assert.equal(await cm.getByRole('link', { name: 'Decide on a Recovery Needs Assessment' }).count(), 0);
  } finally {
    await worker.close();
    await contract.close();
  }
});

test('the contract manager records a follow-up inspection, one dated before the inspection it follows refused first', async () => {
  const visit = new Visit(browser, 'followups-inspection');
  const page = await visit.open();
  try {
    await home(visit, CONTRACT);
    await visit.click(page.getByRole('link', { name: 'Inspections and required actions' }), 'inspections');
    await visit.click(page.getByRole('link', { name: 'Record a follow-up inspection' }), 'follow-up-form');
    assert.equal(await page.locator('h1').innerText(), 'Record a follow-up inspection');

    // Nothing answered: the error summary names the questions.
    await submit(visit, 'follow-up-errors', /Continue/);
    await assertError(visit, { href: 'follows' });
    await assertError(visit, { href: 'inspected_on-day' });
    await assertError(visit, { href: 'rating_staffing' });

    // The demo's inspection (30 days ago, staffing below good) is the oldest offered.
    const demo = page.locator('input[name="follows"]').last();
    const label = await page.locator(`label[for="${await demo.getAttribute('id')}"]`).innerText();
    assert.match(label, /^Self catered accommodation in London, inspected .*: requires improvement/);
    const demoDate = label.match(/inspected (\d{1,2} [A-Z][a-z]+ \d{4})/)[1];
    // The follow-up finds staffing still below good: a new required action for it (which
    // also keeps the house's latest rating "requires improvement" for the pages after).
    const answer = async (inspectedOn) => {
      await page.locator('input[name="follows"]').last().check();
      await date(page, 'inspected_on', inspectedOn);
      for (const area of ['safety', 'safeguarding', 'cleanliness', 'wellbeing']) {
        await choose(page, `rating_${area}`, 'good');
      }
      await choose(page, 'rating_staffing', 'requires_improvement');
      await choose(page, 'action_1_area', 'staffing');
      const [, , year] = today();
      await date(page, 'action_1_due', [1, 3, year + 1]);
      await type(page, 'notes', 'Night staffing met the standard on four of the six nights checked.');
    };

    // Dated before the inspection it follows: refused in words, nothing recorded.
    await answer(daysAgo(40));
    await submit(visit, 'follow-up-early-check', /Continue/);
    await confirm(visit, 'Record inspection', 'follow-up-refused');
    assert.match(
      await page.locator('.govuk-error-summary').innerText(),
      /A follow-up inspection must follow an earlier inspection of the same accommodation/,
    );
    assert.equal(path(page), '/support/new/follow-up-inspection', 'nothing recorded');
    await visit.goto('/support/inspections', 'inspections-after-refusal');
    assert.equal(await page.locator('main dl', { hasText: 'Follows up' }).count(), 0, 'no follow-up recorded');

    // Dated today instead, it is recorded and shown as the follow-up of the demo's inspection.
    await visit.click(page.getByRole('link', { name: 'Record a follow-up inspection' }), 'follow-up-form-again');
    await answer(today());
    await submit(visit, 'follow-up-check', /Continue/);
    const check = await page.locator('main').innerText();
    assert.match(check, new RegExp(`Self catered accommodation in London, inspected ${demoDate}`));
    assert.match(check, /Requires improvement/);
    await confirm(visit, 'Record inspection', 'follow-up-recorded');
    assert.equal(path(page), '/support/inspections');
    const followUp = page.locator('main dl', { hasText: 'Follows up' });
    assert.equal(await followUp.count(), 1);
    const recorded = await followUp.innerText();
    assert.match(recorded, new RegExp(`Follows up\\s+The inspection of ${demoDate}`));
    assert.match(recorded, /Staffing: Requires improvement/);
    assert.match(recorded, /Cleanliness: Good/);
  } finally {
    await visit.close();
  }
});
