/**
 * Billable bytes per Slack audit event: our row as it lands vs the seed's Logstash row on the same
 * fixtures.
 *
 * The seed (the Logstash-based platform Sentry replaces; its `slack.conf`) wrote 16 string columns
 * through the Data Collector API, which adds `TimeGenerated` (ingestion time). Logstash's sprintf
 * renders a hash as JSON (`entity_body`), a number as its digits, and leaves a missing field as the
 * literal `%{[raw][…]}` reference (docs/reference/seed-platform.md, "Slack row format").
 *
 * Ours lands the user agent as a 12-character key; its value lands once per key and UTC day in
 * SentryDimension_CL. That row is shared by every event of the day with the same user agent (about
 * 68 on the scenario, where it adds ~2 B/event: bench/measure.test.ts measures it), so per-fixture
 * numbers are for the landed row, and a dimension row is checked to pay for itself within a few events.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { billableBytes } from './billable-size';
import { BEYOND_SEED, seedLogstashRow } from '../../test/helpers/seed-logstash-row';
import { DimensionBatch, DimensionLedger } from './dimensions';
import { toSlackAuditRow } from './slack-audit';
import type { SlackAuditRow } from './streams';

const FIXTURES = resolve(__dirname, '../../test/fixtures/slack-audit');
const NAMES = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
const load = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

/** The fixtures land as one process would land them: a user agent's dimension row once. */
const dimensions = new DimensionBatch(new DimensionLedger(), 'E02N1QXMZ7K');

function measure(name: string): { full: number; ours: number; dims: number; oursSeedFields: number; seed: number } {
  const entry = load(name);
  const result = toSlackAuditRow(entry, { sourceOrg: 'E02N1QXMZ7K' });
  if (!result.ok) throw new Error(result.reason);
  const landed = dimensions.split('slackAudit', result.row);
  const seedFieldsOnly = Object.fromEntries(
    Object.entries(landed.row).filter(([k]) => !BEYOND_SEED.includes(k as keyof SlackAuditRow)),
  );
  return {
    full: billableBytes(result.row),
    ours: billableBytes(landed.row),
    dims: landed.dimensions.reduce((sum, d) => sum + billableBytes(d), 0),
    oursSeedFields: billableBytes(seedFieldsOnly),
    seed: billableBytes(seedLogstashRow(entry)),
  };
}

describe('billableBytes', () => {
  it('sums non-empty values in their string form', () => {
    expect(billableBytes({ a: 'héllo', b: '', c: undefined, d: null, e: 1732262400, f: false, g: { k: [1] } })).toBe(
      6 + 10 + 5 + 9,
    );
  });
});

describe('bytes per Slack audit event vs the seed', () => {
  const all = NAMES.map((name) => ({ name, ...measure(name) }));
  const ratio = (rows: typeof all, pick: (m: (typeof all)[number]) => number): number =>
    rows.reduce((sum, m) => sum + pick(m), 0) / rows.reduce((sum, m) => sum + m.seed, 0);

  it('self-actions (login, failed login: the bulk of audit volume) land at most 0.7 of the seed per event', () => {
    const selfActions = all.filter((m) => m.name.includes('user-login'));
    expect(selfActions).toHaveLength(2);
    expect(ratio(selfActions, (m) => m.ours)).toBeLessThanOrEqual(0.7);
  });

  it('the user agent as a key saves on every row that has one, and lands as a dimension row', () => {
    const withUa = all.filter((m) => m.full > m.ours);
    expect(withUa.length).toBeGreaterThanOrEqual(7);
    for (const m of withUa) expect(m.full - m.ours, m.name).toBeGreaterThan(20);
    expect(all.filter((m) => m.dims > 0).length).toBeGreaterThan(0);
  });

  it('the same information as the seed always costs less than the seed, and about 0.6 of it overall', () => {
    for (const m of all) expect(m.oursSeedFields / m.seed, m.name).toBeLessThan(0.8);
    expect(ratio(all, (m) => m.oursSeedFields)).toBeLessThanOrEqual(0.65);
  });

  it('with everything the seed dropped kept (details, session, app, team…), the landed fixture set costs less than the seed', () => {
    expect(ratio(all, (m) => m.ours)).toBeLessThanOrEqual(0.95);
  });

  it('a dimension row pays for itself by the fifth event of its user agent in a day', () => {
    const keyed = all.filter((m) => m.dims > 0);
    expect(keyed.length).toBeGreaterThanOrEqual(5);
    for (const m of keyed) expect(5 * (m.full - m.ours), m.name).toBeGreaterThanOrEqual(m.dims);
  });
});
