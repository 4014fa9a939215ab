/**
 * Sentinel "Unknown User Agent": a sign-in with a user agent not seen anywhere in the org during
 * the baseline (14 days). State: one window per user agent holding the users who signed in with it;
 * an agent is new when the detection's state reaches back a full baseline before its first sighting,
 * so nothing fires while the baseline is still being learned (the first 14 days).
 */
import { defineDetection, fields } from '../define';
import { mergeByItem } from '../window-math';
import { actorFacts } from './common';

const MAX_UA_KEY = 512;

export const unknownUserAgent = defineDetection({
  id: 'slack.audit.unknown-user-agent',
  title: 'Slack sign-in with a never-seen user agent',
  description:
    'A user signed in with a user agent nobody in the organization used during the baseline period: new tooling, or an attacker’s client.',
  severity: 'low',
  mitre: ['TA0001:T1078'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['user_login'],
  config: {
    baselineDays: fields.days(14),
    ignoreUserAgentPatterns: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const ua = (row.UserAgent ?? '').trim();
    const user = row.ActorUserId;
    if (ua === '' || user === undefined) return null;
    if (config.ignoreUserAgentPatterns.some((p) => ua.toLowerCase().includes(p.toLowerCase()))) return null;
    return {
      dedupeKey: ua.slice(0, MAX_UA_KEY),
      subject: { type: 'user-agent', id: ua.slice(0, 256) },
      item: user,
      t: row.DateCreate,
      label: row.ActorUserName ?? row.ActorEmail ?? user,
      facts: actorFacts(row),
    };
  },
  window: {
    kind: 'custom',
    windowSeconds: (c) => c.baselineDays * 86_400,
    evaluate(window, config, env) {
      const users = mergeByItem(window.items);
      const first = users[0];
      if (first === undefined || env.earliestBucket === undefined) return null;
      if (first.t - config.baselineDays * 86_400 < env.earliestBucket) return null;
      const since = env.since ?? -Infinity;
      const fresh = users.filter((u) => u.t > since);
      if (fresh.length === 0) return null;
      return {
        count: users.length,
        newItems: env.since === undefined ? users.length : fresh.length,
        firstSeen: first.t,
        lastSeen: Math.max(...users.map((u) => u.tMax)),
        items: users,
      };
    },
  },
  present(crossing, window) {
    return {
      title: `New user agent in sign-ins (${crossing.count} user${crossing.count === 1 ? '' : 's'}): ${window.subject.id.slice(0, 120)}`,
      evidence: { userAgent: window.subject.id, users: crossing.items.map((i) => i.label ?? i.item).slice(0, 50) },
    };
  },
});
