/**
 * Test-only reference implementation of the detection catalogue, written independently of the
 * generator (own keyword regexes, own thresholds) so tests can check that background stays silent and
 * incidents fire exactly. Returns the findings plus the highest count each rule saw, so tests can also
 * assert a safety margin under each threshold.
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
}

export interface OracleResult {
  findings: Set<string>;
  maxCounts: Record<string, number>;
}

const KEYWORD =
  /password|passwd|confidential|salary|salaries|payroll|ssn|social_security|secret|merger|acquisition|credential|bank_details/i;
const MEDIA = /\.(png|jpe?g|gif|bmp|heic|webp|svg|tiff?|mp4|mov|avi|mkv|webm|m4v)$/i;
const ARCHIVE = /\.(tar|bz2|gz|tgz|Z|tbz2|zst|zip|zipx|7z|rar|sfx)$/;
const LINK_SENSITIVE =
  /id_rsa|password|key|\.ssh|\.npmrc|\.muttrc|config\.json|\.gitconfig|\.netrc|package\.json|gemfile|bower\.json|config\.gypi|travis\.yml/i;

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

  threshold(
    'slack.audit.mass-download',
    mapKeys(
      slidingMax(
        dl.map((e) => ({ key: `${actor(e)}|${e.context.ip_address}`, t: e.date_create })),
        86_400,
      ),
    ),
    20,
  );

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
        .filter((e) => KEYWORD.test(fileName(e)) && !MEDIA.test(fileName(e)))
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
  threshold(
    'slack.audit.user-many-ips',
    slidingDistinct(
      es
        .filter((e) => e.context.ip_address !== '')
        .map((e) => ({ key: actor(e), t: e.date_create, v: e.context.ip_address })),
      7 * 86_400,
    ),
    3,
  );
  threshold(
    'slack.audit.many-users-one-ip',
    slidingDistinct(
      es
        .filter((e) => e.action === 'user_login' && !egress.has(e.context.ip_address))
        .map((e) => ({ key: e.context.ip_address, t: e.date_create, v: actor(e) })),
      86_400,
    ),
    10,
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
    new Set(es.filter((e) => e.action === 'file_public_link_created' && LINK_SENSITIVE.test(fileName(e))).map(actor)),
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

  // Meraki: a 5-minute poller of the active uplink's public IP, distinct values per 30 minutes.
  const activeIp = (s: MerakiUplinkStatus): string | null =>
    s.uplinks.find((u) => u.status === 'active')?.publicIp ?? null;
  const polls: { key: string; t: number; v: string }[] = [];
  for (const base of input.baselineUplinks) {
    const changes = input.uplinkChanges.filter((c) => c.status.serial === base.serial).sort((a, b) => a.at - b.at);
    const ip0 = activeIp(base);
    // The steady-state IP is seen by the poll just before the first change (or at time 0 if none).
    const firstAt = changes[0] === undefined ? 0 : Math.floor(changes[0].at / 1000) - 300;
    if (ip0 !== null) polls.push({ key: base.serial, t: firstAt, v: ip0 });
    for (const c of changes) {
      const ip = activeIp(c.status);
      if (ip !== null) polls.push({ key: base.serial, t: Math.floor(c.at / 1000), v: ip });
    }
  }
  threshold('meraki.uplink.public-ip-change', slidingDistinct(polls, 1_800), 1);
  return { findings, maxCounts };
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
