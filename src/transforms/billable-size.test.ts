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
import { isoFromUnixSeconds, toSlackAuditRow } from './slack-audit';
import type { SlackAuditRow } from './streams';

const FIXTURES = resolve(__dirname, '../../test/fixtures/slack-audit');
const NAMES = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
const load = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

/** Logstash `%{[raw][a][b]}`: the value, JSON for a hash, comma-joined array, or the reference itself. */
function sprintf(entry: Record<string, unknown>, path: readonly string[]): string {
  let v: unknown = entry;
  for (const key of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  if (v === undefined || v === null) return `%{[raw]${path.map((k) => `[${k}]`).join('')}}`;
  if (Array.isArray(v)) return v.map(String).join(',');
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function seedRow(entry: Record<string, unknown>): Record<string, string> {
  const created = entry.date_create as number;
  const f = (...path: string[]) => sprintf(entry, path);
  return {
    id: f('id'),
    date_create: f('date_create'),
    action: f('action'),
    actor_user_id: f('actor', 'user', 'id'),
    actor_user_name: f('actor', 'user', 'name'),
    actor_user_email: f('actor', 'user', 'email'),
    actor_type: f('actor', 'type'),
    context_location_type: f('context', 'location', 'type'),
    context_location_id: f('context', 'location', 'id'),
    context_location_name: f('context', 'location', 'name'),
    context_location_domain: f('context', 'location', 'domain'),
    context_ua: f('context', 'ua'),
    context_ip_address: f('context', 'ip_address'),
    entity_type: f('entity', 'type'),
    entity_body: f('entity'),
    // Event Hubs enqueued time in epoch seconds, a few seconds after the event.
    event_hub_timestamp: String(created + 5),
    // Ingestion time, formatted like ours so the format itself does not tilt the comparison.
    TimeGenerated: isoFromUnixSeconds(created + 65),
  };
}

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
    seed: billableBytes(seedRow(entry)),
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
