import type { LocalServer } from '@fluxrate/local';
import { type Child, needsBuild, sleep, startFluxrate } from '@fluxrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixtures.js';

const skipReason = needsBuild('serverless', 'core', 'express');
const INVOCATIONS = 8;

/**
 * Runs INVOCATIONS invocations the way a serverless platform does: after each response the process is
 * frozen (SIGSTOP) for a while, thawed (SIGCONT) for the next invocation, and after the last one killed.
 */
async function invoke(fx: LocalServer, mode: string, children: Child[]) {
  const child = runFixture('lambda-runtime.mjs', {
    FLUXRATE_BASE_URL: fx.url,
    FLUXRATE_API_KEY: fx.apiKey,
    METER_TOKEN: fx.meters.api_calls!.token,
    MODE: mode,
  });
  children.push(child);
  await child.next('ready');
  const answers: Record<string, any>[] = [];
  for (let n = 0; n < INVOCATIONS; n++) {
    child.process.kill('SIGUSR2');
    // The runtime stops itself (SIGSTOP) right after it prints the response.
    const answer = await child.until('response', (l) => l.n === n);
    answers.push(answer);
    await sleep(150); // frozen between invocations: no timer, no socket, nothing runs
    if (n < INVOCATIONS - 1) child.process.kill('SIGCONT');
  }
  child.process.kill('SIGKILL'); // the platform reclaims the frozen instance
  await child.exited;
  return answers;
}

// Issue #17 item 7: with background delivery only, usage whose delivery is not finished when the
// invocation ends (an attempt to retry, an answer still to come) is never sent. The first attempt is
// written within the invocation on a warm connection, so Fluxrate answers 503 to half the attempts
// (seeded): the retry is what a freeze loses.
const FAULTS = { '503': 0.5 };
describe.skipIf(skipReason)('serverless: frozen right after the response, then killed', () => {
  let fx: LocalServer | undefined;
  const children: Child[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) c.process.kill('SIGKILL');
    await fx?.close();
  });

  it('loses usage with background delivery alone (the failure withFlush exists for)', async () => {
    fx = await startFluxrate(FAULTS);
    const answers = await invoke(fx, 'plain', children);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(fx.events().length).toBeLessThan(INVOCATIONS);
    const ms = answers.map((a) => a.ms).sort((x, y) => x - y);
    console.log(
      `[serverless] plain: handler time median ${ms[ms.length >> 1]!.toFixed(1)} ms, stored ${fx.events().length}/${INVOCATIONS}`,
    );
  });

  it.each(['flush', 'waitUntil'])('bills every invocation with withFlush (%s)', async (mode) => {
    fx = await startFluxrate(FAULTS);
    const answers = await invoke(fx, mode, children);
    const stored = new Set(fx.events().map((e) => e.idempotencyKey));
    expect(stored.size).toBe(INVOCATIONS);
    for (const a of answers) expect(stored.has(`req_${a.requestId}_api_calls`)).toBe(true);
    const ms = answers.map((a) => a.ms).sort((x, y) => x - y);
    console.log(`[serverless] ${mode}: handler time median ${ms[ms.length >> 1]!.toFixed(1)} ms`);
  });
});
