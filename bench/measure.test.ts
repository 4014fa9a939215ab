/**
 * The bench's counting, on tiny inputs: percentiles, the seed row, the dropped-field check, gzip
 * chunking, Meraki call attribution, latency summaries, the page generator, the ceiling pass and
 * the orchestration driver. Correctness only: nothing here is timed.
 */
import { describe, expect, it } from 'vitest';

import { backfillOrchestrator } from '../src/orchestrators/backfill';
import { ActivityNames } from '../src/contracts';
import { driveOrchestration } from './backfill';
import { measureBillable } from './billable';
import { benchEntries, copyId } from './lib/entries';
import {
  compareBillable,
  droppedFieldsMissing,
  gzipBytesPerRow,
  latencySummary,
  median,
  merakiCallsPerOrgCycle,
  merakiOrgOfPath,
  percentile,
  seedLogstashRow,
  verdict,
} from './lib/measure';
import { ceilingPass } from './throughput';

const entry = {
  id: 'e1',
  date_create: 1_700_000_000,
  action: 'user_login',
  actor: { type: 'user', user: { id: 'W1', name: 'ada', email: 'ada@example.com', team: 'E1' } },
  entity: { type: 'user', user: { id: 'W1', name: 'ada', email: 'ada@example.com', team: 'E1' } },
  context: {
    location: { type: 'workspace', id: 'T1', name: 'HQ', domain: 'hq' },
    ua: 'UA',
    ip_address: '1.2.3.4',
    session_id: 42,
  },
  details: { reason: ['x'] },
};

