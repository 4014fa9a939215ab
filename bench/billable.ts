/**
 * Bytes per event on the scenario's own audit entries (14 days of an org: downloads, uploads,
 * shares, logins, anomalies…): billable bytes the way Log Analytics meters them (`billableBytes`)
 * and gzip bytes as the uploader would send them, ours against the seed's Logstash row for the same
 * entries. Ours is what lands: `toSlackAuditRow`, then the production `DimensionBatch` (the user
 * agent as a key; its value once per key and UTC day in SentryDimension_CL), as one process that
 * collects the entries in hourly windows whose flushes all succeed. Each dimension row is charged to
 * the event that made it land, so per-event and per-action numbers include them.
 */
import { DimensionBatch, DimensionLedger, utcDay } from '../src/transforms/dimensions';
import { toSlackAuditRow } from '../src/transforms/slack-audit';
import { scenarioEntries } from './lib/entries';
import {
  type BillableComparison,
  type BillablePair,
  compareBillable,
  gzipBytesPerRow,
  seedLogstashRow,
  type UserAgentOf,
} from './lib/measure';
import { APP_GZIP_LEVEL } from './throughput';

export interface BillableResult {
  billable: BillableComparison;
  quarantined: number;
  /** Ours: landed rows plus dimension rows, per event. */
  gzip: { level: number; ours: number; seed: number; oursRaw: number; seedRaw: number };
  byAction: { action: string; events: number; ratio: number }[];
}

/** Collection windows of the simulated process: a window's flush commits its dimension keys. */
const WINDOW_SECONDS = 3600;

export function measureBillable(entries: readonly Record<string, unknown>[] = scenarioEntries()): BillableResult {
  const ledger = new DimensionLedger();
  let batch = new DimensionBatch(ledger, 'slack');
  let window: number | undefined;
  const pairs: BillablePair[] = [];
  let quarantined = 0;
  for (const entry of entries) {
    const result = toSlackAuditRow(entry, { sourceOrg: 'slack' });
    if (!result.ok) {
      quarantined += 1;
      continue;
    }
    const w = Math.floor(result.row.DateCreate / WINDOW_SECONDS);
    if (w !== window) {
      batch.commit();
      batch = new DimensionBatch(ledger, 'slack');
      window = w;
    }
    const landed = batch.split('slackAudit', result.row);
    pairs.push({ entry, row: landed.row, dimensions: landed.dimensions });
  }
  batch.commit();

  // A landed row's user agent is what a dimension row of the same UTC day says for its key (the
  // parser's lookup, and what a rule scoped to that day can see).
  const values = new Map<string, string>();
  for (const p of pairs)
    for (const d of p.dimensions ?? [])
      values.set(`${utcDay(String(d.TimeGenerated))} ${String(d.EventId)}`, String(d.Value));
  const userAgentOf: UserAgentOf = (row) => {
    if (typeof row.UserAgent === 'string') return row.UserAgent;
    if (typeof row.UserAgentKey !== 'string') return undefined;
    return values.get(`${utcDay(String(row.TimeGenerated))} ${row.UserAgentKey}`);
  };

  const dimensionRows = pairs.flatMap((p) => p.dimensions ?? []);
  const n = pairs.length;
  const oursRows = gzipBytesPerRow(
    pairs.map((p) => p.row),
    APP_GZIP_LEVEL,
  );
  const oursDims = dimensionRows.length === 0 ? { raw: 0, gzip: 0 } : gzipBytesPerRow(dimensionRows, APP_GZIP_LEVEL);
  const perEvent = (rows: number, dims: number) =>
    n === 0 ? Number.NaN : (rows * n + dims * dimensionRows.length) / n;
  const seed = gzipBytesPerRow(
    pairs.map((p) => seedLogstashRow(p.entry)),
    APP_GZIP_LEVEL,
  );
  const groups = new Map<string, BillablePair[]>();
  for (const pair of pairs) {
    const action = String(pair.entry.action);
    groups.set(action, [...(groups.get(action) ?? []), pair]);
  }
  const byAction = [...groups.entries()]
    .map(([action, list]) => ({ action, events: list.length, ratio: compareBillable(list, userAgentOf).billableRatio }))
    .sort((a, b) => b.events - a.events);
  return {
    billable: compareBillable(pairs, userAgentOf),
    quarantined,
    gzip: {
      level: APP_GZIP_LEVEL,
      ours: perEvent(oursRows.gzip, oursDims.gzip),
      seed: seed.gzip,
      oursRaw: perEvent(oursRows.raw, oursDims.raw),
      seedRaw: seed.raw,
    },
    byAction,
  };
}
