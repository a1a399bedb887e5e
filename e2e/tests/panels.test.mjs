// Issue 13: the children's pathway in the browser, every page checked with axe. A pilot
// panel (Hull's) convenes for a child's case, prepares its papers, records a negative
// Reasonable Grounds decision with its attendance; the decision waits in the Single Competent
// Authority's assurance queue until an SCA decision maker agrees it. An age assessment finds
// a person referred as an adult to be a child living in Hull, and the case moves to Hull's
// panel.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { choose, date, path, signIn, today, type } from '../lib/journey.mjs';

const PANEL = {
  chair: 'la.panel.member@demo.invalid',
  socialCare: 'la.social.care@demo.invalid',
  police: 'la.police@demo.invalid',
  health: 'la.health@demo.invalid',
};

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Opens the first case of the caller's queue with `status`; returns its reference. */
async function firstCase(visit, status) {
  const page = visit.page;
  await visit.goto(`/cases?status=${status}&sort=referred_newest`, `queue-${status}`);
  const link = page.locator('main table tbody tr').first().locator('a').first();
  const reference = (await link.innerText()).trim();
  await visit.click(link, `case-${reference}`);
  assert.equal(path(page), `/cases/${reference}`);
  return reference;
}

async function openAction(visit, reference, text, slug) {
  const page = visit.page;
  await visit.click(page.locator('#actions a', { hasText: text }), `${slug}-form`);
  assert.equal(path(page), `/cases/${reference}/actions/${slug}`);
}

/** Chooses the radio of question `name` whose label is `label`. */
async function chooseLabelled(page, name, label) {
  await page.locator(`input[name="${name}"]`).locator('xpath=..').filter({ hasText: label })
    .locator('input').check();
}

async function checkAndRecord(visit, slug, button) {
  const page = visit.page;
  await visit.click(page.getByRole('button', { name: 'Continue' }), `${slug}-check`);
  assert.match(await page.locator('h1').innerText(), /^Check before you record/);
  await visit.click(page.getByRole('button', { name: button }), `${slug}-recorded`);
}

test('a pilot panel convenes, decides and is assured by the SCA', async () => {
  const panel = new Visit(browser, 'panels-panel');
  const page = await panel.open();
  let reference;
  try {
    await signIn(panel, { email: PANEL.chair, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    reference = await firstCase(panel, 'awaiting_reasonable_grounds');
    // The panel decides at its meetings, not through a single decision maker's form.
    assert.equal(await page.locator(`a[href="/cases/${reference}/reasonable-grounds"]`).count(), 0);

    await openAction(panel, reference, 'Convene the panel', 'convene-panel');
    await date(page, 'meets_on', today());
    await chooseLabelled(page, 'chair', PANEL.chair);
    await choose(page, 'chair_agency', 'childrens_social_care');
    await choose(page, 'chair_lead_social_worker', 'no');
    await chooseLabelled(page, 'social_care_member', PANEL.socialCare);
    await chooseLabelled(page, 'police_member', PANEL.police);
    await chooseLabelled(page, 'health_member', PANEL.health);
    await checkAndRecord(panel, 'convene-panel', 'Convene panel');
    assert.equal(path(page), `/cases/${reference}`);

    await openAction(panel, reference, "Prepare the panel's papers", 'panel-papers');
    await page.locator('input[name="meeting"]').last().check();
    for (const [name, answer] of [
      ['paper_referral', 'yes'], ['paper_childrens_social_care', 'yes'], ['paper_police', 'yes'],
      ['paper_health', 'yes'], ['paper_education', 'no'], ['paper_childs_views', 'yes'],
      ['paper_guardian', 'no'], ['paper_immigration', 'no'], ['paper_first_responder', 'no'],
    ]) {
      await choose(page, name, answer);
    }
    await checkAndRecord(panel, 'panel-papers', 'Record papers');

    await openAction(panel, reference, "Record the panel's decision", 'panel-decision');
    await page.locator('input[name="meeting"]').last().check();
    await choose(page, 'decision', 'reasonable_grounds');
    await choose(page, 'outcome', 'negative');
    await choose(page, 'negative_reason', 'insufficient_evidence');
    for (const name of ['chair_present', 'social_care_present', 'police_present', 'health_present']) {
      await choose(page, name, 'yes');
    }
    await type(page, 'reasons', 'The information the agencies gathered does not meet the threshold.');
    await checkAndRecord(panel, 'panel-decision', 'Record decision');
    assert.match(await page.locator('main').innerText(), /With the SCA|awaiting|Negative/i);
  } finally {
    await panel.close();
  }

  const sca = new Visit(browser, 'panels-sca');
  const scaPage = await sca.open();
  try {
    await signIn(sca, { email: DEMO.decisionMaker, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    await sca.goto('/assurance', 'assurance-queue');
    const link = scaPage.locator('main table a', { hasText: reference });
    assert.equal(await link.count(), 1, 'the decision waits for assurance');
    await sca.click(link, 'assured-case');
    await openAction(sca, reference, "Quality-assure a pilot panel's decision", 'assure-panel-decision');
    await choose(scaPage, 'decision', 'reasonable_grounds');
    await choose(scaPage, 'outcome', 'agree');
    await date(scaPage, 'reviewed_on', today());
    await type(scaPage, 'reasons', 'The decision follows from the papers.');
    await checkAndRecord(sca, 'assure-panel-decision', 'Record assurance');
    await sca.goto('/assurance', 'assurance-queue-after');
    assert.equal(await scaPage.locator('main table a', { hasText: reference }).count(), 0);
  } finally {
    await sca.close();
  }
});

test('an age assessment finds a person referred as an adult to be a child, and the case moves to the pilot panel', async () => {
  const dm = new Visit(browser, 'panels-age');
  const page = await dm.open();
  let reference;
  try {
    await signIn(dm, { email: DEMO.decisionMaker, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    await dm.goto('/cases?status=awaiting_reasonable_grounds&age=adult&sort=referred_newest', 'adults');
    const link = page.locator('main table tbody tr').first().locator('a').first();
    reference = (await link.innerText()).trim();
    await dm.click(link, `case-${reference}`);
    await openAction(dm, reference, 'Record an age assessment', 'age-assessment');
    await choose(page, 'assessed_by', 'local_authority');
    await date(page, 'assessed_on', today());
    await choose(page, 'finding', 'child');
    const [d, m, y] = today();
    await date(page, 'date_of_birth', [d, m, y - 13]);
    await type(page, 'local_authority_area', 'hull');
    await type(page, 'reasons', 'Assessed by two social workers with an interpreter.');
    await checkAndRecord(dm, 'age-assessment', 'Record age assessment');
    // The case has left the SCA: back to the queue.
    assert.equal(path(page), '/cases');
  } finally {
    await dm.close();
  }
  const panel = new Visit(browser, 'panels-age-panel');
  const panelPage = await panel.open();
  try {
    await signIn(panel, { email: PANEL.chair, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    await panel.goto(`/cases/${reference}`, 'rerouted-case');
    const main = await panelPage.locator('main').innerText();
    assert.match(main, /Local authority panel/);
    assert.match(main, /Child/);
  } finally {
    await panel.close();
  }
});
