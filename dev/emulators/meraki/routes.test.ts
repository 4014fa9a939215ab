import { afterEach, describe, expect, it } from 'vitest';

import { MerakiSecurityEventSchema } from '../../scenario/wire-schemas';
import { buildFileScan, buildIdsAlert, macFromSerial } from './builders';
import { startMerakiEmulator, type MerakiEmulator, type MerakiEmulatorOptions } from './index';
import {
  ALL_ORGS_KEY,
  DEMO_KEY,
  DEMO_ORG_ID,
  demoState,
  HQ_APPLIANCE_SERIAL,
  HQ_NETWORK_ID,
  OTHER_KEY,
  OTHER_ORG_ID,
} from './seed';
import { followNext, getJson } from './testing';
import type { ApplianceUplinkStatus, Device, DeviceStatus, L3FirewallRule, Network, NetworkEvent } from './types';

const NOW = Date.parse('2026-03-01T12:00:00Z');
let emulator: MerakiEmulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: MerakiEmulatorOptions = {}, branches = 7): Promise<MerakiEmulator> {
  emulator = await startMerakiEmulator({
    state: demoState({ now: NOW, branches }),
    now: () => NOW,
    rateLimit: false,
    ...options,
  });
  return emulator;
}

async function send(method: string, url: string, key: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

describe('auth and organization access', () => {
  it('accepts the key as Bearer or as X-Cisco-Meraki-API-Key', async () => {
    const e = await start();
    for (const header of ['bearer', 'legacy'] as const) {
      const res = await getJson(`${e.url}/organizations/${DEMO_ORG_ID}`, DEMO_KEY, header);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: DEMO_ORG_ID, name: 'Sentry Demo Org', api: { enabled: true } });
    }
  });

  it('answers 401 with Meraki errors for a wrong key in either header, and for no key', async () => {
    const e = await start();
    for (const header of ['bearer', 'legacy'] as const) {
      const res = await getJson(`${e.url}/organizations`, 'not-a-key', header);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ errors: ['Invalid API key'] });
    }
    const missing = await fetch(`${e.url}/organizations`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ errors: ['Missing API key'] });
  });

  it('lists only the organizations the key can reach', async () => {
    const e = await start();
    const own = await getJson(`${e.url}/organizations`, DEMO_KEY);
    expect((own.body as { id: string }[]).map((o) => o.id)).toEqual([DEMO_ORG_ID]);
    const all = await getJson(`${e.url}/organizations`, ALL_ORGS_KEY);
    expect((all.body as { id: string }[]).map((o) => o.id).sort()).toEqual([DEMO_ORG_ID, OTHER_ORG_ID].sort());
  });

  it('answers 404 for a foreign organization, and for a network or client in one', async () => {
    const e = await start();
    for (const path of [
      `/organizations/${OTHER_ORG_ID}`,
      `/organizations/${OTHER_ORG_ID}/appliance/uplink/statuses`,
      `/organizations/999999/devices`,
    ]) {
      const res = await getJson(`${e.url}${path}`, DEMO_KEY);
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ errors: ['Not found'] });
    }
    expect((await getJson(`${e.url}/networks/${HQ_NETWORK_ID}/groupPolicies`, OTHER_KEY)).status).toBe(404);
    expect((await getJson(`${e.url}/networks/${HQ_NETWORK_ID}/clients/k74272e/policy`, OTHER_KEY)).status).toBe(404);
    expect((await getJson(`${e.url}/organizations/${OTHER_ORG_ID}`, ALL_ORGS_KEY)).status).toBe(200);
  });

  it('answers 404 with the API-disabled message for an org with API access off', async () => {
    const e = await start();
    e.state.addOrganization({ id: '777', name: 'Locked', api: { enabled: false } });
    const res = await getJson(`${e.url}/organizations/777/networks`, ALL_ORGS_KEY);
    expect(res.status).toBe(404);
    expect((res.body as { errors: string[] }).errors[0]).toMatch(/API access is disabled/);
  });

  it('answers unknown operations with a 404 errors body', async () => {
    const e = await start();
    const res = await getJson(`${e.url}/organizations/${DEMO_ORG_ID}/nothingHere`, DEMO_KEY);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: ['Not found'] });
  });
});

