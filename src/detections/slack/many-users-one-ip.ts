/**
 * Seed: many users signing in from one IP (gopuff "Logins via Single IP", whose threshold of 10 was
 * declared but never applied). Office and VPN egress addresses (e.g. the Meraki WAN/cellular public
 * IPs) belong in `ignoreIps`.
 */
import { defineDetection, fields } from '../define';
import { actorFacts, ipAllowed } from './common';

export const manyUsersOneIp = defineDetection({
  id: 'slack.audit.many-users-one-ip',
  title: 'Slack logins of many users from one IP',
  description:
    'More distinct users than usual signed in from one unfamiliar IP address within the window: a proxy or attacker infrastructure replaying many accounts.',
  severity: 'medium',
  mitre: ['TA0001:T1078'],
  entities: { actor: 'victim', sourceIp: 'suspect' },
  streams: ['slackAudit'],
  actions: ['user_login'],
  config: {
    threshold: fields.threshold(10),
    windowMinutes: fields.minutes(24 * 60),
    /** Exact IPs or IPv4 CIDRs: office egress, VPN concentrators. */
    ignoreIps: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const ip = row.SrcIpAddr;
    const user = row.ActorUserId;
    if (ip === undefined || user === undefined || ipAllowed(ip, config.ignoreIps)) return null;
    return {
      dedupeKey: ip,
      subject: { type: 'ip', id: ip },
      item: user,
      t: row.DateCreate,
      label: row.ActorUserName ?? row.ActorEmail,
      facts: actorFacts(row),
    };
  },
  window: { kind: 'distinct', threshold: (c) => c.threshold, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    return {
      title: `${crossing.count} different users signed in from ${window.subject.id}`,
      evidence: {
        users: crossing.items.map((i) => (i.label === undefined ? i.item : `${i.label} (${i.item})`)).slice(0, 100),
      },
    };
  },
});
