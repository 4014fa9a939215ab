/**
 * Bytes per event on the scenario's own audit entries (14 days of an org: downloads, uploads,
 * shares, logins, anomalies…): billable bytes the way Log Analytics meters them (`billableBytes`)
 * and gzip bytes as the uploader would send them, ours (`toSlackAuditRow`) against the seed's
 * Logstash row for the same entries.
 */
import { toSlackAuditRow } from '../src/transforms/slack-audit';
import { scenarioEntries } from './lib/entries';
import { type BillableComparison, compareBillable, gzipBytesPerRow, seedLogstashRow } from './lib/measure';
import { APP_GZIP_LEVEL } from './throughput';

export interface BillableResult {
  billable: BillableComparison;
  quarantined: number;
  gzip: { level: number; ours: number; seed: number; oursRaw: number; seedRaw: number };
  byAction: { action: string; events: number; ratio: number }[];
}

export function measureBillable(entries: readonly Record<string, unknown>[] = scenarioEntries()): BillableResult {
  const pairs: { entry: Record<string, unknown>; row: Record<string, unknown> }[] = [];
  let quarantined = 0;
  for (const entry of entries) {
    const result = toSlackAuditRow(entry, { sourceOrg: 'slack' });
    if (result.ok) pairs.push({ entry, row: result.row });
    else quarantined += 1;
  }
  const ours = gzipBytesPerRow(
    pairs.map((p) => p.row),
    APP_GZIP_LEVEL,
  );
  const seed = gzipBytesPerRow(
    pairs.map((p) => seedLogstashRow(p.entry)),
    APP_GZIP_LEVEL,
  );
  const groups = new Map<string, typeof pairs>();
  for (const pair of pairs) {
    const action = String(pair.entry.action);
    groups.set(action, [...(groups.get(action) ?? []), pair]);
  }
  const byAction = [...groups.entries()]
    .map(([action, list]) => ({ action, events: list.length, ratio: compareBillable(list).billableRatio }))
    .sort((a, b) => b.events - a.events);
  return {
    billable: compareBillable(pairs),
    quarantined,
    gzip: { level: APP_GZIP_LEVEL, ours: ours.gzip, seed: seed.gzip, oursRaw: ours.raw, seedRaw: seed.raw },
    byAction,
  };
}
