import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { uplinkSnapshot } from '../collectors/meraki/uplinks';
import { recordCycle } from '../activities/cycle-activities';
import { ErrorCode } from '../errors';
import { useTestAzurite } from '../../test/helpers/state';
import { CheckpointStore } from './checkpoints';
import { CycleStore } from './cycles';
import { MerakiApplianceStore, MerakiNetworkStore, MerakiOrgStates, UplinkSnapshotStore } from './meraki-state';
import { stateTable } from './tables';

const t = useTestAzurite();

const now = new Date('2026-11-23T10:00:00Z');
const org = () => `org-${randomUUID().slice(0, 8)}`;

describe('Meraki org state', () => {
  it('defaults to cycle 0 and is ETag-guarded', async () => {
    const states = new MerakiOrgStates(new CheckpointStore(t.config));
    const key = org();
    const first = await states.load(key);
    expect(first).toEqual({ state: { cycle: 0, plan: {} }, etag: undefined });
    const etag = await states.save(key, { cycle: 1, plan: { networksAt: 0, eventsCursor: 'N_1' } }, undefined, now);
    await states.save(key, { cycle: 2, plan: { networksAt: 0 } }, etag, now);
    await expect(states.save(key, { cycle: 2, plan: {} }, etag, now)).rejects.toMatchObject({
      code: ErrorCode.StateConflict,
    });
    expect((await states.load(key)).state).toEqual({ cycle: 2, plan: { networksAt: 0 } });
  });
});

describe('Meraki networks and events cursors', () => {
  it('replaces the list, keeps cursors of remaining networks, and guards cursor writes', async () => {
    const store = new MerakiNetworkStore(t.config);
    const key = org();
    await store.replace(
      key,
      [
        { id: 'N_2', productTypes: ['appliance'] },
        { id: 'N_1', productTypes: ['appliance', 'switch'] },
      ],
      [],
    );
    let list = await store.list(key);
    expect(list.map((n) => [n.id, n.productTypes, n.eventsAfter])).toEqual([
      ['N_1', ['appliance', 'switch'], undefined],
      ['N_2', ['appliance'], undefined],
    ]);
    const n1 = list[0];
    if (n1 === undefined) throw new Error('missing N_1');
    await store.saveCursor(key, n1, '2026-11-23T09:00:00.000000Z');
    // Stale ETag: a racing run cannot move the cursor.
    await expect(store.saveCursor(key, n1, '2026-11-23T08:00:00Z')).rejects.toMatchObject({
      code: ErrorCode.StateConflict,
    });

    list = await store.list(key);
    await store.replace(
      key,
      [
        { id: 'N_1', productTypes: ['switch', 'appliance'] },
        { id: 'N_3', productTypes: ['wireless'] },
      ],
      list,
    );
    list = await store.list(key);
    expect(list.map((n) => [n.id, n.eventsAfter])).toEqual([
      ['N_1', '2026-11-23T09:00:00.000000Z'],
      ['N_3', undefined],
    ]);
  });
});

describe('Meraki appliances by MAC', () => {
  it('finds an appliance’s network by its MAC in any case, keeps network names, and prunes only on a complete listing', async () => {
    const store = new MerakiApplianceStore(t.config);
    const key = org();
    const hq = { mac: '00:18:0a:01:02:03', networkId: 'L_1', serial: 'Q2HQ-MX00-0001', name: 'HQ-MX' };
    const branch = { mac: '00:18:0a:0b:0c:0d', networkId: 'N_2' };
    expect((await store.lookup(key, [hq.mac])).size).toBe(0);
    await store.replace(key, [hq, branch], true);
    expect(await store.lookup(key, ['00:18:0A:01:02:03', 'ff:ff:ff:ff:ff:ff', ''])).toEqual(new Map([[hq.mac, hq]]));
    // A page-capped listing that misses the branch deletes nothing.
    await store.replace(key, [{ ...hq, networkId: 'L_9' }], false);
    expect((await store.lookup(key, [hq.mac, branch.mac])).get(branch.mac)).toEqual(branch);
    expect((await store.lookup(key, [hq.mac])).get(hq.mac)?.networkId).toBe('L_9');
    await store.replace(key, [hq], true);
    expect([...(await store.lookup(key, [hq.mac, branch.mac])).keys()]).toEqual([hq.mac]);

    const networks = new MerakiNetworkStore(t.config);
    await networks.replace(key, [{ id: 'L_1', productTypes: ['appliance'], name: 'HQ' }], []);
    const listed = await networks.list(key);
    expect(listed.map((n) => n.name)).toEqual(['HQ']);
    await networks.replace(key, [{ id: 'L_1', productTypes: ['appliance'], name: 'Head office' }], listed);
    expect((await networks.list(key)).map((n) => n.name)).toEqual(['Head office']);
  });
});

