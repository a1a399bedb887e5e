// Issue 13: the children's pathway in the browser, every page checked with axe. A pilot
// panel (Hull's) works from its own queue (/panel): it convenes for a child's case, prepares
// its papers, records a negative Reasonable Grounds decision with its attendance, the case
// moving through the queue's groups as it goes; the meeting page shows the members, the
// quorum, the decision with its reasons and attendance. The decision waits in the Single
// Competent Authority's assurance queue until an SCA decision maker agrees it, and the
// meeting page then says so. An age assessment finds a person referred as an adult to be a
// child living in Hull, and the case moves to Hull's panel's queue. A demo child of the
// guardian's who turned 18 during the case has the consent-to-support question open on the
// case page; the SCA's manager records the young adult's "yes" through a form and a check
// page, and the question is then closed.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, choose, date, path, signIn, today, type } from '../lib/journey.mjs';

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

/** Whether the panel's queue lists `reference` in the group `group` (its heading's id). */
async function inGroup(visit, group, reference, slug) {
  await visit.goto('/panel', slug);
  return (await visit.page.locator(`h2#${group} + table a`, { hasText: reference }).count()) === 1;
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
  let meeting;
  try {
    await signIn(panel, { email: PANEL.chair, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    // The panel's own queue, linked from the cases page; the first case it has to convene for.
    await panel.click(page.getByRole('link', { name: "Your panel's queue and meetings" }), 'panel-queue');
    assert.equal(path(page), '/panel');
    assert.match(await page.locator('h1').innerText(), /Hull/);
    const first = page.locator('h2#to-convene + table tbody tr').first().locator('a').first();
    reference = (await first.innerText()).trim();
    await panel.click(first, `case-${reference}`);
    assert.equal(path(page), `/cases/${reference}`);
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
    assert.ok(await inGroup(panel, 'awaiting-papers', reference, 'queue-awaiting-papers'));
    await panel.goto(`/cases/${reference}`, 'case-after-convening');

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
    assert.ok(await inGroup(panel, 'awaiting-meeting', reference, 'queue-awaiting-meeting'));
    await panel.goto(`/cases/${reference}`, 'case-after-papers');

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

    // The queue has it with the SCA; its meeting page shows who sat, the quorum, the decision.
    assert.ok(await inGroup(panel, 'with-sca', reference, 'queue-with-sca'));
    await panel.click(
      page.locator('h2#with-sca + table tr', { hasText: reference }).locator('a').last(),
      'meeting',
    );
    assert.match(path(page), /^\/panel\/meetings\/\d{4}-\d{2}-\d{2}$/);
    meeting = path(page);
    const agenda = page.locator('main');
    const text = await agenda.innerText();
    assert.match(text, new RegExp(`Case ${reference}`));
    assert.match(text, /Chair/);
    assert.match(text, /Quorate: 4 present, at least 3 needed/);
    assert.match(text, /Reasonable Grounds decision: Negative/);
    assert.match(text, /does not meet the threshold/);
    assert.match(text, /Waiting for the SCA's quality assurance/);
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
    // The panel's pages are the panel's: the SCA's decision maker is refused them.
    const refused = await sca.goto('/panel', 'panel-refused');
    assert.equal(refused.status(), 403);
  } finally {
    await sca.close();
  }

  // Back on the panel's pages: assured, the case has left the panel's open work.
  const again = new Visit(browser, 'panels-panel-after');
  const againPage = await again.open();
  try {
    await signIn(again, { email: PANEL.chair, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    await again.goto(meeting, 'meeting-after-assurance');
    assert.match(await againPage.locator('main').innerText(), /Agreed by the SCA on/);
    assert.ok(!(await inGroup(again, 'with-sca', reference, 'queue-after-assurance')));
  } finally {
    await again.close();
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
    // And it is in the panel's own queue, to convene for.
    assert.ok(await inGroup(panel, 'to-convene', reference, 'queue-rerouted'));
  } finally {
    await panel.close();
  }
});

test("a young adult's answer to the consent-to-support question is recorded on the case", async () => {
  // The demo guardian's children: one of them turned 18 during the case (demo data).
  const guardian = new Visit(browser, 'consent-guardian');
  const gp = await guardian.open();
  let references;
  try {
    await signIn(guardian, { email: 'guardian@demo.invalid', password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    assert.equal(path(gp), '/guardians');
    references = (await gp.locator('#caseload a').allInnerTexts()).map((t) => t.trim());
    assert.ok(references.length > 0, 'the demo guardian has children');
  } finally {
    await guardian.close();
  }
  const manager = new Visit(browser, 'consent-manager');
  const page = await manager.open();
  const ACTION = "Record the young adult's answer to the consent-to-support question";
  try {
    await signIn(manager, { email: DEMO.caManager, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    let reference;
    for (const [i, candidate] of references.entries()) {
      await manager.goto(`/cases/${candidate}`, `consent-candidate-${i}`);
      if ((await page.locator('#actions a', { hasText: ACTION }).count()) === 1) {
        reference = candidate;
        break;
      }
    }
    assert.ok(reference, 'a demo case has the consent-to-support question open');
    assert.match(await page.locator('main').innerText(), /Turned 18: ask the young adult the consent-to-support question/);
    await openAction(manager, reference, ACTION, 'consent-to-support');
    await manager.click(page.getByRole('button', { name: 'Continue' }), 'consent-empty');
    await assertError(manager, { href: 'consents' });
    await choose(page, 'consents', 'yes');
    await date(page, 'on', today());
    await manager.click(page.getByRole('button', { name: 'Continue' }), 'consent-check');
    assert.match(await page.locator('h1').innerText(), /^Check before you record/);
    assert.match(await page.locator('main').innerText(), /Yes/);
    await manager.click(page.getByRole('button', { name: 'Record answer' }), 'consent-recorded');
    assert.equal(path(page), `/cases/${reference}`);
    assert.match(
      await page.locator('.govuk-notification-banner').innerText(),
      /Answer to the consent-to-support question recorded/,
    );
    // Answered: the question is no longer offered, and its form is not found.
    assert.equal(await page.locator('#actions a', { hasText: ACTION }).count(), 0);
    const response = await manager.goto(`/cases/${reference}/actions/consent-to-support`, 'consent-answered');
    assert.equal(response?.status(), 404);
  } finally {
    await manager.close();
  }
});
