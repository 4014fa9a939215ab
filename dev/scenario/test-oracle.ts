/**
 * Test-only reference implementation of the detection catalogue, written independently of the
 * generator and of src/detections (own word lists, own thresholds, own egress learning) so tests can
 * check that background stays silent, that its near misses sit exactly at a threshold, and that
 * incidents fire exactly. Returns the findings plus the highest count each rule saw.
 */
import type { AuditEntry, MerakiUplinkChange, MerakiUplinkStatus, SlackFile } from './wire-types';

export interface OracleInput {
  entries: readonly AuditEntry[];
  files: readonly SlackFile[];
  sensitiveChannelIds: readonly string[];
  knownEgressIps: readonly string[];
  uplinkChanges: readonly MerakiUplinkChange[];
  /** Uplink statuses before any change (the steady state). */
  baselineUplinks: readonly MerakiUplinkStatus[];
  /**
   * Uplink statuses as a poller saw them, oldest first (epoch ms). When given, the Meraki rules read
   * these instead of the baseline and the changes.
   */
  uplinkPolls?: readonly { at: number; statuses: readonly MerakiUplinkStatus[] }[];
}

export interface OracleResult {
  findings: Set<string>;
  maxCounts: Record<string, number>;
}

// Keywords and sensitive names are whole words (separators and camelCase split words), never a
// substring inside another word: `key` is not in `Keynote`, `secret` not in `Secretary`.
const words = (name: string): string =>
  ` ${name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Za-z])([0-9])|([0-9])([A-Za-z])/g, '$1$3 $2$4')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '')
    .join(' ')} `;
const KEYWORD_WORDS = [
  'password',
  'passwords',
  'passwd',
  'confidential',
  'salary',
  'salaries',
  'payroll',
  'ssn',
  'social security',
  'secret',
  'secrets',
  'merger',
  'acquisition',
  'credential',
  'credentials',
  'bank details',
];
const hasWord = (name: string, list: readonly string[]): boolean => list.some((w) => words(name).includes(` ${w} `));
const MEDIA = /\.(png|jpe?g|gif|bmp|heic|webp|svg|tiff?|mp4|mov|avi|mkv|webm|m4v)$/i;
const ARCHIVE = /\.(tar|bz2|gz|tgz|Z|tbz2|zst|zip|zipx|7z|rar|sfx)$/;
const LINK_SENSITIVE_WORDS = [
  'id rsa',
  'id dsa',
  'id ecdsa',
  'id ed25519',
  'private key',
  'secret key',
  'api key',
  'apikey',
  'ssh key',
  'password',
  'passwords',
  'credentials',
  'config json',
  'package json',
  'gemfile',
  'bower json',
  'config gypi',
  'travis yml',
];
const LINK_SENSITIVE_NAMES =
  /\.(pem|p12|pfx|kdbx|npmrc|muttrc|gitconfig|netrc|pgpass|env|ssh)$|^\.(ssh|npmrc|muttrc|gitconfig|netrc|pgpass|env)$/i;

/** The network an address counts as (a user's "place"): IPv4 /24, IPv6 /64. */
function networkOf(ip: string): string {
  if (!ip.includes(':')) return ip.split('.').slice(0, 3).join('.');
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':');
}

/** Max count of events per key within any window of `windowSec` (inclusive span). */
function slidingMax(events: readonly { key: string; t: number }[], windowSec: number): Map<string, number> {
  const byKey = new Map<string, number[]>();
  for (const e of events) {
    const list = byKey.get(e.key) ?? [];
    list.push(e.t);
    byKey.set(e.key, list);
  }
  const out = new Map<string, number>();
  for (const [key, times] of byKey) {
    times.sort((a, b) => a - b);
    let lo = 0;
    let best = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while ((times[hi] ?? 0) - (times[lo] ?? 0) >= windowSec) lo++;
      best = Math.max(best, hi - lo + 1);
    }
    out.set(key, best);
  }
  return out;
}

/** Max distinct values per key within any window. */
function slidingDistinct(
  events: readonly { key: string; t: number; v: string }[],
  windowSec: number,
): Map<string, number> {
  const byKey = new Map<string, { t: number; v: string }[]>();
  for (const e of events) {
    const list = byKey.get(e.key) ?? [];
    list.push(e);
    byKey.set(e.key, list);
  }
  const out = new Map<string, number>();
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.t - b.t);
    const counts = new Map<string, number>();
    let lo = 0;
    let best = 0;
    for (const cur of list) {
      counts.set(cur.v, (counts.get(cur.v) ?? 0) + 1);
      while (cur.t - (list[lo]?.t ?? 0) >= windowSec) {
        const old = list[lo]?.v ?? '';
        const c = (counts.get(old) ?? 0) - 1;
        if (c === 0) counts.delete(old);
        else counts.set(old, c);
        lo++;
      }
      best = Math.max(best, counts.size);
    }
    out.set(key, best);
  }
  return out;
}