describe('uplink snapshots', () => {
  const device = (serial: string, publicIp: string, status = 'active') => ({
    serial,
    networkId: 'N_1',
    uplinks: [
      { interface: 'wan1', status, publicIp, ip: '10.0.0.2' },
      { interface: 'cellular', status: 'ready', publicIp: null, ip: null },
    ],
  });

  it('round-trips per device, rewrites only changed devices and deletes removed ones', async () => {
    const store = new UplinkSnapshotStore(t.config);
    const key = org();
    expect(await store.load(key)).toBeUndefined();
    const first = uplinkSnapshot([device('Q-1', '1.1.1.1'), device('Q-2', '2.2.2.2')], '2026-11-23T10:00:00Z');
    expect(await store.save(key, undefined, first)).toEqual({ written: 2, deleted: 0 });
    expect(await store.load(key)).toEqual(first);

    const second = uplinkSnapshot([device('Q-1', '1.1.1.1'), device('Q-3', '3.3.3.3')], '2026-11-23T10:01:00Z');
    expect(await store.save(key, first, second)).toEqual({ written: 1, deleted: 1 });
    expect(await store.load(key)).toEqual(second);
  });

  it('holds 3,000 devices without any entity nearing the property limit', async () => {
    const store = new UplinkSnapshotStore(t.config);
    const key = org();
    const devices = Array.from({ length: 3000 }, (_, i) =>
      device(`Q-${String(i).padStart(5, '0')}`, `100.64.${i >> 8}.${i & 255}`),
    );
    const snapshot = uplinkSnapshot(devices, '2026-11-23T10:00:00Z');
    await store.save(key, undefined, snapshot);
    const loaded = await store.load(key);
    expect(Object.keys(loaded?.uplinks ?? {})).toHaveLength(6000);
    const table = await stateTable(t.config, 'snapshots');
    let largest = 0;
    for await (const entity of table.listEntities<{ Uplinks?: string }>({
      queryOptions: { filter: `PartitionKey eq 'meraki-uplinks|${key}'` },
    })) {
      largest = Math.max(largest, entity.Uplinks?.length ?? 0);
    }
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(2_000);
  }, 60_000);
});

describe('cycle records', () => {
  it('keeps the last success through a failure and accumulates totals', async () => {
    const store = new CycleStore(t.config);
    const key = org();
    await store.record('c1', new Date('2026-11-23T10:00:00Z'), {
      source: 'slackAudit',
      org: key,
      ok: true,
      counts: { rows: 10, quarantined: 1, apiCalls: 2, bytes: 1000 },
      details: { checkpointAt: 1_800_000_000 },
    });
    const failed = await store.record('c2', new Date('2026-11-23T10:01:00Z'), {
      source: 'slackAudit',
      org: key,
      ok: false,
      counts: { rows: 0, quarantined: 0, apiCalls: 3, bytes: 0 },
      error: { code: 'collector_http_error', message: 'Slack Audit Logs answered HTTP 503' },
    });
    expect(failed).toMatchObject({
      lastCycleId: 'c2',
      lastOk: false,
      lastSuccessCycleId: 'c1',
      lastSuccessAt: '2026-11-23T10:00:00.000Z',
      last: { rows: 10, quarantined: 1, apiCalls: 2, bytes: 1000 },
      totals: { rows: 10, quarantined: 1, apiCalls: 5, bytes: 1000, cycles: 2, failures: 1 },
      lastErrorCode: 'collector_http_error',
    });
    expect(await store.get('slackAudit', key)).toEqual(failed);
    // The same cycle recorded again (a re-run activity) counts once.
    await store.record('c2', new Date('2026-11-23T10:01:00Z'), {
      source: 'slackAudit',
      org: key,
      ok: false,
      counts: { rows: 0, quarantined: 0, apiCalls: 3, bytes: 0 },
    });
    expect((await store.get('slackAudit', key))?.totals).toMatchObject({ apiCalls: 5, cycles: 2 });
  });

  it('merges concurrent records without losing either', async () => {
    const store = new CycleStore(t.config);
    const key = org();
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        store.record(`c${i}`, now, {
          source: 'meraki',
          org: key,
          ok: true,
          counts: { rows: 1, quarantined: 0, apiCalls: 1, bytes: 10 },
        }),
      ),
    );
    expect((await store.get('meraki', key))?.totals).toMatchObject({ rows: 4, cycles: 4 });
  });
});

describe('recordCycle activity', () => {
  it('records each target and the cycle as a whole, and rejects rows or bad input', async () => {
    const store = new CycleStore(t.config);
    const key = org();
    const outcomes = [
      { source: 'slackAudit', org: key, ok: true, counts: { rows: 5, quarantined: 1, apiCalls: 1, bytes: 500 } },
      {
        source: 'meraki',
        org: key,
        ok: false,
        counts: { rows: 0, quarantined: 0, apiCalls: 2, bytes: 0 },
        error: { code: 'collector_timeout', message: 'timed out' },
      },
    ];
    expect(await recordCycle({ cycleId: 'c9', startedAt: '2026-11-23T10:00:00.000Z', outcomes }, store)).toEqual({
      recorded: 2,
    });
    expect(await store.get('meraki', key)).toMatchObject({ lastOk: false, lastErrorCode: 'collector_timeout' });
    expect(await store.get('cycle', 'latest')).toMatchObject({
      lastCycleId: 'c9',
      lastOk: false,
      details: { targets: 2, failed: 1 },
    });
    await expect(recordCycle({ cycleId: 'c9', startedAt: 'now', outcomes: [] }, store)).rejects.toMatchObject({
      code: ErrorCode.InputInvalid,
    });
    await expect(
      recordCycle(
        { cycleId: 'c9', startedAt: '2026-11-23T10:00:00Z', outcomes: [{ ...outcomes[0], rows: [{}] }] },
        store,
      ),
    ).rejects.toMatchObject({
      code: ErrorCode.InputInvalid,
    });
  });
});
