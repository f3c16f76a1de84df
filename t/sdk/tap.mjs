// The TAP of the smoke scripts in t/sdk, which the .t files read line by line (Test::AIGW::SDK's
// sdk_tap, t/900-openai-sdk.t):
//
//   ok N - name                  a check that passed
//   ok N - name # SKIP reason    a check not run
//   not ok N - name              a check that failed, then its error as `#   ...` lines
//   1..N                         the plan, printed last, by done()
//   Bail out! ...                the checks did not finish within the watchdog's time (exit 3)
//
// The exit status is 0 if every check passed, 1 if one failed, 3 if the watchdog fired (a
// script's own Bail out!, before startTap, exits 2).
//
//   import { startTap } from './tap.mjs';
//   const { check, skip, thrown, describe, done } = startTap({ APIError });
//   await check('a name', async () => { ... });
//   done();
//
// startTap starts the watchdog: call it once the script's own arguments are checked.

import assert from 'node:assert/strict';

// APIError: the SDK's base class of API errors, whose status, request id and body describe()
// prints.
// describeOther: for another kind of error (a second SDK's), its lines, or undefined.
export function startTap({ APIError, describeOther = () => undefined, watchdogMs = 60_000 }) {
  let count = 0;
  let failures = 0;

  const watchdog = setTimeout(() => {
    console.log(`Bail out! the checks did not finish within ${watchdogMs / 1000}s`);
    process.exit(3);
  }, watchdogMs);

  // An error as the lines of a failed check's diagnostics.
  function describe(e) {
    if (e instanceof assert.AssertionError) {
      return e.message;
    }
    if (e instanceof APIError) {
      return [
        `${e.constructor.name}: ${e.message}`,
        `status: ${e.status}  request id: ${e.requestID}`,
        `error body: ${JSON.stringify(e.error)}`,
        e.cause ? `cause: ${e.cause?.stack ?? e.cause}` : '',
      ].filter(Boolean).join('\n');
    }
    return describeOther(e) ?? e?.stack ?? String(e);
  }

  async function check(name, fn) {
    count += 1;
    try {
      await fn();
      console.log(`ok ${count} - ${name}`);
    } catch (e) {
      failures += 1;
      console.log(`not ok ${count} - ${name}`);
      for (const line of describe(e).split('\n')) {
        console.log(`#   ${line}`);
      }
    }
  }

  function skip(name, reason) {
    count += 1;
    console.log(`ok ${count} - ${name} # SKIP ${reason}`);
  }

  // Runs fn, which must throw; returns what it threw.
  async function thrown(fn) {
    try {
      await fn();
    } catch (e) {
      return e;
    }
    assert.fail('the call succeeded, but an error was expected');
  }

  // The plan, and the exit status; the watchdog is off.
  function done() {
    console.log(`1..${count}`);
    clearTimeout(watchdog);
    process.exitCode = failures === 0 ? 0 : 1;
  }

  return { check, skip, thrown, describe, done };
}
