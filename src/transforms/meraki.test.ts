import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toMerakiDeviceRow, toMerakiNetworkEventRow, toMerakiUplinkRows, toMerakiWebhookEventRow } from './meraki';
import type { TransformResult } from './row-builder';
import { streams } from './streams';

const FIXTURES = resolve(__dirname, '../../test/fixtures/meraki');
const SNAPSHOT = { sourceOrg: '549236', at: '2026-11-22T09:15:00Z' };

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the fixture's shape
function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

function ok<T>(result: TransformResult<T>): T {
  if (!result.ok) throw new Error(`expected rows, got: ${result.reason}`);
  return result.row;
}

function reason<T>(result: TransformResult<T>): string {
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}

describe('toMerakiUplinkRows', () => {
  const items = fixture<Record<string, unknown>[]>('appliance-uplink-statuses.json');

  it('one snapshot row per device and interface, all valid for the stream', () => {
    const rows = items.flatMap((item) => ok(toMerakiUplinkRows(item, SNAPSHOT)));
    expect(rows.map((r) => `${r.Serial}/${r.Interface}/${r.Status}`)).toEqual([
      'Q2KN-7XWD-3PLM/wan1/failed',
      'Q2KN-7XWD-3PLM/wan2/not connected',
      'Q2KN-7XWD-3PLM/cellular/active',
      'Q2PD-4RTB-9ZKA/wan1/active',
      'Q2PD-4RTB-9ZKA/wan2/ready',
    ]);
    for (const row of rows) {
      expect(streams.merakiUplink.schema.safeParse(row).success).toBe(true);
      expect(row.TimeGenerated).toBe(SNAPSHOT.at);
    }
    expect(new Set(rows.map((r) => r.EventId)).size).toBe(rows.length);
  });

  it('wan uplink: addresses, device facts; null addresses are omitted', () => {
    const [wan1, wan2] = ok(toMerakiUplinkRows(items[0], SNAPSHOT));
    expect(wan1).toEqual({
      TimeGenerated: '2026-11-22T09:15:00Z',
      EventId: wan1?.EventId,
      SourceOrg: '549236',
      NetworkId: 'L_646829496481105433',
      Serial: 'Q2KN-7XWD-3PLM',
      Model: 'MX68CW',
      LastReportedAt: '2026-11-22T09:14:03Z',
      HighAvailabilityEnabled: false,
      HighAvailabilityRole: 'primary',
      Interface: 'wan1',
      Status: 'failed',
      Ip: '192.168.10.2',
      Gateway: '192.168.10.1',
      PrimaryDns: '192.168.10.1',
      IpAssignedBy: 'dhcp',
    });
    expect(wan2).not.toHaveProperty('Ip');
    expect(wan2).not.toHaveProperty('PublicIp');
  });

  it('cellular uplink: provider, signal, SIM, dns1/dns2 as DNS; newer fields in Extra', () => {
    const cellular = ok(toMerakiUplinkRows(items[0], SNAPSHOT))[2];
    expect(cellular).toMatchObject({
      Interface: 'cellular',
      PublicIp: '172.58.44.19',
      Ip: '100.71.18.40',
      Gateway: '100.71.18.41',
      Provider: 'T-Mobile',
      SignalType: '4G',
      SignalStat: { rsrp: '-101', rsrq: '-11' },
      ConnectionType: 'lte',
      Apn: 'fast.t-mobile.com',
      Iccid: '8901260882294455667',
      PrimaryDns: '10.177.0.34',
      SecondaryDns: '10.177.0.210',
      Extra: { model: 'integrated', mcc: '310', mnc: '260', roaming: { status: 'home' } },
    });
  });

  it('EventId is stable for the same snapshot and changes with the snapshot time', () => {
    const a = ok(toMerakiUplinkRows(items[1], SNAPSHOT));
    const b = ok(toMerakiUplinkRows(items[1], SNAPSHOT));
    const c = ok(toMerakiUplinkRows(items[1], { ...SNAPSHOT, at: '2026-11-22T09:20:00Z' }));
    expect(a.map((r) => r.EventId)).toEqual(b.map((r) => r.EventId));
    expect(a[0]?.EventId).not.toBe(c[0]?.EventId);
  });

  it.each([
    ['no serial', { uplinks: [] }, /serial/],
    ['uplinks not an array', { serial: 'Q', uplinks: {} }, /uplinks/],
    ['uplink without interface', { serial: 'Q', uplinks: [{ status: 'active' }] }, /uplinks\.0\.interface/],
    ['not an object', 'Q2KN', /record/],
  ])('rejects %s', (_n, raw, pattern) => {
    expect(reason(toMerakiUplinkRows(raw, SNAPSHOT))).toMatch(pattern);
  });
});

