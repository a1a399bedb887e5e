// b. A child referral: the safeguarding questions instead of consent, and a criminal
// exploitation entry, so the county lines question is asked.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newFirstResponder } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { startJourney } from '../lib/flows.mjs';
import { choose, country, date, onStep, signIn, submit, type } from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a child referral with criminal exploitation asks about county lines', async () => {
  const visit = new Visit(browser, 'child-referral');
  const page = await visit.open();
  try {
    await signIn(visit, newFirstResponder('child'));
    await startJourney(visit, 'Refer a child', 'name');
    await type(page, 'family_name', 'Testson');
    await submit(visit, 'date-of-birth');

    onStep(page, 'date-of-birth');
    await date(page, 'date_of_birth', [2, 11, 2010]);
    await submit(visit, 'gender');

    await choose(page, 'gender', 'male');
    await submit(visit, 'nationality');

    onStep(page, 'nationality');
    await country(page, 'nationality', 'GB');
    await submit(visit, 'languages');

    onStep(page, 'languages');
    await choose(page, 'interpreter', 'no');
    await submit(visit, 'address');

    onStep(page, 'address');
    await choose(page, 'current_nation', 'england');
    await submit(visit, 'safeguarding');

    onStep(page, 'safeguarding');
    assert.equal(await page.locator('[name="consent_given_on-day"]').count(), 0, 'no consent asked');
    await choose(page, 'age_disputed', 'no');
    await choose(page, 'local_authority_notified', 'yes');
    await type(page, 'local_authority_area', 'Hull');
    await submit(visit, 'exploitation-1');

    onStep(page, 'exploitation/1');
    await page.getByLabel('Criminal exploitation').check();
    await page.getByLabel('England').check();
    await submit(visit, 'exploitation-summary');

    onStep(page, 'exploitation');
    await choose(page, 'another', 'no');
    await submit(visit, 'county-lines');

    onStep(page, 'county-lines');
    assert.match(await page.locator('h1').innerText(), /Was it county lines\?/);
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
    const main = page.locator('main');
    await assert.doesNotReject(main.getByText('Was it county lines?').first().waitFor());
    await assert.doesNotReject(main.getByText('Hull').first().waitFor());
    await visit.click(main.getByRole('button', { name: 'Accept and send' }), 'confirmation');
    onStep(page, 'confirmation');
    const reference = (await page.locator('.govuk-panel strong').innerText()).trim();

    await visit.click(page.getByRole('link', { name: 'Go to your referrals' }), 'your-referrals');
    const row = main.locator('tr', { hasText: reference });
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /Child/);
  } finally {
    await visit.close();
  }
});
