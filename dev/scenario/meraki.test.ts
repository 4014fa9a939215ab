import { describe, expect, it } from 'vitest';
import {
  backgroundUplinkChangesBetween,
  deviceStatusesAt,
  MERAKI_ALERT_TYPES,
  MERAKI_EVENT_TYPES,
  merakiEventKey,
  uplinkStatusesAt,
} from './meraki';
import { generateScenario } from './scenario';
import {
  MerakiDeviceSchema,
  MerakiDeviceStatusSchema,
  MerakiNetworkEventSchema,
  MerakiNetworkSchema,
  MerakiOrganizationSchema,
  MerakiUplinkStatusSchema,
  MerakiWebhookSchema,
} from './wire-schemas';
import type { MerakiUplinkStatus } from './wire-types';

const NOW = Date.parse('2026-06-15T12:00:00Z');
const scenario = generateScenario({ seed: 42, now: NOW });
const failover = scenario.incidents.find((i) => i.kind === 'uplink-failover');
if (failover === undefined) throw new Error('default scenario has no failover');
const site = scenario.model.meraki.sites.find((s) => s.mx.serial === failover.subject);
if (site === undefined) throw new Error('failover subject is not an MX');
const orgId = site.organizationId;

function mxStatus(atMs: number): MerakiUplinkStatus {
  const s = uplinkStatusesAt(scenario.model.meraki, scenario.meraki.uplinkChanges, orgId, atMs).find(
    (u) => u.serial === failover?.subject,
  );
  if (s === undefined) throw new Error('no status');
  return s;
}
const activeIp = (s: MerakiUplinkStatus): string | null =>
  s.uplinks.find((u) => u.status === 'active')?.publicIp ?? null;
const byIface = (s: MerakiUplinkStatus, i: string): MerakiUplinkStatus['uplinks'][number] | undefined =>
  s.uplinks.find((u) => u.interface === i);

describe('Meraki inventory', () => {
  it('has 1-2 organizations of office and retail sites with MX (two WANs + cellular or an MG), MS and MR', () => {
    expect(scenario.meraki.organizations).toHaveLength(2);
    for (const o of scenario.meraki.organizations) MerakiOrganizationSchema.parse(o);
    for (const n of scenario.meraki.networks) MerakiNetworkSchema.parse(n);
    for (const d of scenario.meraki.devices) MerakiDeviceSchema.parse(d);
    const models = new Set(scenario.meraki.devices.map((d) => d.model));
    for (const m of ['MX68CW', 'MX67C', 'MG41', 'MR46', 'MS120-8LP']) expect(models.has(m), m).toBe(true);
    for (const n of scenario.meraki.networks) {
      const kinds = new Set(scenario.meraki.devices.filter((d) => d.networkId === n.id).map((d) => d.productType));
      expect(kinds.has('appliance') && kinds.has('switch') && kinds.has('wireless')).toBe(true);
    }
    const one = generateScenario({ seed: 42, now: NOW, merakiOrganizations: 1, incidents: [] });
    expect(one.meraki.organizations).toHaveLength(1);
  });

  it('reports steady-state uplinks at now: wan1 active, wan2 ready, cellular ready', () => {
    for (const [id, items] of Object.entries(scenario.meraki.uplinkStatuses)) {
      expect(scenario.meta.merakiOrganizationIds).toContain(id);
      for (const s of items) {
        MerakiUplinkStatusSchema.parse(s);
        expect(byIface(s, 'wan1')?.status).toBe('active');
        expect(byIface(s, 'wan2')?.status).toBe('ready');
        const cell = byIface(s, 'cellular');
        if (cell !== undefined) expect(cell.status).toBe('ready');
      }
    }
    for (const items of Object.values(scenario.meraki.deviceStatuses))
      for (const d of items) MerakiDeviceStatusSchema.parse(d);
  });

  it('emits background appliance events with the documented shape and no failover', () => {
    const inc = new Set(failover.eventIds);
    const bg = scenario.meraki.events.filter((e) => !inc.has(merakiEventKey(e)));
    expect(bg.length).toBeGreaterThan(500);
    for (const e of scenario.meraki.events) MerakiNetworkEventSchema.parse(e);
    expect(bg.filter((e) => e.type === MERAKI_EVENT_TYPES.failover.type || e.type.startsWith('cellular'))).toEqual([]);
    expect(new Set(bg.map((e) => e.type))).toEqual(
      new Set([MERAKI_EVENT_TYPES.dhcpLease.type, MERAKI_EVENT_TYPES.vpnConnectivity.type]),
    );
    for (let i = 1; i < scenario.meraki.events.length; i++) {
      expect((scenario.meraki.events[i]?.occurredAt ?? '') >= (scenario.meraki.events[i - 1]?.occurredAt ?? '')).toBe(
        true,
      );
    }
  });
});

