/**
 * Billable bytes per Slack audit event: our row vs the seed's Logstash row on the same fixtures.
 *
 * The seed (gopuff `slack.conf`) wrote 16 string columns through the Data Collector API, which adds
 * `TimeGenerated` (ingestion time). Logstash's sprintf renders a hash as JSON (`entity_body`), a
 * number as its digits, and leaves a missing field as the literal `%{[raw][…]}` reference.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { billableBytes } from './billable-size';
import { seedLogstashRow } from '../../test/helpers/seed-logstash-row';
import { toSlackAuditRow } from './slack-audit';
import type { SlackAuditRow } from './streams';

const FIXTURES = resolve(__dirname, '../../test/fixtures/slack-audit');
const NAMES = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
const load = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

/** Our columns that hold what the seed dropped or never had. */
const BEYOND_SEED: readonly (keyof SlackAuditRow)[] = [
  'SourceOrg',
  'SessionId',
  'ActorTeam',
  'App',
  'ActingAgent',
  'Details',
  'Extra',
  'TruncatedColumns',
];

function measure(name: string): { ours: number; oursSeedFields: number; seed: number } {
  const entry = load(name);
  const result = toSlackAuditRow(entry, { sourceOrg: 'E02N1QXMZ7K' });
  if (!result.ok) throw new Error(result.reason);
  const seedFieldsOnly = Object.fromEntries(
    Object.entries(result.row).filter(([k]) => !BEYOND_SEED.includes(k as keyof SlackAuditRow)),
  );
  return {
    ours: billableBytes(result.row),
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

  it('self-actions (login, failed login: the bulk of audit volume) cost at most 0.8 of the seed per event', () => {
    const selfActions = all.filter((m) => m.name.includes('user-login'));
    expect(selfActions).toHaveLength(2);
    expect(ratio(selfActions, (m) => m.ours)).toBeLessThanOrEqual(0.8);
  });

  it('the same information as the seed always costs less than the seed, and about 0.8 of it overall', () => {
    for (const m of all) expect(m.oursSeedFields / m.seed, m.name).toBeLessThan(0.95);
    expect(ratio(all, (m) => m.oursSeedFields)).toBeLessThanOrEqual(0.85);
  });

  it('with everything the seed dropped kept (details, session, app, team…), the fixture set stays within 1.15× the seed', () => {
    expect(ratio(all, (m) => m.ours)).toBeLessThanOrEqual(1.15);
  });
});
