// i. The data protection officer: a subject access request answered from a case reference.
// The form's error state, what is held for a concluded case, and both downloads (the readable
// bundle and the JSON).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD, nrm } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, field, path, signIn } from '../lib/journey.mjs';

const ADMINISTRATOR = 'administrator@demo.invalid';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A concluded case's reference, from the retention report (references only). */
function concludedReference() {
  const report = nrm(['retention', 'report', '--until', '2100-01-01']);
  const line = report.split('\n').find((l) => /^NRM-\d{4}-/.test(l));
  assert.ok(line, `a concluded case in the demo: ${report}`);
  return line.split('\t')[0];
}

test('the data protection officer finds what is held about a person and downloads it', async () => {
  const reference = concludedReference();
  const visit = new Visit(browser, 'dpo-subject-access');
  const page = await visit.open();
  try {
    await signIn(visit, { email: ADMINISTRATOR, password: DEMO_PASSWORD }, { from: '/sign-in?next=/administration' });
    assert.equal(path(page), '/administration');
    await visit.click(page.getByRole('link', { name: 'Answer a subject access request' }), 'subject-access');
    assert.equal(path(page), '/data-protection/subject-access');
    assert.equal((await page.locator('h1').innerText()).trim(), 'Subject access request');

    // Nothing typed: the error summary links to the field.
    await visit.click(page.getByRole('button', { name: 'Find what is held' }), 'no-reference');
    await assertError(visit, { href: 'reference', message: /Enter a case reference/ });

    await field(page, 'reference').fill(reference);
    await visit.click(page.getByRole('button', { name: 'Find what is held' }), 'found');
    assert.match(await page.locator('h2').first().innerText(), new RegExp(`What is held for ${reference}`));

    const bundle = await page.request.get(await page.getByRole('link', { name: /readable bundle/ }).getAttribute('href'));
    assert.equal(bundle.status(), 200);
    assert.match(bundle.headers()['content-type'], /^text\/html/);
    assert.match(await bundle.text(), /OFFICIAL-SENSITIVE/);
    const json = await page.request.get(await page.getByRole('link', { name: /data \(JSON\)/ }).getAttribute('href'));
    assert.equal(json.status(), 200);
    const exported = await json.json();
    assert.equal(exported.case_reference, reference);
  } finally {
    await visit.close();
  }
});