describe('toMerakiDeviceRow', () => {
  it('inventory device: columns, tags, coordinates; url, imei and details kept in Extra', () => {
    const [mx] = fixture<unknown[]>('organization-devices.json');
    const row = ok(toMerakiDeviceRow(mx, SNAPSHOT));
    expect(row).toMatchObject({
      TimeGenerated: SNAPSHOT.at,
      Serial: 'Q2KN-7XWD-3PLM',
      Name: 'Store 114 MX',
      Mac: 'e0:55:3d:8a:12:4f',
      Model: 'MX68CW',
      ProductType: 'appliance',
      NetworkId: 'L_646829496481105433',
      Firmware: 'wired-18-211-2',
      Tags: ['store', 'lte-backup'],
      Latitude: 39.7817,
      Longitude: -89.6501,
      Extra: {
        url: 'https://n123.meraki.com/Store-114-appli/n/abc123/manage/nodes/new_list/246813579',
        imei: '356938035643809',
        details: [{ name: 'Catalyst serial', value: '' }],
      },
    });
    expect(row).not.toHaveProperty('LanIp');
    expect(row).not.toHaveProperty('Notes');
    // The inventory listing has no status fields (they come from /devices/statuses).
    for (const column of ['Status', 'LastReportedAt', 'PublicIp', 'Gateway']) expect(row).not.toHaveProperty(column);
    expect(streams.merakiDevice.schema.safeParse(row).success).toBe(true);
  });

  it('status device: status, public IP and last report', () => {
    const [status] = fixture<unknown[]>('organization-devices-statuses.json');
    const row = ok(toMerakiDeviceRow(status, SNAPSHOT));
    expect(row).toMatchObject({
      Status: 'alerting',
      PublicIp: '172.58.44.19',
      Gateway: '100.71.18.41',
      LastReportedAt: '2026-11-22T09:14:03.000000Z',
      Extra: { ipType: 'dhcp', primaryDns: '10.177.0.34', secondaryDns: '10.177.0.210' },
    });
    expect(streams.merakiDevice.schema.safeParse(row).success).toBe(true);
  });

  it('an unparseable lastReportedAt is kept in Extra rather than sent as a datetime', () => {
    const row = ok(toMerakiDeviceRow({ serial: 'Q', lastReportedAt: 'yesterday' }, SNAPSHOT));
    expect(row).not.toHaveProperty('LastReportedAt');
    expect(row.Extra).toEqual({ lastReportedAt: 'yesterday' });
  });

  it('rejects a device with a non-numeric latitude', () => {
    expect(reason(toMerakiDeviceRow({ serial: 'Q', lat: '39.7' }, SNAPSHOT))).toMatch(/lat/);
  });
});

