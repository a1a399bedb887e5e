// Administration pages (issue 11 item 5): the service's administrator adds an organisation
// and changes its designation, adds an account (credentials shown once), changes its roles,
// meets a stale change (409), disables it, and creates and revokes an API token; an FRO
// administrator is refused organisations and another organisation's account. Every page is
// checked with axe.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, choose, date, field, path, signIn, type } from '../lib/journey.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const stamp = `${Date.now()}.${process.pid}`;
let administratorAccount = '';

test('an administrator manages organisations, accounts and API tokens', async () => {
  const visit = new Visit(browser, 'administration');
  const page = await visit.open();
  const main = page.locator('main');
  try {
    await signIn(visit, { email: 'administrator@demo.invalid', password: DEMO_PASSWORD }, { from: '/sign-in?next=/administration' });
    assert.equal(path(page), '/administration');

    // An organisation: errors, the check step, then added.
    await visit.click(main.getByRole('link', { name: 'Organisations', exact: true }), 'organisations');
    await visit.click(main.getByRole('button', { name: 'Add an organisation' }), 'organisation-new');
    await visit.click(main.getByRole('button', { name: 'Continue' }), 'organisation-errors');
    await assertError(visit, { href: 'name', message: /Enter the organisation/ });
    const name = `E2E Constabulary ${stamp}`;
    await type(page, 'name', name);
    await choose(page, 'kind', 'first_responder_organisation');
    await choose(page, 'nation', 'england');
    await field(page, 'first_responder_list').selectOption('police');
    await visit.click(main.getByRole('button', { name: 'Continue' }), 'organisation-check');
    assert.match(await page.locator('h1').innerText(), /Check the organisation/);
    await visit.click(main.getByRole('button', { name: 'Add the organisation' }), 'organisation-added');
    assert.match(await main.innerText(), /The organisation was added/);
    assert.equal((await page.locator('h1').innerText()).trim(), name);
    const organisation = path(page).split('/').at(-1);

    // Its designation.
    await visit.click(main.getByRole('link', { name: 'Change the nation, list or designation' }), 'referrer');
    await date(page, 'designated_from', [1, 4, 2024]);
    await visit.click(main.getByRole('button', { name: 'Continue' }), 'referrer-check');
    assert.match(await main.innerText(), /1 April 2024/);
    await visit.click(main.getByRole('button', { name: 'Save the changes' }), 'referrer-saved');
    assert.match(await main.innerText(), /settings were changed/);

    // An account in it: credentials once.
    await visit.goto('/administration/accounts', 'accounts');
    await visit.click(main.getByRole('button', { name: 'Add an account' }), 'account-new');
    const email = `e2e.admin.${stamp}@demo.invalid`;
    await type(page, 'email', email);
    await field(page, 'organisation').selectOption(organisation);
    await choose(page, 'roles', 'first_responder');
    await visit.click(main.getByRole('button', { name: 'Continue' }), 'account-check');
    await visit.click(main.getByRole('button', { name: 'Add the account' }), 'account-added');
    assert.match(await main.innerText(), /shown once/);
    assert.match(await main.innerText(), /Recovery codes/);
    await visit.click(main.getByRole('link', { name: 'Go to the account' }), 'account');

    // Change the roles, while someone else disables it: the change is refused (409).
    await visit.click(main.getByRole('link', { name: 'Change the roles' }), 'roles');
    await choose(page, 'roles', 'referral_manager');
    const other = await visit.context.newPage();
    await other.goto(`${path(page).replace(/\/roles$/, '')}/status`);
    await other.getByRole('button', { name: 'Disable the account' }).click();
    await other.waitForLoadState('load');
    await other.close();
    await visit.click(main.getByRole('button', { name: 'Continue' }), 'roles-stale');
    assert.match(await page.locator('h1').innerText(), /has changed/);
    await visit.click(main.getByRole('link', { name: 'Go back to the account' }), 'account-disabled');
    assert.match(await main.innerText(), /Disabled/);
    // Enable it again, then the roles change goes through.
    await visit.click(main.getByRole('link', { name: 'Enable the account' }), 'enable');
    await visit.click(main.getByRole('button', { name: 'Enable the account' }), 'enabled');
    assert.match(await main.innerText(), /The account was enabled/);
    await visit.click(main.getByRole('link', { name: 'Change the roles' }), 'roles-again');
    await choose(page, 'roles', 'referral_manager');
    await visit.click(main.getByRole('button', { name: 'Continue' }), 'roles-check');
    await visit.click(main.getByRole('button', { name: 'Change the roles' }), 'roles-changed');
    assert.match(await main.innerText(), /Referral manager/);

    // The administrator's own account, for the FRO administrator's refusal below.
    await visit.goto('/administration/accounts?role=administrator', 'accounts-filtered');
    administratorAccount = await main.getByRole('link', { name: 'administrator@demo.invalid' }).getAttribute('href');

    // An API token: shown once, then revoked.
    await visit.goto('/administration/tokens', 'tokens');
    await visit.click(main.getByRole('button', { name: 'Create a token' }), 'token-new');
    await type(page, 'name', `Monitoring ${stamp}`);
    await field(page, 'organisation').selectOption(organisation);
    await choose(page, 'scopes', 'read_service_metrics');
    await visit.click(main.getByRole('button', { name: 'Continue' }), 'token-check');
    await visit.click(main.getByRole('button', { name: 'Create the token' }), 'token-created');
    assert.match(await main.innerText(), /nrm_[0-9a-f]{64}/);
    await visit.click(main.getByRole('link', { name: 'Go to the API tokens' }), 'tokens-again');
    const row = main.locator('tr', { hasText: `Monitoring ${stamp}` });
    await visit.click(row.getByRole('link', { name: /Revoke/ }), 'token-revoke');
    await visit.click(main.getByRole('button', { name: 'Revoke the token' }), 'token-revoked');
    assert.match(await main.locator('tr', { hasText: `Monitoring ${stamp}` }).innerText(), /Revoked/);
  } finally {
    await visit.close();
  }
});

