// e. A draft survives the session: answer a few pages, lose the session (cookies cleared),
// sign in again, continue the draft from "Your referrals" and land on the first unanswered
// page, with the earlier answers still there; then delete it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newFirstResponder } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { startJourney } from '../lib/flows.mjs';
import { choose, date, field, onStep, path, signIn, submit, type } from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a draft is continued after signing in again, from the first unanswered page, then deleted', async () => {
  const user = newFirstResponder('resume');
  const visit = new Visit(browser, 'resume-draft');
  const page = await visit.open();
  try {
    await signIn(visit, user);
    const id = await startJourney(visit, 'Refer an adult who consents', 'name');
    await type(page, 'given_names', 'Cara');
    await type(page, 'family_name', 'Resumed');
    await submit(visit, 'date-of-birth');
    await date(page, 'date_of_birth', [9, 9, 1999]);
    await submit(visit, 'gender');
    await choose(page, 'gender', 'female');
    await submit(visit, 'nationality');
    onStep(page, 'nationality');

    // The session is gone: the next page asks to sign in.
    await visit.context.clearCookies();
    await visit.goto('/referrals', 'signed-out');
    assert.equal(path(page), '/sign-in');
    await signIn(visit, user, { from: null });
    assert.equal(path(page), '/referrals', 'back where the person was going');

    const drafts = page.locator('main table').first().locator('tbody tr');
    assert.equal(await drafts.count(), 1, 'one draft in progress');
    await visit.click(drafts.first().getByRole('link', { name: /Continue/ }), 'continued');
    assert.equal(onStep(page, 'nationality'), id, 'the same draft, at its first unanswered page');

    await visit.click(page.getByRole('link', { name: 'Back' }), 'back-gender');
    onStep(page, 'gender');
    assert.equal(await page.locator('input[name="gender"][value="female"]').isChecked(), true);
    await visit.click(page.getByRole('link', { name: 'Back' }), 'back-date-of-birth');
    onStep(page, 'date-of-birth');
    assert.equal(await field(page, 'date_of_birth-year').inputValue(), '1999');
    await visit.click(page.getByRole('link', { name: 'Back' }), 'back-name');
    onStep(page, 'name');
    assert.equal(await field(page, 'family_name').inputValue(), 'Resumed');

    // Deleted from Your referrals, after a confirmation page.
    await visit.goto('/referrals', 'your-referrals');
    await visit.click(drafts.first().getByRole('link', { name: /Delete/ }), 'delete-draft');
    assert.match(await page.locator('h1').innerText(), /Are you sure you want to delete this draft\?/);
    await visit.click(page.getByRole('link', { name: 'Keep it' }), 'kept');
    assert.equal(await drafts.count(), 1, 'kept');
    await visit.click(drafts.first().getByRole('link', { name: /Delete/ }), 'delete-draft-again');
    await visit.click(page.getByRole('button', { name: 'Delete draft' }), 'deleted');
    assert.equal(path(page), '/referrals');
    assert.match(await page.locator('main').innerText(), /The draft has been deleted/);
    assert.equal(await page.locator('main').getByRole('link', { name: /Continue/ }).count(), 0, 'no draft left');
    await visit.goto(`/referrals/${id}/name`, 'deleted-draft-not-found');
    assert.match(await page.locator('h1').innerText(), /Page not found/);
  } finally {
    await visit.close();
  }
});
