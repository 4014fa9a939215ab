/**
 * A ready-to-run KQL query over Sentry's own tables for an incident, so a responder can pivot into
 * Sentinel / Log Analytics without writing one. Values are KQL string literals (backslash-escaped,
 * one line), the time range pads the finding's span by an hour either side (widened to cover the
 * incident's other occurrences, when it has some), and `TimeGenerated` is the event time in every
 * Sentry table.
 */
import type { IncidentFinding } from './model';

// eslint-disable-next-line no-control-regex -- control characters cannot appear in a one-line literal
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** A KQL double-quoted string literal. */
export function kqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(CONTROL, ' ')}"`;
}

function kqlDatetime(iso: string, padMs: number): string | undefined {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  return `datetime(${new Date(ms + padMs).toISOString()})`;
}

export interface Span {
  firstSeen: string;
  lastSeen: string;
}

function timeFilter(finding: IncidentFinding, also: readonly Span[]): string {
  const valid = [finding, ...also].filter(
    (s) => !Number.isNaN(Date.parse(s.firstSeen)) && !Number.isNaN(Date.parse(s.lastSeen)),
  );
  const first = valid.reduce<string | undefined>(
    (min, s) => (min === undefined || Date.parse(s.firstSeen) < Date.parse(min) ? s.firstSeen : min),
    undefined,
  );
  const last = valid.reduce<string | undefined>(
    (max, s) => (max === undefined || Date.parse(s.lastSeen) > Date.parse(max) ? s.lastSeen : max),
    undefined,
  );
  const from = first === undefined ? undefined : kqlDatetime(first, -3_600_000);
  const to = last === undefined ? undefined : kqlDatetime(last, 3_600_000);
  return from !== undefined && to !== undefined
    ? `| where TimeGenerated between (${from} .. ${to})`
    : '| where TimeGenerated > ago(1d)';
}

function inList(values: readonly string[]): string {
  return `(${values.slice(0, 10).map(kqlString).join(', ')})`;
}

/**
 * The investigation query for an incident (Slack audit or Meraki tables, by detection source);
 * `also`: the spans of its other occurrences, so their events are in range too.
 */
export function incidentQuery(finding: IncidentFinding, also: readonly Span[] = []): string {
  const context = finding.context;
  const lines: string[] = [];
  const meraki = context.meraki;
  const users = [...new Set(finding.entities.filter((e) => e.type === 'user').map((e) => e.id))];
  if (finding.detectionId.startsWith('meraki.') || (meraki?.deviceSerial !== undefined && users.length === 0)) {
    lines.push('union SentryMerakiEvent_CL, SentryMerakiUplink_CL', timeFilter(finding, also));
    const serial = meraki?.deviceSerial;
    if (serial !== undefined)
      lines.push(`| where Serial == ${kqlString(serial)} or DeviceSerial == ${kqlString(serial)}`);
    else if (meraki?.networkId !== undefined) lines.push(`| where NetworkId == ${kqlString(meraki.networkId)}`);
    lines.push(
      '| project TimeGenerated, Type, EventType, Description, Interface, Status, PublicIp, Ip, DeviceSerial, Serial, DeviceName, NetworkId',
    );
  } else {
    // The parser function, not the raw table: it restores UserAgent (the table holds only its key,
    // the value lives in SentryDimension_CL) and drops rows a retried upload landed twice.
    lines.push('SentrySlackAudit', timeFilter(finding, also));
    // The finding's own key first: an IP-keyed finding is about everything from that address.
    const ips = finding.subject.type === 'ip' ? [finding.subject.id] : (context.ips ?? []);
    const who = [...new Set([...(finding.subject.type === 'user' ? [finding.subject.id] : []), ...users])];
    if (finding.subject.type !== 'ip' && who.length > 0)
      lines.push(`| where ActorUserId in ${inList(who)} or EntityId in ${inList(who)}`);
    else if (ips.length > 0) lines.push(`| where SrcIpAddr in ${inList(ips)}`);
    if (context.actions !== undefined && context.actions.length > 0)
      lines.push(`| where Action in ${inList(context.actions)}`);
    lines.push(
      '| project TimeGenerated, Action, ActorUserName, ActorEmail, SrcIpAddr, UserAgent, SessionId, EntityType, EntityName, Details',
    );
  }
  lines.push('| order by TimeGenerated desc');
  lines.push(
    `// Finding and responses: union SentryFinding_CL, SentryResponse_CL | where IncidentId == ${kqlString(finding.incidentId)}`,
  );
  return lines.join('\n');
}
