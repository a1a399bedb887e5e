// Steps shared by the tests: signing in, and answering the First Responder question pages
// by clicking and typing as a person would. Every step that changes page checks the new one.

import assert from 'node:assert/strict';
import { signInCode } from './accounts.mjs';

/** Signs in from the sign-in page; ends on the page the service sends the person to. */
export async function signIn(visit, { email, password }, { from = '/sign-in' } = {}) {
  const page = visit.page;
  if (from) await visit.goto(from, 'sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Security code').fill(await signInCode(email));
  await visit.click(page.getByRole('button', { name: 'Sign in' }), 'signed-in');
  // Signed in: no longer the sign-in form (the page after it may still be at /sign-in when
  // it offers to save answers posted after a session ended).
  assert.equal(await page.locator('input[name="password"]').count(), 0, `signed in, not ${page.url()}`);
  const cookies = await visit.context.cookies();
  const session = cookies.find((c) => c.name === '__Host-nrm-session');
  assert.ok(session, 'the browser kept the __Host- session cookie');
  assert.equal(session.secure, true);
  assert.equal(session.httpOnly, true);
}

/** The current path, without the host. */
export function path(page) {
  return new URL(page.url()).pathname;
}

/** Asserts the page is the question page `slug` of a draft, and returns the draft's id. */
export function onStep(page, slug) {
  const match = path(page).match(/^\/referrals\/([0-9a-f-]{36})\/(.+)$/);
  assert.ok(match, `on a draft page, not ${page.url()}`);
  assert.equal(match[2], slug, `on step ${slug}, not ${match[2]}`);
  return match[1];
}

export const field = (page, name) => page.locator(`[name="${name}"]`);

export async function type(page, name, text) {
  const input = field(page, name);
  await input.click();
  await input.fill(text);
}

export async function choose(page, name, value) {
  await page.locator(`input[name="${name}"][value="${value}"]`).check();
}

export async function date(page, name, [day, month, year]) {
  await type(page, `${name}-day`, String(day));
  await type(page, `${name}-month`, String(month));
  await type(page, `${name}-year`, String(year));
}

export async function country(page, name, code) {
  await field(page, name).selectOption(code);
}

/** Presses the page's main button ("Save and continue", "Continue"…) and checks what follows. */
export async function submit(visit, slug, name = /Save and continue|Continue|Cadw a pharhau|Parhau/) {
  const button = visit.page.locator('main').getByRole('button', { name }).last();
  await visit.click(button, slug);
}

/** Today in the UK, as [day, month, year]. */
export function today() {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', day: 'numeric', month: 'numeric', year: 'numeric',
  }).formatToParts(new Date());
  const get = (t) => Number(parts.find((p) => p.type === t).value);
  return [get('day'), get('month'), get('year')];
}

/** The error state of a page: title, summary linking to the field, the field's message. */
export async function assertError(visit, { href, message }) {
  const page = visit.page;
  assert.match(await page.title(), /^(Error|Gwall): /, 'the title starts "Error: "');
  const summary = page.locator('.govuk-error-summary');
  await summary.waitFor();
  const link = summary.locator(`a[href="#${href}"]`);
  assert.equal(await link.count(), 1, `the error summary links to #${href}`);
  if (message) assert.match(await link.innerText(), message);
  assert.equal(await page.locator(`#${href}`).count(), 1, `#${href} is on the page`);
  // The summary link moves focus to the field (GOV.UK Frontend's error summary does this).
  if (visit.contextOptions.javaScriptEnabled !== false) {
    await link.click();
    const focused = await page.evaluate(() => document.activeElement?.id);
    assert.equal(focused, href, `following the summary link focuses #${href}`);
  }
  // The field (or its group) shows the same message.
  const shown = await page.evaluate((id) => {
    // The outermost group: a date's day, month and year are groups inside the date's.
    let group = document.getElementById(id)?.closest('.govuk-form-group');
    while (group?.parentElement?.closest('.govuk-form-group')) {
      group = group.parentElement.closest('.govuk-form-group');
    }
    return group?.querySelector('.govuk-error-message')?.textContent ?? '';
  }, href);
  // Less the visually hidden "Error:" that the message starts with.
  const own = shown.trim().replace(/^(Error|Gwall):\s*/, '');
  assert.ok(own.length > 0, `#${href} shows its error message`);
  if (message) assert.match(own, message);
}
