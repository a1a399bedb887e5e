// Issue 11: an assurance panel's review in the browser, every page checked with axe. A negative
// Conclusive Grounds decision made before December 2022 (the demo's, from November 2022) is
// reviewed by a Multi-Agency Assurance Panel named with its chair and two members from
// different agencies: the demo's panel member finds it in their queue, gets the form's error
// summary when no chair is chosen and the rule's words when one member is named twice, then
// records the panel's review, and the case leaves the panel's queue; the decision maker sees
// the review on the case's timeline. A negative CG made a few weeks ago is reviewed by a second
// caseworker: the panel's form is not offered on its case page, and posted anyway it is
// refused with the rule and its date in words.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, choose, date, field, path, signIn, today, type } from '../lib/journey.mjs';

const PANEL = {
  chair: 'panel.member@demo.invalid',
  police: 'panel.police@demo.invalid',
  localAuthority: 'panel.local.authority@demo.invalid',
};
const FORM_TITLE = "Record an assurance panel's review";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Filters the queue through its form, as a person would. */
async function filter(visit, { status, sort }, slug) {
  const page = visit.page;
  await field(page, 'status').selectOption(status);
  await field(page, 'sort').selectOption(sort);
  await visit.click(page.getByRole('button', { name: 'Apply' }), slug);
}

/** The references the queue shows. */
async function listed(page) {
  return (await page.locator('main table tbody tr').evaluateAll(
    (rows) => rows.map((r) => r.querySelector('a')?.textContent.trim()),
  )).filter(Boolean);
}

/** Opens the first case of the queue; returns its reference. */
async function openFirst(visit, slug) {
  const page = visit.page;
  const link = page.locator('main table tbody tr').first().locator('a').first();
  const reference = (await link.innerText()).trim();
  await visit.click(link, slug);
  assert.equal(path(page), `/cases/${reference}`);
  return reference;
}

/** Chooses the radio of question `name` whose label is `label`. */
async function chooseLabelled(page, name, label) {
  await page.locator(`input[name="${name}"]`).locator('xpath=..').filter({ hasText: label })
    .locator('input').check();
}

/** Fills the panel's form: the chair and two members, each with their agency. */
async function fillPanel(page, { chair, first, second }) {
  await choose(page, 'outcome', 'agree');
  await chooseLabelled(page, 'chair', chair.email);
  await type(page, 'chair_agency', chair.agency);
  await chooseLabelled(page, 'first_member', first.email);
  await type(page, 'first_member_agency', first.agency);
  await chooseLabelled(page, 'second_member', second.email);
  await type(page, 'second_member_agency', second.agency);
  await date(page, 'reviewed_on', today());
  await type(page, 'reasons', 'The panel read the whole file and agrees with the decision.');
}

/** Continues to the check page, presses its button, and expects the rules' refusal. */
async function refused(visit, slug, message) {
  const page = visit.page;
  await visit.click(page.getByRole('button', { name: 'Continue' }), `${slug}-check`);
  assert.match(await page.locator('h1').innerText(), /^Check before you record/);
  await visit.click(page.getByRole('button', { name: "Record the panel's review" }), `${slug}-refused`);
  assert.match(await page.title(), /^Error: /);
  const link = page.locator('.govuk-error-summary a[href="#confirm"]');
  assert.equal(await link.count(), 1, 'the summary links to the button');
  assert.match(await link.innerText(), message);
}

const CHAIR = { email: PANEL.chair, agency: 'Home Office' };
const POLICE = { email: PANEL.police, agency: 'Police' };
const LOCAL_AUTHORITY = { email: PANEL.localAuthority, agency: 'Local authority' };

