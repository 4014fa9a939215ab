/**
 * Panther PassthroughAnomaly / Scanner anomaly rule: Slack's own anomaly engine (`action: anomaly`,
 * `details.reason` is a list of codes). All 17 documented reasons are named; severity is low, medium
 * for the reasons Panther ranks higher; an unknown (new) reason still raises a low finding.
 */
import { defineDetection, fields, type Severity } from '../define';
import { maxSeverity } from '../../domain/severity';
import { detailsOf, entitySubject, eventObservation, stringList } from './common';

export const ANOMALY_REASONS: Readonly<Record<string, string>> = {
  asn: 'unusual network (ASN)',
  excessive_downloads: 'excessive downloads',
  excessive_file_shares: 'excessive file shares',
  excessive_malware_uploads: 'excessive malware uploads',
  ip_address: 'unusual IP address',
  search_volume: 'unusual search volume',
  session_fingerprint: 'session fingerprint mismatch',
  spoofed_user_agent: 'spoofed user agent',
  tor: 'Tor exit node',
  unexpected_admin_action: 'unexpected admin action',
  unexpected_api_call_volume: 'unexpected API call volume',
  unexpected_client: 'unexpected client',
  unexpected_credential_testing: 'credential testing',
  unexpected_message_deletion: 'unexpected message deletion',
  unexpected_scraping: 'data scraping',
  unexpected_user_agent: 'unexpected user agent',
  user_agent: 'unusual user agent',
};

export const anomaly = defineDetection({
  id: 'slack.audit.anomaly',
  title: 'Slack anomaly',
  description:
    'Slack’s anomaly engine flagged a user or app (Tor, unusual network, session fingerprint mismatch, scraping, excessive downloads…).',
  severity: 'low',
  mitre: ['TA0001:T1078'],
  entities: { actor: 'suspect', affected: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['anomaly'],
  config: {
    windowMinutes: fields.minutes(60),
    mediumReasons: fields.list(['excessive_malware_uploads', 'session_fingerprint', 'unexpected_admin_action']),
    highReasons: fields.list(),
    ignoreReasons: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const reasons = stringList(detailsOf(row).reason).filter((r) => !config.ignoreReasons.includes(r));
    const subject = entitySubject(row);
    if (subject === undefined || (reasons.length === 0 && stringList(detailsOf(row).reason).length > 0)) return null;
    const details = detailsOf(row);
    return eventObservation(row, `${subject.type}:${subject.id}`, subject, reasons.join(',') || 'unspecified', {
      location: typeof details.location === 'string' ? details.location : undefined,
      previousIp: typeof details.previous_ip_address === 'string' ? details.previous_ip_address : undefined,
    });
  },
  window: { kind: 'count', threshold: () => 0, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window, config) {
    const reasons = [...new Set(crossing.items.flatMap((i) => (i.label ?? '').split(',')).filter((r) => r !== ''))];
    const severityOf = (r: string): Severity =>
      config.highReasons.includes(r) ? 'high' : config.mediumReasons.includes(r) ? 'medium' : 'low';
    return {
      severity: maxSeverity(reasons.map(severityOf), 'low'),
      title: `Slack anomaly (${reasons.map((r) => ANOMALY_REASONS[r] ?? r).join(', ') || 'unspecified'}): ${window.subject.name ?? window.subject.id}`,
      evidence: { reasons },
    };
  },
});