describe('Link paging', () => {
  it('walks uplink statuses with rel=next until absent, in Meraki link format', async () => {
    const e = await start();
    const expected = e.state.data.uplinkStatuses
      .filter((s) => e.state.network(s.networkId)?.organizationId === DEMO_ORG_ID)
      .map((s) => s.serial)
      .sort();
    expect(expected.length).toBe(8);

    const first = await getJson(`${e.url}/organizations/${DEMO_ORG_ID}/appliance/uplink/statuses?perPage=3`, DEMO_KEY);
    const raw = first.headers.get('link') ?? '';
    expect(raw).toMatch(
      /^<http:\/\/127\.0\.0\.1:\d+\/api\/v1\/organizations\/549236\/appliance\/uplink\/statuses\?perPage=3&startingAfter=0000-0000-0000>; rel=first, /,
    );
    expect(raw).toMatch(/; rel=next, /);
    expect(raw).toMatch(/endingBefore=ZZZZ-ZZZZ-ZZZZ>; rel=last$/);
    expect(first.links.prev).toBeUndefined();

    const { pages, urls } = await followNext(
      `${e.url}/organizations/${DEMO_ORG_ID}/appliance/uplink/statuses?perPage=3`,
      DEMO_KEY,
    );
    expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
    const serials = pages.flat().map((s) => (s as ApplianceUplinkStatus).serial);
    expect(serials).toEqual(expected);
    expect(urls[1]).toMatch(/perPage=3&startingAfter=/);

    const second = await getJson(urls[1] ?? '', DEMO_KEY);
    expect(second.links.prev).toMatch(/endingBefore=/);
    const back = await getJson(second.links.prev ?? '', DEMO_KEY);
    expect((back.body as ApplianceUplinkStatus[]).map((s) => s.serial)).toEqual(expected.slice(0, 3));
  });

  it('serves the documented uplink status item shape', async () => {
    const e = await start();
    const res = await getJson(
      `${e.url}/organizations/${DEMO_ORG_ID}/appliance/uplink/statuses?serials[]=${HQ_APPLIANCE_SERIAL}`,
      DEMO_KEY,
    );
    const [item] = res.body as ApplianceUplinkStatus[];
    expect(Object.keys(item ?? {})).toEqual([
      'networkId',
      'serial',
      'model',
      'lastReportedAt',
      'highAvailability',
      'uplinks',
    ]);
    expect(item?.lastReportedAt).toBe('2026-03-01T12:00:00Z');
    expect(item?.uplinks.map((u) => [u.interface, u.status])).toEqual([
      ['wan1', 'active'],
      ['wan2', 'ready'],
      ['cellular', 'ready'],
    ]);
    expect(item?.uplinks[0]).toMatchObject({
      ip: '192.168.0.2',
      gateway: '192.168.0.1',
      publicIp: '198.51.100.10',
      primaryDns: '8.8.8.8',
      secondaryDns: '8.8.4.4',
      ipAssignedBy: 'dhcp',
    });
  });

  it('jumps to the last page with rel=last and walks back with rel=prev', async () => {
    const e = await start();
    const first = await getJson(`${e.url}/organizations/${DEMO_ORG_ID}/devices?perPage=4`, DEMO_KEY);
    const last = await getJson(first.links.last ?? '', DEMO_KEY);
    const all = e.state.data.devices
      .filter((d) => d.networkId?.includes('549236'))
      .map((d) => d.serial)
      .sort();
    expect((last.body as Device[]).map((d) => d.serial)).toEqual(all.slice(-4));
    expect(last.links.next).toBeUndefined();
    const prev = await getJson(last.links.prev ?? '', DEMO_KEY);
    expect((prev.body as Device[]).map((d) => d.serial)).toEqual(all.slice(-8, -4));
  });

  it('keeps filters in every link while paging devices and networks', async () => {
    const e = await start();
    const devices = await followNext(
      `${e.url}/organizations/${DEMO_ORG_ID}/devices?productTypes[]=appliance&perPage=3`,
      DEMO_KEY,
    );
    expect(devices.urls.slice(1).every((u) => u.includes('productTypes%5B%5D=appliance'))).toBe(true);
    const items = devices.pages.flat() as Device[];
    expect(items.length).toBe(8);
    expect(items.every((d) => d.productType === 'appliance')).toBe(true);

    const networks = await followNext(
      `${e.url}/organizations/${DEMO_ORG_ID}/networks?perPage=3&tags[]=branch`,
      DEMO_KEY,
    );
    const names = (networks.pages.flat() as Network[]).map((n) => n.name).sort();
    expect(names).toEqual(['Branch 1', 'Branch 2', 'Branch 3', 'Branch 4', 'Branch 5', 'Branch 6', 'Branch 7']);
    expect(networks.pages.length).toBe(3);
  });

  it('serves /devices as the inventory only: no status, last report, public IP or gateway, whatever the state holds', async () => {
    const e = await start();
    const hq = e.state.device(HQ_APPLIANCE_SERIAL);
    // A seed that (wrongly) stores status fields on the inventory item does not leak them.
    Object.assign(hq ?? {}, {
      status: 'online',
      lastReportedAt: '2026-03-01T11:59:00Z',
      publicIp: '198.51.100.10',
      gateway: '192.168.0.1',
    });
    const devices = (
      await followNext(`${e.url}/organizations/${DEMO_ORG_ID}/devices?perPage=3`, DEMO_KEY)
    ).pages.flat();
    expect(devices.length).toBeGreaterThan(3);
    for (const device of devices as Record<string, unknown>[]) {
      for (const field of ['status', 'lastReportedAt', 'publicIp', 'gateway']) expect(device).not.toHaveProperty(field);
      expect(device).toHaveProperty('firmware');
    }
    expect(devices.find((d) => (d as Device).serial === HQ_APPLIANCE_SERIAL)).toMatchObject({
      name: 'HQ-MX',
      lanIp: null,
    });
    const statuses = (
      await followNext(`${e.url}/organizations/${DEMO_ORG_ID}/devices/statuses?perPage=3`, DEMO_KEY)
    ).pages.flat() as Record<string, unknown>[];
    expect(statuses.length).toBe(devices.length);
    for (const status of statuses) {
      expect(Object.keys(status).sort()).toEqual([
        'gateway',
        'ipType',
        'lanIp',
        'lastReportedAt',
        'mac',
        'model',
        'name',
        'networkId',
        'primaryDns',
        'productType',
        'publicIp',
        'secondaryDns',
        'serial',
        'status',
        'tags',
      ]);
    }
    expect(statuses.find((s) => s.serial === HQ_APPLIANCE_SERIAL)).toMatchObject({
      status: 'online',
      publicIp: '198.51.100.10',
      lastReportedAt: '2026-03-01T12:00:00Z',
    });
  });

  it('enforces each operation’s perPage bounds with 400', async () => {
    const e = await start();
    const base = `${e.url}/organizations/${DEMO_ORG_ID}`;
    const cases: [string, number][] = [
      [`${base}/appliance/uplink/statuses?perPage=2`, 400],
      [`${base}/appliance/uplink/statuses?perPage=1000`, 200],
      [`${base}/appliance/uplink/statuses?perPage=1001`, 400],
      [`${base}/devices?perPage=5000`, 200],
      [`${base}/devices?perPage=5001`, 400],
      [`${base}/devices/statuses?perPage=1001`, 400],
      [`${base}/networks?perPage=100000`, 200],
      [`${e.url}/organizations?perPage=9001`, 400],
    ];
    for (const [url, status] of cases) {
      const res = await getJson(url, DEMO_KEY);
      expect(res.status, url).toBe(status);
      if (status === 400) expect((res.body as { errors: string[] }).errors[0]).toMatch(/perPage/);
    }
  });

  it('filters uplink statuses by networkIds[], serials[] and iccids[], and device statuses by statuses[]', async () => {
    const e = await start();
    const base = `${e.url}/organizations/${DEMO_ORG_ID}/appliance/uplink/statuses`;
    const byNetwork = await getJson(`${base}?networkIds[]=${HQ_NETWORK_ID}`, DEMO_KEY);
    expect((byNetwork.body as ApplianceUplinkStatus[]).map((s) => s.serial)).toEqual([HQ_APPLIANCE_SERIAL]);
    const iccid = e.state.uplinkStatus('Q2BR-MX03-0003')?.uplinks.find((u) => u.interface === 'cellular')?.iccid;
    const byIccid = await getJson(`${base}?iccids[]=${iccid ?? ''}`, DEMO_KEY);
    expect((byIccid.body as ApplianceUplinkStatus[]).map((s) => s.serial)).toEqual(['Q2BR-MX03-0003']);
    const bySerial = await getJson(`${base}?serials[]=Q2BR-MX01-0001&serials[]=Q2BR-MX02-0002`, DEMO_KEY);
    expect((bySerial.body as ApplianceUplinkStatus[]).length).toBe(2);

    e.state.setDeviceStatus('Q2HQ-MR00-0002', { status: 'offline' });
    const offline = await getJson(
      `${e.url}/organizations/${DEMO_ORG_ID}/devices/statuses?statuses[]=offline`,
      DEMO_KEY,
    );
    expect((offline.body as DeviceStatus[]).map((s) => s.serial)).toEqual(['Q2HQ-MR00-0002']);
  });
});