test('an assurance panel reviews a negative CG made before December 2022', async () => {
  const visit = new Visit(browser, 'panel-review');
  const page = await visit.open();
  let reference;
  try {
    await signIn(visit, { email: PANEL.chair, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    assert.equal(path(page), '/cases');
    // The oldest negative CG awaiting review: the demo's, from November 2022.
    await filter(visit, { status: 'negative_conclusive_grounds', sort: 'referred_oldest' }, 'queue-oldest');
    reference = await openFirst(visit, 'old-case');
    assert.match(reference, /^NRM-2022-/);
    const offered = (await page.locator('#actions a').allInnerTexts()).map((t) => t.trim());
    assert.ok(offered.includes(FORM_TITLE), `the panel's form is offered: ${offered}`);
    assert.ok(!offered.includes('Review a negative decision'),
      "not the second caseworker's, which the rules of that date do not allow");

    await visit.click(page.locator('#actions a', { hasText: FORM_TITLE }), 'panel-review-form');
    const form = `/cases/${reference}/actions/panel-review`;
    assert.equal(path(page), form);
    assert.equal(await page.locator('h1').innerText(), FORM_TITLE);
    for (const email of Object.values(PANEL)) {
      assert.equal(await page.locator('input[name="chair"]').locator('xpath=..')
        .filter({ hasText: email }).count(), 1, `${email} may chair`);
    }

    // No chair chosen: the error summary names it, the other answers are kept.
    await choose(page, 'outcome', 'agree');
    await type(page, 'chair_agency', 'Home Office');
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'panel-review-no-chair');
    await assertError(visit, { href: 'chair', message: /Select an answer to "Who chaired the panel\?"/ });
    await assertError(visit, { href: 'first_member' });
    assert.equal(await field(page, 'chair_agency').inputValue(), 'Home Office');

    // One member named twice: the rule says so, and nothing is recorded.
    await fillPanel(page, { chair: CHAIR, first: POLICE, second: { ...POLICE, agency: 'Local authority' } });
    await refused(visit, 'panel-review-twice', /Each member can only be counted once/);

    // Then the panel as it sat: recorded, and the case leaves the panel's queue.
    await visit.goto(form, 'panel-review-again');
    await fillPanel(page, { chair: CHAIR, first: POLICE, second: LOCAL_AUTHORITY });
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'panel-review-check');
    assert.match(await page.locator('h1').innerText(), /^Check before you record/);
    const check = await page.locator('main').innerText();
    for (const words of [reference, PANEL.chair, PANEL.police, PANEL.localAuthority, 'Local authority']) {
      assert.ok(check.includes(words), `the check page shows ${words}`);
    }
    await visit.click(page.getByRole('button', { name: "Record the panel's review" }), 'panel-review-recorded');
    assert.equal(path(page), '/cases', 'reviewed, the case is no longer the panel\'s');
    await filter(visit, { status: 'negative_conclusive_grounds', sort: 'referred_oldest' }, 'queue-after');
    assert.ok(!(await listed(page)).includes(reference), 'no review is due any more');
  } finally {
    await visit.close();
  }

  // The decision maker sees the panel's review on the timeline, and no review is due.
  const dm = new Visit(browser, 'panel-review-decision-maker');
  const dmPage = await dm.open();
  try {
    await signIn(dm, { email: DEMO.decisionMaker, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    await dm.goto(`/cases/${reference}`, 'reviewed-case');
    const timeline = await dmPage.locator('main ol').last().innerText();
    assert.match(timeline,
      /Negative Conclusive Grounds reviewed\s+.* by panel\.member@demo\.invalid, Multi-Agency Assurance Panel/,
      timeline);
    const offered = (await dmPage.locator('#actions a').allInnerTexts()).map((t) => t.trim());
    assert.ok(!offered.includes(FORM_TITLE), `no panel review is offered: ${offered}`);
  } finally {
    await dm.close();
  }
});

test("an assurance panel is refused a recent negative CG, which a second caseworker reviews", async () => {
  const visit = new Visit(browser, 'panel-review-recent');
  const page = await visit.open();
  try {
    await signIn(visit, { email: PANEL.police, password: DEMO_PASSWORD }, { from: '/sign-in?next=/cases' });
    await filter(visit, { status: 'negative_conclusive_grounds', sort: 'referred_newest' }, 'queue-newest');
    const reference = await openFirst(visit, 'recent-case');
    assert.doesNotMatch(reference, /^NRM-20(19|20|21|22)-/);
    const offered = (await page.locator('#actions a').allInnerTexts()).map((t) => t.trim());
    assert.ok(!offered.includes(FORM_TITLE), `the panel's form is not offered: ${offered}`);

    // The form's address typed in: the rule refuses it, with the decision's date in words.
    await visit.goto(`/cases/${reference}/actions/panel-review`, 'recent-panel-review-form');
    await fillPanel(page, { chair: POLICE, first: CHAIR, second: LOCAL_AUTHORITY });
    await refused(visit, 'recent-panel-review',
      /made on \d{1,2} [A-Z][a-z]+ \d{4} is reviewed by a second caseworker, not a panel \(assurance panels ended in December 2022\)/);
    await visit.goto(`/cases/${reference}`, 'recent-case-after');
    const timeline = await page.locator('main ol').last().innerText();
    assert.match(timeline, /Conclusive grounds decided/, timeline);
    assert.doesNotMatch(timeline, /reviewed/, 'nothing was recorded');
  } finally {
    await visit.close();
  }
});
