import { afterEach, describe, expect, it } from 'vitest';

import { startMerakiEmulator, type MerakiEmulator } from './index';
import { TokenBuckets } from './rate-limit';
import { ALL_ORGS_KEY, DEMO_KEY, DEMO_ORG_ID, demoState, HQ_NETWORK_ID, OTHER_KEY, OTHER_ORG_ID } from './seed';
import { getJson } from './testing';

describe('TokenBuckets', () => {
  it('allows 10/s with a burst of 10: 20 in the first second, 30 in two', () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 10, burst: 10 }, () => now);
    let firstSecond = 0;
    let secondSecond = 0;
    // One request every 10 ms from t=0 through t=2000 (both seconds' ends inclusive).
    for (; now <= 2000; now += 10) {
      if (!buckets.take('org').allowed) continue;
      if (now <= 1000) firstSecond += 1;
      else secondSecond += 1;
    }
    expect([firstSecond, secondSecond]).toEqual([20, 10]);
  });

  it('keeps one bucket per key and says when to retry', () => {
    const now = 0;
    const buckets = new TokenBuckets({ perSecond: 10, burst: 10 }, () => now);
    for (let i = 0; i < 10; i++) expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterSec: 1 });
    expect(buckets.take('b').allowed).toBe(true);
  });
});

describe('per-organization budget over HTTP', () => {
  let emulator: MerakiEmulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('answers 429 + Retry-After past 10 requests at once, counts network calls against the org, spares other orgs', async () => {
    let now = Date.parse('2026-03-01T12:00:00Z');
    emulator = await startMerakiEmulator({ state: demoState({ now }), now: () => now });
    const e = emulator;
    const orgUrl = `${e.url}/organizations/${DEMO_ORG_ID}/devices`;
    for (let i = 0; i < 9; i++) expect((await getJson(orgUrl, DEMO_KEY)).status).toBe(200);
    // The 10th call is network-scoped: it spends the same organization's budget.
    expect((await getJson(`${e.url}/networks/${HQ_NETWORK_ID}/groupPolicies`, DEMO_KEY)).status).toBe(200);

    const limited = await getJson(orgUrl, DEMO_KEY);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body).toEqual({ errors: ['API rate limit exceeded for organization'] });
    expect((await getJson(`${e.url}/networks/${HQ_NETWORK_ID}/groupPolicies`, DEMO_KEY)).status).toBe(429);
    // The budget belongs to the organization, not the key.
    expect((await getJson(orgUrl, ALL_ORGS_KEY)).status).toBe(429);

    expect((await getJson(`${e.url}/organizations/${OTHER_ORG_ID}/devices`, OTHER_KEY)).status).toBe(200);

    now += 1000;
    for (let i = 0; i < 10; i++) expect((await getJson(orgUrl, DEMO_KEY)).status).toBe(200);
    expect((await getJson(orgUrl, DEMO_KEY)).status).toBe(429);
  });

  it('takes custom budgets and a fixed Retry-After, and can be reset', async () => {
    const now = 0;
    emulator = await startMerakiEmulator({
      state: demoState({ now }),
      now: () => now,
      rateLimit: { perOrg: { perSecond: 1, burst: 2 }, retryAfterSec: 7 },
    });
    const url = `${emulator.url}/organizations/${DEMO_ORG_ID}/networks`;
    expect((await getJson(url, DEMO_KEY)).status).toBe(200);
    expect((await getJson(url, DEMO_KEY)).status).toBe(200);
    const limited = await getJson(url, DEMO_KEY);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    emulator.rateLimits.reset();
    expect((await getJson(url, DEMO_KEY)).status).toBe(200);
  });

  it('applies the per-IP budget to calls outside any organization', async () => {
    const now = 0;
    emulator = await startMerakiEmulator({
      state: demoState({ now }),
      now: () => now,
      rateLimit: { perOrg: false, perIp: { perSecond: 5, burst: 5 } },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await getJson(`${emulator.url}/organizations`, DEMO_KEY)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
