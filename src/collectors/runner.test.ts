import { describe, expect, it } from 'vitest';

import { FakeIngestion, auditEntry, httpError, recordingObservers } from '../../test/helpers/pipeline';
import { toSlackAuditRow } from '../transforms/slack-audit';
import { type SlackAuditRow, streams } from '../transforms/streams';
import { type Connector, page, type Page, type RecordKind, recordsOf, runConnector } from './runner';

const AUDIT = streams.slackAudit.stream;
const QUARANTINE = streams.quarantine.stream;

const auditKind: RecordKind<unknown, 'slackAudit'> = {
  stream: 'slackAudit',
  toRows: (entry) => toSlackAuditRow(entry, { sourceOrg: 'E1' }),
};

/** A connector over fixed windows of pages; it records when it commits. */
class ScriptedConnector implements Connector<number, 'fetched' | 'dropped'> {
  readonly counters = ['fetched', 'dropped'] as const;
  readonly committed: number[] = [];
  private next_ = 0;

  constructor(
    private readonly windows: Page<'fetched' | 'dropped'>[][],
    private readonly events: string[],
    private readonly more: (window: number) => boolean = () => true,
  ) {}

  next(): Promise<number | null> {
    const window = this.next_ < this.windows.length ? this.next_ : null;
    this.next_ += 1;
    return Promise.resolve(window);
  }

  async *pages(window: number) {
    for (const p of this.windows[window] ?? []) {
      this.events.push(`page ${window}`);
      await Promise.resolve();
      yield p;
    }
  }

  commit(window: number): Promise<boolean> {
    this.events.push(`commit ${window}`);
    this.committed.push(window);
    return Promise.resolve(this.more(window));
  }
}

function setup(clock: () => number = () => 0, deadline = Number.POSITIVE_INFINITY) {
  const events: string[] = [];
  const ingestion = new FakeIngestion();
  ingestion.onUpload = (stream, rows) => events.push(`upload ${stream} ${rows}`);
  const observers = recordingObservers(events);
  const options = {
    sink: { ingestion, dcrImmutableId: 'dcr-test', sourceOrg: 'E1', now: () => new Date(0) },
    observer: () => observers.factory({ source: 'slackAudit', org: 'E1', cycleId: 'c1' }),
    deadline,
    clock,
  };
  return { events, ingestion, observers, options };
}

const entries = (n: number, from = 0) => Array.from({ length: n }, (_, i) => auditEntry({ id: `e${from + i}` }));

