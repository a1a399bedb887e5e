// i. Independent Child Trafficking Guardians: a child referral made in Leeds (an ICTG area)
// reaches the guardian service at once; its manager allocates a Direct Worker through the form
// (its error state first, then the check step); the demo guardian finds the child on their
// home, records a contact with the check step, and reads it back. Every page axe-checked.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD, newFirstResponder } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { startJourney } from '../lib/flows.mjs';
import {
  assertError, choose, country, date, onStep, path, signIn, submit, today, type,
} from '../lib/journey.mjs';

const MANAGER = 'guardian.manager@demo.invalid';
const GUARDIAN = 'guardian@demo.invalid';
const NOTE = 'Met at the foster home; he wants to go back to college.';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A child referral in Leeds, through the First Responder's journey; its reference. */
async function referChild() {
  const visit = new Visit(browser, 'guardian-referral');
  const page = await visit.open();
  try {
    await signIn(visit, newFirstResponder('guardian'));
    await startJourney(visit, 'Refer a child', 'name');
    await type(page, 'family_name', 'Guardianson');
    await submit(visit, 'date-of-birth');
    onStep(page, 'date-of-birth');
    const [, , year] = today();
    await date(page, 'date_of_birth', [2, 11, year - 15]);
    await submit(visit, 'gender');
    await choose(page, 'gender', 'male');
    await submit(visit, 'nationality');
    onStep(page, 'nationality');
    await country(page, 'nationality', 'VN');
    await submit(visit, 'languages');
    onStep(page, 'languages');
    await choose(page, 'interpreter', 'no');
    await submit(visit, 'address');
    onStep(page, 'address');
    await choose(page, 'current_nation', 'england');
    await submit(visit, 'safeguarding');
    onStep(page, 'safeguarding');
    await choose(page, 'age_disputed', 'no');
    await choose(page, 'local_authority_notified', 'yes');
    await type(page, 'local_authority_area', 'Leeds');
    await submit(visit, 'exploitation-1');
    onStep(page, 'exploitation/1');
    await page.getByLabel('Criminal exploitation').check();
    await page.getByLabel('England').check();
    await submit(visit, 'exploitation-summary');
    onStep(page, 'exploitation');
    await choose(page, 'another', 'no');
    await submit(visit, 'county-lines');
    onStep(page, 'county-lines');
    await choose(page, 'county_lines', 'yes');
    await submit(visit, 'when');
    onStep(page, 'when');
    await choose(page, 'ongoing', 'yes');
    await submit(visit, 'account');
    onStep(page, 'account');
    await type(page, 'narrative', 'He was made to carry drugs between cities.');
    await submit(visit, 'organisation');
    onStep(page, 'organisation');
    await choose(page, 'organisation_type', 'police');
    await choose(page, 'immigration_cohort', 'none');
    await submit(visit, 'check-answers');
    onStep(page, 'check');
    await visit.click(page.locator('main').getByRole('button', { name: 'Accept and send' }), 'confirmation');
    onStep(page, 'confirmation');
    return (await page.locator('.govuk-panel strong').innerText()).trim();
  } finally {
    await visit.close();
  }
}

test('a child referral in an ICTG area reaches a guardian', async () => {
  const reference = await referChild();
  const child = `/guardians/children/${reference}`;

  const manager = new Visit(browser, 'guardian-manager');
  const mp = await manager.open();
  try {
    await signIn(manager, { email: MANAGER, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    assert.equal(path(mp), '/guardians');
    assert.equal(await mp.locator('h1').innerText(), 'Independent Child Trafficking Guardians');
    const awaiting = mp.locator('#awaiting');
    assert.match(await awaiting.innerText(), new RegExp(reference));
    await manager.click(awaiting.getByRole('link', { name: reference }), 'child-awaiting');
    assert.equal(path(mp), child);
    await manager.click(mp.getByRole('link', { name: 'Allocate a guardian' }), 'allocate-form');
    await manager.click(mp.getByRole('button', { name: 'Continue' }), 'allocate-empty');
    await assertError(manager, { href: 'parental_responsibility' });
    await choose(mp, 'parental_responsibility', 'no');
    await choose(mp, 'role', 'direct_worker');
    await choose(mp, 'exceptional_need', 'no');
    await mp.getByLabel(GUARDIAN).check();
    await date(mp, 'on', today());
    await manager.click(mp.getByRole('button', { name: 'Continue' }), 'allocate-check');
    assert.match(await mp.locator('h1').innerText(), /^Check before you record/);
    assert.match(await mp.locator('main').innerText(), /Direct Worker/);
    await manager.click(mp.getByRole('button', { name: 'Allocate' }), 'allocated');
    assert.equal(path(mp), child);
    assert.match(await mp.locator('.govuk-notification-banner').innerText(), /Guardian allocated/);
  } finally {
    await manager.close();
  }

  const guardian = new Visit(browser, 'guardian');
  const gp = await guardian.open();
  try {
    await signIn(guardian, { email: GUARDIAN, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    assert.equal(path(gp), '/guardians');
    assert.equal(await gp.locator('h1').innerText(), 'Your children');
    const caseload = gp.locator('#caseload');
    assert.match(await caseload.innerText(), new RegExp(reference));
    await guardian.click(caseload.getByRole('link', { name: reference }), 'child');
    assert.match(await gp.locator('main dl').innerText(), /Guardianson/, "the child's name");
    assert.match(await gp.locator('#due').innerText(), /Next contact/);
    await guardian.click(gp.getByRole('link', { name: 'Record a contact' }), 'contact-form');
    await guardian.click(gp.getByRole('button', { name: 'Continue' }), 'contact-empty');
    await assertError(guardian, { href: 'kind' });
    await choose(gp, 'kind', 'face_to_face');
    await date(gp, 'on', today());
    await type(gp, 'notes', NOTE);
    await guardian.click(gp.getByRole('button', { name: 'Continue' }), 'contact-check');
    assert.match(await gp.locator('main').innerText(), new RegExp(NOTE.slice(0, 20)));
    await guardian.click(gp.getByRole('button', { name: 'Record contact' }), 'contact-recorded');
    assert.equal(path(gp), child);
    assert.match(await gp.locator('#contacts').innerText(), new RegExp(NOTE.slice(0, 20)));
  } finally {
    await guardian.close();
  }
});
