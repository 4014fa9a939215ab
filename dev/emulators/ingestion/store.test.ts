import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DcrBudget } from './budget';
import { RECEIVED_COLUMN, RowStore } from './store';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'row-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const req = (at: string, rawBytes = 100, wireBytes = 40) => ({
  at,
  dcr: 'dcr-1',
  stream: 'Custom-T',
  table: 'T_CL',
  rawBytes,
  wireBytes,
});

describe('RowStore', () => {
  it('appends ndjson, answers queries, and replays after a restart', async () => {
    const store = await RowStore.open({ dir });
    await store.append(req('2026-01-01T00:00:01.000Z'), [
      { TimeGenerated: '2026-01-01T09:00:00Z', EventId: 'a', Action: 'login' },
      { TimeGenerated: '2026-01-01T10:00:00Z', EventId: 'b', Action: 'download' },
    ]);
    await store.append(req('2026-01-01T00:00:02.000Z', 50, 30), [
      { TimeGenerated: '2026-01-01T11:00:00Z', EventId: 'c', Action: 'download' },
    ]);

    const lines = (await readFile(join(dir, 'T_CL.ndjson'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { EventId: string }).EventId)).toEqual(['a', 'b', 'c']);
    expect(store.count('T_CL', { Action: 'download' })).toBe(2);
    expect(store.query('T_CL', { since: '2026-01-01T10:00:00Z' }).map((r) => r.EventId)).toEqual(['b', 'c']);
    expect(store.query('T_CL', { until: '2026-01-01T10:00:00Z' }).map((r) => r.EventId)).toEqual(['a']);
    expect(store.query('T_CL', { order: 'desc', limit: 2 }).map((r) => r.EventId)).toEqual(['c', 'b']);
    expect(store.query('T_CL', { receivedSince: '2026-01-01T00:00:02.000Z' }).map((r) => r.EventId)).toEqual(['c']);
    expect(store.query('T_CL', { filter: (r) => r.EventId !== 'a' })).toHaveLength(2);
    expect(store.query('T_CL')[0]?.[RECEIVED_COLUMN]).toBe('2026-01-01T00:00:01.000Z');
    expect(store.query('Nope_CL')).toEqual([]);
    const stats = store.tableStats('T_CL');
    expect(stats).toMatchObject({
      rows: 3,
      requests: 2,
      rawBytes: 150,
      wireBytes: 70,
      lastReceivedAt: '2026-01-01T00:00:02.000Z',
    });

    await appendFile(join(dir, 'T_CL.ndjson'), '{"TimeGenerated":"2026-01-0'); // a write cut short by a crash
    const reopened = await RowStore.open({ dir });
    expect(reopened.skippedLines).toBe(1);
    expect(reopened.query('T_CL').map((r) => r.EventId)).toEqual(['a', 'b', 'c']);
    expect(reopened.tableStats('T_CL')).toEqual(stats);
  });

  it('keeps concurrent appends whole and in order', async () => {
    const store = await RowStore.open({ dir });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.append(req(new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()), [
          { EventId: `r${i}`, Pad: 'x'.repeat(5000) },
        ]),
      ),
    );
    const lines = (await readFile(join(dir, 'T_CL.ndjson'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { EventId: string }).EventId)).toEqual(
      Array.from({ length: 20 }, (_, i) => `r${i}`),
    );
    expect(store.count('T_CL')).toBe(20);
  });

  it('keeps a request as it was received (later changes to the objects do not reach it), with exact stored bytes', async () => {
    const rows = [
      { TimeGenerated: '2026-01-01T09:00:00Z', EventId: 'é-漢-😀', Details: { n: [1, null] } },
      { TimeGenerated: '2026-01-01T09:00:01Z', EventId: 'b', Action: 'quote " and \\ backslash' },
    ];
    const expectedBytes = rows.reduce((sum, row) => sum + Buffer.byteLength(JSON.stringify(row)), 0);
    const memory = await RowStore.open();
    const disk = await RowStore.open({ dir });
    for (const store of [memory, disk]) {
      await store.append(req('2026-01-01T00:00:01.000Z'), rows);
    }
    Object.assign(rows[0] ?? {}, { EventId: 'changed afterwards' });
    for (const store of [memory, disk]) {
      expect(store.tableStats('T_CL')).toMatchObject({ rows: 2, requests: 1, storedBytes: expectedBytes });
      expect(store.query('T_CL', { order: 'desc' })).toEqual([
        { ...rows[1], [RECEIVED_COLUMN]: '2026-01-01T00:00:01.000Z' },
        {
          TimeGenerated: '2026-01-01T09:00:00Z',
          EventId: 'é-漢-😀',
          Details: { n: [1, null] },
          [RECEIVED_COLUMN]: '2026-01-01T00:00:01.000Z',
        },
      ]);
    }
    expect((await RowStore.open({ dir })).tableStats('T_CL')).toEqual(disk.tableStats('T_CL'));
  });

  it('hides rows younger than the visibility delay', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const store = await RowStore.open({ visibilityDelayMs: 60_000, now: () => now });
    await store.append(req(new Date(now).toISOString()), [{ EventId: 'late' }]);
    expect(store.count('T_CL')).toBe(0);
    now += 60_000;
    expect(store.count('T_CL')).toBe(1);
  });
});

describe('DcrBudget', () => {
  it('throttles on requests per window and says how long to wait', () => {
    let now = 0;
    const budget = new DcrBudget({ requestsPerWindow: 2, windowMs: 10_000 }, () => now);
    expect(budget.admit('d', 1).ok).toBe(true);
    now = 4_000;
    expect(budget.admit('d', 1).ok).toBe(true);
    now = 5_000;
    expect(budget.admit('d', 1)).toEqual({ ok: false, retryAfterSec: 5, reason: 'requests' });
    expect(budget.admit('other', 1).ok).toBe(true);
    now = 10_001;
    expect(budget.admit('d', 1).ok).toBe(true);
  });

  it('throttles on bytes per window', () => {
    let now = 0;
    const budget = new DcrBudget({ bytesPerWindow: 1000, windowMs: 60_000 }, () => now);
    expect(budget.admit('d', 600).ok).toBe(true);
    now = 30_000;
    expect(budget.admit('d', 300).ok).toBe(true);
    now = 31_000;
    expect(budget.admit('d', 500)).toEqual({ ok: false, retryAfterSec: 29, reason: 'bytes' });
    expect(new DcrBudget({ bytesPerWindow: 1000, retryAfterSec: 3 }, () => 0).admit('d', 2000)).toMatchObject({
      retryAfterSec: 3,
    });
  });
});
