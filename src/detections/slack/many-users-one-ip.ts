/**
 * Seed: many users signing in from one IP (the seed platform's "Logins via Single IP", whose
 * threshold of 10 was declared but never applied: docs/reference/seed-platform.md), made quiet on an
 * ordinary org. An address is the organization's own egress, never a finding, when it is
 * - one of its appliances' public uplink IPs (from the Meraki data, see state/egress.ts);
 * - shared day after day: `sharedMinUsers` distinct users on `sharedMinDays` days of its history
 *   (an office NAT, a VPN concentrator); learned from this rule's own windows and kept as egress;
 * - where a known egress's people moved together: most of the users of a crossing belong to one
 *   known egress (an office after an uplink failover, or after its ISP changed its address);
 * - on the configured `ignoreIps` list.
 * A new address suddenly shared by many accounts that belong to no such population still fires.
 */
import { type Crossing, defineDetection, EGRESS_USERS, type EgressFact, fields, type SubjectWindow } from '../define';
import { distinctCrossing, mergeByItem } from '../window-math';
import { actorFacts, ipAllowed } from './common';

const DAY = 86_400;

/** Days (bucket starts) on which at least `min` distinct users used the address. */
function busyDays(window: SubjectWindow, min: number): number {
  const users = new Map<number, Set<string>>();
  for (const i of window.items) {
    const day = Math.floor(i.t / DAY);
    const set = users.get(day) ?? new Set<string>();
    set.add(i.item);
    users.set(day, set);
  }
  return [...users.values()].filter((s) => s.size >= min).length;
}

function usersOf(window: SubjectWindow): string[] {
  return mergeByItem(window.items)
    .sort((a, b) => b.tMax - a.tMax)
    .slice(0, EGRESS_USERS)
    .map((i) => i.item);
}

/** The known egress whose population holds at least `share` of these users, if any. */
function populationOf(users: readonly string[], facts: readonly EgressFact[], share: number): EgressFact | undefined {
  if (users.length === 0) return undefined;
  let best: { fact: EgressFact; overlap: number } | undefined;
  for (const fact of facts) {
    if (fact.users.length === 0) continue;
    const known = new Set(fact.users);
    const overlap = users.filter((u) => known.has(u)).length / users.length;
    if (overlap >= share && (best === undefined || overlap > best.overlap)) best = { fact, overlap };
  }
  return best?.fact;
}

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
  learningDays: (c) => c.sharedMinDays,
  config: {
    threshold: fields.threshold(10),
    windowMinutes: fields.minutes(24 * 60),
    /** Exact IPs or IPv4 CIDRs: egress Sentry cannot learn (a partner's proxy). */
    ignoreIps: fields.list(),
    /** An address is the org's shared egress once this many users used it on `sharedMinDays` days. */
    sharedMinUsers: fields.threshold(5),
    sharedMinDays: fields.days(3),
    /** Days of history kept per address to learn whether it is shared. */
    historyDays: fields.days(14),
    /** Share of a crossing's users that makes it a known population's new address. */
    movedShare: fields.threshold(60),
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
  window: {
    kind: 'custom',
    windowSeconds: (c) => c.windowMinutes * 60,
    retentionSeconds: (c) => c.historyDays * DAY,
    bucketSeconds: DAY,
    learn(window, config, env) {
      const ip = window.subject.id;
      // A known egress (an uplink) learns who is behind it; an unknown one must prove it is shared.
      const known = env.context.egress(ip);
      if (known === undefined && busyDays(window, config.sharedMinUsers) < config.sharedMinDays) return [];
      if (window.items.length === 0) return [];
      const lastSeen = Math.max(...window.items.map((i) => i.tMax));
      return [{ egress: { ip, kind: known?.kind ?? 'shared', users: usersOf(window), lastSeen } }];
    },
    evaluate(window, config, env): Crossing | null {
      const ip = window.subject.id;
      if (env.context.egress(ip) !== undefined) return null;
      const crossing = distinctCrossing(window, config.windowMinutes * 60, config.threshold, env.since);
      if (crossing === null) return null;
      const users = crossing.items.map((i) => i.item);
      const home = populationOf(users, env.context.egressFacts(), config.movedShare / 100);
      if (home !== undefined) {
        // The people of a known egress appear together from a new address: it is theirs now.
        env.context.teach({ ip, kind: 'moved', users, lastSeen: crossing.lastSeen });
        return null;
      }
      return crossing;
    },
  },
  present(crossing, window, config) {
    return {
      title: `${crossing.count} different users signed in from ${window.subject.id}`,
      why: `${crossing.count} distinct users signed in from this address within ${config.windowMinutes / 60} h (threshold ${config.threshold}), and it is none of the organization's known egress addresses (appliance uplinks, addresses shared day after day, or where a known office's people moved).`,
      evidence: {
        users: crossing.items.map((i) => (i.label === undefined ? i.item : `${i.label} (${i.item})`)).slice(0, 100),
      },
    };
  },
});
