// Issue 14 item 2: NABA 2022 s62 applied. The demo's Ardita Hoxha had a positive Reasonable
// Grounds decision on her first referral and another on her second
// (crates/nrm/src/demo_persons.rs), so the newer case waits for a decision maker to decide
// whether another recovery period is appropriate: the form, its error state, the check step
// and the record, with axe on each page. Her older case offers no such decision.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, choose, date, path, signIn, today, type } from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a decision maker decides whether a person referred again gets another recovery period', async () => {
  const visit = new Visit(browser, 'additional-recovery');
  const page = await visit.open();
  try {
    await signIn(visit, { email: DEMO.decisionMaker, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    await visit.goto('/search', 'search');
    await type(page, 'given', 'Ardita');
    await type(page, 'family', 'Hoxha');
    await date(page, 'born', [12, 3, 1994]);
    await visit.click(page.getByRole('button', { name: 'Search by name' }), 'search-found');
    const references = (await page.locator('table.govuk-table tbody tr th a').allInnerTexts()).map((r) => r.trim());
    assert.ok(references.length >= 2, `both referrals are found: ${references.join(', ')}`);

    // Exactly one of her cases waits for the decision: the newer one.
    const link = '#actions a:has-text("Decide whether another recovery period is appropriate")';
    let waiting;
    for (const reference of references) {
      await visit.goto(`/cases/${reference}`, `case-${reference}`);
      if ((await page.locator(link).count()) > 0) {
        assert.equal(waiting, undefined, 'only one case waits');
        waiting = reference;
      }
    }
    assert.ok(waiting, 'the newer referral waits for the decision');

    await visit.goto(`/cases/${waiting}`, 'case');
    await visit.click(page.locator(link), 'form');
    assert.equal(path(page), `/cases/${waiting}/actions/additional-recovery-period`);
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'form-empty');
    await assertError(visit, { href: 'appropriate' });

    await choose(page, 'appropriate', 'yes');
    await date(page, 'decided_on', today());
    await type(page, 'reasons', 'The new referral is about exploitation after the earlier decision.');
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'check');
    assert.match(await page.locator('h1').innerText(), /^Check before you record/);
    await visit.click(page.getByRole('button', { name: 'Record decision' }), 'recorded');
    assert.equal(path(page), `/cases/${waiting}`);
    assert.match(
      await page.locator('.govuk-notification-banner--success').innerText(),
      /Additional recovery period decision recorded/,
    );
    assert.equal(await page.locator(link).count(), 0, 'decided once: no longer offered');
  } finally {
    await visit.close();
  }
});
