import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  DEMO_KEY,
  DEMO_ORG_ID,
  demoState,
  HQ_APPLIANCE_SERIAL,
  HQ_NETWORK_ID,
  type MerakiEmulator,
  startMerakiEmulator,
} from '../../dev/emulators/meraki';
import { buildFileScan, buildIdsAlert, macFromSerial } from '../../dev/emulators/meraki/builders';
import { FakeIngestion, httpError, recordingObservers } from '../../test/helpers/pipeline';
import { useTestAzurite } from '../../test/helpers/state';
import { MerakiClient } from '../collectors/meraki/client';
import { SECURITY_OVERLAP_SECONDS } from '../collectors/meraki/connector';
import type { Config } from '../config';
import { ErrorCode } from '../errors';
import { CheckpointStore } from '../state/checkpoints';
import { MerakiApplianceStore, MerakiNetworkStore, MerakiOrgStates, UplinkSnapshotStore } from '../state/meraki-state';
import { stateTable } from '../state/tables';
import { streams } from '../transforms/streams';
import { collectMeraki, type CollectMerakiDeps, deviceStatusesEveryCycles } from './collect-meraki';

const START = Date.parse('2026-11-23T10:00:00Z');
const UPLINK = streams.merakiUplink.stream;
const DEVICE = streams.merakiDevice.stream;
const EVENT = streams.merakiEvent.stream;
const SECURITY = streams.merakiSecurity.stream;
const QUARANTINE = streams.quarantine.stream;

let meraki: MerakiEmulator;
let config: Config;
let ingestion: FakeIngestion;
let observers: ReturnType<typeof recordingObservers>;
let nowMs = START;

const t = useTestAzurite();

beforeEach(async () => {
  nowMs = START;
  meraki = await startMerakiEmulator({ state: demoState({ now: START, branches: 3 }), now: () => nowMs });
  config = t.configWith({
    SENTRY_MERAKI_API_KEY: DEMO_KEY,
    SENTRY_MERAKI_BASE_URL: meraki.url,
    SENTRY_MERAKI_ORG_IDS: DEMO_ORG_ID,
    SENTRY_MERAKI_EVENTS_LOOKBACK_HOURS: '2',
  });
  // Each test starts from an org Sentry has never seen.
  for (const name of ['checkpoints', 'snapshots'] as const) {
    const table = await stateTable(config, name);
    for await (const entity of table.listEntities()) {
      if (String(entity.rowKey).includes(DEMO_ORG_ID) || String(entity.partitionKey).includes(DEMO_ORG_ID)) {
        await table.deleteEntity(entity.partitionKey ?? '', entity.rowKey ?? '');
      }
    }
  }
  ingestion = new FakeIngestion();
  observers = recordingObservers();
});
afterEach(async () => {
  await meraki.close();
});

function deps(): CollectMerakiDeps {
  const checkpoints = new CheckpointStore(config);
  return {
    config,
    client: new MerakiClient({
      baseUrl: meraki.url,
      apiKey: DEMO_KEY,
      backoffBaseMs: 1,
      backoffMaxMs: 5,
      maxRetries: 1,
    }),
    ingestion,
    orgStates: new MerakiOrgStates(checkpoints),
    networks: new MerakiNetworkStore(config),
    snapshots: new UplinkSnapshotStore(config),
    appliances: new MerakiApplianceStore(config),
    createObserver: observers.factory,
    clock: () => nowMs,
    sleep: () => Promise.resolve(),
  };
}

/** The demo organization's devices in the emulator. */
function orgDevices() {
  return meraki.state.data.devices.filter((d) => meraki.state.organizationOfDevice(d.serial) === DEMO_ORG_ID);
}

function apiRequests(): number {
  return meraki.requests.filter((r) => r.path.startsWith('/api/v1/')).length;
}

async function cycle(n: number) {
  nowMs = START + n * 60_000;
  const before = apiRequests();
  const result = await collectMeraki(
    { cycleId: `c${n}`, org: DEMO_ORG_ID, now: new Date(nowMs).toISOString() },
    deps(),
  );
  return { result, requests: apiRequests() - before };
}