describe('failover', () => {
  it('shows a failover to cellular with a new public IP in the next uplink and device status poll', async () => {
    const e = await start();
    const url = `${e.url}/organizations/${DEMO_ORG_ID}/appliance/uplink/statuses?serials[]=${HQ_APPLIANCE_SERIAL}`;
    const before = ((await getJson(url, DEMO_KEY)).body as ApplianceUplinkStatus[])[0];
    expect(before?.uplinks.find((u) => u.status === 'active')?.interface).toBe('wan1');

    const change = e.state.failover(HQ_APPLIANCE_SERIAL, {
      to: 'cellular',
      publicIp: '100.64.99.99',
      at: '2026-03-01T12:05:00Z',
    });
    expect(change.activeBefore).toBe('wan1');
    expect(change.activeAfter).toBe('cellular');

    const after = ((await getJson(url, DEMO_KEY)).body as ApplianceUplinkStatus[])[0];
    expect(after?.lastReportedAt).toBe('2026-03-01T12:05:00Z');
    expect(after?.uplinks.map((u) => [u.interface, u.status])).toEqual([
      ['wan1', 'failed'],
      ['wan2', 'ready'],
      ['cellular', 'active'],
    ]);
    expect(after?.uplinks.find((u) => u.interface === 'cellular')?.publicIp).toBe('100.64.99.99');

    const status = await getJson(
      `${e.url}/organizations/${DEMO_ORG_ID}/devices/statuses?serials[]=${HQ_APPLIANCE_SERIAL}`,
      DEMO_KEY,
    );
    expect((status.body as DeviceStatus[])[0]).toMatchObject({ publicIp: '100.64.99.99', status: 'online' });
  });

  it('takes uplink changes from another process over the control route', async () => {
    const e = await start();
    const res = await fetch(`${e.origin}/_meraki/failover/${HQ_APPLIANCE_SERIAL}`, {
      method: 'POST',
      body: JSON.stringify({ to: 'wan2', fromStatus: 'not connected' }),
    });
    expect(res.status).toBe(200);
    expect(e.state.uplinkStatus(HQ_APPLIANCE_SERIAL)?.uplinks.map((u) => u.status)).toEqual([
      'not connected',
      'active',
      'ready',
    ]);
    const bad = await fetch(`${e.origin}/_meraki/failover/NOPE`, {
      method: 'POST',
      body: JSON.stringify({ to: 'wan2' }),
    });
    expect(bad.status).toBe(400);
  });
});

