// Issue 11, item 4: a decision maker finds a case by reference, and by the person's name and
// date of birth typed with a mistake. The name search is a posted form: nothing typed reaches
// the address bar. A family name alone is refused with the error summary. The demo's
// re-referred person (crates/nrm/src/demo_persons.rs) is the one searched for.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, date, path, signIn, type } from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a decision maker finds a person by name and date of birth, and a case by reference', async () => {
  const visit = new Visit(browser, 'search');
  const page = await visit.open();
  try {
    await signIn(visit, { email: DEMO.decisionMaker, password: DEMO_PASSWORD }, { from: '/sign-in?next=/' });
    await visit.goto('/search', 'search');
    assert.equal(await page.locator('h1').innerText(), 'Find a case');

    // Too little to search on: the error summary links to the given name.
    await type(page, 'family', 'Hoxha');
    await visit.click(page.getByRole('button', { name: 'Search by name' }), 'search-too-little');
    await assertError(visit, { href: 'given', message: /given name or a date of birth/ });

    // A misspelt family name with the date of birth: the person's referrals, best first.
    await type(page, 'given', 'Ardita');
    await type(page, 'family', 'Hoxa');
    await date(page, 'born', [12, 3, 1994]);
    await visit.click(page.getByRole('button', { name: 'Search by name' }), 'search-found');
    assert.equal(new URL(page.url()).search, '', 'nothing typed is in the address');
    assert.equal(path(page), '/search');
    assert.match(await page.locator('#results').innerText(), /cases? found/);
    const rows = page.locator('table.govuk-table tbody tr');
    assert.ok((await rows.count()) >= 1, 'the demo person is found');
    assert.match(await rows.first().innerText(), /Ardita Hoxha/);
    assert.match(await rows.first().innerText(), /Strong match|Possible match/);
    const reference = (await rows.first().locator('th a').innerText()).trim();

    // Opening a hit goes to its case.
    await visit.click(rows.first().locator('th a'), 'search-open');
    assert.equal(path(page), `/cases/${reference}`);

    // The same case by its reference, typed in lower case.
    await visit.goto('/search', 'search-again');
    await type(page, 'reference', reference.toLowerCase());
    await visit.click(page.getByRole('button', { name: 'Find case' }), 'search-reference');
    assert.equal(path(page), `/cases/${reference}`);
  } finally {
    await visit.close();
  }
});
