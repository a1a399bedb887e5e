// f. Welsh: the language link on a First Responder page switches the pages to Cymraeg
// (html lang="cy", Welsh words, the Welsh marking), errors included, and back to English.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newFirstResponder } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, onStep, path, signIn, submit } from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('switching to Cymraeg and back', async () => {
  const visit = new Visit(browser, 'welsh');
  const page = await visit.open();
  const lang = () => page.locator('html').getAttribute('lang');
  try {
    await signIn(visit, newFirstResponder('welsh'));
    await visit.goto('/referrals/new', 'choose-journey');
    assert.equal(await lang(), 'en');

    await visit.click(page.getByRole('link', { name: 'Cymraeg' }), 'cymraeg');
    assert.equal(path(page), '/referrals/new', 'the switch comes back to the same page');
    assert.equal(await lang(), 'cy');
    assert.equal(await page.locator('h1').innerText(), 'Beth ydych chi am ei wneud?');
    assert.equal((await page.locator('.nrm-marking').innerText()).trim(), 'SWYDDOGOL-SENSITIF / OFFICIAL-SENSITIVE');

    await page.getByLabel('Anfon adroddiad Dyletswydd i Hysbysu').check();
    await submit(visit, 'rhywedd');
    onStep(page, 'gender');
    assert.equal(await lang(), 'cy');
    await submit(visit, 'rhywedd-gwall');
    await assertError(visit, { href: 'gender', message: /Dewiswch eu rhywedd/ });
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Mae problem wedi codi/);

    await visit.goto('/referrals', 'eich-atgyfeiriadau');
    assert.equal(await page.locator('h1').innerText(), 'Eich atgyfeiriadau');

    await visit.click(page.getByRole('link', { name: 'English' }), 'english');
    assert.equal(path(page), '/referrals');
    assert.equal(await lang(), 'en');
    assert.equal(await page.locator('h1').innerText(), 'Your referrals');
  } finally {
    await visit.close();
  }
});