describe('toMerakiNetworkEventRow', () => {
  const page = fixture<{ events: Record<string, unknown>[] }>('network-events-appliance.json');

  it('maps an appliance event with its time, type, device, client and data', () => {
    const row = ok(toMerakiNetworkEventRow(page.events[1], { sourceOrg: '549236' }));
    expect(row).toEqual({
      TimeGenerated: '2026-11-22T09:12:38.004112Z',
      EventId: row.EventId,
      SourceOrg: '549236',
      EventSource: 'networkEvent',
      EventType: 'dhcp_no_leases',
      Description: 'DHCP no leases available',
      Category: 'dhcp',
      NetworkId: 'L_646829496481105433',
      DeviceSerial: 'Q2KN-7XWD-3PLM',
      DeviceName: 'Store 114 MX',
      ClientId: 'k74272e',
      ClientMac: 'f4:5c:89:ab:cd:ef',
      ClientDescription: 'POS-terminal-2',
      SsidNumber: 2,
      EventData: { vlan: '30', subnet: '10.30.0.0/24' },
    });
    expect(row.EventId).toMatch(/^[0-9a-f]{32}$/);
    expect(streams.merakiEvent.schema.safeParse(row).success).toBe(true);
  });

  it('EventId is a stable hash: the same event re-read dedupes, a different one does not', () => {
    const [a, b] = page.events;
    const idA = ok(toMerakiNetworkEventRow(a, { sourceOrg: '549236' })).EventId;
    expect(ok(toMerakiNetworkEventRow(structuredClone(a), { sourceOrg: '549236' })).EventId).toBe(idA);
    expect(ok(toMerakiNetworkEventRow(b, { sourceOrg: '549236' })).EventId).not.toBe(idA);
  });

  it('falls back to the page network id when an event omits it', () => {
    const { networkId: _drop, ...event } = page.events[0] ?? {};
    const row = ok(toMerakiNetworkEventRow(event, { sourceOrg: '549236', networkId: 'L_1' }));
    expect(row.NetworkId).toBe('L_1');
  });

  it.each([
    ['occurredAt not a date', { type: 't', occurredAt: 'now' }, /occurredAt/],
    ['occurredAt as epoch number', { type: 't', occurredAt: 1732262400 }, /occurredAt/],
    ['missing type', { occurredAt: '2026-11-22T09:12:38Z' }, /type/],
  ])('rejects %s', (_n, raw, pattern) => {
    expect(reason(toMerakiNetworkEventRow(raw, { sourceOrg: '549236' }))).toMatch(pattern);
  });
});

describe('toMerakiWebhookEventRow', () => {
  it('maps the alert type, level and data; drops the shared secret; keeps URLs and tags in Extra', () => {
    const body = fixture('webhook-failover-event.json');
    const row = ok(toMerakiWebhookEventRow(body, { sourceOrg: '549236' }));
    expect(row).toMatchObject({
      TimeGenerated: '2026-11-22T09:12:41.517903Z',
      EventId: '643451796765580103',
      EventSource: 'webhook',
      EventType: 'failover_event',
      Description: 'Uplink status changed',
      AlertLevel: 'critical',
      OrganizationId: '549236',
      NetworkId: 'L_646829496481105433',
      NetworkName: 'Store 114',
      DeviceSerial: 'Q2KN-7XWD-3PLM',
      DeviceMac: 'e0:55:3d:8a:12:4f',
      DeviceModel: 'MX68CW',
      EventData: { uplink: '0' },
      SentAt: '2026-11-22T09:12:45.118034Z',
    });
    expect(row.Extra).toMatchObject({ organizationName: 'Acme Retail', networkTags: ['retail', 'midwest'] });
    expect(JSON.stringify(row)).not.toContain('redacted-shared-secret-for-tests');
    expect(streams.merakiEvent.schema.safeParse(row).success).toBe(true);
  });

  it('an all-zero alertId (the sample template) is not an id: EventId becomes a stable hash', () => {
    const body = fixture('webhook-cellular-down.json');
    const a = ok(toMerakiWebhookEventRow(body, { sourceOrg: '549236' }));
    expect(a.EventId).toMatch(/^[0-9a-f]{32}$/);
    expect(ok(toMerakiWebhookEventRow(structuredClone(body), { sourceOrg: '549236' })).EventId).toBe(a.EventId);
    expect(a).toMatchObject({ EventType: 'cellular_down', Description: 'Cellular went down' });
    expect(a.EventData).toMatchObject({ bytesIn: 1843002, connectTime: 2957 });
  });

  it('rejects a body with neither alert type field', () => {
    expect(reason(toMerakiWebhookEventRow({ occurredAt: '2026-11-22T09:12:41Z' }, { sourceOrg: 'o' }))).toMatch(
      /alertTypeId/,
    );
  });
});
