import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { generateScenario } from '../../dev/scenario';
import { auditEntry } from '../../test/helpers/pipeline';
import { DIMENSION_COLUMNS, DimensionBatch, DimensionLedger, dimensionKey, utcDay } from './dimensions';
import { toSlackAuditRow } from './slack-audit';
import { type SlackAuditRow, streams } from './streams';

const DAY = 86_400;
const T = 1_800_000_000 - (1_800_000_000 % DAY) + 3600; // 01:00 UTC of some day
const UA_A = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36';
const UA_B = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Slack/4.41.105 Electron/33.2.1';

function withUa(ua: string | undefined, date_create = T): SlackAuditRow {
  const entry = auditEntry({ date_create });
  (entry.context as Record<string, unknown>).ua = ua;
  const result = toSlackAuditRow(entry, { sourceOrg: 'E1' });
  if (!result.ok) throw new Error(result.reason);
  return result.row;
}

describe('dimensionKey', () => {
  it('is base64url of the first 9 bytes of the SHA-256 of the UTF-8 value: 12 characters, stable', () => {
    const ua = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Slack/4.41.105 — é';
    const expected = createHash('sha256').update(Buffer.from(ua, 'utf8')).digest().subarray(0, 9).toString('base64url');
    expect(dimensionKey(ua)).toBe(expected);
    expect(dimensionKey(ua)).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(dimensionKey(Buffer.from(ua).toString('utf8'))).toBe(dimensionKey(ua));
    expect(dimensionKey(`${ua} `)).not.toBe(dimensionKey(ua));
  });

  it("gives the scenario's user agents distinct keys", () => {
    const uas = new Set<string>();
    const scenario = generateScenario({ seed: 42, now: Date.parse('2026-11-20T00:00:00Z'), days: 14 });
    for (const entry of scenario.slack.auditEntries as unknown as { context?: { ua?: unknown } }[]) {
      const ua = entry.context?.ua;
      if (typeof ua === 'string' && ua !== '') uas.add(ua);
    }
    expect(uas.size).toBeGreaterThan(5);
    expect(new Set([...uas].map(dimensionKey)).size).toBe(uas.size);
  });
});

describe('utcDay', () => {
  it('reads the UTC day of Z and offset times', () => {
    expect(utcDay('2027-01-15T23:59:59Z')).toBe('2027-01-15');
    expect(utcDay('2027-01-15T23:30:00-02:00')).toBe('2027-01-16');
    expect(utcDay('not a time')).toBe('');
  });
});

