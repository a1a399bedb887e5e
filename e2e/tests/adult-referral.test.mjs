// a. An adult referral from start to "Your referrals", through every question page, the
// exploitation "add another" loop, check your answers (with one change), confirmation and
// the printable copy.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newFirstResponder } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import {
  choose, country, date, onStep, signIn, submit, today, type,
} from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('an adult referral, every question page, check answers, send, print, your referrals', async () => {
  const user = newFirstResponder('adult');
  const visit = new Visit(browser, 'adult-referral');
  const page = await visit.open();
  try {
    await signIn(visit, user, { from: '/sign-in?next=/' });
    assert.equal(await page.locator('h1').innerText(), 'Refer a potential victim of modern slavery');

    await visit.click(page.getByRole('button', { name: 'Start now' }), 'choose-journey');
    await page.getByLabel('Refer an adult who consents').check();
    await submit(visit, 'name');
    onStep(page, 'name');
    await type(page, 'given_names', 'Ana');
    await type(page, 'family_name', 'Testerova');
    await type(page, 'other_names', 'Annie\nA. T.');
    await submit(visit, 'date-of-birth');

    onStep(page, 'date-of-birth');
    await date(page, 'date_of_birth', [14, 3, 1996]);
    await submit(visit, 'gender');

    onStep(page, 'gender');
    await page.getByLabel('Female', { exact: true }).check();
    await submit(visit, 'nationality');

    onStep(page, 'nationality');
    await country(page, 'nationality', 'AL');
    await submit(visit, 'languages');

    onStep(page, 'languages');
    await type(page, 'languages', 'Albanian\nItalian');
    await choose(page, 'interpreter', 'yes');
    await submit(visit, 'address');

    onStep(page, 'address');
    // Where the person is now: their support and some deadlines follow that nation's rules.
    await choose(page, 'current_nation', 'scotland');
    await type(page, 'address_line_1', '1 Test Street');
    await type(page, 'address_town', 'Birmingham');
    await type(page, 'address_postcode', 'B1 1AA');
    await type(page, 'contact', 'Through the support worker');
    await submit(visit, 'consent');

    onStep(page, 'consent');
    await date(page, 'consent_given_on', today());
    await choose(page, 'support_consent', 'yes');
    await submit(visit, 'exploitation-1');

    onStep(page, 'exploitation/1');
    await page.getByLabel('Labour exploitation').check();
    await page.getByLabel('Outside the UK').check();
    await country(page, 'country', 'AL');
    await submit(visit, 'exploitation-summary-1');

    onStep(page, 'exploitation');
    assert.match(await page.locator('h1').innerText(), /You have added 1 exploitation detail/);
    await choose(page, 'another', 'yes');
    await submit(visit, 'exploitation-2');

    onStep(page, 'exploitation/2');
    await page.getByLabel('Sexual exploitation').check();
    await page.getByLabel('England').check();
    await submit(visit, 'exploitation-summary-2');

    onStep(page, 'exploitation');
    assert.match(await page.locator('h1').innerText(), /You have added 2 exploitation details/);
    await choose(page, 'another', 'no');
    await submit(visit, 'when');

    onStep(page, 'when');
    await date(page, 'started_on', [1, 6, 2024]);
    await choose(page, 'ongoing', 'no');
    await date(page, 'ended_on', [1, 9, 2025]);
    await submit(visit, 'account');

    onStep(page, 'account');
    await type(page, 'narrative', 'She was made to work on a farm without pay and could not leave.');
    await submit(visit, 'organisation');

    onStep(page, 'organisation');
    await choose(page, 'organisation_type', 'police');
    await choose(page, 'immigration_cohort', 'none');
    await submit(visit, 'check-answers');

    const id = onStep(page, 'check');
    const main = page.locator('main');
    await assert.doesNotReject(main.getByText('Testerova').first().waitFor());
    await assert.doesNotReject(main.getByText('Labour exploitation, Outside the UK (Albania)').waitFor());
    await assert.doesNotReject(main.getByText('Which part of the UK are they in now?').first().waitFor());
    await assert.doesNotReject(main.getByText('Scotland', { exact: true }).first().waitFor());

    // Change one answer and come back.
    const changeLanguages = main.locator(`a[href="/referrals/${id}/languages?return=check"]`).first();
    await visit.click(changeLanguages, 'change-languages');
    onStep(page, 'languages');
    assert.equal(await page.locator('[name="languages"]').inputValue(), 'Albanian\nItalian');
    await type(page, 'languages', 'Albanian\nGreek');
    await submit(visit, 'check-answers-changed');
    onStep(page, 'check');
    await assert.doesNotReject(main.getByText('Greek').first().waitFor());
    assert.equal(await main.getByText('Italian').count(), 0, 'the old answer is gone');

    await visit.click(main.getByRole('button', { name: 'Accept and send' }), 'confirmation');
    onStep(page, 'confirmation');
    const panel = page.locator('.govuk-panel');
    assert.match(await panel.locator('h1').innerText(), /Referral sent/);
    const reference = (await panel.locator('strong').innerText()).trim();
    assert.match(reference, /^[A-Z0-9-]{6,}$/, `a case reference, not ${reference}`);

    await visit.click(page.getByRole('link', { name: 'Print a copy of what you sent' }), 'print');
    onStep(page, 'print');
    await assert.doesNotReject(main.getByText(reference).first().waitFor());
    await assert.doesNotReject(main.getByText('Testerova').first().waitFor());

    await visit.click(page.getByRole('link', { name: 'Your referrals' }).first(), 'your-referrals');
    const row = main.locator('tr', { hasText: reference });
    assert.equal(await row.count(), 1, 'your referrals lists the referral once');
    assert.match(await row.innerText(), /Adult/);
    assert.ok((await row.locator('.govuk-tag').innerText()).trim().length > 0, 'with a status');
  } finally {
    await visit.close();
  }
});