describe('network events', () => {
  function seedEvents(e: MerakiEmulator, count: number) {
    e.state.addEvents(
      HQ_NETWORK_ID,
      Array.from({ length: count }, (_, i) => ({
        occurredAt: new Date(NOW - (count - i) * 60_000).toISOString(),
        type: i % 2 === 0 ? 'uplink_change' : 'cellular_up',
        deviceSerial: HQ_APPLIANCE_SERIAL,
        eventData: { seq: i },
      })),
    );
  }
  const seqs = (events: NetworkEvent[]) =>
    events.filter((ev) => 'seq' in ev.eventData).map((ev) => ev.eventData.seq as number);

  it('requires productType on a multi-product network, as Meraki does', async () => {
    const e = await start();
    const res = await getJson(`${e.url}/networks/${HQ_NETWORK_ID}/events`, DEMO_KEY);
    expect(res.status).toBe(400);
    expect((res.body as { errors: string[] }).errors[0]).toMatch(/productType/);
    const branch = await getJson(`${e.url}/networks/N_549236000000000011/events`, DEMO_KEY);
    expect(branch.status).toBe(200);
    expect(branch.body).toMatchObject({ message: null, events: [] });
  });

  it('returns the events object newest-first and walks back with rel=prev without gaps or repeats', async () => {
    const e = await start();
    seedEvents(e, 25);
    const first = await getJson(
      `${e.url}/networks/${HQ_NETWORK_ID}/events?productType=appliance&includedEventTypes[]=uplink_change&includedEventTypes[]=cellular_up`,
      DEMO_KEY,
    );
    const body = first.body as { message: null; pageStartAt: string; pageEndAt: string; events: NetworkEvent[] };
    expect(Object.keys(body)).toEqual(['message', 'pageStartAt', 'pageEndAt', 'events']);
    expect(body.events.length).toBe(10); // Meraki's default perPage for events
    expect(seqs(body.events)).toEqual([24, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
    expect(body.pageEndAt).toBe('2026-03-01T12:00:00.000000Z');
    expect(body.events[0]).not.toHaveProperty('productType');
    expect(first.links.next).toMatch(/startingAfter=2026-03-01T12%3A00%3A00\.000000Z$/);

    const seen: number[] = [...seqs(body.events)];
    let prev = first.links.prev;
    while (prev !== undefined) {
      const page = await getJson(prev, DEMO_KEY);
      seen.push(...seqs((page.body as { events: NetworkEvent[] }).events));
      prev = page.links.prev;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => 24 - i));
  });

  it('walks forward from a checkpoint with rel=next until the token reaches now', async () => {
    const e = await start();
    seedEvents(e, 12);
    const since = encodeURIComponent(new Date(NOW - 13 * 60_000).toISOString());
    let url: string | undefined =
      `${e.url}/networks/${HQ_NETWORK_ID}/events?productType=appliance&includedEventTypes[]=uplink_change&includedEventTypes[]=cellular_up&perPage=5&startingAfter=${since}`;
    const chronological: number[] = [];
    for (let i = 0; url !== undefined && i < 10; i++) {
      const page = await getJson(url, DEMO_KEY);
      const events = (page.body as { events: NetworkEvent[] }).events;
      if (events.length === 0) break;
      chronological.push(...seqs(events).reverse());
      url = page.links.next;
    }
    expect(chronological).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('filters by includedEventTypes[] and hides events after now', async () => {
    let now = NOW;
    const e = await start({ now: () => now });
    seedEvents(e, 6);
    e.state.addEvents(HQ_NETWORK_ID, [
      {
        occurredAt: new Date(NOW + 60_000).toISOString(),
        type: 'cellular_up',
        deviceSerial: HQ_APPLIANCE_SERIAL,
        eventData: { seq: 99 },
      },
    ]);
    const url = `${e.url}/networks/${HQ_NETWORK_ID}/events?productType=appliance&includedEventTypes[]=cellular_up`;
    expect(seqs(((await getJson(url, DEMO_KEY)).body as { events: NetworkEvent[] }).events)).toEqual([5, 3, 1]);
    now = NOW + 120_000;
    expect(seqs(((await getJson(url, DEMO_KEY)).body as { events: NetworkEvent[] }).events)).toEqual([99, 5, 3, 1]);
  });

  it('lists event types for the network’s product types', async () => {
    const e = await start();
    const branch = await getJson(`${e.url}/networks/N_549236000000000011/events/eventTypes`, DEMO_KEY);
    const types = branch.body as { category: string; type: string; description: string }[];
    expect(types.length).toBeGreaterThan(0);
    expect(types.every((t) => Object.keys(t).join() === 'category,type,description')).toBe(true);
    expect(types.map((t) => t.type)).not.toContain('association');
    const hq = await getJson(`${e.url}/networks/${HQ_NETWORK_ID}/events/eventTypes`, DEMO_KEY);
    expect((hq.body as { type: string }[]).map((t) => t.type)).toContain('association');
  });
});

describe('L3 firewall rules', () => {
  const rules = (body: unknown) => (body as { rules: L3FirewallRule[] }).rules;
  const url = (e: MerakiEmulator) => `${e.url}/networks/${HQ_NETWORK_ID}/appliance/firewall/l3FirewallRules`;

  it('replaces the list on PUT, keeps the default rule last, and GET returns the same shape', async () => {
    const e = await start();
    const initial = rules((await getJson(url(e), DEMO_KEY)).body);
    expect(initial.at(-1)).toEqual({
      comment: 'Default rule',
      policy: 'allow',
      protocol: 'Any',
      srcPort: 'Any',
      srcCidr: 'Any',
      destPort: 'Any',
      destCidr: 'Any',
      syslogEnabled: false,
    });
    const block = {
      comment: 'Sentry: block 203.0.113.66',
      policy: 'deny',
      protocol: 'any',
      destCidr: '203.0.113.66/32',
    };
    const put = await send('PUT', url(e), DEMO_KEY, { rules: [...initial.slice(0, -1), block] });
    expect(put.status).toBe(200);
    const afterPut = rules(put.body);
    expect(afterPut.length).toBe(initial.length + 1);
    expect(afterPut.at(-2)).toEqual({
      ...block,
      srcPort: 'Any',
      srcCidr: 'Any',
      destPort: 'Any',
      syslogEnabled: false,
    });
    expect(afterPut.at(-1)?.comment).toBe('Default rule');
    const get = await getJson(url(e), DEMO_KEY);
    expect(get.body).toEqual(put.body);

    const again = await send('PUT', url(e), DEMO_KEY, { rules: afterPut.slice(0, -1) });
    expect(again.body).toEqual(put.body);
  });

  it('rejects the default rule in a PUT by default, strips it when configured', async () => {
    const e = await start();
    const current = rules((await getJson(url(e), DEMO_KEY)).body);
    const rejected = await send('PUT', url(e), DEMO_KEY, { rules: current });
    expect(rejected.status).toBe(400);
    await e.close();
    const lenient = await start({ firewallDefaultRuleInPut: 'strip' });
    const accepted = await send('PUT', url(lenient), DEMO_KEY, { rules: current });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ rules: current });
  });

  it('validates rules with 400 errors and leaves the list unchanged', async () => {
    const e = await start();
    const before = (await getJson(url(e), DEMO_KEY)).body;
    const bad = [
      { rules: [{ policy: 'deny', protocol: 'tcp' }] },
      { rules: [{ policy: 'maybe', protocol: 'tcp', destCidr: 'Any' }] },
      { rules: [{ policy: 'deny', protocol: 'tcp', destCidr: '10.0.0.300/32' }] },
      { rules: [{ policy: 'deny', protocol: 'icmp', destCidr: 'Any', destPort: '22' }] },
      { rules: 'deny all' },
    ];
    for (const body of bad) {
      const res = await send('PUT', url(e), DEMO_KEY, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((res.body as { errors: string[] }).errors.length).toBe(1);
    }
    expect((await getJson(url(e), DEMO_KEY)).body).toEqual(before);
  });

  it('answers 400 on a network without an appliance', async () => {
    const e = await start();
    e.state.addNetwork({
      id: 'N_549236000000000099',
      organizationId: DEMO_ORG_ID,
      name: 'Wifi only',
      productTypes: ['wireless'],
    });
    const res = await getJson(`${e.url}/networks/N_549236000000000099/appliance/firewall/l3FirewallRules`, DEMO_KEY);
    expect(res.status).toBe(400);
  });
});

describe('group policies and client policy', () => {
  const policyUrl = (e: MerakiEmulator, client: string) =>
    `${e.url}/networks/${HQ_NETWORK_ID}/clients/${client}/policy`;

  it('lists group policies', async () => {
    const e = await start();
    const res = await getJson(`${e.url}/networks/${HQ_NETWORK_ID}/groupPolicies`, DEMO_KEY);
    expect((res.body as { groupPolicyId: string; name: string }[]).map((p) => [p.groupPolicyId, p.name])).toEqual([
      ['100', 'Quarantine'],
      ['101', 'Guests'],
    ]);
  });

  it('blocks a client, then moves it to a group policy, by id or MAC', async () => {
    const e = await start();
    expect((await getJson(policyUrl(e, 'k74272e'), DEMO_KEY)).body).toEqual({
      mac: '22:33:44:55:66:77',
      devicePolicy: 'Normal',
    });
    const blocked = await send('PUT', policyUrl(e, 'k74272e'), DEMO_KEY, { devicePolicy: 'Blocked' });
    expect(blocked).toEqual({ status: 200, body: { mac: '22:33:44:55:66:77', devicePolicy: 'Blocked' } });
    expect((await getJson(policyUrl(e, '22:33:44:55:66:77'), DEMO_KEY)).body).toEqual(blocked.body);

    const grouped = await send('PUT', policyUrl(e, '22:33:44:55:66:77'), DEMO_KEY, {
      devicePolicy: 'group policy',
      groupPolicyId: '100',
    });
    expect(grouped.body).toEqual({ mac: '22:33:44:55:66:77', devicePolicy: 'Group policy', groupPolicyId: '100' });
  });

  it('rejects a missing or unknown devicePolicy, an unknown group policy, and an unknown client', async () => {
    const e = await start();
    expect(await send('PUT', policyUrl(e, 'k74272e'), DEMO_KEY, {})).toEqual({
      status: 400,
      body: { errors: ["Missing the following parameters: 'devicePolicy'"] },
    });
    expect((await send('PUT', policyUrl(e, 'k74272e'), DEMO_KEY, { devicePolicy: 'Banished' })).status).toBe(400);
    expect(
      (await send('PUT', policyUrl(e, 'k74272e'), DEMO_KEY, { devicePolicy: 'Group policy', groupPolicyId: '999' }))
        .status,
    ).toBe(400);
    expect((await send('PUT', policyUrl(e, 'kdeadbeef'), DEMO_KEY, { devicePolicy: 'Blocked' })).status).toBe(404);
    expect(e.state.client(HQ_NETWORK_ID, 'k74272e')?.devicePolicy).toBe('Normal');
  });
});

describe('snapshot and restore', () => {
  it('round-trips the world through JSON, also over the control routes', async () => {
    const e = await start();
    const saved = JSON.parse(JSON.stringify(e.state.snapshot())) as ReturnType<typeof e.state.snapshot>;
    e.state.failover(HQ_APPLIANCE_SERIAL, { to: 'cellular', publicIp: '100.64.1.1' });
    await send('PUT', policyUrl(e), DEMO_KEY, { devicePolicy: 'Blocked' });
    expect(e.state.snapshot()).not.toEqual(saved);

    const put = await fetch(`${e.origin}/_meraki/state`, { method: 'PUT', body: JSON.stringify(saved) });
    expect(put.status).toBe(204);
    expect(await (await fetch(`${e.origin}/_meraki/state`)).json()).toEqual(saved);
    expect((await getJson(policyUrl(e), DEMO_KEY)).body).toMatchObject({ devicePolicy: 'Normal' });

    e.state.restore({});
    expect((await getJson(`${e.url}/organizations`, DEMO_KEY)).status).toBe(401);
  });
  const policyUrl = (e?: MerakiEmulator) => `${e?.url ?? ''}/networks/${HQ_NETWORK_ID}/clients/k74272e/policy`;
});

describe('appliance security events', () => {
  const path = `/organizations/${DEMO_ORG_ID}/appliance/security/events`;
  const hqMac = macFromSerial(HQ_APPLIANCE_SERIAL);
  const at = (minutesAgo: number, micros = '000000') =>
    new Date(NOW - minutesAgo * 60_000).toISOString().replace(/\.\d{3}Z$/, `.${micros}Z`);

  /** Seven IDS alerts one minute apart (the last two share a second) and one file scan. */
  async function seeded() {
    const e = await start();
    e.state.addSecurityEvents(DEMO_ORG_ID, [
      ...[10, 9, 8, 7, 6].map((m) => buildIdsAlert({ ts: at(m), deviceMac: hqMac, signature: `1:${m}:1` })),
      buildIdsAlert({ ts: at(5, '000001'), deviceMac: hqMac, signature: '1:5:1' }),
      buildIdsAlert({ ts: at(5, '000001'), deviceMac: hqMac, signature: '1:5:2' }),
      buildFileScan({ ts: at(4) }),
    ]);
    return e;
  }

  it('serves the documented items oldest first and walks them with rel=next without gaps or repeats', async () => {
    const e = await seeded();
    const { pages, urls } = await followNext(`${e.url}${path}?perPage=3`, DEMO_KEY);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(urls.slice(1).every((u) => u.includes('startingAfter=') && u.includes('perPage=3'))).toBe(true);
    const items = pages.flat();
    for (const item of items) expect(MerakiSecurityEventSchema.safeParse(item).success).toBe(true);
    const sigs = items.map((i) => (i as { signature?: string; eventType: string }).signature ?? 'file');
    expect(sigs).toEqual(['1:10:1', '1:9:1', '1:8:1', '1:7:1', '1:6:1', '1:5:1', '1:5:2', 'file']);
    expect((items[0] as { ts: string }).ts).toMatch(/\.\d{6}Z$/);
    expect(items[0]).not.toHaveProperty('networkId');
  });

  it('serves newest first with sortOrder=descending, also across pages', async () => {
    const e = await seeded();
    const { pages } = await followNext(`${e.url}${path}?perPage=3&sortOrder=descending`, DEMO_KEY);
    const ts = pages.flat().map((i) => (i as { ts: string }).ts);
    expect(ts).toHaveLength(8);
    expect([...ts].sort().reverse()).toEqual(ts);
    const bad = await getJson(`${e.url}${path}?sortOrder=newest`, DEMO_KEY);
    expect(bad.status).toBe(400);
  });

  it('keeps events after t0 (exclusive) up to t1 (inclusive), and the last 31 days by default', async () => {
    const e = await seeded();
    e.state.addSecurityEvents(DEMO_ORG_ID, [buildIdsAlert({ ts: at(40 * 24 * 60), deviceMac: hqMac })]);
    const q = `t0=${at(9)}&t1=${at(6)}`;
    const bounded = await getJson(`${e.url}${path}?${q}`, DEMO_KEY);
    expect((bounded.body as { signature: string }[]).map((i) => i.signature)).toEqual(['1:8:1', '1:7:1', '1:6:1']);
    const micro = await getJson(`${e.url}${path}?t0=${at(5)}&t1=${at(5, '000001')}`, DEMO_KEY);
    expect((micro.body as unknown[]).length).toBe(2);
    const all = await getJson(`${e.url}${path}?perPage=1000`, DEMO_KEY);
    expect((all.body as unknown[]).length).toBe(8);
    const span = await getJson(`${e.url}${path}?timespan=${41 * 86_400}`, DEMO_KEY);
    expect((span.body as unknown[]).length).toBe(9);
  });

  it('answers 400 with Meraki errors for a t0 older than 365 days, a span over 365 days, or timespan with t0', async () => {
    const e = await seeded();
    const day = 24 * 60;
    for (const query of [
      `t0=${at(366 * day)}`,
      `t0=${at(300 * day)}&t1=${at(-70 * day)}`,
      `timespan=${366 * 86_400}`,
      `timespan=60&t0=${at(10)}`,
      `t0=${at(5)}&t1=${at(10)}`,
      't0=yesterday',
    ]) {
      const res = await getJson(`${e.url}${path}?${query}`, DEMO_KEY);
      expect(res.status, query).toBe(400);
      expect(res.body).toEqual({ errors: [expect.any(String)] });
    }
    const edge = await getJson(`${e.url}${path}?t0=${at(365 * day - 1)}`, DEMO_KEY);
    expect(edge.status).toBe(200);
  });

  it('takes perPage 3 to 1000 (default 100) and answers 400 outside it', async () => {
    const e = await start();
    e.state.addSecurityEvents(
      DEMO_ORG_ID,
      Array.from({ length: 120 }, (_, i) => buildIdsAlert({ ts: at(200 - i), deviceMac: hqMac })),
    );
    const first = await getJson(`${e.url}${path}`, DEMO_KEY);
    expect((first.body as unknown[]).length).toBe(100);
    expect(first.links.next).toBeDefined();
    for (const perPage of ['2', '1001', 'ten']) {
      const res = await getJson(`${e.url}${path}?perPage=${perPage}`, DEMO_KEY);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: ["'perPage' must be an integer between 3 and 1000"] });
    }
    expect((await getJson(`${e.url}${path}?perPage=1000`, DEMO_KEY)).status).toBe(200);
  });

  it('passes the same gate as the other org routes', async () => {
    const e = await seeded();
    expect((await getJson(`${e.url}/organizations/${OTHER_ORG_ID}/appliance/security/events`, DEMO_KEY)).status).toBe(
      404,
    );
    expect((await getJson(`${e.url}${path}`, 'not-a-key')).status).toBe(401);
  });
});
