/**
 * The seed's row, the baseline for our billable-bytes comparisons (the transforms test and the
 * bench): Logstash `slack.conf` wrote 16 keys as strings through the legacy Data Collector API
 * (docs/reference/seed-platform.md, "Slack row format"), which adds TimeGenerated (ingest time). sprintf renders a hash as JSON
 * (`entity_body`), a number as digits, an array comma-joined, and a missing field as the literal
 * `%{[raw][…]}` reference. `details`, session id, app and team were dropped.
 */
import { isoFromUnixSeconds } from '../../src/transforms/slack-audit';
import type { SlackAuditRow } from '../../src/transforms/streams';

type Bag = Record<string, unknown>;

function sprintf(entry: Bag, path: readonly string[]): string {
  let v: unknown = entry;
  for (const key of path) v = typeof v === 'object' && v !== null ? (v as Bag)[key] : undefined;
  if (v === undefined || v === null) return `%{[raw]${path.map((k) => `[${k}]`).join('')}}`;
  if (Array.isArray(v)) return v.map(String).join(',');
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** The seed's `slack_CL` row for one audit entry (Event Hubs enqueue 5 s and ingestion 65 s after the event). */
export function seedLogstashRow(entry: Bag): Record<string, string> {
  const created = typeof entry.date_create === 'number' ? entry.date_create : 0;
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
    event_hub_timestamp: String(created + 5),
    // Formatted like ours so the timestamp format itself does not tilt the comparison.
    TimeGenerated: isoFromUnixSeconds(created + 65),
  };
}

/** Our Slack audit columns that hold what the seed dropped or never had. */
export const BEYOND_SEED: readonly (keyof SlackAuditRow)[] = [
  'SourceOrg',
  'SessionId',
  'ActorTeam',
  'App',
  'ActingAgent',
  'Details',
  'Extra',
  'TruncatedColumns',
];
