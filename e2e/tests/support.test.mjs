// h. Victim support: a support worker's caseload and a person's support page (the Recovery
// Needs Assessment as a task list), raising a high safeguarding concern through the form (with
// its error state first), the contract manager's queue and acknowledgement, and a support
// manager's accommodation and payments statement (CSV).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, choose, path, signIn, type } from '../lib/journey.mjs';

const WORKER = 'support.worker@demo.invalid';
const MANAGER = 'support.manager@demo.invalid';
const CONTRACT = 'contract.manager@demo.invalid';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a support worker raises a high concern and the contract manager acknowledges it', async () => {
  const worker = new Visit(browser, 'support-worker');
  const page = await worker.open();
  let reference;
  try {
    await signIn(worker, { email: WORKER, password: DEMO_PASSWORD }, { from: '/sign-in?next=/support' });
    if (path(page) !== '/support') await worker.goto('/support', 'support-home');
    assert.equal(await page.locator('h1').innerText(), 'Your caseload');
    const first = page.locator('main table tbody tr a').first();
    reference = (await first.innerText()).trim();
    assert.match(reference, /^SUP-[A-Z0-9]{8}$/);
    await worker.click(first, 'episode');
    assert.equal(path(page), `/support/episodes/${reference}`);
    assert.match(await page.locator('h1').innerText(), new RegExp(reference));
    assert.equal(await page.locator('.govuk-task-list').count(), 1, 'the RNA task list');

    await worker.click(page.getByRole('link', { name: 'Raise a safeguarding concern' }), 'concern-form');
    await worker.click(page.getByRole('button', { name: 'Raise concern' }), 'concern-empty');
    await assertError(worker, { href: 'kind', message: /Select what the concern is/ });
    await assertError(worker, { href: 'severity' });
    await assertError(worker, { href: 'details' });
    await choose(page, 'kind', 're_trafficking');
    await choose(page, 'severity', 'high');
    await type(page, 'details', 'Seen with a man the person named as the exploiter.');
    await worker.click(page.getByRole('button', { name: 'Raise concern' }), 'concern-raised');
    assert.equal(path(page), `/support/episodes/${reference}`);
    assert.match(await page.locator('main table').first().innerText(), /Escalated to the Home Office/);
  } finally {
    await worker.close();
  }

  const contract = new Visit(browser, 'contract-manager');
  const cm = await contract.open();
  try {
    await signIn(contract, { email: CONTRACT, password: DEMO_PASSWORD }, { from: '/sign-in?next=/support' });
    if (path(cm) !== '/support') await contract.goto('/support', 'support-home');
    assert.equal(await cm.locator('h1').innerText(), 'Victim care contract');
    const escalated = cm.locator('main table').first();
    assert.match(await escalated.innerText(), new RegExp(reference));
    await contract.click(escalated.getByRole('link', { name: reference }).first(), 'escalated-episode');
    assert.equal(await cm.locator('.govuk-task-list').count(), 1, 'contract managers see the RNA');
    const acknowledge = cm.getByRole('button', { name: /^Acknowledge/ }).first();
    await contract.click(acknowledge, 'acknowledged');
    assert.match(await cm.locator('main table').first().innerText(), /Acknowledged by the Home Office/);
  } finally {
    await contract.close();
  }
});

test('a support manager sees accommodation, inspections and the payments statement', async () => {
  const visit = new Visit(browser, 'support-manager');
  const page = await visit.open();
  try {
    await signIn(visit, { email: MANAGER, password: DEMO_PASSWORD }, { from: '/sign-in?next=/support' });
    if (path(page) !== '/support') await visit.goto('/support', 'support-home');
    assert.equal(await page.locator('h1').innerText(), "Your organisation's support");
    const main = await page.locator('main').innerText();
    assert.match(main, /Accommodation and inspections/);
    assert.match(main, /Requires improvement/);
    assert.match(main, /Inspection actions overdue/);
    const link = page.getByRole('link', { name: /payments statement/ });
    const href = await link.getAttribute('href');
    const response = await page.request.get(href);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^text\/csv/);
    assert.match(await response.text(), /^episode,date,kind,amount_gbp,reason\n/);
  } finally {
    await visit.close();
  }
});