export function runOracle(input: OracleInput): OracleResult {
  const findings = new Set<string>();
  const maxCounts: Record<string, number> = {};
  const threshold = (id: string, counts: Map<string, number>, limit: number): void => {
    let max = 0;
    for (const [subject, n] of counts) {
      max = Math.max(max, n);
      if (n > limit) findings.add(`${id}|${subject}`);
    }
    maxCounts[id] = max;
  };
  const single = (id: string, subjects: Iterable<string>): void => {
    let n = 0;
    for (const s of subjects) {
      findings.add(`${id}|${s}`);
      n++;
    }
    maxCounts[id] = n;
  };
  const fileById = new Map(input.files.map((f) => [f.id, f] as const));
  const sensitiveChannels = new Set(input.sensitiveChannelIds);
  const egress = new Set(input.knownEgressIps);
  const es = input.entries;
  const dl = es.filter((e) => e.action === 'file_downloaded');
  const actor = (e: AuditEntry): string => e.actor.user.id;
  const entityUser = (e: AuditEntry): string => (e.entity.type === 'user' ? e.entity.user.id : '');
  const fileName = (e: AuditEntry): string => (e.entity.type === 'file' ? e.entity.file.name : '');

  // Mass download, per user and address: a burst (more than 15 within an hour) at once; a day's
  // volume (24 h) above the user's bar: 40 while the pair has less than 7 days of history or fewer
  // than 5 days with downloads in it, then the larger of 20 and twice the busiest 24 h of the
  // previous 14 days (before the day's first event).
  const massKey = (e: AuditEntry) => `${actor(e)}|${e.context.ip_address}`;
  const burst = slidingMax(
    dl.map((e) => ({ key: massKey(e), t: e.date_create })),
    3_600,
  );
  const volume = new Map<string, number>();
  let volumeMargin = -Infinity;
  const byPair = new Map<string, number[]>();
  for (const e of dl) byPair.set(massKey(e), [...(byPair.get(massKey(e)) ?? []), e.date_create]);
  for (const [key, unsorted] of byPair) {
    const times = [...unsorted].sort((a, b) => a - b);
    const busiest = (from: number, to: number): number => {
      const inRange = times.filter((t) => t >= from && t < to);
      return Math.max(
        0,
        ...slidingMax(
          inRange.map((t) => ({ key: '', t })),
          86_400,
        ).values(),
      );
    };
    for (let first = 0; first < times.length; first++) {
      const start = times[first] ?? 0;
      let n = 0;
      while (first + n < times.length && (times[first + n] ?? 0) - start < 86_400) n++;
      const activeDays = new Set(
        times.filter((t) => t >= start - 14 * 86_400 && t < start - 86_400).map((t) => Math.floor(t / 86_400)),
      ).size;
      const learned = start - (times[0] ?? start) >= 7 * 86_400 && activeDays >= 5;
      const bar = learned ? Math.max(20, Math.ceil(2 * busiest(start - 14 * 86_400, start - 86_400))) : 40;
      volumeMargin = Math.max(volumeMargin, n - bar);
      if (n > bar) volume.set(key, n);
    }
  }
  threshold('slack.audit.mass-download', mapKeys(burst), 15);
  for (const key of volume.keys()) findings.add(`slack.audit.mass-download|${key.split('|')[0] ?? key}`);
  maxCounts['slack.audit.mass-download/volume-margin'] = volumeMargin;

  const isSensitive = (e: AuditEntry): boolean => {
    const f = e.entity.type === 'file' ? fileById.get(e.entity.file.id) : undefined;
    return /daily_vitals/i.test(fileName(e)) || (f?.channels.some((c) => sensitiveChannels.has(c)) ?? false);
  };
  threshold(
    'slack.audit.sensitive-file-downloads',
    slidingMax(
      dl.filter(isSensitive).map((e) => ({ key: actor(e), t: e.date_create })),
      14 * 86_400,
    ),
    10,
  );
  threshold(
    'slack.audit.filename-keyword',
    slidingMax(
      dl
        .filter((e) => hasWord(fileName(e), KEYWORD_WORDS) && !MEDIA.test(fileName(e)))
        .map((e) => ({ key: actor(e), t: e.date_create })),
      14 * 86_400,
    ),
    10,
  );
  single(
    'slack.audit.blocked-mfa-login',
    new Set(
      es.filter((e) => e.action === 'user_login_failed' && e.details?.reason === 'two_factor_auth_required').map(actor),
    ),
  );
  threshold(
    'slack.audit.failed-logins-one-ip',
    slidingMax(
      es.filter((e) => e.action === 'user_login_failed').map((e) => ({ key: e.context.ip_address, t: e.date_create })),
      300,
    ),
    10,
  );
  // The org's egress: its offices' uplinks, and any address 5 or more users signed in from on 3 or
  // more earlier days (an office NAT, a VPN) is shared by the time it is judged.
  const loginUsersByIpDay = new Map<string, Map<number, Set<string>>>();
  for (const e of es) {
    if (e.action !== 'user_login') continue;
    const days = loginUsersByIpDay.get(e.context.ip_address) ?? new Map<number, Set<string>>();
    const day = Math.floor(e.date_create / 86_400);
    days.set(day, (days.get(day) ?? new Set()).add(actor(e)));
    loginUsersByIpDay.set(e.context.ip_address, days);
  }
  const sharedBy = (ip: string, t: number): boolean =>
    [...(loginUsersByIpDay.get(ip) ?? new Map<number, Set<string>>())].filter(
      ([day, users]) => day < Math.floor(t / 86_400) && users.size >= 5,
    ).length >= 3;
  const isEgress = (ip: string, t: number): boolean => egress.has(ip) || sharedBy(ip, t);
  threshold(
    'slack.audit.many-users-one-ip',
    slidingDistinct(
      es
        .filter((e) => e.action === 'user_login' && !isEgress(e.context.ip_address, e.date_create))
        .map((e) => ({ key: e.context.ip_address, t: e.date_create, v: actor(e) })),
      86_400,
    ),
    10,
  );
  // Activity from an address a spray or many-users finding is about is that finding's (its victims),
  // not the user acting from many places.
  const suspectIps = new Set(
    [...findings]
      .filter(
        (f) => f.startsWith('slack.audit.failed-logins-one-ip|') || f.startsWith('slack.audit.many-users-one-ip|'),
      )
      .map((f) => f.slice(f.indexOf('|') + 1)),
  );
  threshold(
    'slack.audit.user-many-ips',
    slidingDistinct(
      es
        .filter((e) => e.context.ip_address !== '' && e.action !== 'user_login_failed')
        .filter((e) => !isEgress(e.context.ip_address, e.date_create) && !suspectIps.has(e.context.ip_address))
        .map((e) => ({ key: actor(e), t: e.date_create, v: networkOf(e.context.ip_address) })),
      7 * 86_400,
    ),
    3,
  );
  single('slack.audit.anomaly', new Set(es.filter((e) => e.action === 'anomaly').map(entityUser)));
  single(
    'slack.audit.privilege-escalation',
    new Set(
      es
        .filter((e) => ['role_change_to_admin', 'role_change_to_owner', 'owner_transferred'].includes(e.action))
        .map(entityUser),
    ),
  );
  threshold(
    'slack.audit.archive-upload-burst',
    slidingMax(
      es
        .filter((e) => e.action === 'file_uploaded' && ARCHIVE.test(fileName(e)))
        .map((e) => ({ key: actor(e), t: e.date_create })),
      900,
    ),
    10,
  );
  single(
    'slack.audit.public-link-sensitive-file',
    new Set(
      es
        .filter(
          (e) =>
            e.action === 'file_public_link_created' &&
            (hasWord(fileName(e), LINK_SENSITIVE_WORDS) || LINK_SENSITIVE_NAMES.test(fileName(e))),
        )
        .map(actor),
    ),
  );
  single('slack.audit.empty-user-agent', new Set(es.filter((e) => e.context.ua.trim() === '').map(actor)));

  const deactivations = es.filter((e) => e.action === 'user_deactivated');
  const afterDeactivation = new Set<string>();
  for (const d of deactivations) {
    const who = entityUser(d);
    if (
      es.some(
        (e) =>
          e.action === 'user_login' &&
          actor(e) === who &&
          e.date_create > d.date_create &&
          e.date_create <= d.date_create + 86_400,
      )
    ) {
      afterDeactivation.add(who);
    }
  }
  single('slack.audit.login-after-deactivation', afterDeactivation);
  threshold(
    'slack.audit.session-reset-burst',
    slidingMax(
      es
        .filter((e) =>
          ['user_session_reset_by_admin', 'user_session_invalidated', 'bulk_session_reset_by_admin'].includes(e.action),
        )
        .map((e) => ({ key: entityUser(e), t: e.date_create })),
      86_400,
    ),
    60,
  );

  // Meraki, over each MX's uplink statuses in time order (polls, or the steady state then every change).
  const timelines = uplinkTimelines(input);
  const failovers: { key: string; t: number }[] = [];
  const statusChanges: { key: string; t: number }[] = [];
  const activeIps: { key: string; t: number; v: string }[] = [];
  const offline = new Map<string, number>();
  for (const [serial, timeline] of timelines) {
    // An interface that went down while carrying traffic, and one that became active: paired within
    // 30 minutes they are a failover. A renewed address on an interface that stays active is not.
    const wentDown = new Map<string, number>();
    const cameUp = new Map<string, number>();
    let previous: ReadonlyMap<string, MerakiUplinkStatus['uplinks'][number]> | undefined;
    let offlineSince: number | undefined;
    for (const { t, uplinks } of timeline) {
      for (const [iface, now] of uplinks) {
        const before = previous?.get(iface);
        if (before !== undefined && before.status !== now.status) statusChanges.push({ key: `${serial}|${iface}`, t });
        if (before?.status === 'active' && DOWN.has(now.status)) wentDown.set(iface, t);
        if (before !== undefined && before.status !== 'active' && now.status === 'active') cameUp.set(iface, t);
        if (now.status === 'active') {
          wentDown.delete(iface);
          if (now.publicIp !== null) activeIps.push({ key: serial, t, v: now.publicIp });
        } else cameUp.delete(iface);
      }
      for (const [up, tUp] of [...cameUp]) {
        const down = [...wentDown].find(([iface, tDown]) => iface !== up && Math.abs(tDown - tUp) <= 1_800);
        if (down === undefined) continue;
        failovers.push({ key: serial, t });
        wentDown.delete(down[0]);
        cameUp.delete(up);
      }
      const anyActive = [...uplinks.values()].some((u) => u.status === 'active');
      if (anyActive) offlineSince = undefined;
      else {
        offlineSince ??= t;
        offline.set(serial, Math.max(offline.get(serial) ?? 0, t - offlineSince));
      }
      previous = uplinks;
    }
  }
  // Any failover raises; more than one public IP in 30 minutes is the rule's former near-miss (a lease).
  threshold('meraki.uplink.public-ip-change', slidingMax(failovers, 1_800), 0);
  maxCounts['meraki.uplink.public-ip-change/public-ips'] = Math.max(0, ...slidingDistinct(activeIps, 1_800).values());
  threshold('meraki.uplink.flapping', mapKeys(slidingMax(statusChanges, 3_600)), 4);
  threshold('meraki.appliance.site-offline', offline, 299);
  return { findings, maxCounts };
}

