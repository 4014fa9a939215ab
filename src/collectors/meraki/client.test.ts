import { afterEach, describe, expect, it } from 'vitest';

import { AppError, ErrorCode } from '../../errors';
import { resetSharedBudgets } from '../budget';
import {
  fakeClock,
  jsonResponse,
  loadExchange,
  scriptedFetch,
  type SentRequest,
} from '../../../test/helpers/collector-testkit';
import { MerakiClient, type MerakiClientOptions, type MerakiPage } from './client';
import { parseLinkHeader } from './link-header';

const KEY = '6bec40cf957de430a6f1f2baa056b99a4fac9ea0';
const BASE = 'https://api.meraki.com/api/v1';
const ORG = '549236';

function merakiClient(steps: Parameters<typeof scriptedFetch>[0], options: Partial<MerakiClientOptions> = {}) {
  const clock = fakeClock();
  const script = scriptedFetch(steps);
  const client = new MerakiClient({
    baseUrl: BASE,
    apiKey: KEY,
    fetch: script.fetch,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    perOrgRatePerSec: 1000,
    ...options,
  });
  return { client, clock, script };
}

async function caught(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

afterEach(() => {
  resetSharedBudgets();
});

describe('parseLinkHeader', () => {
  it('reads the several unquoted rels of a Meraki Link header', () => {
    const header = loadExchange('meraki-pages', '002-uplink-statuses-page-1').response.headers?.link;
    const base = `${BASE}/organizations/${ORG}/appliance/uplink/statuses?perPage=1000`;
    expect(parseLinkHeader(header)).toEqual({
      first: `${base}&startingAfter=0000-0000-0000`,
      next: `${base}&startingAfter=Q2PN-EF56-GH78`,
      last: `${base}&endingBefore=ZZZZ-ZZZZ-ZZZZ`,
    });
  });

  it('reads quoted rels, several rels on one link, commas inside URLs and odd spacing', () => {
    const header = '<https://x.test/a?ids=1,2>;rel="prev first" ,  <https://x.test/b?c=3>; title="x, y"; REL=next';
    expect(parseLinkHeader(header)).toEqual({
      prev: 'https://x.test/a?ids=1,2',
      first: 'https://x.test/a?ids=1,2',
      next: 'https://x.test/b?c=3',
    });
  });

  it('has no next on the last page and nothing for an absent header', () => {
    const header = loadExchange('meraki-pages', '003-uplink-statuses-page-2').response.headers?.link;
    const links = parseLinkHeader(header);
    expect(links.next).toBeUndefined();
    expect(Object.keys(links).sort()).toEqual(['first', 'last', 'prev']);
    expect(parseLinkHeader(null)).toEqual({});
    expect(parseLinkHeader('')).toEqual({});
  });
});

describe('MerakiClient paging', () => {
  it('follows rel=next verbatim until there is none', async () => {
    const page1 = loadExchange('meraki-pages', '002-uplink-statuses-page-1');
    const { client, script } = merakiClient([page1, loadExchange('meraki-pages', '003-uplink-statuses-page-2')]);

    const list = await client.getUplinkStatuses(ORG);

    expect(list).toMatchObject({ pages: 2, complete: true });
    expect(list.items.map((item) => (item as { serial: string }).serial)).toEqual([
      'Q2PN-AB12-CD34',
      'Q2PN-EF56-GH78',
      'Q2PN-JK90-LM12',
    ]);
    const [first, second] = script.requests as [SentRequest, SentRequest];
    expect(first.url.toString()).toBe(`${BASE}/organizations/${ORG}/appliance/uplink/statuses?perPage=1000`);
    expect(second.url.toString()).toBe(parseLinkHeader(page1.response.headers?.link).next);
    expect(client.callsUsed(ORG)).toBe(2);
  });

  it('reads appliance device statuses from /devices/statuses, 1000 a page, following its own Link paging', async () => {
    const next = `${BASE}/organizations/${ORG}/devices/statuses?perPage=1000&productTypes%5B%5D=appliance&startingAfter=Q2KN-0001`;
    const { client, script } = merakiClient([
      () => jsonResponse(200, [{ serial: 'Q2KN-0001', status: 'online' }], { link: `<${next}>; rel=next` }),
      () => jsonResponse(200, [{ serial: 'Q2KN-0002', status: 'offline' }]),
    ]);
    const list = await client.getDeviceStatuses(ORG, { productTypes: ['appliance'] });
    expect(list).toMatchObject({ pages: 2, complete: true });
    expect(list.items).toEqual([
      { serial: 'Q2KN-0001', status: 'online' },
      { serial: 'Q2KN-0002', status: 'offline' },
    ]);
    const [first, second] = script.requests as [SentRequest, SentRequest];
    expect(first.url.pathname).toBe(`/api/v1/organizations/${ORG}/devices/statuses`);
    expect(first.url.searchParams.get('perPage')).toBe('1000');
    expect(first.url.searchParams.getAll('productTypes[]')).toEqual(['appliance']);
    expect(second.url.toString()).toBe(next);
    expect(client.callsUsed(ORG)).toBe(2);
  });

  it('reads the org security events between t0 and t1, oldest first, 1000 a page, at most maxPages', async () => {
    const t0 = '2026-11-22T09:00:00.000000Z';
    const t1 = '2026-11-22T10:00:00.000Z';
    const path = `${BASE}/organizations/${ORG}/appliance/security/events`;
    const next = `${path}?t0=${t0}&t1=${t1}&perPage=1000&sortOrder=ascending&startingAfter=abc`;
    const { client, script } = merakiClient([
      () => jsonResponse(200, [{ ts: '2026-11-22T09:01:00.000001Z' }], { link: `<${next}>; rel=next` }),
      () => jsonResponse(200, [{ ts: '2026-11-22T09:02:00.000001Z' }], { link: `<${next}2>; rel=next` }),
    ]);
    const list = await client.getApplianceSecurityEvents(ORG, { t0, t1, maxPages: 2 });
    expect(list).toMatchObject({ pages: 2, complete: false });
    expect(list.items).toHaveLength(2);
    const [first, second] = script.requests as [SentRequest, SentRequest];
    expect(first.url.pathname).toBe(`/api/v1/organizations/${ORG}/appliance/security/events`);
    expect(Object.fromEntries(first.url.searchParams)).toEqual({ t0, t1, perPage: '1000', sortOrder: 'ascending' });
    expect(second.url.toString()).toBe(next);
    expect(client.callsUsed(ORG)).toBe(2);
  });

  it('stops at the page cap and says the list is incomplete', async () => {
    const { client, script } = merakiClient([loadExchange('meraki-pages', '002-uplink-statuses-page-1')]);
    const list = await client.getUplinkStatuses(ORG, { maxPages: 1 });
    expect(list).toMatchObject({ pages: 1, complete: false });
    expect(script.requests).toHaveLength(1);
  });

  it('exposes the pages as an async generator with the next URL on each', async () => {
    const { client } = merakiClient([
      loadExchange('meraki-pages', '002-uplink-statuses-page-1'),
      loadExchange('meraki-pages', '003-uplink-statuses-page-2'),
    ]);
    const pages: MerakiPage[] = [];
    for await (const page of client.paginate(
      `organizations/${ORG}/appliance/uplink/statuses`,
      { perPage: 1000 },
      ORG,
    )) {
      pages.push(page);
    }
    expect(
      pages.map((page) => [page.index, page.items.length, page.next?.endsWith('startingAfter=Q2PN-EF56-GH78') ?? null]),
    ).toEqual([
      [0, 2, true],
      [1, 1, null],
    ]);
  });

  it('re-bases a next link on another host onto the configured base, so the key stays there', async () => {
    const { client, script } = merakiClient([
      () =>
        jsonResponse(200, [{ id: 1 }], {
          link: '<https://n149.meraki.com/api/v1/organizations?startingAfter=1>; rel=next',
        }),
      () => jsonResponse(200, { items: [{ id: 2 }], meta: { counts: { items: { total: 2 } } } }),
    ]);
    const list = await client.getOrganizations();
    expect(list.items).toEqual([{ id: 1 }, { id: 2 }]);
    expect(script.requests[1]?.url.toString()).toBe('https://api.meraki.com/api/v1/organizations?startingAfter=1');
  });

  it('ends paging on 204 No Content', async () => {
    const { client } = merakiClient([
      () => new Response(null, { status: 204, headers: { link: `<${BASE}/x?startingAfter=9>; rel=next` } }),
    ]);
    expect(await client.getOrganizations()).toEqual({ items: [], pages: 1, complete: true });
  });

  it('sends array filters as name[] repeated', async () => {
    const { client, script } = merakiClient([loadExchange('meraki-pages', '005-devices')]);
    const list = await client.getDevices(ORG, { productTypes: ['appliance', 'wireless'] });
    expect(list.items).toHaveLength(2);
    expect(script.requests[0]?.url.searchParams.getAll('productTypes[]')).toEqual(['appliance', 'wireless']);
    expect(script.requests[0]?.url.searchParams.get('perPage')).toBe('5000');
  });
});

describe('MerakiClient auth and errors', () => {
  it('sends the key as a bearer token by default, the legacy header or both when configured', async () => {
    const org = loadExchange('meraki-pages', '001-organizations');
    for (const [mode, expected] of [
      ['bearer', { authorization: `Bearer ${KEY}`, legacy: undefined }],
      ['x-cisco-meraki-api-key', { authorization: undefined, legacy: KEY }],
      ['both', { authorization: `Bearer ${KEY}`, legacy: KEY }],
    ] as const) {
      const { client, script } = merakiClient([org], { authHeader: mode });
      await client.getOrganizations();
      const headers = script.requests[0]?.headers ?? {};
      expect({ authorization: headers.authorization, legacy: headers['x-cisco-meraki-api-key'] }).toEqual(expected);
    }
  });

  it('waits exactly Retry-After on 429, then retries; both attempts count', async () => {
    const { client, clock } = merakiClient([
      loadExchange('meraki-pages', '007-rate-limited'),
      loadExchange('meraki-pages', '003-uplink-statuses-page-2'),
    ]);
    const list = await client.getUplinkStatuses(ORG);
    expect(list.items).toHaveLength(1);
    expect(clock.sleeps).toEqual([2000]);
    expect(client.callsUsed(ORG)).toBe(2);
  });

  it('fails a bad key at once, non-retriable, naming Meraki’s reason and never the key', async () => {
    const { client, script } = merakiClient([loadExchange('meraki-pages', '009-unauthorized')]);
    const error = await caught(client.getUplinkStatuses(ORG));
    expect(error.code).toBe(ErrorCode.CollectorAuth);
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('Invalid API key');
    expect(JSON.stringify(error.toJSON())).not.toContain(KEY);
    expect(script.requests).toHaveLength(1);
  });

  it('retries 5xx with bounded backoff and gives up retriable, keeping the request id', async () => {
    const failure = loadExchange('meraki-pages', '010-server-error');
    const { client, clock, script } = merakiClient([failure, failure, failure], {
      maxRetries: 2,
      backoffBaseMs: 1000,
      backoffMaxMs: 1500,
      random: () => 1,
    });
    const error = await caught(client.getUplinkStatuses(ORG));
    expect(error.code).toBe(ErrorCode.CollectorHttpError);
    expect(error.retriable).toBe(true);
    expect(error.context).toMatchObject({ status: 502, requestId: 'f3a1b2c3d4', attempts: 3 });
    expect(clock.sleeps).toEqual([1000, 1500]);
    expect(script.requests).toHaveLength(3);
  });

  it('retries a 5xx then succeeds', async () => {
    const { client } = merakiClient([
      loadExchange('meraki-pages', '010-server-error'),
      loadExchange('meraki-pages', '003-uplink-statuses-page-2'),
    ]);
    expect((await client.getUplinkStatuses(ORG)).items).toHaveLength(1);
  });

  it('treats a list body that is neither an array nor { items } as malformed', async () => {
    const { client } = merakiClient([() => jsonResponse(200, { serial: 'Q2PN-AB12-CD34' })], { maxRetries: 0 });
    const error = await caught(client.getUplinkStatuses(ORG));
    expect(error.code).toBe(ErrorCode.CollectorMalformed);
    expect(error.retriable).toBe(true);
  });
});

describe('MerakiClient budgets', () => {
  it('gives each organization its own 10 req/s budget', async () => {
    const answers = Array.from({ length: 13 }, () => () => jsonResponse(200, []));
    const { client, clock } = merakiClient(answers, { perOrgRatePerSec: 10 });
    for (let i = 0; i < 10; i += 1) await client.getUplinkStatuses('org-a');
    expect(clock.sleeps).toEqual([]);
    await client.getUplinkStatuses('org-a');
    expect(clock.sleeps).toEqual([100]);
    // org-b is untouched by org-a's spending.
    await client.getUplinkStatuses('org-b');
    await client.getUplinkStatuses('org-b');
    expect(clock.sleeps).toEqual([100]);
    expect(client.budgetFor('org-a').used).toBe(11);
    expect(client.budgetFor('org-b').used).toBe(2);
    expect(client.budgetFor('org-a')).not.toBe(client.budgetFor('org-b'));
  });

  it('shares one org budget across client instances in the process', async () => {
    const clock = fakeClock();
    const script = scriptedFetch(Array.from({ length: 3 }, () => () => jsonResponse(200, [])));
    const options = {
      baseUrl: BASE,
      apiKey: KEY,
      fetch: script.fetch,
      sleep: clock.sleep,
      now: clock.now,
      perOrgRatePerSec: 2,
    };
    const a = new MerakiClient(options);
    const b = new MerakiClient({ ...options, apiKey: 'another-key-of-the-same-org' });
    await a.getNetworks(ORG);
    await b.getNetworks(ORG);
    expect(clock.sleeps).toEqual([]);
    await a.getNetworks(ORG);
    expect(clock.sleeps).toEqual([500]);
    expect(a.budgetFor(ORG)).toBe(b.budgetFor(ORG));
    expect(a.callsUsed(ORG)).toBe(2);
    expect(b.callsUsed(ORG)).toBe(1);
  });

  it('counts calls per org until reset', async () => {
    const { client } = merakiClient(Array.from({ length: 3 }, () => () => jsonResponse(200, [])));
    await client.getNetworks('o1');
    await client.getNetworks('o1');
    await client.getNetworks('o2');
    expect([client.callsUsed('o1'), client.callsUsed('o2')]).toEqual([2, 1]);
    client.resetCalls('o1');
    expect([client.callsUsed('o1'), client.callsUsed('o2')]).toEqual([0, 1]);
    client.resetCalls();
    expect(client.callsUsed('o2')).toBe(0);
  });
});

describe('MerakiClient typed helpers', () => {
  it('reads one time-based page of appliance events with the next startingAfter', async () => {
    const { client, script } = merakiClient([loadExchange('meraki-pages', '006-network-events')]);
    const page = await client.getNetworkEvents('L_646829496481105433', ORG, {
      startingAfter: '2024-05-01T10:00:00.000000Z',
    });
    const query = script.requests[0]?.url.searchParams;
    expect(script.requests[0]?.url.pathname).toBe('/api/v1/networks/L_646829496481105433/events');
    expect(Object.fromEntries(query ?? [])).toEqual({
      productType: 'appliance',
      perPage: '1000',
      startingAfter: '2024-05-01T10:00:00.000000Z',
    });
    expect(page).toMatchObject({
      message: null,
      pageStartAt: '2024-05-01T10:00:00.000000Z',
      pageEndAt: '2024-05-01T10:15:00.000000Z',
      nextStartingAfter: '2024-05-01T10:15:00.000000Z',
      prevEndingBefore: '2024-05-01T10:00:00.000000Z',
    });
    expect(page.events).toHaveLength(2);
    expect(client.callsUsed(ORG)).toBe(1);
  });

  it('rejects an events body without an events array', async () => {
    const { client } = merakiClient([() => jsonResponse(200, [])], { maxRetries: 0 });
    const error = await caught(client.getNetworkEvents('N_1', ORG));
    expect(error.code).toBe(ErrorCode.CollectorMalformed);
  });

  it('reads and replaces L3 firewall rules with a JSON PUT', async () => {
    const current = loadExchange('meraki-pages', '008-l3-firewall-rules');
    const { client, script } = merakiClient([
      current,
      (request) => jsonResponse(200, JSON.parse(request.body ?? '{}')),
    ]);
    const rules = (await client.getL3FirewallRules('L_646829496481105433', ORG)) as { rules: unknown[] };
    expect(rules.rules).toHaveLength(2);
    const block = {
      comment: 'Sentry block',
      policy: 'deny',
      protocol: 'any',
      srcCidr: 'Any',
      srcPort: 'Any',
      destCidr: '203.0.113.9/32',
      destPort: 'Any',
    };
    const updated = await client.putL3FirewallRules('L_646829496481105433', ORG, [block]);
    const put = script.requests[1];
    expect(put?.method).toBe('PUT');
    expect(put?.url.pathname).toBe('/api/v1/networks/L_646829496481105433/appliance/firewall/l3FirewallRules');
    expect(put?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(put?.body ?? '')).toEqual({ rules: [block] });
    expect(updated).toEqual({ rules: [block] });
  });

  it('reads group policies and reads/sets a client policy', async () => {
    const { client, script } = merakiClient([
      () => jsonResponse(200, [{ groupPolicyId: '101', name: 'Quarantine' }]),
      () => jsonResponse(200, { mac: '00:11:22:33:44:55', devicePolicy: 'Normal' }),
      (request) => jsonResponse(200, { mac: '00:11:22:33:44:55', ...(JSON.parse(request.body ?? '{}') as object) }),
    ]);
    expect(await client.getGroupPolicies('N_1', ORG)).toEqual([{ groupPolicyId: '101', name: 'Quarantine' }]);
    expect(await client.getClientPolicy('N_1', ORG, 'k74272e')).toMatchObject({ devicePolicy: 'Normal' });
    const set = await client.putClientPolicy('N_1', ORG, 'k74272e', {
      devicePolicy: 'Group policy',
      groupPolicyId: '101',
    });
    expect(set).toMatchObject({ devicePolicy: 'Group policy', groupPolicyId: '101' });
    expect(script.requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      'GET /api/v1/networks/N_1/groupPolicies',
      'GET /api/v1/networks/N_1/clients/k74272e/policy',
      'PUT /api/v1/networks/N_1/clients/k74272e/policy',
    ]);
    expect(client.callsUsed(ORG)).toBe(3);
  });

  it('lists networks and organizations', async () => {
    const { client, script } = merakiClient([
      loadExchange('meraki-pages', '001-organizations'),
      loadExchange('meraki-pages', '004-networks'),
    ]);
    expect((await client.getOrganizations()).items).toHaveLength(2);
    expect((await client.getNetworks(ORG)).items).toHaveLength(4);
    expect(script.requests[1]?.url.toString()).toBe(`${BASE}/organizations/${ORG}/networks?perPage=100000`);
    expect(client.callsUsed(ORG)).toBe(1);
  });
});