describe('percentiles and verdicts', () => {
  it('uses nearest rank', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([], 50)).toBeNaN();
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('passes on the bound and fails on NaN', () => {
    expect(verdict(40_000, 40_000, 'atLeast')).toBe('PASS');
    expect(verdict(39_999, 40_000, 'atLeast')).toBe('MISS');
    expect(verdict(256, 256, 'atMost')).toBe('PASS');
    expect(verdict(Number.NaN, 1, 'atMost')).toBe('MISS');
  });

  it('counts an incident that never alerted as infinitely late', () => {
    const s = latencySummary([
      { incident: 'a', kind: 'anomaly', visibleAt: 1_000, postedAt: 6_000 },
      { incident: 'b', kind: 'anomaly', visibleAt: 1_000, postedAt: 11_000 },
      { incident: 'c', kind: 'anomaly', visibleAt: 1_000, postedAt: undefined },
    ]);
    expect(s.latenciesMs).toEqual([5_000, 10_000]);
    expect(s.missing).toEqual(['c']);
    expect(s.p50Ms).toBe(10_000);
    expect(s.p95Ms).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('the seed row and bytes per event', () => {
  it('renders the 16 Logstash columns plus TimeGenerated, entity as JSON and missing fields as references', () => {
    const row = seedLogstashRow({ ...entry, context: { ua: 'UA' } });
    expect(Object.keys(row)).toHaveLength(17);
    expect(row.entity_body).toBe(JSON.stringify(entry.entity));
    expect(row.date_create).toBe('1700000000');
    expect(row.context_ip_address).toBe('%{[raw][context][ip_address]}');
    expect(row.event_hub_timestamp).toBe('1700000005');
  });

  it('names the dropped fields a row lost, the user agent included unless its key resolves to it', () => {
    const kept = { SessionId: '42', Details: { reason: ['x'] }, ActorTeam: 'E1' };
    expect(droppedFieldsMissing(entry, { ...kept, UserAgent: 'UA' })).toEqual([]);
    expect(droppedFieldsMissing(entry, { ActorTeam: 'E1' })).toEqual(['details', 'session_id', 'ua']);
    expect(
      droppedFieldsMissing({ ...entry, details: {} }, { SessionId: '42', ActorTeam: 'E1', UserAgent: 'UA' }),
    ).toEqual([]);
    const keyed = { ...kept, UserAgentKey: 'k1' };
    const resolve = (row: Record<string, unknown>) => (row.UserAgentKey === 'k1' ? 'UA' : undefined);
    expect(droppedFieldsMissing(entry, keyed, resolve)).toEqual([]);
    expect(droppedFieldsMissing(entry, keyed)).toEqual(['ua']);
    expect(droppedFieldsMissing(entry, { ...kept, UserAgentKey: 'k2' }, resolve)).toEqual(['ua']);
    // A value cut to the column cap counts only when the row says it was cut.
    expect(droppedFieldsMissing(entry, { ...kept, UserAgent: 'U' })).toEqual(['ua']);
    expect(droppedFieldsMissing(entry, { ...kept, UserAgent: 'U', TruncatedColumns: ['UserAgent'] })).toEqual([]);
    expect(droppedFieldsMissing({ ...entry, context: { ...entry.context, ua: '' } }, kept)).toEqual([]);
  });

  it('sums billable bytes per event for both formats, dimension rows included, and counts rows missing dropped fields', () => {
    const comparison = compareBillable([
      { entry, row: { EventId: 'e1', Action: 'user_login' } },
      {
        entry,
        row: {
          EventId: 'e1',
          Action: 'user_login',
          SessionId: '42',
          Details: { reason: ['x'] },
          ActorTeam: 'E1',
          UserAgent: 'UA',
        },
      },
    ]);
    expect(comparison.events).toBe(2);
    // 'e1' + 'user_login' = 12; then '42', '{"reason":["x"]}' (16), 'E1' and 'UA'.
    expect(comparison.oursBillablePerEvent).toBe((12 + (12 + 2 + 16 + 2 + 2)) / 2);
    expect(comparison.oursSeedFieldsPerEvent).toBe((12 + 14) / 2);
    expect(comparison.rowsMissingDroppedFields).toBe(1);
    expect(comparison.dimensionRows).toBe(0);
    expect(comparison.billableRatio).toBeCloseTo(comparison.oursBillablePerEvent / comparison.seedBillablePerEvent);

    const row = { EventId: 'e1', SessionId: '42', Details: { reason: ['x'] }, ActorTeam: 'E1', UserAgentKey: 'k1' };
    const dimension = {
      TimeGenerated: '2023-11-14T22:13:20Z',
      EventId: 'k1',
      SourceOrg: 'o',
      Kind: 'userAgent',
      Value: 'UA',
    };
    const keyed = compareBillable(
      [
        { entry, row, dimensions: [dimension] },
        { entry, row },
      ],
      (r) => (r.UserAgentKey === 'k1' ? 'UA' : undefined),
    );
    // Each row: 'e1' 2 + '42' 2 + details 16 + 'E1' 2 + 'k1' 2 = 24; the dimension row 20 + 2 + 1 + 9 + 2 = 34.
    expect(keyed.oursBillablePerEvent).toBe((24 * 2 + 34) / 2);
    expect(keyed.dimensionRows).toBe(1);
    expect(keyed.dimensionBytesPerEvent).toBe(34 / 2);
    expect(keyed.rowsMissingDroppedFields).toBe(0);
  });

  it('gzips rows in chunks under the byte limit, the way the uploader does', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ i, pad: 'x'.repeat(100) }));
    const one = gzipBytesPerRow(rows, 1);
    const small = gzipBytesPerRow(rows, 1, 1_000);
    expect(one.chunks).toBe(1);
    expect(small.chunks).toBeGreaterThan(5);
    expect(one.raw).toBeCloseTo(JSON.stringify(rows).length / 50);
    expect(small.gzip).toBeGreaterThan(one.gzip);
  });

  it('measures the scenario events with every dropped field kept, user agents through the dimension rows', () => {
    const result = measureBillable(benchEntries(200, 1_700_000_000, 600));
    expect(result.billable.events + result.quarantined).toBe(200);
    expect(result.billable.rowsMissingDroppedFields).toBe(0);
    expect(result.billable.seedBillablePerEvent).toBeGreaterThan(0);
    // One UTC day: one dimension row per distinct user agent.
    const uas = new Set(
      benchEntries(200, 1_700_000_000, 600)
        .map((e) => (e.context as { ua?: string } | undefined)?.ua)
        .filter((ua) => ua !== undefined && ua !== ''),
    );
    expect(result.billable.dimensionRows).toBe(uas.size);
    expect(result.billable.billableRatio).toBeLessThanOrEqual(0.8);
  });

  it('lands a user agent again on each new UTC day, and the bench counts those rows', () => {
    const oneDay = measureBillable(benchEntries(300, 1_700_006_400, 3_600)).billable.dimensionRows;
    const threeDays = measureBillable(benchEntries(300, 1_700_006_400, 3 * 86_400)).billable;
    expect(threeDays.dimensionRows).toBeGreaterThan(oneDay);
    expect(threeDays.dimensionRows).toBeLessThanOrEqual(oneDay * 3);
    expect(threeDays.rowsMissingDroppedFields).toBe(0);
  });
});