test('an FRO administrator is refused organisations and other organisations\' accounts, and manages their own API tokens', async () => {
  assert.ok(administratorAccount, 'the first test found the administrator account');
  const visit = new Visit(browser, 'administration-fro');
  const page = await visit.open();
  try {
    await signIn(visit, { email: 'fro.administrator@demo.invalid', password: DEMO_PASSWORD }, { from: '/sign-in?next=/administration' });
    await visit.click(page.locator('main').getByRole('link', { name: 'Accounts', exact: true }), 'fro-accounts');
    const listed = (await page.locator('main table a').allInnerTexts()).map((t) => t.trim());
    assert.ok(listed.includes('fro.administrator@demo.invalid'), 'their own account');
    assert.ok(!listed.includes('administrator@demo.invalid'), 'not the service administrator');
    const organisations = await visit.goto('/administration/organisations', 'fro-organisations');
    assert.equal(organisations.status(), 403);
    const theirs = await visit.goto(administratorAccount, 'fro-other-account');
    assert.equal(theirs.status(), 404);

    // Their own organisation's API tokens, with referrers' scopes only; never another's.
    const main = page.locator('main');
    await visit.goto('/administration', 'fro-home');
    await visit.click(main.getByRole('link', { name: 'API tokens' }), 'fro-tokens');
    assert.ok(!(await main.innerText()).includes('Monitoring '), 'not the administrators\' token of another organisation');
    await visit.click(main.getByRole('button', { name: 'Create a token' }), 'fro-token-new');
    const offered = await main.innerText();
    assert.match(offered, /submit referral/);
    assert.doesNotMatch(offered, /read service metrics|manage organisations/);
    await visit.click(main.getByRole('button', { name: 'Continue' }), 'fro-token-errors');
    await assertError(visit, { href: 'name', message: /Name the token/ });
    const name = `Case system ${Date.now()}`;
    await type(page, 'name', name);
    await field(page, 'organisation').selectOption({ label: 'Your organisation' });
    await choose(page, 'scopes', 'submit_referral');
    await visit.click(main.getByRole('button', { name: 'Continue' }), 'fro-token-check');
    await visit.click(main.getByRole('button', { name: 'Create the token' }), 'fro-token-created');
    assert.match(await main.innerText(), /nrm_[0-9a-f]{64}/);
    await visit.click(main.getByRole('link', { name: 'Go to the API tokens' }), 'fro-tokens-again');
    const row = main.locator('tr', { hasText: name });
    await visit.click(row.getByRole('link', { name: /Revoke/ }), 'fro-token-revoke');
    await visit.click(main.getByRole('button', { name: 'Revoke the token' }), 'fro-token-revoked');
    assert.match(await main.locator('tr', { hasText: name }).innerText(), /Revoked/);
  } finally {
    await visit.close();
  }
});
