// Issue 14: a decision maker reviews a possible earlier referral (side by side, what agreed
// and what did not, the error state, the check step) and confirms it; then the person's
// history (every referral in date order, the recovery period rule) and the re-referral flag
// on the case page. The demo seeds people referred more than once (crates/nrm/src/demo_persons.rs).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, choose, path, signIn } from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a decision maker reviews a possible earlier referral and reads the person history', async () => {
  const visit = new Visit(browser, 'person');
  const page = await visit.open();
  try {
    await signIn(visit, { email: DEMO.decisionMaker, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    assert.equal(path(page), '/cases', 'a decision maker starts at the queue');
    await visit.click(page.getByRole('link', { name: 'Possible earlier referrals' }), 'reviews');
    assert.equal(path(page), '/persons/reviews');
    assert.equal(await page.locator('h1').innerText(), 'Possible earlier referrals');
    const rows = page.locator('#reviews tbody tr');
    assert.ok((await rows.count()) > 0, 'the demo has a possible earlier referral to review');
    const link = rows.first().locator('a').first();
    const newReference = (await rows.first().locator('th a').evaluate((a) => a.firstChild.textContent)).trim();
    const earlierReference = (await rows.first().locator('td').first().innerText()).trim();
    await visit.click(link, 'review');
    assert.match(path(page), /^\/persons\/reviews\/[0-9a-f-]{36}$/);
    const reviewPath = path(page);

    // Side by side: every detail with whether it agreed.
    const comparison = page.locator('#comparison');
    for (const detail of ['Given names', 'Family name', 'Date of birth', 'Sex', 'Address']) {
      assert.equal(await comparison.locator('th[scope="row"]', { hasText: detail }).count(), 1, detail);
    }
    assert.match(await comparison.innerText(), /Agrees|Partly agrees|Does not agree/);

    // Nothing chosen: the error summary and the field's message.
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'review-empty');
    await assertError(visit, { href: 'decision', message: /Select whether these referrals are of the same person/ });

    // Yes, the same person: the check step, then recorded.
    await choose(page, 'decision', 'join');
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'review-check');
    assert.equal(await page.locator('h1').innerText(), 'Check your decision');
    assert.match(await page.locator('#check-what').innerText(), new RegExp(newReference));
    await visit.click(page.getByRole('button', { name: 'Join the referrals' }), 'review-joined');
    assert.equal(path(page), '/persons/reviews');
    assert.match(await page.locator('.govuk-notification-banner--success').innerText(), /Confirmed/);

    // The review is decided: no form any more.
    await visit.goto(reviewPath, 'review-decided');
    assert.equal(await page.locator('form[action^="/persons/reviews/"]').count(), 0);

    // The newer referral's case page flags the earlier one, before any decision is recorded.
    await visit.goto(`/cases/${newReference}`, 'case-flag');
    const flag = page.locator('#re-referral');
    assert.match(await flag.innerText(), /Referred before/);
    assert.match(await flag.innerText(), new RegExp(earlierReference));

    // The person's history: both referrals, oldest first, and the recovery period rule.
    await visit.click(flag.getByRole('link', { name: "See the person's referrals" }), 'person');
    assert.match(path(page), /^\/persons\/[0-9a-f-]{36}$/);
    const references = (await page.locator('#referrals tbody th a').allInnerTexts()).map((r) => r.trim());
    assert.ok(references.includes(newReference) && references.includes(earlierReference), references.join(', '));
    assert.ok(references.indexOf(earlierReference) < references.indexOf(newReference), 'in date order');
    assert.match(await page.locator('#recovery').innerText(), /recovery period/);
    assert.ok((await page.locator('#history li').count()) >= 2, 'the history lists what happened');

    // Splitting needs a choice, and a check step.
    await visit.click(page.getByRole('button', { name: 'Continue' }), 'split-empty');
    await assertError(visit, { href: 'cases', message: /Select the referrals to split/ });
  } finally {
    await visit.close();
  }
});
