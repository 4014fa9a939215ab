/**
 * The sink's dimension handling: detections see the full row, the landed row carries the key, the
 * value lands once per key and UTC day in the same flush (ahead of the rows), and only a flush that
 * succeeded counts its keys as landed.
 */
import { describe, expect, it } from 'vitest';

import { FakeIngestion, auditEntry, httpError, recordingObservers } from '../../test/helpers/pipeline';
import { actorFacts } from '../detections/slack/common';
import { DimensionLedger, dimensionKey } from '../transforms/dimensions';
import { toSlackAuditRow } from '../transforms/slack-audit';
import { type SlackAuditRow, streams } from '../transforms/streams';
import { RowSink } from './row-sink';

const AUDIT = streams.slackAudit.stream;
const DIMENSION = streams.dimension.stream;
const QUARANTINE = streams.quarantine.stream;
const DAY = 86_400;
const T = 1_800_000_000 - (1_800_000_000 % DAY) + 600;
const UA_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Slack/4.41.105';
const UA_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const UA_PY = 'python-requests/2.32.3';

function entry(ua: string | undefined, date_create = T): Record<string, unknown> {
  const e = auditEntry({ date_create });
  (e.context as Record<string, unknown>).ua = ua;
  return e;
}

function setup(ledger = new DimensionLedger()) {
  const ingestion = new FakeIngestion();
  const events: string[] = [];
  ingestion.onUpload = (stream, rows) => events.push(`upload ${stream} ${rows}`);
  const observers = recordingObservers(events);
  const sink = () =>
    new RowSink({
      ingestion,
      dcrImmutableId: 'dcr-1',
      observer: observers.factory({ source: 'slackAudit', org: 'E1', cycleId: 'c1' }),
      sourceOrg: 'E1',
      now: () => new Date(T * 1000),
      sleep: () => Promise.resolve(),
      maxAttempts: 1,
      dimensions: ledger,
    });
  return { ingestion, events, observers, sink, ledger };
}

async function feed(sink: RowSink, entries: Record<string, unknown>[]): Promise<void> {
  for (const e of entries) await sink.accept('slackAudit', toSlackAuditRow(e, { sourceOrg: 'E1' }), e);
}

describe('RowSink dimensions', () => {
  it('observers see the full user agent; the landed row its key; the value lands once, before the rows', async () => {
    const s = setup();
    const sink = s.sink();
    await feed(sink, [
      entry(UA_MAC),
      entry(UA_MAC, T + 5),
      entry(UA_WIN, T + 9),
      entry(undefined, T + 12),
      entry(UA_PY, T + 15),
    ]);
    const summary = await sink.flush();

    const observed = s.observers.record.observed.map((o) => o.row as SlackAuditRow);
    expect(observed.map((r) => r.UserAgent)).toEqual([UA_MAC, UA_MAC, UA_WIN, undefined, UA_PY]);
    expect(observed.every((r) => r.UserAgentKey === undefined)).toBe(true);
    // What a finding's context carries comes from the observed row.
    const [first] = observed;
    if (first === undefined) throw new Error('nothing observed');
    expect(actorFacts(first).userAgent).toBe(UA_MAC);

    const landed = s.ingestion.rows(AUDIT);
    expect(landed.map((r) => r.UserAgentKey)).toEqual([
      dimensionKey(UA_MAC),
      dimensionKey(UA_MAC),
      dimensionKey(UA_WIN),
      undefined,
      undefined,
    ]);
    // A short user agent stays in the row.
    expect(landed.map((r) => r.UserAgent)).toEqual([undefined, undefined, undefined, undefined, UA_PY]);
    expect(s.ingestion.rows(DIMENSION).map((r) => [r.EventId, r.Kind, r.Value, r.SourceOrg])).toEqual([
      [dimensionKey(UA_MAC), 'userAgent', UA_MAC, 'E1'],
      [dimensionKey(UA_WIN), 'userAgent', UA_WIN, 'E1'],
    ]);
    expect(s.events).toEqual([`upload ${DIMENSION} 2`, `upload ${AUDIT} 5`, 'observer.flush']);
    expect(summary.rows).toEqual({ slackAudit: 5 });
    expect(summary.dimensions).toBe(2);
  });

  it('a later flush of the same process lands a value again only on a new UTC day', async () => {
    const s = setup();
    const first = s.sink();
    await feed(first, [entry(UA_MAC)]);
    await first.flush();
    const second = s.sink();
    await feed(second, [entry(UA_MAC, T + 3600), entry(UA_MAC, T + DAY)]);
    const summary = await second.flush();
    expect(summary.dimensions).toBe(1);
    expect(s.ingestion.rows(DIMENSION).map((r) => r.TimeGenerated)).toEqual([
      '2027-01-15T00:10:00Z',
      '2027-01-16T00:10:00Z',
    ]);
  });

  it('a failed flush does not count its values as landed: the retry lands them again with its rows', async () => {
    const s = setup();
    s.ingestion.failWith = (stream) => (stream === AUDIT ? httpError(503) : undefined);
    const failing = s.sink();
    await feed(failing, [entry(UA_MAC)]);
    await expect(failing.flush()).rejects.toThrow();
    expect(s.ingestion.rows(DIMENSION)).toHaveLength(1); // the value got through, the rows did not
    expect(s.ledger.size).toBe(0);

    s.ingestion.failWith = undefined;
    const retry = s.sink();
    await feed(retry, [entry(UA_MAC)]);
    const summary = await retry.flush();
    expect(summary.dimensions).toBe(1);
    expect(s.ingestion.rows(DIMENSION)).toHaveLength(2);
    expect(s.ingestion.rows(AUDIT).map((r) => r.UserAgentKey)).toEqual([dimensionKey(UA_MAC)]);
    expect(s.ledger.size).toBe(1);
  });

  it('an observer flush failure also leaves the values unlanded', async () => {
    const s = setup();
    s.observers.failFlush.value = new Error('table storage down');
    const failing = s.sink();
    await feed(failing, [entry(UA_MAC)]);
    await expect(failing.flush()).rejects.toThrow('table storage down');
    expect(s.ledger.size).toBe(0);
  });

  it('a dimension row the service refuses goes to quarantine and stays unlanded', async () => {
    const s = setup();
    s.ingestion.failWith = (stream) => (stream === DIMENSION ? httpError(400, 'InvalidData') : undefined);
    const sink = s.sink();
    await feed(sink, [entry(UA_MAC), entry(UA_WIN)]);
    const summary = await sink.flush();
    expect(summary.dimensions).toBe(0);
    expect(summary.rejected).toBe(2);
    const quarantined = s.ingestion.rows(QUARANTINE);
    expect(quarantined.map((r) => r.Source)).toEqual(['dimension', 'dimension']);
    expect(String(quarantined[0]?.Raw)).toContain(UA_MAC);
    expect(s.ledger.size).toBe(0);
  });
});
