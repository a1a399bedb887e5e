// d. Mistakes on the way: empty required pages, an impossible date, a future date, over-long
// text, a missing country; each shows the GOV.UK error state (title "Error: …", a summary
// linking to the field, the message at the field) and keeps what was typed. A later page
// reached by its address sends the person back to the first unanswered one. Sending the
// check-answers form twice makes one referral.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newFirstResponder } from '../lib/accounts.mjs';
import { BASE_URL, Visit, launch } from '../lib/browser.mjs';
import { startJourney } from '../lib/flows.mjs';
import {
  assertError, choose, country, date, field, onStep, signIn, submit, today, type,
} from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const values = async (page, ...names) =>
  Promise.all(names.map((n) => field(page, n).inputValue()));

test('bad input is refused with the GOV.UK error pattern, and a referral is sent only once', async () => {
  const visit = new Visit(browser, 'bad-input');
  const page = await visit.open();
  try {
    await signIn(visit, newFirstResponder('bad-input'));

    // Choosing nothing.
    await visit.goto('/referrals/new', 'choose-journey');
    await submit(visit, 'choose-journey-error');
    await assertError(visit, { href: 'kind', message: /Select what you want to do/ });
    await page.getByLabel('Refer an adult who consents').check();
    await submit(visit, 'name');
    const id = onStep(page, 'name');

    // A later page by its address: back to the first unanswered one.
    for (const later of ['account', 'organisation', 'exploitation/1', 'check']) {
      await visit.goto(`/referrals/${id}/${later}`, `jump-to-${later.replace('/', '-')}`);
      onStep(page, 'name');
    }

    // An empty name page.
    await submit(visit, 'name-empty');
    onStep(page, 'name');
    await assertError(visit, { href: 'given_names', message: /Enter the person's given names/ });

    // Over-long text, kept as typed.
    const long = 'A'.repeat(201);
    await type(page, 'given_names', long);
    await type(page, 'family_name', 'Mistake');
    await submit(visit, 'name-too-long');
    await assertError(visit, { href: 'given_names', message: /200 characters or fewer/ });
    assert.deepEqual(await values(page, 'given_names', 'family_name'), [long, 'Mistake']);
    await type(page, 'given_names', 'Bea');
    await submit(visit, 'date-of-birth');

    // An impossible date, then a future one.
    onStep(page, 'date-of-birth');
    await date(page, 'date_of_birth', [31, 2, 2020]);
    await submit(visit, 'date-of-birth-impossible');
    await assertError(visit, { href: 'date_of_birth-day', message: /^\s*Date of birth must be a real date\s*$/ });
    assert.deepEqual(
      await values(page, 'date_of_birth-day', 'date_of_birth-month', 'date_of_birth-year'),
      ['31', '2', '2020'],
    );
    assert.match(await field(page, 'date_of_birth-day').getAttribute('class'), /govuk-input--error/);
    const [, , year] = today();
    await date(page, 'date_of_birth', [1, 1, year + 1]);
    await submit(visit, 'date-of-birth-future');
    await assertError(visit, { href: 'date_of_birth-day', message: /today or in the past/ });
    assert.equal(await field(page, 'date_of_birth-year').inputValue(), String(year + 1));
    await date(page, 'date_of_birth', [1, 1, 1990]);
    await submit(visit, 'gender');

    // A required choice left empty.
    onStep(page, 'gender');
    await submit(visit, 'gender-empty');
    await assertError(visit, { href: 'gender', message: /Select their gender/ });
    await choose(page, 'gender', 'not_known');
    await submit(visit, 'nationality');

    onStep(page, 'nationality');
    await submit(visit, 'nationality-empty');
    await assertError(visit, { href: 'nationality' });
    await country(page, 'nationality', 'ER');
    await submit(visit, 'languages');

    onStep(page, 'languages');
    await type(page, 'languages', 'Tigrinya');
    await submit(visit, 'languages-no-interpreter');
    await assertError(visit, { href: 'interpreter' });
    assert.equal(await field(page, 'languages').inputValue(), 'Tigrinya', 'kept');
    await choose(page, 'interpreter', 'yes');
    await submit(visit, 'address');

    onStep(page, 'address');
    await type(page, 'address_line_1', 'B'.repeat(501));
    await submit(visit, 'address-too-long');
    await assertError(visit, { href: 'address_line_1', message: /500 characters or fewer/ });
    // Where they are now is a required radios question ("Not known" is an answer).
    await assertError(visit, { href: 'current_nation', message: /Select where they are now/ });
    await choose(page, 'current_nation', 'not_known');
    await type(page, 'address_line_1', '');
    await submit(visit, 'consent');

    // Two missing answers on one page, then a future consent date.
    onStep(page, 'consent');
    await submit(visit, 'consent-empty');
    await assertError(visit, { href: 'consent_given_on-day' });
    await assertError(visit, { href: 'support_consent' });
    await date(page, 'consent_given_on', [1, 1, year + 1]);
    await choose(page, 'support_consent', 'no');
    await submit(visit, 'consent-future');
    await assertError(visit, { href: 'consent_given_on-day', message: /today or in the past/ });
    assert.equal(await page.locator('input[name="support_consent"][value="no"]').isChecked(), true, 'kept');
    await date(page, 'consent_given_on', today());
    await submit(visit, 'exploitation-1');

    // An empty entry, then outside the UK with no country.
    onStep(page, 'exploitation/1');
    await submit(visit, 'exploitation-empty');
    await assertError(visit, { href: 'kind' });
    await assertError(visit, { href: 'place' });
    await choose(page, 'kind', 'domestic_servitude');
    await choose(page, 'place', 'overseas');
    await submit(visit, 'exploitation-no-country');
    await assertError(visit, { href: 'country', message: /Select the country/ });
    assert.equal(await page.locator('input[name="kind"][value="domestic_servitude"]').isChecked(), true, 'kept');
    await country(page, 'country', 'SD');
    await submit(visit, 'exploitation-summary');

    onStep(page, 'exploitation');
    await submit(visit, 'exploitation-another-empty');
    await assertError(visit, { href: 'another' });
    await choose(page, 'another', 'no');
    await submit(visit, 'when');

    // The end before the start.
    onStep(page, 'when');
    await date(page, 'started_on', [1, 6, 2025]);
    await date(page, 'ended_on', [1, 5, 2025]);
    await choose(page, 'ongoing', 'no');
    await submit(visit, 'when-order');
    await assertError(visit, { href: 'ended_on-day', message: /after the date it started/ });
    await date(page, 'ended_on', [1, 7, 2025]);
    await submit(visit, 'account');

    onStep(page, 'account');
    await submit(visit, 'account-empty');
    await assertError(visit, { href: 'narrative' });
    const narrative = 'x'.repeat(20_001);
    await field(page, 'narrative').fill(narrative);
    await submit(visit, 'account-too-long');
    await assertError(visit, { href: 'narrative', message: /20,000 characters or fewer/ });
    assert.equal((await field(page, 'narrative').inputValue()).length, 20_001, 'kept');
    await field(page, 'narrative').fill('Kept in a house and made to clean.');
    await submit(visit, 'organisation');

    onStep(page, 'organisation');
    await choose(page, 'organisation_type', 'non_governmental_organisation');
    await submit(visit, 'organisation-no-cohort');
    await assertError(visit, { href: 'immigration_cohort' });
    await choose(page, 'immigration_cohort', 'immigration_detention');
    await submit(visit, 'check-answers');

    // Send, then send the same form again: one referral.
    onStep(page, 'check');
    const form = page.locator(`main form[action="/referrals/${id}/check"]`);
    const fields = Object.fromEntries(await form.locator('input[type="hidden"]').evaluateAll(
      (inputs) => inputs.map((i) => [i.name, i.value]),
    ));
    assert.ok(fields.form_token && fields.version, 'the form carries its token and version');
    await visit.click(page.getByRole('button', { name: 'Accept and send' }), 'confirmation');
    onStep(page, 'confirmation');
    const reference = (await page.locator('.govuk-panel strong').innerText()).trim();

    const again = await page.request.post(`${BASE_URL}/referrals/${id}/check`, {
      form: fields,
      headers: { origin: BASE_URL },
      maxRedirects: 0,
    });
    assert.equal(again.status(), 303, 'the second send is answered with a redirect');
    assert.equal(again.headers().location, `/referrals/${id}/confirmation`);

    // The back button to check your answers shows the confirmation, not the form.
    await page.goBack();
    await visit.check('back-to-check');
    onStep(page, 'confirmation');
    assert.equal((await page.locator('.govuk-panel strong').innerText()).trim(), reference);

    await visit.goto('/referrals', 'your-referrals');
    const rows = page.locator('main table').last().locator('tbody tr');
    assert.equal(await rows.count(), 1, 'one referral sent');
    assert.match(await rows.first().innerText(), new RegExp(reference));
    assert.match(await page.locator('main').innerText(), /no referrals in progress|You have no/i);
  } finally {
    await visit.close();
  }
});
