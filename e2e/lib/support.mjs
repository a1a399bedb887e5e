// What the victim support journeys share: the demo's support accounts, signing in to the
// support home, and confirming a check page.

import assert from 'node:assert/strict';
import { DEMO_PASSWORD } from './accounts.mjs';
import { path, signIn } from './journey.mjs';

export const WORKER = 'support.worker@demo.invalid';
export const MANAGER = 'support.manager@demo.invalid';
export const CONTRACT = 'contract.manager@demo.invalid';

/** Signs `email` in and lands on the support home. */
export async function home(visit, email) {
  await signIn(visit, { email, password: DEMO_PASSWORD }, { from: '/sign-in?next=/support' });
  if (path(visit.page) !== '/support') await visit.goto('/support', 'support-home');
}

/** Confirms a check page and returns to the page the record leads to. */
export async function confirm(visit, button, slug) {
  const page = visit.page;
  assert.match(await page.locator('h1').innerText(), /^Check before you record/);
  await visit.click(page.getByRole('button', { name: button }), slug);
}