describe('generated entries', () => {
  it('spreads unique ids of the Slack id shape evenly over the window', () => {
    const entries = benchEntries(1_000, 1_700_000_000, 100);
    expect(new Set(entries.map((e) => e.id)).size).toBe(1_000);
    expect(entries.every((e) => typeof e.id === 'string' && e.id.length === 36)).toBe(true);
    expect(entries[0]?.date_create).toBe(1_700_000_000);
    expect(entries[999]?.date_create).toBe(1_700_000_099);
    expect(copyId('804b7316-1b23-4252-a050-a694248ec961', 255)).toBe('804b7316-1b23-4252-a050-0000000000ff');
  });

  it('the ceiling pass sees every entry of every page and gzips what it validated', async () => {
    const pages = [benchEntries(30, 1_700_000_000, 10), benchEntries(20, 1_700_000_010, 10)].map((entries) =>
      JSON.stringify({ ok: true, entries }),
    );
    pages.push(JSON.stringify({ ok: true, entries: [{ id: 'broken' }] }));
    const result = await ceilingPass(pages);
    expect(result).toMatchObject({ events: 51, valid: 50 });
    expect(result.gzipBytes).toBeGreaterThan(0);
  });
});

describe('Meraki calls per org and cycle', () => {
  const networks = new Map([['N_1', 'org-a']]);

  it('attributes organization and network paths', () => {
    expect(merakiOrgOfPath('/api/v1/organizations/org-a/appliance/uplink/statuses', networks)).toBe('org-a');
    expect(merakiOrgOfPath('/api/v1/networks/N_1/events', networks)).toBe('org-a');
    expect(merakiOrgOfPath('/api/v1/networks/N_9/events', networks)).toBeUndefined();
  });

  it('counts every org in every cycle, the max, and what it cannot attribute', () => {
    const stats = merakiCallsPerOrgCycle(
      [
        ['/api/v1/organizations/org-a/devices', '/api/v1/networks/N_1/events', '/api/v1/organizations/org-b/devices'],
        ['/api/v1/organizations/org-a/devices', '/api/v1/networks/N_9/events'],
      ],
      ['org-a', 'org-b'],
      networks,
    );
    expect(stats).toMatchObject({ cycles: 2, orgs: 2, max: 2, unattributed: 1 });
    expect(stats.mean).toBe((2 + 1 + 1 + 0) / 4);
    expect(stats.byOrg['org-b']).toEqual({ calls: 1, cycles: 2, max: 1 });
  });
});

describe('orchestration driver', () => {
  it('runs the real backfill orchestrator over its windows and continues as new after 50', async () => {
    const collected: unknown[] = [];
    const activities = {
      [ActivityNames.planBackfill]: (input: unknown) => {
        const { from, limit } = input as { from: number; limit: number };
        const total = 60;
        const windows = Array.from({ length: Math.max(0, Math.min(limit, total - from)) }, (_, i) => ({
          oldest: from + i,
          latest: from + i,
        }));
        return { total, windows };
      },
      [ActivityNames.collectSlackAudit]: (input: unknown) => {
        collected.push(input);
        return { rows: 2, quarantined: 0, apiCalls: 1, bytes: 10 };
      },
    };
    const request = { source: 'slackAudit', oldest: 1_600_000_000, latest: 1_600_000_059, windowSeconds: 60 };
    const first = await driveOrchestration(backfillOrchestrator, { request }, activities);
    expect(first.continued).toMatchObject({ next: 50, totals: { windows: 50, rows: 100 } });
    const second = await driveOrchestration(backfillOrchestrator, first.continued, activities);
    expect(second.continued).toBeUndefined();
    expect(second.output).toMatchObject({ windows: 60, rows: 120, total: 60 });
    expect(collected).toHaveLength(60);
  });
});