describe('ordinary uplink life in the background', () => {
  const model = scenario.model.meraki;
  const background = backgroundUplinkChangesBetween(
    model,
    scenario.meraki.uplinkChanges,
    scenario.meta.windowStart,
    scenario.meta.now,
  );
  const statusOf = (serial: string, at: number): MerakiUplinkStatus => {
    const org = model.sites.find((s) => s.mx.serial === serial)?.organizationId ?? '';
    const status = uplinkStatusesAt(model, scenario.meraki.uplinkChanges, org, at).find((u) => u.serial === serial);
    if (status === undefined) throw new Error(`no status for ${serial}`);
    return status;
  };

  it('renews store WAN1 DHCP leases a few times in 14 days: a new public IP, wan1 active throughout, no failover', () => {
    const renewals = background.filter((c) => c.key.endsWith(':lease'));
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    expect(new Set(renewals.map((c) => c.status.serial)).size).toBe(2);
    for (const c of renewals) {
      const before = statusOf(c.status.serial, c.at - 60_000);
      const after = statusOf(c.status.serial, c.at + 60_000);
      expect(after).toEqual({ ...c.status, lastReportedAt: after.lastReportedAt });
      expect(byIface(before, 'wan1')).toMatchObject({ status: 'active', ipAssignedBy: 'dhcp' });
      expect(byIface(after, 'wan1')).toMatchObject({ status: 'active', ipAssignedBy: 'dhcp' });
      expect(activeIp(after)).not.toBe(activeIp(before));
      expect(after.uplinks.map((u) => u.status)).toEqual(before.uplinks.map((u) => u.status));
      // The appliance's device status follows its WAN1 address.
      const device = deviceStatusesAt(model, scenario.meraki.uplinkChanges, c.organizationId, c.at + 60_000).find(
        (d) => d.serial === c.status.serial,
      );
      expect(device?.publicIp).toBe(activeIp(after));
    }
  });

  it('drops the New York standby wan2 for about ten minutes once a week, wan1 active throughout', () => {
    const nyc = model.sites.find((s) => s.key === 'nyc');
    const flaps = background.filter((c) => c.status.serial === nyc?.mx.serial);
    expect(flaps.length).toBeGreaterThanOrEqual(2);
    const [down, up] = flaps;
    if (down === undefined || up === undefined) throw new Error('no flap');
    expect(byIface(down.status, 'wan2')?.status).toBe('failed');
    expect(byIface(up.status, 'wan2')?.status).toBe('ready');
    expect(up.at - down.at).toBeGreaterThanOrEqual(8 * 60_000);
    expect(up.at - down.at).toBeLessThanOrEqual(12 * 60_000);
    for (const c of [down, up]) expect(byIface(c.status, 'wan1')?.status).toBe('active');
  });
});

