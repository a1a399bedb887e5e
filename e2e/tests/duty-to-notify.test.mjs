// c. A Duty to Notify report: anonymous, so no name or date of birth pages.
// h. The same journey again with JavaScript turned off in the browser.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newFirstResponder } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { dutyToNotify } from '../lib/flows.mjs';
import { signIn } from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

for (const javaScriptEnabled of [true, false]) {
  const name = javaScriptEnabled ? 'duty-to-notify' : 'duty-to-notify-no-js';
  test(`a Duty to Notify report${javaScriptEnabled ? '' : ' with JavaScript off'}`, async () => {
    const visit = new Visit(browser, name, { javaScriptEnabled });
    const page = await visit.open();
    try {
      await signIn(visit, newFirstResponder(name));
      if (!javaScriptEnabled) {
        const js = await page.evaluate(() => document.body.className);
        assert.doesNotMatch(js, /govuk-frontend-supported/, 'GOV.UK Frontend did not start');
      }
      const reference = await dutyToNotify(visit);
      await visit.click(page.getByRole('link', { name: 'Go to your referrals' }), 'your-referrals');
      const row = page.locator('main tr', { hasText: reference });
      assert.equal(await row.count(), 1);
      assert.match(await row.innerText(), /Duty to Notify/);
    } finally {
      await visit.close();
    }
  });
}
