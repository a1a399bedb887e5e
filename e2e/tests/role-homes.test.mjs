// h. Every demo role signs in and lands on its own home, with the navigation its work needs
// and nothing else; someone with several parts of the service chooses; a page a role cannot
// use refuses it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { path, signIn } from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The service navigation's items, as text. */
async function navigation(page) {
  return (await page.locator('.govuk-service-navigation__item').allInnerTexts()).map((t) => t.trim());
}

const ROLES = [
  // [email, where they land, their navigation]
  ['first.responder@demo.invalid', '/', ['Your referrals']],
  ['referral.manager@demo.invalid', '/cases', ['Cases']],
  ['fro.administrator@demo.invalid', '/administration', ['Administration']],
  ['decision.maker@demo.invalid', '/cases', ['Cases']],
  ['ca.manager@demo.invalid', '/cases', ['Cases']],
  ['la.panel.member@demo.invalid', '/cases', ['Cases']],
  ['panel.member@demo.invalid', '/cases', ['Cases']],
  ['support.worker@demo.invalid', '/support', ['Support']],
  ['guardian@demo.invalid', '/guardians', ['Guardians']],
  ['guardian.manager@demo.invalid', '/guardians', ['Guardians']],
  ['administrator@demo.invalid', '/administration', ['Administration']],
];

for (const [email, home, nav] of ROLES) {
  test(`${email} lands on ${home}`, async () => {
    const visit = new Visit(browser, `home-${email.split('@')[0]}`);
    const page = await visit.open();
    try {
      await signIn(visit, { email, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
      assert.equal(path(page), home);
      // The support area's pages are built by their own work (issue 12); until they are
      // there, /support is "page not found", which has no navigation.
      const notBuilt = home === '/support'
        && (await page.locator('h1').innerText()).trim() === 'Page not found';
      if (!notBuilt) assert.deepEqual(await navigation(page), nav);
      if (home === '/administration') {
        assert.match(await page.locator('main').innerText(), /Accounts you manage/);
      }
    } finally {
      await visit.close();
    }
  });
}

test('an analyst, who works in two parts of the service, chooses', async () => {
  const visit = new Visit(browser, 'home-analyst');
  const page = await visit.open();
  try {
    await signIn(visit, { email: 'analyst@demo.invalid', password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    assert.equal(path(page), '/');
    assert.equal(await page.locator('h1').innerText(), 'What do you want to do?');
    assert.deepEqual(await navigation(page), ['Cases', 'Statistics']);
    const choices = await page.locator('main h2 a').allInnerTexts();
    assert.deepEqual(choices.map((c) => c.trim()), ['Cases', 'Statistics']);
    await visit.click(page.locator('main h2 a', { hasText: 'Cases' }), 'analyst-cases');
    assert.equal(path(page), '/cases');
  } finally {
    await visit.close();
  }
});

test('a page a role cannot use refuses it', async () => {
  const visit = new Visit(browser, 'home-refusals');
  const page = await visit.open();
  try {
    await signIn(visit, { email: 'first.responder@demo.invalid', password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    const response = await visit.goto('/administration', 'responder-administration');
    assert.equal(response.status(), 403);
    assert.match(await page.locator('h1').innerText(), /cannot|access/i);
  } finally {
    await visit.close();
  }
});
