/**
 * Evaluation against findings already raised: a backfill that brings an older, separate incident of
 * a subject with a newer finding raises it, evidence inside a known incident's window grows that
 * finding, and re-evaluating the same state raises nothing. And what evaluation reads: marked
 * windows of one detection in one range query, in bounded batches.
 */
import { createHash } from 'node:crypto';

import { describe, expect, it, vi } from 'vitest';

import { useTestAzurite } from '../../test/helpers/state';
import {
  ALICE,
  auditRow,
  BOB,
  fileEntity,
  findingRecord,
  Harness,
  series,
  slack,
  T0,
} from '../../test/helpers/detection-testkit';
import { MemoryFindingStore } from '../../test/helpers/findings';
import { MemoryWindowStore } from '../../test/helpers/windows';
import type { BucketData } from '../detections/buckets';
import { TableFindingStore } from '../state/findings';
import { RANGE_READ_FROM, TableWindowStore } from '../state/windows';
import { tableClient } from '../state/tables';
import { evaluateState } from './evaluate-state';
import type { FindingRecord } from '../detections/evaluate';
import { anomaly } from '../detections/slack/anomaly';
import { defineDetection, fields } from '../detections/define';
import { actorSubject, eventObservation } from '../detections/slack/common';

const DAY = 86_400;
let fileSeq = 0;

/**
 * A plain count rule (more than 20 downloads per user and IP in 24 h): what is under test is how
 * evaluation treats findings and backfills, not how the catalogue's download rule is tuned.
 */
const massDownload = defineDetection({
  id: 'slack.audit.test-daily-downloads',
  title: 'Daily downloads',
  description: 'More than 20 downloads by one user from one IP address in 24 h.',
  severity: 'medium',
  mitre: ['TA0009:T1530'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['file_downloaded'],
  config: { threshold: fields.threshold(20) },
  match(input) {
    if (input.stream !== 'slackAudit') return null;
    const subject = actorSubject(input.row);
    if (subject === undefined) return null;
    return eventObservation(input.row, `${subject.id}|${input.row.SrcIpAddr ?? 'unknown'}`, subject);
  },
  window: { kind: 'count', threshold: (c) => c.threshold, windowSeconds: () => DAY },
  present: (crossing) => ({ title: `${String(crossing.count)} downloads`, evidence: {} }),
});

/** `n` downloads by `who` from one IP, one a minute from `start` (fresh event and file ids). */
function downloads(n: number, start: number, who = ALICE, step = 60) {
  return slack(
    series(n, start, step, () => ({
      action: 'file_downloaded',
      actor: who,
      ip: '203.0.113.5',
      entity: fileEntity(`F${String(++fileSeq)}`, `report-${String(fileSeq)}.pdf`),
    })),
  );
}

/** A harness whose observer writes at the simulated `now` (so backfilled buckets live long enough). */
function harnessAt(detections: ConstructorParameters<typeof Harness>[0]) {
  const clock = { now: T0 };
  const harness = new Harness(detections, { nowMs: () => clock.now * 1000 });
  return { harness, clock };
}

const brief = (r: FindingRecord) => ({ findingId: r.findingId, isNew: r.isNew, count: r.count });

describe('a backfill after live findings (count rule: mass download, > 20 in 24 h)', () => {
  it('raises an older separate incident as its own finding, merges evidence inside the newer one, and is idempotent', async () => {
    const { harness, clock } = harnessAt([massDownload]);
    const day14 = T0 + 14 * DAY;

    // Live: the cycle raises the day-14 incident.
    clock.now = day14 + 2 * 3_600;
    const liveRows = downloads(25, day14);
    await harness.feed(liveRows);
    const [live, ...moreLive] = await harness.evaluate(clock.now, 'live');
    expect(moreLive).toEqual([]);
    expect(live).toMatchObject({ isNew: true, count: 25, firstSeen: day14 });

    // The operator backfills: the same user had a separate incident on day 3 (11 days earlier).
    clock.now += 3_600;
    const day3Rows = downloads(22, T0 + 3 * DAY);
    await harness.feed([...day3Rows, ...liveRows]);
    const afterBackfill = await harness.evaluate(clock.now, 'backfill-1');
    expect(afterBackfill).toHaveLength(1);
    expect(afterBackfill[0]).toMatchObject({
      isNew: true,
      count: 22,
      firstSeen: T0 + 3 * DAY,
      lastSeen: T0 + 3 * DAY + 21 * 60,
      dedupeKey: live?.dedupeKey,
      incidentId: live?.incidentId,
    });
    expect(afterBackfill[0]?.findingId).not.toBe(live?.findingId);
    expect(afterBackfill[0]?.eventIds).toEqual(day3Rows.map((r) => r.row.EventId));

    // More history: 5 downloads 3 h before the day-14 incident (inside its 24 h window) and 2 inside
    // its span (missed live) grow it; nothing new is raised.
    clock.now += 3_600;
    await harness.feed([...downloads(5, day14 - 3 * 3_600), ...downloads(2, day14 + 30, ALICE, 120)]);
    const grown = await harness.evaluate(clock.now, 'backfill-2');
    expect(grown.map(brief)).toEqual([{ findingId: live?.findingId, isNew: false, count: 32 }]);
    expect(grown[0]?.firstSeen).toBe(day14 - 3 * 3_600);

    // The same state again (a new cycle, or the same rows replayed) raises nothing; a retried cycle
    // reports what it saved, once.
    expect(await harness.evaluate(clock.now + 60, 'again')).toEqual([]);
    await harness.feed([...day3Rows, ...liveRows]);
    expect(await harness.evaluate(clock.now + 120, 'replayed-rows')).toEqual([]);
    const retried = await harness.evaluate(clock.now, 'backfill-2');
    expect(retried.map(brief)).toEqual(grown.map(brief));

    const stored = await harness.all();
    expect(stored.map((r) => [r.firstSeen, r.count]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))).toEqual([
      [T0 + 3 * DAY, 22],
      [day14 - 3 * 3_600, 32],
    ]);
  });

  it('raises each of several older incidents once, and none for sub-threshold history', async () => {
    const { harness, clock } = harnessAt([massDownload]);
    const day14 = T0 + 14 * DAY;
    clock.now = day14 + 2 * 3_600;
    await harness.feed(downloads(21, day14));
    expect(await harness.evaluate(clock.now, 'live')).toHaveLength(1);

    clock.now += 3_600;
    await harness.feed([
      ...downloads(21, T0 + 2 * DAY),
      ...downloads(10, T0 + 5 * DAY), // below the threshold: no finding
      ...downloads(30, T0 + 8 * DAY),
      ...downloads(21, T0 + 2 * DAY, BOB), // another subject, another key
    ]);
    const raised = await harness.evaluate(clock.now, 'backfill');
    expect(
      raised
        .map((r) => [r.subject.id, r.firstSeen - T0, r.count, r.isNew])
        .sort((a, b) => String(a).localeCompare(String(b))),
    ).toEqual([
      [ALICE.id, 2 * DAY, 21, true],
      [ALICE.id, 8 * DAY, 30, true],
      [BOB.id, 2 * DAY, 21, true],
    ]);
    expect(await harness.evaluate(clock.now + 60, 'again')).toEqual([]);
  });

  it('a live burst that goes on still grows its finding (the watermark’s old guarantee)', async () => {
    const { harness, clock } = harnessAt([massDownload]);
    clock.now = T0 + 3_600;
    const rows = downloads(30, T0);
    await harness.feed(rows.slice(0, 21));
    const [first] = await harness.evaluate(clock.now, 'c1');
    await harness.feed(rows.slice(21));
    const second = await harness.evaluate(clock.now + 60, 'c2');
    expect(second.map(brief)).toEqual([{ findingId: first?.findingId, isNew: false, count: 30 }]);
    // 30 h later (outside the 24 h window of the last event) a new burst is a new incident.
    await harness.feed(downloads(21, T0 + 30 * 3_600));
    const third = await harness.evaluate(T0 + 31 * 3_600, 'c3');
    expect(third.map((r) => r.isNew)).toEqual([true]);
    expect(third[0]?.findingId).not.toBe(first?.findingId);
  });
});