describe('runConnector', () => {
  it('commits a window only after its rows are uploaded and its observations flushed', async () => {
    const { events, ingestion, options } = setup();
    const connector = new ScriptedConnector(
      [
        [
          page(auditKind, recordsOf(entries(2)), { fetched: 2 }),
          page(auditKind, recordsOf(entries(1, 2)), { fetched: 1, dropped: 4 }),
        ],
        [page(auditKind, recordsOf(entries(1, 3)), { fetched: 1 })],
      ],
      events,
    );
    const summary = await runConnector(connector, options);
    expect(events).toEqual([
      'page 0',
      'page 0',
      `upload ${AUDIT} 3`,
      'observer.flush',
      'commit 0',
      'page 1',
      `upload ${AUDIT} 1`,
      'observer.flush',
      'commit 1',
    ]);
    expect(ingestion.rows(AUDIT).map((r) => (r as SlackAuditRow).EventId)).toEqual(['e0', 'e1', 'e2', 'e3']);
    expect(summary).toMatchObject({
      windows: 2,
      caughtUp: true,
      counts: { fetched: 4, dropped: 4 },
      rows: { slackAudit: 4 },
      totalRows: 4,
      quarantined: 0,
    });
  });

  it('never commits when the upload fails, and says why', async () => {
    const { events, ingestion, options } = setup();
    ingestion.failWith = () => httpError(400, 'InvalidStream');
    const connector = new ScriptedConnector([[page(auditKind, recordsOf(entries(2)))]], events);
    await expect(runConnector(connector, { ...options, sink: { ...options.sink, maxAttempts: 1 } })).rejects.toThrow();
    expect(connector.committed).toEqual([]);
  });

  it('never commits when the observations cannot be persisted', async () => {
    const { events, observers, options } = setup();
    observers.failFlush.value = new Error('windows table down');
    const connector = new ScriptedConnector([[page(auditKind, recordsOf(entries(2)))]], events);
    await expect(runConnector(connector, options)).rejects.toThrow('windows table down');
    expect(connector.committed).toEqual([]);
  });

  it('quarantines unreadable records and refused ones with their reasons, and counts them', async () => {
    const { events, ingestion, options } = setup();
    const landed: unknown[] = [];
    const kind: RecordKind<{ raw: unknown }, 'slackAudit'> = {
      stream: 'slackAudit',
      toRows: ({ raw }) => toSlackAuditRow(raw, { sourceOrg: 'E1' }),
      original: (record) => record.raw,
      landed: (record) => landed.push(record.raw),
    };
    const good = auditEntry({ id: 'good' });
    const records = {
      length: 3,
      read: (i: number) =>
        i === 0
          ? ({ ok: false, reason: 'not valid JSON: Unexpected token', raw: '{"id":' } as const)
          : i === 1
            ? ({ ok: true, value: { raw: { id: 'no-date' } } } as const)
            : ({ ok: true, value: { raw: good } } as const),
    };
    const summary = await runConnector(new ScriptedConnector([[page(kind, records)]], events), options);
    const quarantine = ingestion.rows(QUARANTINE) as { Reason: string; Raw: string; Source: string }[];
    expect(quarantine.map((q) => q.Source)).toEqual(['slackAudit', 'slackAudit']);
    expect(quarantine[0]?.Reason).toBe('not valid JSON: Unexpected token');
    expect(JSON.parse(quarantine[0]?.Raw ?? '')).toBe('{"id":');
    expect(quarantine[1]?.Reason).not.toBe('');
    // The refused record lands as it came, not wrapped in the connector's record.
    expect(JSON.parse(quarantine[1]?.Raw ?? '')).toEqual({ id: 'no-date' });
    expect(landed).toEqual([good]);
    expect(summary).toMatchObject({ totalRows: 1, quarantined: 2 });
  });

  it('lands every row of a record that gives several, and none of one that gives none', async () => {
    const { events, ingestion, options } = setup();
    const rows = (entry: Record<string, unknown>) => {
      const result = toSlackAuditRow(entry, { sourceOrg: 'E1' });
      if (!result.ok) throw new Error(result.reason);
      return result.row;
    };
    const kind: RecordKind<number, 'slackAudit'> = {
      stream: 'slackAudit',
      toRows: (n) => ({ ok: true, rows: Array.from({ length: n }, (_, i) => rows(auditEntry({ id: `r${n}-${i}` }))) }),
    };
    await runConnector(new ScriptedConnector([[page(kind, recordsOf([2, 0, 1]))]], events), options);
    expect(ingestion.rows(AUDIT).map((r) => (r as SlackAuditRow).EventId)).toEqual(['r2-0', 'r2-1', 'r1-0']);
  });

  it('stops after the window the connector calls its last', async () => {
    const { events, options } = setup();
    const windows = [[page(auditKind, recordsOf(entries(1)))], [page(auditKind, recordsOf(entries(1, 1)))]];
    const connector = new ScriptedConnector(windows, events, (window) => window < 0);
    const summary = await runConnector(connector, options);
    expect(connector.committed).toEqual([0]);
    expect(summary).toMatchObject({ windows: 1, caughtUp: true });
  });

  it('starts no window after the deadline and reports the backlog', async () => {
    let now = 0;
    const { events, options } = setup(() => now, 1_000);
    const windows = [0, 1, 2].map((w) => [page(auditKind, recordsOf(entries(1, w)))]);
    const connector = new ScriptedConnector(windows, events, () => {
      now += 600;
      return true;
    });
    const summary = await runConnector(connector, options);
    expect(connector.committed).toEqual([0, 1]);
    expect(summary).toMatchObject({ windows: 2, caughtUp: false, totalRows: 2 });
  });

  it('reports every counter, zero when no page reported it', async () => {
    const { events, options } = setup();
    const summary = await runConnector(new ScriptedConnector([], events), options);
    expect(summary).toEqual({
      windows: 0,
      caughtUp: true,
      counts: { fetched: 0, dropped: 0 },
      rows: {},
      totalRows: 0,
      quarantined: 0,
      rejected: 0,
      bytes: 0,
      uploadRequests: 0,
    });
  });
});
