import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { useTestAzurite } from '../../test/helpers/state';
import { CYCLE_TOTAL, CycleHourStore, type HourBucket, hourKey, RETENTION_HOURS, sumHours } from './cycle-hours';
import { stateTable } from './tables';

const t = useTestAzurite();

const counts = (rows: number, bytes: number, quarantined = 0, apiCalls = 1) => ({ rows, bytes, quarantined, apiCalls });

describe('hourKey and sumHours', () => {
  it('keys sort as time and the window is the current hour plus the 23 before it', () => {
    expect(hourKey(new Date('2026-11-23T09:59:59.999Z'))).toBe('2026112309');
    expect(hourKey(new Date('2026-11-23T10:00:00.000Z'))).toBe('2026112310');
    expect(hourKey(new Date('2026-12-31T23:30:00Z')) < hourKey(new Date('2027-01-01T00:00:00Z'))).toBe(true);

    const bucket = (hour: string, rows: number): HourBucket => ({
      hour,
      source: 'slackAudit',
      org: 'E1',
      rows,
      quarantined: 1,
      apiCalls: 2,
      bytes: rows * 10,
      cycles: 1,
      failures: 0,
    });
    const now = new Date('2026-11-23T10:20:00Z');
    const sums = sumHours(
      [
        bucket('2026-11-22T10:00:00.000Z', 1000), // 24 hours before the current hour: outside
        bucket('2026-11-22T11:00:00.000Z', 7), // the oldest hour inside
        bucket('2026-11-23T10:00:00.000Z', 5), // the current hour
        bucket('2026-11-23T11:00:00.000Z', 500), // a clock ahead of ours: outside
      ],
      now,
    );
    expect(sums.get('slackAudit|E1')).toEqual({
      rows: 12,
      quarantined: 2,
      apiCalls: 4,
      bytes: 120,
      cycles: 2,
      failures: 0,
    });
    expect(sums.size).toBe(1);
  });
});

describe('CycleHourStore (Azurite)', () => {
  it('adds cycles into their hour, counts a replayed cycle once, and reads a window back', async () => {
    const store = new CycleHourStore(t.config);
    const org = `org-${randomUUID().slice(0, 8)}`;
    const at = new Date('2026-11-23T10:05:00Z');
    // Each add also counts the cycle as a whole (cycle|all): two buckets per single-target cycle.
    expect(await store.add('c1', at, [{ source: 'meraki', org, ok: true, counts: counts(10, 1000, 1, 2) }])).toEqual({
      applied: 2,
      skipped: 0,
    });
    expect(
      await store.add('c2', new Date('2026-11-23T10:50:00Z'), [
        { source: 'meraki', org, ok: false, counts: counts(0, 0, 0, 0) },
      ]),
    ).toEqual({
      applied: 2,
      skipped: 0,
    });
    // recordCycle retried by Durable: the same cycle id must not count twice.
    expect(await store.add('c1', at, [{ source: 'meraki', org, ok: true, counts: counts(10, 1000, 1, 2) }])).toEqual({
      applied: 0,
      skipped: 2,
    });
    expect(await store.add('empty', at, [])).toEqual({ applied: 0, skipped: 0 });
    await store.add('c3', new Date('2026-11-23T11:01:00Z'), [
      { source: 'meraki', org, ok: true, counts: counts(5, 500, 0, 2) },
    ]);

    const buckets = (await store.since(new Date('2026-11-23T00:00:00Z'))).filter((b) => b.org === org);
    expect(buckets).toEqual([
      {
        hour: '2026-11-23T10:00:00.000Z',
        source: 'meraki',
        org,
        rows: 10,
        quarantined: 1,
        apiCalls: 2,
        bytes: 1000,
        cycles: 2,
        failures: 1,
      },
      {
        hour: '2026-11-23T11:00:00.000Z',
        source: 'meraki',
        org,
        rows: 5,
        quarantined: 0,
        apiCalls: 2,
        bytes: 500,
        cycles: 1,
        failures: 0,
      },
    ]);
    expect(sumHours(buckets, new Date('2026-11-23T11:30:00Z')).get(`meraki|${org}`)).toMatchObject({
      rows: 15,
      bytes: 1500,
      cycles: 3,
      failures: 1,
    });
  });

  it('keeps counts exact when several writers add to one bucket at once', async () => {
    const store = new CycleHourStore(t.config);
    const org = `org-${randomUUID().slice(0, 8)}`;
    const at = new Date('2026-11-24T03:10:00Z');
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        store.add(`cycle-${i}`, at, [{ source: 'slackAudit', org, ok: true, counts: counts(3, 30) }]),
      ),
    );
    const [bucket] = (await store.since(at)).filter((b) => b.org === org);
    expect(bucket).toMatchObject({ rows: 12, bytes: 120, cycles: 4 });
  });

  it('deletes buckets past the retention when a new hour starts', async () => {
    const store = new CycleHourStore(t.config);
    const org = `org-${randomUUID().slice(0, 8)}`;
    const old = new Date('2026-10-01T00:30:00Z');
    await store.add('old', old, [{ source: 'slackAudit', org, ok: true, counts: counts(1, 1) }]);
    expect((await store.since(old)).some((b) => b.org === org)).toBe(true);
    await store.add('new', new Date(old.getTime() + (RETENTION_HOURS + 2) * 3_600_000), [
      { source: 'slackAudit', org, ok: true, counts: counts(1, 1) },
    ]);
    const left = (await store.since(old)).filter((b) => b.org === org);
    expect(left.map((b) => b.hour)).toEqual([
      new Date(old.getTime() + (RETENTION_HOURS + 2) * 3_600_000).toISOString().slice(0, 13) + ':00:00.000Z',
    ]);
  });

  it('keeps vendor ids with characters Table keys forbid', async () => {
    const store = new CycleHourStore(t.config);
    const at = new Date('2026-11-25T08:00:00Z');
    await store.add('c', at, [{ source: 'meraki', org: 'a/b#c?d', ok: true, counts: counts(1, 2) }]);
    const table = await stateTable(t.config, 'cyclehours');
    const entity = await table.getEntity<{ Org: string }>(hourKey(at), 'meraki|a%2fb%23c%3fd');
    expect(entity.Org).toBe('a/b#c?d');
  });
});

describe('CycleHourStore cycle totals (Azurite)', () => {
  it('sums every target of a cycle into cycle|all, failed when any target failed', async () => {
    const store = new CycleHourStore(t.config);
    // A unique hour so other tests' cycles do not mix in.
    const at = new Date('2027-03-04T05:06:00Z');
    await store.add('x1', at, [
      { source: 'slackAudit', org: 'E1', ok: true, counts: counts(100, 5000, 2, 3) },
      { source: 'meraki', org: '7', ok: false, counts: counts(0, 0, 0, 1) },
    ]);
    await store.add('x2', at, [{ source: 'slackAudit', org: 'E1', ok: true, counts: counts(1, 50, 0, 1) }]);
    const total = (await store.since(at)).find(
      (b) => b.source === CYCLE_TOTAL.source && b.org === CYCLE_TOTAL.org && b.hour.startsWith('2027-03-04T05'),
    );
    expect(total).toMatchObject({ rows: 101, bytes: 5050, quarantined: 2, apiCalls: 5, cycles: 2, failures: 1 });
  });
});
