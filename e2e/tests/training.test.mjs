// First Responder training (issue 11 item 6): a new First Responder is nudged on their start
// page, reads the course, fails the questions once, passes, and the nudge goes; their FRO
// administrator then sees them trained, with the date and course version. Every page is
// checked with axe.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD, newFirstResponder } from '../lib/accounts.mjs';
import { Visit, launch } from '../lib/browser.mjs';
import { assertError, choose, path, signIn } from '../lib/journey.mjs';

const RULEBOOK = JSON.parse(
  readFileSync(new URL('../../crates/domain/rulebook/training.json', import.meta.url), 'utf8'),
);
// The course in force today: the last entry from a day on or before it.
const today = new Date().toISOString().slice(0, 10);
const COURSE = RULEBOOK.courses.filter((c) => c.from <= today).at(-1)?.value
  ?? RULEBOOK.courses[0].value;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function answer(visit, wrong) {
  const page = visit.page;
  COURSE.questions.forEach((q, i) => {
    q.chosen = i < wrong ? q.options.find((o) => o.code !== q.answer).code : q.answer;
  });
  for (const q of COURSE.questions) await choose(page, q.id, q.chosen);
  await visit.click(page.getByRole('button', { name: 'Submit your answers' }), `answers-${wrong}-wrong`);
}

test('a First Responder is nudged, fails once, passes, and their FRO administrator sees it', async () => {
  const responder = newFirstResponder('training');
  const visit = new Visit(browser, 'training');
  const page = await visit.open();
  try {
    await signIn(visit, responder, { from: '/sign-in?next=/referrals' });
    assert.equal(path(page), '/referrals');
    const nudge = page.locator('#training-nudge');
    assert.match(await nudge.innerText(), /not completed the First Responder training/);
    await visit.click(nudge.getByRole('link', { name: 'Take the training' }), 'training-start');
    assert.equal(path(page), '/training');
    assert.match(await page.locator('main').innerText(), /You have not completed the training yet/);
    await visit.click(page.getByRole('button', { name: 'Start the course' }), 'course-1');
    for (const [i, section] of COURSE.sections.entries()) {
      assert.equal(path(page), `/training/${section.slug}`);
      assert.equal((await page.locator('h1').innerText()).trim(), section.title);
      const next = i + 1 < COURSE.sections.length ? 'Continue' : 'Go to the questions';
      await visit.click(page.getByRole('button', { name: next }), `course-${i + 2}`);
    }
    assert.equal(path(page), '/training/questions');
    // Nothing answered: the error summary links to the first question.
    await visit.click(page.getByRole('button', { name: 'Submit your answers' }), 'answers-none');
    await assertError(visit, { href: COURSE.questions[0].id, message: /Answer question 1/ });
    // Too many wrong: not passed.
    await answer(visit, COURSE.questions.length);
    assert.equal((await page.locator('h1').innerText()).trim(), 'You did not pass this time');
    await visit.click(page.getByRole('link', { name: 'try the questions again' }), 'questions-again');
    await answer(visit, 0);
    assert.equal((await page.locator('h1').innerText()).trim(), 'You have passed the training');
    assert.match(await page.locator('main').innerText(), new RegExp(COURSE.course_version.replace(/\./g, '\\.')));
    await visit.goto('/referrals', 'referrals-trained');
    assert.equal(await page.locator('#training-nudge').count(), 0, 'no nudge once trained');
  } finally {
    await visit.close();
  }

  const admin = new Visit(browser, 'training-records');
  const adminPage = await admin.open();
  try {
    await signIn(admin, { email: 'fro.administrator@demo.invalid', password: DEMO_PASSWORD }, { from: '/sign-in?next=/administration' });
    await admin.click(adminPage.getByRole('link', { name: 'First Responder training records' }), 'records');
    assert.equal(path(adminPage), '/training/records');
    const row = adminPage.locator('tr', { hasText: responder.email });
    assert.equal(await row.count(), 1);
    const cells = await row.innerText();
    assert.match(cells, /Trained, due/);
    assert.match(cells, new RegExp(COURSE.course_version.replace(/\./g, '\\.')));
  } finally {
    await admin.close();
  }
});
