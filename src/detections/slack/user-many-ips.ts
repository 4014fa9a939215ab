/**
 * Seed: one user seen from more than 3 IP addresses in 7 days (the seed platform's "User w/ Multi
 * IPs": docs/reference/seed-platform.md), counting places rather than addresses, so the ordinary
 * reasons an address changes do not count:
 * - addresses are grouped by network (an IPv4 /24, an IPv6 /64): IPv6 privacy addresses rotate daily
 *   inside one /64, and a DHCP renewal usually keeps the ISP's /24;
 * - the organization's known egress (appliance uplinks, shared office NATs, the address an office
 *   moved to after a failover: see many-users-one-ip) is not a place of the user's own;
 * - failed sign-ins are not the user acting, and activity from an address another finding is about
 *   (a password spray's or a credential-stuffing source) is folded into that finding.
 */
import { type Crossing, defineDetection, fields, type SubjectWindow } from '../define';
import { networkOf } from '../egress';
import { distinctCrossing } from '../window-math';
import { actorFacts, actorSubject, ipAllowed } from './common';

/** Detections whose findings explain a user's activity from their source address. */
const SOURCE_FINDINGS = ['slack.audit.failed-logins-one-ip', 'slack.audit.many-users-one-ip'] as const;

export const userManyIps = defineDetection({
  id: 'slack.audit.user-many-ips',
  title: 'Slack user seen from many places',
  description:
    'One user acted from more distinct networks than usual within the window (the organization’s own egress not counted): shared or stolen credentials, or session hijacking.',
  severity: 'low',
  mitre: ['TA0001:T1078'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  foldsInto: SOURCE_FINDINGS,
  streams: ['slackAudit'],
  config: {
    threshold: fields.threshold(3),
    windowMinutes: fields.minutes(7 * 24 * 60),
    /** Exact IPs or IPv4 CIDRs not counted (office egress, VPN) when Sentry cannot learn them. */
    ignoreIps: fields.list(),
    ignoreUserIds: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const ip = row.SrcIpAddr;
    const subject = actorSubject(row);
    if (ip === undefined || subject === undefined || row.ActorType !== 'user') return null;
    if (row.Action === 'user_login_failed') return null;
    if (config.ignoreUserIds.includes(subject.id) || ipAllowed(ip, config.ignoreIps)) return null;
    return { dedupeKey: subject.id, subject, item: ip, t: row.DateCreate, label: row.Action, facts: actorFacts(row) };
  },
  window: {
    kind: 'custom',
    windowSeconds: (c) => c.windowMinutes * 60,
    evaluate(window, config, env): Crossing | null {
      const places: SubjectWindow = {
        ...window,
        items: window.items
          .filter(
            (i) =>
              env.context.egress(i.item) === undefined && !env.context.explained(SOURCE_FINDINGS, i.item, i.t, i.tMax),
          )
          .map((i) => ({ ...i, item: networkOf(i.item), label: i.item })),
      };
      return distinctCrossing(places, config.windowMinutes * 60, config.threshold, env.since);
    },
  },
  present(crossing, window, config) {
    return {
      title: `${window.subject.name ?? window.subject.id} was seen from ${crossing.count} networks`,
      why: `${crossing.count} distinct networks (IPv4 /24, IPv6 /64; the organization's own egress not counted) within ${Math.round(config.windowMinutes / 1440)} days, above the threshold of ${config.threshold}.`,
      evidence: { networks: crossing.items.map((i) => `${i.item} (${i.label ?? i.item})`) },
    };
  },
});
