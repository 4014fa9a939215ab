/** Seed: maximum daily downloads (gopuff "max daily downloads": more than 20 per user and IP in 24 h). */
import { defineDetection, fields } from '../define';
import { actorSubject, eventObservation, fileName, ipAllowed } from './common';

export const massDownload = defineDetection({
  id: 'slack.audit.mass-download',
  title: 'Slack mass file download',
  description:
    'One user downloaded more files from one IP address within the window than the threshold allows: bulk collection before exfiltration, or a compromised session scraping files.',
  severity: 'medium',
  mitre: ['TA0009:T1530'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['file_downloaded'],
  config: {
    threshold: fields.threshold(20),
    windowMinutes: fields.minutes(24 * 60),
    ignoreUserIds: fields.list(),
    /** Exact IPs or IPv4 CIDRs. */
    ignoreIps: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const subject = actorSubject(row);
    if (subject === undefined || config.ignoreUserIds.includes(subject.id)) return null;
    const ip = row.SrcIpAddr ?? 'unknown';
    if (ipAllowed(ip, config.ignoreIps)) return null;
    return eventObservation(row, `${subject.id}|${ip}`, subject, fileName(row) ?? row.EntityId);
  },
  window: { kind: 'count', threshold: (c) => c.threshold, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window, config) {
    const who = window.subject.name ?? window.subject.id;
    const ip = window.dedupeKey.slice(window.subject.id.length + 1);
    return {
      title: `${who} downloaded ${crossing.count} files from ${ip} within ${config.windowMinutes / 60} h`,
      evidence: { ip, files: [...new Set(crossing.items.map((i) => i.label ?? i.item))].slice(0, 50) },
    };
  },
});