describe('LTE failover incident', () => {
  it('fails both WANs, brings cellular up with a different public IP, then recovers', () => {
    const before = mxStatus(failover.startAt - 60_000);
    const down = mxStatus(failover.startAt + 1_000);
    const during = mxStatus(failover.startAt + 5 * 60_000);
    const after = mxStatus(failover.endAt + 60_000);
    expect(byIface(before, 'wan1')?.status).toBe('active');
    expect(byIface(down, 'wan1')?.status).toBe('failed');
    expect(byIface(down, 'wan2')?.status).toBe('failed');
    expect(byIface(down, 'cellular')?.status).toBe('connecting');
    expect(byIface(during, 'wan1')?.status).toBe('failed');
    expect(byIface(during, 'wan2')?.status).toBe('failed');
    expect(byIface(during, 'cellular')?.status).toBe('active');
    const ipBefore = activeIp(before);
    const ipDuring = activeIp(during);
    expect(ipBefore).not.toBeNull();
    expect(ipDuring).not.toBeNull();
    expect(ipDuring).not.toBe(ipBefore);
    expect(activeIp(after)).toBe(ipBefore);
    // The office public IP is what Slack users egress from; the LTE one is also known egress.
    expect(scenario.meta.knownEgressIps).toContain(ipBefore);
    expect(scenario.meta.knownEgressIps).toContain(ipDuring);
  });

  it('moves the device statuses public IP with the failover', () => {
    const ipAt = (at: number): string | null =>
      deviceStatusesAt(scenario.model.meraki, scenario.meraki.uplinkChanges, orgId, at).find(
        (d) => d.serial === failover.subject,
      )?.publicIp ?? null;
    expect(ipAt(failover.startAt - 60_000)).toBe(site.wan1.publicIp);
    expect(ipAt(failover.startAt + 5 * 60_000)).toBe(site.cellular?.publicIp);
    expect(ipAt(failover.endAt + 60_000)).toBe(site.wan1.publicIp);
    // Switches and APs behind the MX egress through it too.
    const ap = site.devices.find((d) => d.productType === 'wireless');
    const apIp = deviceStatusesAt(
      scenario.model.meraki,
      scenario.meraki.uplinkChanges,
      orgId,
      failover.startAt + 5 * 60_000,
    ).find((d) => d.serial === ap?.serial)?.publicIp;
    expect(apIp).toBe(site.cellular?.publicIp);
  });

  it('sends default-template webhook alerts for the failover and the cellular link', () => {
    const hooks = scenario.meraki.webhooks.filter((w) => failover.eventIds.includes(w.alertId));
    expect(hooks.length).toBe(4);
    for (const w of hooks) {
      MerakiWebhookSchema.parse(w);
      expect(w.deviceSerial).toBe(failover.subject);
      expect(w.sharedSecret).toBe(scenario.meta.webhookSharedSecret);
      expect(w.organizationId).toBe(orgId);
      expect(Date.parse(w.sentAt)).toBeGreaterThanOrEqual(Date.parse(w.occurredAt));
    }
    const types = hooks.map((w) => w.alertTypeId);
    expect(types).toEqual([
      MERAKI_ALERT_TYPES.failover.alertTypeId,
      MERAKI_ALERT_TYPES.cellularUp.alertTypeId,
      MERAKI_ALERT_TYPES.failover.alertTypeId,
      MERAKI_ALERT_TYPES.cellularDown.alertTypeId,
    ]);
    expect(hooks[0]?.alertType).toBe('Uplink status changed');
    expect(hooks[0]?.alertData).toEqual({ uplink: '2' });
    expect(hooks[2]?.alertData).toEqual({ uplink: '0' });
  });

  it('records appliance events for the WAN loss and the cellular link', () => {
    const keys = new Set(failover.eventIds);
    const events = scenario.meraki.events.filter((e) => keys.has(merakiEventKey(e)));
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        MERAKI_EVENT_TYPES.failover.type,
        MERAKI_EVENT_TYPES.cellularUp.type,
        MERAKI_EVENT_TYPES.cellularDown.type,
      ]),
    );
    for (const e of events) expect(e.deviceSerial).toBe(failover.subject);
  });
});