const DOWN = new Set(['failed', 'not connected', 'connecting']);

type UplinkTimeline = { t: number; uplinks: Map<string, MerakiUplinkStatus['uplinks'][number]> }[];

/** Per MX serial, its uplinks by interface at each time (Unix seconds), ascending. */
function uplinkTimelines(input: OracleInput): Map<string, UplinkTimeline> {
  const out = new Map<string, UplinkTimeline>();
  const add = (atMs: number, status: MerakiUplinkStatus): void => {
    const list = out.get(status.serial) ?? [];
    list.push({ t: Math.floor(atMs / 1000), uplinks: new Map(status.uplinks.map((u) => [u.interface, u])) });
    out.set(status.serial, list);
  };
  if (input.uplinkPolls !== undefined) {
    for (const poll of input.uplinkPolls) for (const status of poll.statuses) add(poll.at, status);
  } else {
    for (const base of input.baselineUplinks) {
      const changes = input.uplinkChanges.filter((c) => c.status.serial === base.serial).sort((a, b) => a.at - b.at);
      // The steady state is what a poll saw just before the first change (or at time 0 if none).
      add(changes[0] === undefined ? 0 : changes[0].at - 300_000, base);
      for (const c of changes) add(c.at, c.status);
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.t - b.t);
  return out;
}

/** mass-download is keyed by user+IP but its subject is the user. */
function mapKeys(m: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of m) {
    const user = k.split('|')[0] ?? k;
    out.set(user, Math.max(out.get(user) ?? 0, v));
  }
  return out;
}
