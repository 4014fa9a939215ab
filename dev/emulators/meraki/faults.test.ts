import { afterEach, describe, expect, it } from 'vitest';

import { startMerakiEmulator, type MerakiEmulator } from './index';
import { DEMO_KEY, DEMO_ORG_ID, demoState, HQ_NETWORK_ID } from './seed';
import { followNext, getJson } from './testing';

const NOW = Date.parse('2026-03-01T12:00:00Z');
let emulator: MerakiEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start() {
  emulator = await startMerakiEmulator({
    state: demoState({ now: NOW, branches: 7 }),
    now: () => NOW,
    rateLimit: false,
  });
  return emulator;
}

const UPLINKS = `/organizations/${DEMO_ORG_ID}/appliance/uplink/statuses`;

describe('Meraki-specific faults', () => {
  it('invalidRecords adds items that break the documented shape without disturbing paging', async () => {
    const e = await start();
    e.faults.add({ kind: 'invalidRecords', count: 1, match: { path: `/api/v1${UPLINKS}` }, params: { count: 2 } });
    const { pages } = await followNext(`${e.url}${UPLINKS}?perPage=3`, DEMO_KEY);
    expect(pages.map((p) => p.length)).toEqual([5, 3, 2]);
    const items = pages.flat() as Record<string, unknown>[];
    const invalid = items.filter(
      (item) =>
        typeof item.serial !== 'string' ||
        !Array.isArray(item.uplinks) ||
        Number.isNaN(Date.parse(String(item.lastReportedAt))),
    );
    expect(invalid.length).toBe(2);
    expect(invalid.every((item) => item.serial === undefined)).toBe(true);
    const valid = items.filter((item) => !invalid.includes(item)).map((item) => item.serial);
    expect(new Set(valid).size).toBe(8);
  });

  it('invalidRecords also applies to the events object', async () => {
    const e = await start();
    e.faults.add({ kind: 'invalidRecords', count: 1 });
    const res = await getJson(`${e.url}/networks/N_549236000000000011/events`, DEMO_KEY);
    const { events } = res.body as { events: Record<string, unknown>[] };
    expect(events.length).toBe(1);
    expect(events[0]?.occurredAt).toBeUndefined();
    expect(events[0]?.type).toBeNull();
  });

  it('tokenExpiry answers 401 while active, then the same key works again', async () => {
    const e = await start();
    e.faults.add({ kind: 'tokenExpiry', count: 2 });
    const url = `${e.url}/organizations/${DEMO_ORG_ID}`;
    const first = await getJson(url, DEMO_KEY);
    expect([first.status, first.body]).toEqual([401, { errors: ['Invalid API key'] }]);
    expect((await getJson(url, DEMO_KEY, 'legacy')).status).toBe(401);
    expect((await getJson(url, DEMO_KEY)).status).toBe(200);
  });

  it('tokenExpiry can be switched on from another process, with a custom message', async () => {
    const e = await start();
    await fetch(`${e.origin}/_faults`, {
      method: 'POST',
      body: JSON.stringify({
        kind: 'tokenExpiry',
        match: { path: '/api/v1/networks' },
        params: { message: 'Expired OAuth token' },
      }),
    });
    const res = await getJson(`${e.url}/networks/${HQ_NETWORK_ID}/groupPolicies`, DEMO_KEY);
    expect([res.status, res.body]).toEqual([401, { errors: ['Expired OAuth token'] }]);
    expect((await getJson(`${e.url}/organizations/${DEMO_ORG_ID}`, DEMO_KEY)).status).toBe(200);
    await fetch(`${e.origin}/_faults`, { method: 'DELETE' });
    expect((await getJson(`${e.url}/networks/${HQ_NETWORK_ID}/groupPolicies`, DEMO_KEY)).status).toBe(200);
  });

  it('applies the generic status and malformed faults in front of the routes', async () => {
    const e = await start();
    e.faults.add({ kind: 'status', status: 503, count: 1, body: JSON.stringify({ errors: ['Service Unavailable'] }) });
    expect((await getJson(`${e.url}${UPLINKS}`, DEMO_KEY)).status).toBe(503);
    e.faults.add({ kind: 'malformed', count: 1 });
    const text = await (await fetch(`${e.url}${UPLINKS}`, { headers: { Authorization: `Bearer ${DEMO_KEY}` } })).text();
    expect(() => JSON.parse(text) as unknown).toThrow();
    expect((await getJson(`${e.url}${UPLINKS}`, DEMO_KEY)).status).toBe(200);
  });
});