describe('a backfill after live findings (single-event rule: Slack anomaly, 60-min merge window)', () => {
  it('raises each older event as its own finding and merges one inside the live finding’s window', async () => {
    const { harness, clock } = harnessAt([anomaly]);
    const day14 = T0 + 14 * DAY;
    const event = (t: number) => auditRow({ t, action: 'anomaly', details: { reason: ['tor'] } });
    clock.now = day14 + 600;
    await harness.feed(slack([event(day14)]));
    const [live] = await harness.evaluate(clock.now, 'live');
    expect(live).toMatchObject({ isNew: true, count: 1 });

    clock.now += 600;
    await harness.feed(slack([event(T0 + 2 * DAY), event(T0 + 5 * DAY), event(day14 - 1_800)]));
    const raised = await harness.evaluate(clock.now, 'backfill');
    expect(raised.map((r) => [r.firstSeen - T0, r.isNew, r.count]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
      [
        [2 * DAY, true, 1],
        [5 * DAY, true, 1],
        [14 * DAY - 1_800, false, 2],
      ],
    );
    expect(raised.find((r) => !r.isNew)?.findingId).toBe(live?.findingId);
    expect(await harness.evaluate(clock.now + 60, 'again')).toEqual([]);
  });
});

describe('reading marked windows', () => {
  const bucketOf = (user: string, items: number, t = T0): BucketData => ({
    detectionId: massDownload.id,
    dedupeKey: `${user}|203.0.113.5`,
    subject: { type: 'user', id: user },
    bucket: t - (t % DAY),
    bucketSeconds: DAY,
    expiresAt: t + 10 * DAY,
    items: Object.fromEntries(Array.from({ length: items }, (_, i) => [`E-${user}-${String(i)}`, [t + i, t + i]])),
  });

  it('in bounded batches on the memory store: every marked window judged once, then unmarked', async () => {
    const windows = new MemoryWindowStore();
    await windows.apply(Array.from({ length: 120 }, (_, i) => bucketOf(`W${String(i).padStart(4, '0')}`, 21)));
    const result = await evaluateState({
      windows,
      findings: new MemoryFindingStore(),
      detections: [massDownload.configure()],
      now: T0 + 3_600,
      cycleId: 'c1',
      batchWindows: 50,
    });
    expect(windows.windowReads).toBe(3);
    expect(result.windows).toBe(120);
    expect(result.changed).toHaveLength(120);
    expect(windows.marks.size).toBe(0);
  });

  describe('on Azurite', () => {
    const azurite = useTestAzurite();

    it('reads N marked windows of one detection with one list query, skipping the unmarked ones between', async () => {
      const windows = new TableWindowStore(azurite.config);
      const findings = new TableFindingStore(azurite.config);
      const detections = [massDownload.configure()];
      const run = (cycleId: string) => evaluateState({ windows, findings, detections, now: T0 + 3_600, cycleId });
      // Unmarked neighbours: odd users, a prefix-sharing key of a marked one, judged and cleared first.
      await windows.apply([
        ...Array.from({ length: 60 }, (_, i) => bucketOf(`U${String(2 * i + 1).padStart(4, '0')}`, 30)),
        { ...bucketOf('U0000', 30), dedupeKey: 'U0000|203.0.113.5~other' },
      ]);
      await run('setup');
      const n = 80;
      await windows.apply(Array.from({ length: n }, (_, i) => bucketOf(`U${String(2 * i).padStart(4, '0')}`, 21)));

      const client = tableClient(azurite.config, 'windows');
      const list = vi.spyOn(client, 'listEntities');
      try {
        const result = await run('backfill');
        // The index, then one range for all n windows.
        expect(list).toHaveBeenCalledTimes(2);
        expect(result.windows).toBe(n);
        expect(result.buckets).toBe(n);
        expect(result.changed.map((r) => r.subject.id).sort()).toEqual(
          Array.from({ length: n }, (_, i) => `U${String(2 * i).padStart(4, '0')}`),
        );
        expect(result.changed.every((r) => r.count === 21)).toBe(true);

        // A few marked windows are still read one by one (a range could span a large partition).
        list.mockClear();
        const few = RANGE_READ_FROM - 1;
        await windows.apply(
          Array.from({ length: few }, (_, i) => bucketOf(`U${String(2 * i + 1).padStart(4, '0')}`, 31, T0 + 60)),
        );
        const small = await run('live');
        expect(list).toHaveBeenCalledTimes(1 + few);
        expect(small.windows).toBe(few);
        expect(small.changed.map((r) => r.isNew)).toEqual(Array.from({ length: few }, () => false));
      } finally {
        list.mockRestore();
      }
    }, 60_000);

    it('keeps separate findings of one dedupe key in separate rows, and updates a row written before that in place', async () => {
      const findings = new TableFindingStore(azurite.config);
      const record = (firstSeen: number): FindingRecord =>
        findingRecord({
          dedupeKey: 'user:W0TWICE',
          findingId: `slack.audit.anomaly:x:${String(firstSeen)}`,
          incidentId: 'incident-slack.audit.anomaly-x',
          firstSeen,
          subject: { type: 'user', id: 'W0TWICE' },
          expiresAt: T0 + 30 * DAY,
        });
      await findings.save(record(T0), undefined);
      await findings.save(record(T0 + DAY), undefined);
      const mine = async () => (await findings.list()).filter((f) => f.record.dedupeKey === 'user:W0TWICE');
      expect((await mine()).map((f) => f.record.firstSeen).sort()).toEqual([T0, T0 + DAY]);

      // A row from before one row per finding: keyed by the dedupe key's hash alone.
      const legacy = { ...record(T0 - DAY), dedupeKey: 'user:W0LEGACY' };
      const incidents = tableClient(azurite.config, 'incidents');
      await incidents.createEntity({
        partitionKey: 'finding~slack.audit.anomaly',
        rowKey: createHash('sha256').update('user:W0LEGACY', 'utf8').digest('hex').slice(0, 40),
        DetectionId: legacy.detectionId,
        Record: JSON.stringify(legacy),
        ExpiresAt: new Date(legacy.expiresAt * 1000),
      });
      const [stored] = (await findings.list()).filter((f) => f.record.dedupeKey === 'user:W0LEGACY');
      expect(stored?.record.findingId).toBe(legacy.findingId);
      await findings.save({ ...legacy, count: 5 }, stored?.etag);
      const after = (await findings.list()).filter((f) => f.record.dedupeKey === 'user:W0LEGACY');
      expect(after.map((f) => f.record.count)).toEqual([5]);
      await expect(findings.save({ ...legacy, count: 6 }, stored?.etag)).rejects.toMatchObject({
        code: 'state_conflict',
      });
    });
  });
});