describe('DimensionBatch.split', () => {
  it('replaces the user agent by its key in place, leaves the input row whole, and yields the dimension row', () => {
    const full = withUa('Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0');
    const before = structuredClone(full);
    const batch = new DimensionBatch(new DimensionLedger(), 'E1');
    const { row: landed, dimensions } = batch.split('slackAudit', full);

    expect(full).toEqual(before);
    expect(landed).not.toHaveProperty('UserAgent');
    const key = dimensionKey('Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0');
    expect(landed.UserAgentKey).toBe(key);
    // Every other column unchanged, in the same (declaration) order with the key at the value's place.
    const names = Object.keys(full).map((k) => (k === 'UserAgent' ? 'UserAgentKey' : k));
    expect(Object.keys(landed)).toEqual(names);
    const declared = streams.slackAudit.columns.map((c) => c.name);
    expect(names).toEqual(declared.filter((n) => names.includes(n)));
    expect(streams.slackAudit.schema.safeParse(landed).success).toBe(true);

    expect(dimensions).toEqual([
      {
        TimeGenerated: full.TimeGenerated,
        EventId: key,
        SourceOrg: 'E1',
        Kind: 'userAgent',
        Value: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
      },
    ]);
    expect(streams.dimension.schema.safeParse(dimensions[0]).success).toBe(true);
  });

  it('keeps an absent or empty user agent absent (no key, no dimension row)', () => {
    const batch = new DimensionBatch(new DimensionLedger(), 'E1');
    for (const ua of [undefined, '']) {
      const full = withUa(ua);
      const split = batch.split('slackAudit', full);
      expect(split.row).toBe(full);
      expect(split.row).not.toHaveProperty('UserAgentKey');
      expect(split.dimensions).toEqual([]);
    }
  });

  it('leaves a user agent shorter than 32 characters in the row (a key would not pay for itself)', () => {
    const batch = new DimensionBatch(new DimensionLedger(), 'E1');
    const short = withUa('python-requests/2.32.3');
    expect(batch.split('slackAudit', short)).toEqual({ row: short, dimensions: [] });
    const edge = withUa('x'.repeat(31));
    expect(batch.split('slackAudit', edge).row.UserAgent).toBe('x'.repeat(31));
    const keyed = batch.split('slackAudit', withUa('y'.repeat(32)));
    expect(keyed.row.UserAgentKey).toBe(dimensionKey('y'.repeat(32)));
    expect(keyed.dimensions).toHaveLength(1);
  });

  it('leaves streams without dimension columns alone', () => {
    const batch = new DimensionBatch(new DimensionLedger(), 'E1');
    const finding = { TimeGenerated: '2027-01-01T00:00:00Z', EventId: 'f', SourceOrg: 'E1' };
    expect(batch.split('finding', finding as never).row).toBe(finding);
    expect(Object.keys(DIMENSION_COLUMNS)).toEqual(['slackAudit']);
  });

  it('yields one dimension row per key and UTC day, the first referencing row giving its time', () => {
    const ledger = new DimensionLedger();
    const batch = new DimensionBatch(ledger, 'E1');
    const rows = [
      withUa(UA_A, T),
      withUa(UA_A, T + 60),
      withUa(UA_B, T + 120),
      withUa(UA_A, T + DAY), // next day: lands again
      withUa(UA_B, T + 180),
    ];
    const dims = rows.flatMap((r) => batch.split('slackAudit', r).dimensions);
    expect(dims.map((d) => [d.Value, d.TimeGenerated])).toEqual([
      [UA_A, rows[0]?.TimeGenerated],
      [UA_B, rows[2]?.TimeGenerated],
      [UA_A, rows[3]?.TimeGenerated],
    ]);
    expect(batch.size).toBe(3);
    // Not landed until the flush commits.
    expect(ledger.size).toBe(0);
    batch.commit();
    expect(ledger.size).toBe(3);

    // A later flush of this process: nothing new for those days.
    const next = new DimensionBatch(ledger, 'E1');
    expect(next.split('slackAudit', withUa(UA_A, T + 3000)).dimensions).toEqual([]);
    expect(next.split('slackAudit', withUa(UA_B, T + DAY + 5)).dimensions).toHaveLength(1);
  });

  it('a batch that is never committed (failed flush) leaves the keys unlanded: the next batch lands them again', () => {
    const ledger = new DimensionLedger();
    const failed = new DimensionBatch(ledger, 'E1');
    expect(failed.split('slackAudit', withUa(UA_A)).dimensions).toHaveLength(1);
    const retry = new DimensionBatch(ledger, 'E1');
    expect(retry.split('slackAudit', withUa(UA_A)).dimensions).toHaveLength(1);
    retry.commit();
    expect(new DimensionBatch(ledger, 'E1').split('slackAudit', withUa(UA_A)).dimensions).toEqual([]);
  });

  it('a rejected dimension row is not committed', () => {
    const ledger = new DimensionLedger();
    const batch = new DimensionBatch(ledger, 'E1');
    const [dim] = batch.split('slackAudit', withUa(UA_A)).dimensions;
    batch.split('slackAudit', withUa(UA_B));
    if (dim === undefined) throw new Error('no dimension row');
    batch.reject(dim);
    expect(batch.size).toBe(1);
    batch.commit();
    expect(new DimensionBatch(ledger, 'E1').split('slackAudit', withUa(UA_A)).dimensions).toHaveLength(1);
    expect(new DimensionBatch(ledger, 'E1').split('slackAudit', withUa(UA_B)).dimensions).toEqual([]);
  });

  it('keeps the truncated user agent the row held (the key is of what would have landed)', () => {
    const long = 'x'.repeat(9000);
    const full = withUa(long);
    expect(full.TruncatedColumns).toEqual(['UserAgent']);
    const { row: landed, dimensions } = new DimensionBatch(new DimensionLedger(), 'E1').split('slackAudit', full);
    expect(dimensions[0]?.Value).toBe(full.UserAgent);
    expect(landed.UserAgentKey).toBe(dimensionKey(full.UserAgent ?? ''));
    expect(landed.TruncatedColumns).toEqual(['UserAgent']);
  });
});

describe('DimensionLedger', () => {
  it('forgets the least recently used day beyond maxDays and stops remembering a full day', () => {
    const ledger = new DimensionLedger({ maxDays: 2, maxKeysPerDay: 2 });
    ledger.remember('2027-01-01', ['a', 'b', 'c']);
    expect(ledger.has('2027-01-01', 'b')).toBe(true);
    expect(ledger.has('2027-01-01', 'c')).toBe(false);
    ledger.remember('2027-01-02', ['a']);
    ledger.remember('2027-01-01', []); // touched: most recently used
    ledger.remember('2027-01-03', ['a']);
    expect(ledger.has('2027-01-02', 'a')).toBe(false);
    expect(ledger.has('2027-01-01', 'a')).toBe(true);
    expect(ledger.has('2027-01-03', 'a')).toBe(true);
    expect(ledger.size).toBe(3);
  });
});
