// Accounts and sign-in codes for the tests, through the `nrm` command line that the runner
// built (NRM_BIN), with the same NRM_* settings as the server under test.
//
// A TOTP code can be used once per 30-second step per account (replay protection), so the
// last step used for each email is remembered in a file under E2E_STATE_DIR (test files run
// in separate processes) and a second sign-in waits for the next step.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const DEMO_PASSWORD = 'demo passphrase 2026';
export const DEMO = {
  firstResponder: 'first.responder@demo.invalid',
  decisionMaker: 'decision.maker@demo.invalid',
  caManager: 'ca.manager@demo.invalid',
};
/** The demo First Responder Organisation (West Midlands Police). */
const DEMO_RESPONDER_ORG = '00000000-0000-4000-8000-000000000101';
const STEP_SECONDS = 30;

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the tests with scripts/e2e.sh`);
  }
  return value;
}

/** Runs `nrm ARGS…` and returns what it printed. */
export function nrm(args) {
  // `nrm` refuses NRM_* variables that are not its settings: pass it only the server's.
  const env = { ...process.env, RUST_BACKTRACE: '0', RUST_LIB_BACKTRACE: '0' };
  delete env.NRM_BASE_URL;
  delete env.NRM_BIN;
  return execFileSync(required('NRM_BIN'), args, {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * A new First Responder in the demo police force, so that each test's "Your referrals" list
 * holds only what that test sent. Returns { email, password }.
 */
export function newFirstResponder(tag) {
  const email = `e2e.${tag}.${Date.now()}.${process.pid}@demo.invalid`;
  const out = nrm([
    'user', 'add', '--organisation', DEMO_RESPONDER_ORG, '--email', email,
    '--roles', 'first_responder',
  ]);
  const match = out.match(/Password \(shown once\): (\S+)/);
  if (!match) {
    throw new Error(`nrm user add printed no password:\n${out}`);
  }
  return { email, password: match[1] };
}

function stateFile(email) {
  return join(required('E2E_STATE_DIR'), `totp-${email.replace(/[^a-z0-9.@-]/gi, '_')}`);
}

async function withLock(email, fn) {
  const lock = `${stateFile(email)}.lock`;
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST' || i > 1200) throw e;
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmdirSync(lock);
  }
}

const step = () => Math.floor(Date.now() / 1000 / STEP_SECONDS);

/**
 * A sign-in code for `email` that has not been used yet: waits for the next 30-second step
 * when this account already signed in during the current one (or when the step is about to
 * turn, so the code printed is for the step recorded). Records the step as used.
 */
export async function signInCode(email) {
  return withLock(email, async () => {
    let last = -1;
    try {
      last = Number(readFileSync(stateFile(email), 'utf8'));
    } catch {
      // Never signed in by these tests.
    }
    for (;;) {
      const now = Date.now() / 1000;
      const into = now % STEP_SECONDS;
      if (step() > last && into < STEP_SECONDS - 2) break;
      await sleep(Math.ceil((STEP_SECONDS - into + 0.2) * 1000));
    }
    const used = step();
    const code = nrm(['user', 'code', '--email', email]).trim();
    if (!/^\d{6}$/.test(code)) {
      throw new Error(`nrm user code printed ${JSON.stringify(code)}`);
    }
    writeFileSync(stateFile(email), String(used));
    return code;
  });
}