describe('collectMeraki', () => {
  it('spends at most 3 requests per cycle: baseline uplinks + inventory, then security events, statuses, events round-robin', async () => {
    const c0 = await cycle(0);
    expect(c0.result.calls).toEqual(['uplinkStatuses', 'networks', 'devices']);
    expect(c0.requests).toBe(3);
    expect(c0.result.apiCalls).toBe(3);
    expect(c0.result).toMatchObject({ baseline: true, fullSnapshot: true, orgCycle: 1 });
    const baselineRows = ingestion.rows(UPLINK);
    expect(baselineRows.length).toBeGreaterThanOrEqual(4);
    expect(new Set(baselineRows.map((r) => r.TimeGenerated))).toEqual(new Set([new Date(START).toISOString()]));
    expect(c0.result.uplinkRows).toBe(baselineRows.length);

    expect(ingestion.rows(DEVICE).length).toBeGreaterThan(0);
    const c1 = await cycle(1);
    expect(c1.result.calls).toEqual(['uplinkStatuses', 'securityEvents', 'deviceStatuses']);
    expect(c1.requests).toBe(3);
    expect(c1.result.uplinkRows).toBe(0);

    const polled: string[] = [];
    const statusCycles: number[] = [];
    for (let n = 2; n < 10; n += 1) {
      const c = await cycle(n);
      expect(c.requests).toBeLessThanOrEqual(3);
      expect(c.result.calls.slice(0, 2)).toEqual(['uplinkStatuses', 'securityEvents']);
      if (c.result.calls.includes('deviceStatuses')) statusCycles.push(n);
      polled.push(...c.result.eventNetworks);
    }
    // Polled every 60 s: device statuses every 3 cycles (about every 3 minutes).
    expect(statusCycles).toEqual([4, 7]);
    // Every appliance network gets its turn.
    const applianceNetworks = (await new MerakiNetworkStore(config).list(DEMO_ORG_ID)).filter((n) =>
      n.productTypes.includes('appliance'),
    );
    expect(new Set(polled)).toEqual(new Set(applianceNetworks.map((n) => n.id)));
  });

  it('lands a failover and a public-IP change at once, as changed interfaces only', async () => {
    await cycle(0);
    await cycle(1);
    const before = ingestion.rows(UPLINK).length;
    meraki.state.failover(HQ_APPLIANCE_SERIAL, { to: 'cellular', publicIp: '100.64.250.9', webhook: false });
    const c2 = await cycle(2);
    expect(c2.result).toMatchObject({ failovers: 1, failoverSerials: [HQ_APPLIANCE_SERIAL] });
    expect(c2.result.publicIpChanges).toBeGreaterThanOrEqual(1);
    const landed = ingestion.rows(UPLINK).slice(before);
    expect(landed.map((r) => `${String(r.Serial)}/${String(r.Interface)}:${String(r.Status)}`).sort()).toEqual([
      `${HQ_APPLIANCE_SERIAL}/cellular:active`,
      `${HQ_APPLIANCE_SERIAL}/wan1:failed`,
    ]);
    expect(landed.find((r) => r.Interface === 'cellular')?.PublicIp).toBe('100.64.250.9');
    // Detections saw exactly those rows.
    const seen = observers.record.observed.filter((o) => o.stream === 'merakiUplink').slice(-2);
    expect(seen.map((o) => o.row.EventId).sort()).toEqual(landed.map((r) => r.EventId).sort());
    // The next cycle compares with the new snapshot: nothing changed, nothing lands.
    const c3 = await cycle(3);
    expect(c3.result.failovers).toBe(0);
    expect(c3.result.uplinkRows).toBe(0);
  });

  it('reads appliance statuses from /devices/statuses: device rows carry Status, LastReportedAt and IPs, inventory rows none', async () => {
    await cycle(0);
    const inventory = [...ingestion.rows(DEVICE)];
    expect(inventory.length).toBe(orgDevices().length);
    for (const row of inventory) {
      for (const column of ['Status', 'LastReportedAt', 'PublicIp', 'Gateway']) expect(row[column]).toBeUndefined();
    }
    meraki.state.failover(HQ_APPLIANCE_SERIAL, { to: 'cellular', publicIp: '100.64.250.9', webhook: false });
    const c2 = await cycle(1);
    expect(c2.result.calls).toEqual(['uplinkStatuses', 'securityEvents', 'deviceStatuses']);
    const call = meraki.requests.filter((r) => r.path.endsWith('/devices/statuses')).at(-1);
    expect(new URLSearchParams(call?.query).getAll('productTypes[]')).toEqual(['appliance']);
    const statuses = ingestion.rows(DEVICE).slice(inventory.length);
    const appliances = orgDevices().filter((d) => d.productType === 'appliance');
    expect(statuses.map((r) => r.Serial).sort()).toEqual(appliances.map((d) => d.serial).sort());
    expect(c2.result.deviceRows).toBe(appliances.length);
    const hq = statuses.find((r) => r.Serial === HQ_APPLIANCE_SERIAL);
    expect(hq).toMatchObject({ ProductType: 'appliance', Status: 'online', PublicIp: '100.64.250.9' });
    expect(hq?.LastReportedAt).toEqual(expect.any(String));
    expect(hq?.Gateway).toEqual(expect.any(String));
    const branch = statuses.find((r) => r.Serial !== HQ_APPLIANCE_SERIAL);
    expect(branch?.Status).toBe('online');
    expect(branch?.PublicIp).toMatch(/^198\.51\.100\./);
  });

  it('lands one row per device when a cycle reads both the inventory and the statuses', async () => {
    config = t.configWith({
      SENTRY_MERAKI_API_KEY: DEMO_KEY,
      SENTRY_MERAKI_BASE_URL: meraki.url,
      SENTRY_MERAKI_ORG_IDS: DEMO_ORG_ID,
      SENTRY_MERAKI_MAX_CALLS_PER_CYCLE: '4',
    });
    meraki.state.setDeviceStatus(HQ_APPLIANCE_SERIAL, { status: 'offline' });
    const c0 = await cycle(0);
    expect(c0.result.calls).toEqual(['uplinkStatuses', 'networks', 'devices', 'deviceStatuses']);
    const rows = ingestion.rows(DEVICE);
    expect(rows.length).toBe(orgDevices().length);
    expect(new Set(rows.map((r) => r.EventId)).size).toBe(rows.length);
    const hq = rows.find((r) => r.Serial === HQ_APPLIANCE_SERIAL);
    expect(hq).toMatchObject({ Name: 'HQ-MX', Status: 'offline' });
    expect(hq?.Firmware).toBe('Not running configured version');
    expect(rows.filter((r) => r.ProductType !== 'appliance').every((r) => r.Status === undefined)).toBe(true);
  });

  it('lands every interface again once the full-snapshot interval (15 min) has passed', async () => {
    const c0 = await cycle(0);
    const all = c0.result.uplinkRows;
    expect((await cycle(1)).result).toMatchObject({ uplinkRows: 0, fullSnapshot: false });
    expect((await cycle(14)).result).toMatchObject({ uplinkRows: 0, fullSnapshot: false });
    expect((await cycle(15)).result).toMatchObject({ uplinkRows: all, fullSnapshot: true });
    expect((await cycle(16)).result).toMatchObject({ uplinkRows: 0, fullSnapshot: false });
  });

  it('follows each network events cursor: new events land once, none twice', async () => {
    await cycle(0);
    await cycle(1);
    meraki.state.addEvents(HQ_NETWORK_ID, [
      {
        occurredAt: new Date(START + 30_000).toISOString(),
        type: 'vpn_connectivity_change',
        description: 'VPN down',
        productType: 'appliance',
      },
    ]);
    let hq = 0;
    for (let n = 2; n < 14; n += 1) {
      const c = await cycle(n);
      if (c.result.eventNetworks.includes(HQ_NETWORK_ID)) {
        hq += 1;
        if (hq === 1) {
          meraki.state.addEvents(HQ_NETWORK_ID, [
            {
              occurredAt: new Date(nowMs - 1_000).toISOString(),
              type: 'dhcp_lease',
              description: 'late lease',
              productType: 'appliance',
            },
          ]);
        }
      }
    }
    expect(hq).toBeGreaterThanOrEqual(2);
    const hqEvents = ingestion.rows(EVENT).filter((r) => r.NetworkId === HQ_NETWORK_ID);
    const ids = hqEvents.map((r) => r.EventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(hqEvents.map((r) => r.Description)).toEqual(expect.arrayContaining(['VPN down', 'late lease']));
    const cursor = (await new MerakiNetworkStore(config).list(DEMO_ORG_ID)).find(
      (n) => n.id === HQ_NETWORK_ID,
    )?.eventsAfter;
    expect(cursor).toBeDefined();
  });

  it('moves no state when the upload fails: the retry reports the same failover', async () => {
    await cycle(0);
    await cycle(1);
    meraki.state.failover(HQ_APPLIANCE_SERIAL, { to: 'wan2', webhook: false });
    ingestion.failWith = () => httpError(500);
    await expect(cycle(2)).rejects.toMatchObject({ code: ErrorCode.IngestionFailed, retriable: true });
    const state = await new MerakiOrgStates(new CheckpointStore(config)).load(DEMO_ORG_ID);
    expect(state.state.cycle).toBe(2);
    ingestion.failWith = undefined;
    const retry = await cycle(2);
    expect(retry.result).toMatchObject({ failovers: 1, orgCycle: 3 });
  });

  it('a failing events call delays only that network and keeps its cursor', async () => {
    await cycle(0);
    await cycle(1);
    meraki.faults.add({ kind: 'status', status: 500, match: { path: '^/api/v1/networks/[^/]+/events' } });
    const c2 = await cycle(2);
    expect(c2.result.calls).toContain(`networkEvents:${c2.result.eventNetworks[0] ?? ''}`);
    expect(c2.result.eventErrors).toBe(1);
    expect(c2.result.orgCycle).toBe(3);
    const networks = await new MerakiNetworkStore(config).list(DEMO_ORG_ID);
    expect(networks.every((n) => n.eventsAfter === undefined)).toBe(true);
  });

  describe('appliance security events', () => {
    const hqMac = macFromSerial(HQ_APPLIANCE_SERIAL);
    const at = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '123Z');
    const securityState = async () =>
      (await new MerakiOrgStates(new CheckpointStore(config)).load(DEMO_ORG_ID)).state.securityEventsAfter;
    const t0s = () =>
      meraki.requests
        .filter((r) => r.path.endsWith('/appliance/security/events'))
        .map((r) => new URLSearchParams(r.query).get('t0'));

    it('land once, with the network the inventory maps their appliance to, and move the checkpoint', async () => {
      await cycle(0);
      meraki.state.addSecurityEvents(DEMO_ORG_ID, [
        buildIdsAlert({ ts: at(START + 10_000), deviceMac: hqMac.toUpperCase(), srcIp: '45.137.23.246:42101' }),
        buildFileScan({ ts: at(START + 20_000) }),
        buildIdsAlert({ ts: at(START - 3 * 3_600_000), deviceMac: hqMac }),
      ]);
      const c1 = await cycle(1);
      expect(c1.result.securityRows).toBe(2);
      const rows = ingestion.rows(SECURITY);
      const ids = rows.find((r) => r.EventType === 'IDS Alert');
      expect(ids).toMatchObject({
        NetworkId: HQ_NETWORK_ID,
        NetworkName: 'HQ',
        DeviceSerial: HQ_APPLIANCE_SERIAL,
        DeviceName: 'HQ-MX',
        DeviceMac: hqMac,
        SrcIp: '45.137.23.246',
        Priority: 1,
        Blocked: false,
      });
      expect(rows.find((r) => r.EventType === 'File Scanned')?.NetworkId).toBeUndefined();
      // Detections saw the rows too.
      expect(observers.record.observed.filter((o) => o.stream === 'merakiSecurity')).toHaveLength(2);
      // First window: the configured lookback (2 h) before now.
      expect(t0s()[0]).toBe(new Date(START + 60_000 - 2 * 3_600_000).toISOString());
      expect(await securityState()).toBe(`${new Date(START + 20_000).toISOString().slice(0, 23)}123Z`);

      // Every window re-reads the overlap before the checkpoint; what landed there does not land again.
      const c2 = await cycle(2);
      expect(c2.result.securityRows).toBe(0);
      expect(c2.result.securityRepeats).toBe(2);
      expect(t0s()[1]).toBe(new Date(START + 20_000 - SECURITY_OVERLAP_SECONDS * 1000).toISOString());
      meraki.state.addSecurityEvents(DEMO_ORG_ID, [buildIdsAlert({ ts: at(START + 150_000), deviceMac: hqMac })]);
      const c3 = await cycle(3);
      expect(c3.result.securityRows).toBe(1);
      const all = ingestion.rows(SECURITY).map((r) => r.EventId);
      expect(all).toHaveLength(3);
      expect(new Set(all).size).toBe(3);
    });

    it('land an event Meraki shows after a newer one, once, and not what the overlap re-reads', async () => {
      await cycle(0);
      meraki.state.addSecurityEvents(DEMO_ORG_ID, [buildIdsAlert({ ts: at(START + 50_000), deviceMac: hqMac })]);
      expect((await cycle(1)).result.securityRows).toBe(1);
      // Shown late: older than the checkpoint, inside the overlap; and a bad record, read twice.
      meraki.state.addSecurityEvents(DEMO_ORG_ID, [
        buildIdsAlert({ ts: at(START + 20_000), deviceMac: hqMac, srcIp: '198.51.100.77:5000' }),
        { ts: at(START + 30_000), eventType: '' } as never,
      ]);
      const c2 = await cycle(2);
      expect(c2.result.securityRows).toBe(1);
      expect(c2.result.quarantined).toBe(1);
      expect(c2.result.securityRepeats).toBe(1);
      const c3 = await cycle(3);
      expect(c3.result).toMatchObject({ securityRows: 0, quarantined: 0, securityRepeats: 3 });
      const rows = ingestion.rows(SECURITY);
      expect(rows.map((r) => r.SrcIp)).toContain('198.51.100.77');
      expect(rows).toHaveLength(2);
      expect(new Set(rows.map((r) => r.EventId)).size).toBe(2);
    });

    it('keep their checkpoint when the upload fails, and the retry lands them', async () => {
      await cycle(0);
      meraki.state.addSecurityEvents(DEMO_ORG_ID, [buildIdsAlert({ ts: at(START + 10_000), deviceMac: hqMac })]);
      ingestion.failWith = () => httpError(500);
      await expect(cycle(1)).rejects.toMatchObject({ code: ErrorCode.IngestionFailed });
      expect(await securityState()).toBeUndefined();
      ingestion.failWith = undefined;
      const retry = await cycle(1);
      expect(retry.result.securityRows).toBe(1);
      expect(await securityState()).toMatch(/^2026-11-23T10:00:10\.\d+Z$/);
    });

    it('quarantine a bad record with its reason and land the rest', async () => {
      await cycle(0);
      meraki.state.addSecurityEvents(DEMO_ORG_ID, [buildIdsAlert({ ts: at(START + 10_000), deviceMac: hqMac })]);
      meraki.faults.add({
        kind: 'invalidRecords',
        count: 1,
        match: { path: '^/api/v1/organizations/[^/]+/appliance/security/events$' },
        params: { count: 1 },
      });
      const c1 = await cycle(1);
      expect(c1.result.securityRows).toBe(1);
      expect(c1.result.quarantined).toBe(1);
      const quarantined = ingestion.rows(QUARANTINE);
      expect(quarantined).toHaveLength(1);
      expect(quarantined[0]).toMatchObject({ Source: 'merakiSecurity' });
      expect(String(quarantined[0]?.Reason)).toMatch(/^invalid Meraki security event: .*ts/);
    });
  });

  it('reads device statuses about every 3 minutes whatever the poll interval', () => {
    expect([15, 60, 90, 180, 3600].map(deviceStatusesEveryCycles)).toEqual([12, 3, 2, 1, 1]);
  });

  it('rejects bad input and organizations that are not configured', async () => {
    for (const input of [
      undefined,
      { cycleId: 'c' },
      { org: DEMO_ORG_ID },
      { cycleId: 'c', org: DEMO_ORG_ID, rows: [1] },
    ]) {
      await expect(collectMeraki(input, deps())).rejects.toMatchObject({
        code: ErrorCode.InputInvalid,
        retriable: false,
      });
    }
    await expect(collectMeraki({ cycleId: 'c', org: '999' }, deps())).rejects.toMatchObject({
      code: ErrorCode.InputInvalid,
    });
    expect(apiRequests()).toBe(0);
  });
});
