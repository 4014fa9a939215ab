/**
 * Sentinel "Unknown User Agent", made quiet on an ordinary org and useful from day one:
 * - agents are compared by family (version numbers replaced by `*`), so the Slack desktop app
 *   updating itself from 4.41 to 4.42 is not a new agent;
 * - a sign-in with a family nobody in the organization used during the baseline (`baselineDays`) is
 *   new; judged once the detection's state reaches back a full baseline (a backfill at install
 *   brings it at once; ops status shows the rule learning until then);
 * - a scripted client (`scriptedUserAgents`: python-requests, curl, headless browsers…) signing in,
 *   downloading or uploading is flagged at once, with no baseline needed.
 */
import { type Crossing, defineDetection, fields } from '../define';
import { mergeByItem } from '../window-math';
import { actorFacts } from './common';

const MAX_UA_KEY = 512;

export const SCRIPTED_USER_AGENTS = [
  'python-requests',
  'python-urllib',
  'python-httpx',
  'aiohttp',
  'curl/',
  'wget/',
  'go-http-client',
  'okhttp',
  'axios/',
  'node-fetch',
  'undici',
  'postmanruntime',
  'insomnia',
  'headlesschrome',
  'phantomjs',
  'libwww-perl',
  'java/',
  'apache-httpclient',
  'powershell',
] as const;

/** A user agent's family: its text with version numbers replaced by `*`. */
export function userAgentFamily(ua: string): string {
  return ua
    .trim()
    .replace(/\d+(?:[._]\d+)*/g, '*')
    .slice(0, MAX_UA_KEY);
}

export const unknownUserAgent = defineDetection({
  id: 'slack.audit.unknown-user-agent',
  title: 'Slack sign-in with a never-seen or scripted user agent',
  description:
    'A user signed in with a user agent family nobody in the organization used during the baseline period (new tooling, or an attacker’s client), or a scripted client signed in or moved files.',
  severity: 'low',
  mitre: ['TA0001:T1078'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['user_login', 'file_downloaded', 'file_uploaded'],
  learningDays: (c) => c.baselineDays,
  config: {
    baselineDays: fields.days(14),
    ignoreUserAgentPatterns: fields.list(),
    /** Case-insensitive substrings of user agents flagged at once (sign-ins, downloads, uploads). */
    scriptedUserAgents: fields.list(SCRIPTED_USER_AGENTS),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const ua = (row.UserAgent ?? '').trim();
    const user = row.ActorUserId;
    if (ua === '' || user === undefined) return null;
    const lower = ua.toLowerCase();
    if (config.ignoreUserAgentPatterns.some((p) => lower.includes(p.toLowerCase()))) return null;
    const scripted = config.scriptedUserAgents.some((p) => lower.includes(p.toLowerCase()));
    if (!scripted && row.Action !== 'user_login') return null;
    const family = userAgentFamily(ua);
    return {
      dedupeKey: scripted ? `scripted:${family}` : family,
      subject: { type: 'user-agent', id: family.slice(0, 256) },
      item: user,
      t: row.DateCreate,
      label: row.ActorUserName ?? row.ActorEmail ?? user,
      facts: { ...actorFacts(row), userAgent: ua.slice(0, 256) },
    };
  },
  window: {
    kind: 'custom',
    windowSeconds: (c) => c.baselineDays * 86_400,
    evaluate(window, config, env): Crossing | null {
      const users = mergeByItem(window.items);
      const first = users[0];
      if (first === undefined) return null;
      const scripted = window.dedupeKey.startsWith('scripted:');
      if (!scripted) {
        if (env.observingSince === undefined) return null;
        if (first.t - config.baselineDays * 86_400 < env.observingSince) return null;
      }
      const since = env.since ?? -Infinity;
      const fresh = users.filter((u) => u.tMax > since);
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
  present(crossing, window, config) {
    const scripted = window.dedupeKey.startsWith('scripted:');
    const n = crossing.count;
    return {
      severity: scripted ? 'medium' : 'low',
      title: `${scripted ? 'Scripted client' : 'New user agent'} (${n} user${n === 1 ? '' : 's'}): ${window.subject.id.slice(0, 120)}`,
      why: scripted
        ? 'A scripted client (not a Slack app or browser) signed in or moved files with a user’s credentials.'
        : `Nobody in the organization used this user agent family (versions aside) in the ${config.baselineDays} days before.`,
      evidence: {
        userAgent: window.facts.userAgent ?? window.subject.id,
        users: crossing.items.map((i) => i.label ?? i.item).slice(0, 50),
      },
    };
  },
});
