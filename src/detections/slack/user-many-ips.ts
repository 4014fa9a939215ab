/** Seed: one user seen from more than 3 IP addresses in 7 days (gopuff "User w/ Multi IPs"). */
import { defineDetection, fields } from '../define';
import { actorFacts, actorSubject, ipAllowed } from './common';

export const userManyIps = defineDetection({
  id: 'slack.audit.user-many-ips',
  title: 'Slack user seen from many IP addresses',
  description:
    'One user acted from more distinct IP addresses than usual within the window: shared or stolen credentials, or session hijacking.',
  severity: 'low',
  mitre: ['TA0001:T1078'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  config: {
    threshold: fields.threshold(3),
    windowMinutes: fields.minutes(7 * 24 * 60),
    /** Exact IPs or IPv4 CIDRs not counted (office egress, VPN). */
    ignoreIps: fields.list(),
    ignoreUserIds: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const ip = row.SrcIpAddr;
    const subject = actorSubject(row);
    if (ip === undefined || subject === undefined || row.ActorType !== 'user') return null;
    if (config.ignoreUserIds.includes(subject.id) || ipAllowed(ip, config.ignoreIps)) return null;
    return { dedupeKey: subject.id, subject, item: ip, t: row.DateCreate, label: row.Action, facts: actorFacts(row) };
  },
  window: { kind: 'distinct', threshold: (c) => c.threshold, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    return {
      title: `${window.subject.name ?? window.subject.id} was seen from ${crossing.count} IP addresses`,
      evidence: { ips: crossing.items.map((i) => i.item) },
    };
  },
});
