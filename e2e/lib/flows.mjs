// Whole journeys that more than one test walks.

import assert from 'node:assert/strict';
import { choose, country, date, onStep, submit } from './journey.mjs';

/** From the choose-a-journey page, picks one. Ends on its first question. */
export async function startJourney(visit, label, slug) {
  const page = visit.page;
  await visit.goto('/referrals/new', 'choose-journey');
  await page.getByLabel(label).check();
  await submit(visit, slug);
  return onStep(page, slug);
}

/**
 * A whole Duty to Notify report, from choosing it to the confirmation. Returns the case
 * reference. No name or date of birth is asked.
 */
export async function dutyToNotify(visit) {
  const page = visit.page;
  await startJourney(visit, 'Send a Duty to Notify report', 'gender');
  assert.equal(await page.locator('[name="given_names"]').count(), 0);
  await choose(page, 'gender', 'male');
  await submit(visit, 'nationality');

  onStep(page, 'nationality');
  await country(page, 'nationality', 'VN');
  await country(page, 'second_nationality', 'not_known');
  await submit(visit, 'age-at-exploitation');

  onStep(page, 'age-at-exploitation');
  await choose(page, 'age_at_exploitation', 'adult');
  await submit(visit, 'exploitation-1');

  onStep(page, 'exploitation/1');
  await choose(page, 'kind', 'labour');
  await choose(page, 'place', 'wales');
  await submit(visit, 'exploitation-summary');

  onStep(page, 'exploitation');
  await choose(page, 'another', 'no');
  await submit(visit, 'when');

  onStep(page, 'when');
  await date(page, 'started_on', [3, 2, 2025]);
  await choose(page, 'ongoing', 'yes');
  await submit(visit, 'organisation');

  onStep(page, 'organisation');
  await choose(page, 'organisation_type', 'local_authority');
  await choose(page, 'immigration_cohort', 'none');
  await submit(visit, 'check-answers');

  onStep(page, 'check');
  const main = page.locator('main');
  assert.equal(await main.getByText('What is the person\'s name?').count(), 0, 'no name asked');
  assert.equal(await main.getByText('What is their date of birth?').count(), 0, 'no date of birth asked');
  assert.equal(await main.getByRole('heading', { name: 'Now send your report' }).count(), 1, 'a report, not a referral');
  await visit.click(main.getByRole('button', { name: 'Accept and send' }), 'confirmation');
  onStep(page, 'confirmation');
  const panel = page.locator('.govuk-panel');
  assert.match(await panel.locator('h1').innerText(), /Report sent/);
  return (await panel.locator('strong').innerText()).trim();
}
