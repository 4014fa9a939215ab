import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';

import { useTestAzurite } from '../../test/helpers/state';
import { evaluateDetections, findingsOfCycle } from '../activities/evaluate-detections';
import { createRowObserver } from '../evaluation/row-observer';
import { massDownload } from '../detections/slack/mass-download';
import { ALICE, fileEntity, findingRecord, series, T0 } from '../../test/helpers/detection-testkit';
import type { FindingRow } from '../transforms/streams';
import { TableFindingStore } from './findings';
import { MemoryWindowStore, testBucket } from '../../test/helpers/windows';
import { TableWindowStore } from './windows';

describe('TableWindowStore on Azurite', () => {
  const azurite = useTestAzurite();

  const downloads = (n: number, start = T0) =>
    series(n, start, 120, (i) => ({
      action: 'file_downloaded',
      actor: ALICE,
      ip: '203.0.113.5',
      entity: fileEntity(`F${String(i)}`, `r${String(i)}.pdf`),
    }));

  function observer(store: TableWindowStore, nowMs = (T0 + 600) * 1000) {
    return createRowObserver(
      azurite.config,
      { source: 'slackAudit', org: 'acme', cycleId: 'c1' },
      {
        windows: store,
        detections: [massDownload.configure()],
        now: () => nowMs,
      },
    );
  }

  it('replaying the same batch changes nothing (not even the ETag)', async () => {
    const store = new TableWindowStore(azurite.config);
    const rows = downloads(30);
    const first = observer(store);
    for (const r of rows) first.observe('slackAudit', r);
    expect(await first.flush()).toEqual({ updates: 1 });
    const table = TableClient.fromConnectionString(azurite.azurite.connectionString, 'windows', {
      allowInsecureConnection: true,
    });
    // Buckets only: the window's dirty mark is rewritten by design (a retried flush re-marks what a
    // crash between writing buckets and marking them could have left unmarked).
    const buckets = async () => {
      const out = [];
      for await (const e of table.listEntities()) if (!(e.partitionKey ?? '').startsWith('~index~')) out.push(e);
      return out;
    };
    const before = await buckets();
    expect(before).toHaveLength(1);

    const replay = observer(store);
    for (const r of rows) replay.observe('slackAudit', r);
    expect(await replay.flush()).toEqual({ updates: 0 });
    const after = await buckets();
    expect(after.map((e) => e.etag)).toEqual(before.map((e) => e.etag));
    const { marks } = await store.readIndex(T0);
    expect(marks.map((m) => m.dedupeKey)).toEqual(['W0ALICE|203.0.113.5']);
    const [stored] = await store.readAll(T0);
    expect(Object.keys(stored?.items ?? {})).toHaveLength(30);
    // Who took part survives the round trip through Table Storage.
    expect(stored?.parties?.['actor|W0ALICE']).toEqual([T0, T0 + 29 * 120, { n: 'alice', e: 'alice@example.com' }]);
    expect(stored?.parties?.['sourceIp|203.0.113.5']?.[0]).toBe(T0);
  });

  it('merges concurrent writers to one bucket (ETag retries): nothing is lost', async () => {
    const store = new TableWindowStore(azurite.config);
    const key = { dedupeKey: 'W0CONCURRENT|198.51.100.1' };
    await Promise.all(
      Array.from({ length: 12 }, (_, w) =>
        new TableWindowStore(azurite.config).apply([
          testBucket({ [`w${String(w)}-a`]: [T0 + w, T0 + w], [`w${String(w)}-b`]: [T0 + 100 + w, T0 + 100 + w] }, key),
        ]),
      ),
    );
    const stored = (await store.readAll(T0)).find((b) => b.dedupeKey === key.dedupeKey);
    expect(Object.keys(stored?.items ?? {})).toHaveLength(24);
  });

  it('expires buckets after the detection retention and purges them', async () => {
    const store = new TableWindowStore(azurite.config);
    const key = { dedupeKey: 'W0EXPIRY|198.51.100.2', expiresAt: T0 + 3_600 };
    await store.apply([testBucket({ e: [T0, T0] }, key)]);
    expect((await store.readAll(T0 + 3_600)).some((b) => b.dedupeKey === key.dedupeKey)).toBe(true);
    expect((await store.readAll(T0 + 3_601)).some((b) => b.dedupeKey === key.dedupeKey)).toBe(false);
    expect(await store.purgeExpired(T0 + 3_601)).toBeGreaterThanOrEqual(1);
    const memory = new MemoryWindowStore();
    await memory.apply([testBucket({ e: [T0, T0] }, key)]);
    expect(await memory.purgeExpired(T0 + 3_601)).toBe(1);
  });

  it('keeps a late (backfilled) bucket at least six hours after it was written', async () => {
    const store = new TableWindowStore(azurite.config);
    const old = downloads(3, T0 - 30 * 86_400).map((r) => ({
      ...r,
      ActorUserId: 'W0LATE',
      EventId: `late-${r.EventId}`,
    }));
    const obs = observer(store, T0 * 1000);
    for (const r of old) obs.observe('slackAudit', r);
    await obs.flush();
    const late = (await store.readAll(T0 + 5 * 3_600)).filter((b) => b.dedupeKey.startsWith('W0LATE'));
    expect(late).toHaveLength(1);
    expect((await store.readAll(T0 + 7 * 3_600)).filter((b) => b.dedupeKey.startsWith('W0LATE'))).toHaveLength(0);
  });

  it('dedupe: evaluateDetections merges repeats into one growing finding, and a retried cycle reports it again', async () => {
    const windows = new TableWindowStore(azurite.config);
    const findings = new TableFindingStore(azurite.config);
    const landed: FindingRow[] = [];
    const deps = {
      windows,
      findings,
      detections: [massDownload.configure()],
      land: (rows: FindingRow[]) => {
        landed.push(...rows);
        return Promise.resolve();
      },
    };
    const start = T0 + 40 * 86_400;
    const rows = series(25, start, 60, (i) => ({
      action: 'file_downloaded',
      actor: { id: 'W0DEDUPE' },
      ip: '192.0.2.9',
      entity: fileEntity(`FD${String(i)}`, 'd.pdf'),
    }));
    const feed = async (batch: typeof rows) => {
      const obs = createRowObserver(
        azurite.config,
        { source: 'slackAudit', org: 'acme', cycleId: 'x' },
        { windows, detections: deps.detections, now: () => (start + 3_600) * 1000 },
      );
      for (const r of batch) obs.observe('slackAudit', r);
      await obs.flush();
    };
    await feed(rows.slice(0, 22));
    const at = (s: number) => new Date(s * 1000).toISOString();
    const mine = async (cycle: string) =>
      (await findingsOfCycle(deps.findings, cycle, deps.detections)).filter(
        (f) => f.dedupeKey === 'W0DEDUPE|192.0.2.9',
      );
    await evaluateDetections({ cycleId: 'd1', now: at(start + 1_800) }, deps);
    const first = await mine('d1');
    expect(first).toMatchObject([{ isNew: true, count: 22, severity: 'medium' }]);

    await feed(rows.slice(22));
    await evaluateDetections({ cycleId: 'd2', now: at(start + 1_900) }, deps);
    const second = await mine('d2');
    expect(second).toMatchObject([{ isNew: false, count: 25, incidentId: first[0]?.incidentId }]);

    const retried = await evaluateDetections({ cycleId: 'd2', now: at(start + 1_900) }, deps);
    expect(retried.reported).toBeGreaterThanOrEqual(1);
    expect(await mine('d2')).toEqual(second);
    expect((await evaluateDetections({ cycleId: 'd3', now: at(start + 2_000) }, deps)).reported).toBe(0);
    expect(await mine('d3')).toEqual([]);
    expect(landed.filter((r) => r.DedupeKey === 'W0DEDUPE|192.0.2.9').map((r) => r.Count)).toEqual([22, 25, 25]);
    const stored = (await findings.list()).filter((f) => f.record.dedupeKey === 'W0DEDUPE|192.0.2.9');
    expect(stored).toHaveLength(1);
  });

  it('refuses a stale finding write with a retriable conflict', async () => {
    const findings = new TableFindingStore(azurite.config);
    const record = findingRecord({
      dedupeKey: 'user:W0RACE',
      findingId: 'f1',
      subject: { type: 'user', id: 'W0RACE' },
    });
    await findings.save(record, undefined);
    await expect(findings.save(record, undefined)).rejects.toMatchObject({ code: 'state_conflict', retriable: true });
    const [stored] = (await findings.list()).filter((f) => f.record.dedupeKey === 'user:W0RACE');
    await findings.save({ ...record, count: 2 }, stored?.etag);
    await expect(findings.save({ ...record, count: 3 }, stored?.etag)).rejects.toMatchObject({
      code: 'state_conflict',
      retriable: true,
    });
    expect(await findings.purgeExpired(T0 + 2 * 86_400)).toBeGreaterThanOrEqual(1);
  });
});
