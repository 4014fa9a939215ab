/**
 * Background Slack activity: what a normal org does, generated per person per local day (and per
 * UTC day for admin housekeeping and the org's near misses) from its own PRNG stream, so any
 * interval can be regenerated alone.
 *
 * It is an ordinary org, not a tidy one: offices sign in through their site's NAT (on Mondays more
 * people than the many-users threshold); some remote staff work through the company VPN on some days
 * (an address the detections must learn is shared); hybrid staff use office, home and phone; home IPv4 leases renew inside their /24 and IPv6 privacy addresses
 * rotate daily (org.ts `addressOn`); the desktop app updates itself mid-window; engineers download
 * and upload scripts and config; a few heavy users download 10–16 files a workday (two workdays in
 * a sliding 24 h pass the seed's flat 20); admins onboard, offboard and reset sessions.
 *
 * What keeps it innocent (the oracle in test-oracle.ts recounts each against the rules):
 * - downloads only touch the pre-window corpus, whose names carry no filename keyword; at most 1
 *   from a sensitive channel a day, and only on days where (localDay + person.index) % 4 == 0;
 * - at most 8 downloads per person per local day, 16 for heavy users; never more than 15 in an hour;
 * - at most three networks per person; at most 1 failed login per person per day, never with MFA
 *   details; at most 1 archive upload per person per day; public links only on benign names;
 * - never an anomaly, role change, empty user agent, scripted client or login after deactivation;
 * - near misses (`nearMissDay`) sit exactly at a threshold, never over it.
 */
import {
  appEntity,
  byTime,
  channelEntity,
  enterpriseLocationOf,
  fileEntity,
  locationOf,
  makeEntry,
  userEntity,
} from './audit';
import { isPublicLinkSensitiveName, isSensitiveFileName, hasFilenameKeyword } from './catalogue';
import { CODE_UPLOADS, DOCUMENT_EXTS, PUBLIC_LINK_STEMS, UPLOAD_STEMS, type UaSpec, updatedDesktop } from './data';
import { addressOn, makeFile, type ChannelModel, type OrgModel, type Person } from './org';
import { hash32, IdSpace, Rng, slackId, uuidFrom } from './prng';
import type { AuditApp, AuditEntry, SlackFile } from './wire-types';

const DAY = 86_400;
/** Day numbers in ids are counted from 2020-01-01 so they fit the id key. */
const DAY_KEY_EPOCH = 18_262;

export function dayKey(day: number): number {
  const k = day - DAY_KEY_EPOCH;
  if (k < 0 || k >= 16_384) throw new Error(`scenario dates must fall between 2020 and 2064 (day ${day})`);
  return k;
}

export interface DayActivity {
  entries: AuditEntry[];
  files: SlackFile[];
}

const APPS: readonly AuditApp[] = [
  {
    id: 'A0F7XDUAZ',
    name: 'Zoom',
    is_distributed: true,
    is_directory_approved: true,
    is_workflow_app: false,
    scopes: ['commands', 'chat:write', 'users:read'],
  },
  {
    id: 'A0F7YS25R',
    name: 'Google Drive',
    is_distributed: true,
    is_directory_approved: true,
    is_workflow_app: false,
    scopes: ['links:read', 'links:write', 'files:read'],
  },
  {
    id: 'A2RPP3NFR',
    name: 'Jira Cloud',
    is_distributed: true,
    is_directory_approved: true,
    is_workflow_app: false,
    scopes: ['commands', 'chat:write', 'links:read'],
  },
  {
    id: 'A03AFJ7PLK2',
    name: 'Loom',
    is_distributed: true,
    is_directory_approved: true,
    is_workflow_app: false,
    scopes: ['links:read', 'links:write'],
  },
  {
    id: 'A04L3UDGKS8',
    name: 'Polly',
    is_distributed: true,
    is_directory_approved: true,
    is_workflow_app: false,
    scopes: ['commands', 'chat:write', 'reactions:read'],
  },
];

function weekday(localDay: number): number {
  return (((localDay + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
}

/** Whether the person can act at all at unix second `t`. */
export function isActiveAt(p: Person, t: number): boolean {
  if (p.isBot || p.deletedBeforeWindow) return false;
  return p.deactivatedAt === null || t < activityCutoff(p);
}

/** Background stops 6 h before a planned departure, and at the moment of an incident's deactivation. */
function activityCutoff(p: Person): number {
  if (p.deactivatedAt === null) return Infinity;
  return p.deactivationByIncident ? p.deactivatedAt : p.deactivatedAt - 6 * 3600;
}

interface Device {
  ip: string;
  ua: UaSpec;
  session: number;
}

/** The desktop app a person runs on a day: the next release once it has updated itself. */
export function desktopOn(p: Person, dayStart: number): UaSpec {
  if (p.desktopUpdateAt === null || dayStart + DAY <= p.desktopUpdateAt) return p.desktop;
  return updatedDesktop(p.desktop) ?? p.desktop;
}

function desktopFor(p: Person, localDay: number, dayStart: number): Device | null {
  const wd = weekday(localDay);
  const workday = wd >= 1 && wd <= 5;
  let ip: string | null;
  if (p.style === 'office') ip = workday ? p.officeIp : null;
  else if (p.style === 'hybrid') ip = workday && wd >= 2 && wd <= 4 ? p.officeIp : addressOn(p, 'home', localDay);
  else if (p.vpnIp !== null && workday && hash32('vpn-day', p.id, localDay) % 2 === 0) ip = p.vpnIp;
  else ip = addressOn(p, 'home', localDay);
  return ip === null ? null : { ip, ua: desktopOn(p, dayStart), session: p.desktopSessionId };
}

function mobileFor(p: Person, localDay: number): Device | null {
  const ip = addressOn(p, 'mobile', localDay);
  return p.mobile === null || ip === null || p.mobileSessionId === null
    ? null
    : { ip, ua: p.mobile, session: p.mobileSessionId };
}

/** Corpus files a person may download in background, split by sensitivity. */
export interface FilePools {
  normal: Map<string, SlackFile[]>;
  sensitive: Map<string, SlackFile[]>;
  byId: Map<string, SlackFile>;
  channelById: Map<string, ChannelModel>;
}

export function filePools(org: OrgModel): FilePools {
  const byId = new Map(org.corpus.map((f) => [f.id, f] as const));
  const channelById = new Map(org.channels.map((c) => [c.channel.id, c] as const));
  const normal = new Map<string, SlackFile[]>();
  const sensitive = new Map<string, SlackFile[]>();
  for (const p of org.people) {
    const n: SlackFile[] = [];
    const s: SlackFile[] = [];
    for (const cid of p.channelIds) {
      const c = channelById.get(cid);
      if (c === undefined) continue;
      for (const fid of c.fileIds) {
        const f = byId.get(fid);
        if (f === undefined || hasFilenameKeyword(f.name)) continue;
        if (c.sensitive || isSensitiveFileName(f.name)) s.push(f);
        else n.push(f);
      }
    }
    normal.set(p.id, n);
    sensitive.set(p.id, s);
  }
  return { normal, sensitive, byId, channelById };
}

/** Everything one person does on one local calendar day. */
export function personDay(seed: number, org: OrgModel, pools: FilePools, p: Person, localDay: number): DayActivity {
  if (p.isBot || p.deletedBeforeWindow) return { entries: [], files: [] };
  const rng = Rng.for(seed, 'person-day', p.index, localDay);
  const dayStart = localDay * DAY - p.tzOffsetSec;
  const wd = weekday(localDay);
  const workday = wd >= 1 && wd <= 5;
  const entries: AuditEntry[] = [];
  const files: SlackFile[] = [];
  let seq = 0;
  const dk = dayKey(localDay);
  const nextId = (): string => uuidFrom(seed, IdSpace.backgroundUser, p.index, dk, seq++);

  const present = workday ? rng.chance(0.93) : rng.chance(0.18);
  if (!present) return { entries, files };
  const desktop = workday ? desktopFor(p, localDay, dayStart) : null;
  const mobile = mobileFor(p, localDay);
  const main = desktop ?? mobile;
  if (main === null) return { entries, files };

  const startH = workday ? Math.min(11, Math.max(6.5, rng.normal(8.9, 0.6))) : rng.normal(11, 1.5);
  const endH = workday ? Math.min(21, Math.max(startH + 4, rng.normal(17.7, 0.8))) : startH + rng.normal(2, 0.7);
  const timeIn = (h0: number, h1: number): number =>
    Math.floor(dayStart + (h0 + rng.next() * Math.max(0.1, h1 - h0)) * 3600);
  const startT = Math.floor(dayStart + startH * 3600);
  const device = (): Device => (mobile !== null && (desktop === null || rng.chance(0.15)) ? mobile : main);
  const loc = locationOf(org, p.primaryTeamId);
  const self = userEntity(org, p);

  // Monday mornings at the office, many sign in again (sessions that lapsed over the weekend), so an
  // office NAT sees more people a day than the many-users rule's threshold.
  const monday = wd === 1 && desktop !== null && desktop.ip === p.officeIp;
  if (rng.chance(workday ? (monday ? 0.4 : 0.12) : 0.05)) {
    if (rng.chance(0.015 / 0.12)) {
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: startT - rng.int(20, 90),
          action: 'user_login_failed',
          actor: p,
          entity: self,
          location: loc,
          ua: main.ua.ua,
          ip: main.ip,
          sessionId: null,
        }),
      );
    }
    entries.push(
      makeEntry(org, {
        id: nextId(),
        at: startT,
        action: 'user_login',
        actor: p,
        entity: self,
        location: loc,
        ua: main.ua.ua,
        ip: main.ip,
        sessionId: main.session,
      }),
    );
  }
  if (mobile !== null && rng.chance(0.04)) {
    const t = timeIn(startH, endH);
    entries.push(
      makeEntry(org, {
        id: nextId(),
        at: t,
        action: 'user_login',
        actor: p,
        entity: self,
        location: loc,
        ua: mobile.ua.ua,
        ip: mobile.ip,
        sessionId: mobile.session,
      }),
    );
  }

  // Downloads: ≤ 8 a day (16 for heavy users), at most one from a sensitive channel on the person's
  // sensitive days.
  const normalPool = pools.normal.get(p.id) ?? [];
  const sensitivePool = pools.sensitive.get(p.id) ?? [];
  let downloads = p.heavy
    ? Math.min(workday ? 16 : 2, Math.max(workday ? 10 : 0, rng.poisson(workday ? 13 : 0.5)))
    : Math.min(workday ? 8 : 2, rng.poisson((workday ? 2.3 : 0.4) * p.activity));
  // A heavy user's folder day: 15 files within 45 minutes in the morning (the burst rule fires above
  // 15 in an hour), the day's last download hours later, nothing else.
  const folderDay = p.heavy && workday && (localDay + p.index) % 5 === 0 && normalPool.length > 0;
  const sensitiveDay = !folderDay && sensitivePool.length > 0 && (localDay + p.index) % 4 === 0 && rng.chance(0.6);
  if (sensitiveDay) {
    const f = rng.pick(sensitivePool);
    const d = device();
    entries.push(
      makeEntry(org, {
        id: nextId(),
        at: timeIn(startH, endH),
        action: 'file_downloaded',
        actor: p,
        entity: fileEntity(f),
        location: locationOf(org, f.user_team),
        ua: d.ua.ua,
        ip: d.ip,
        sessionId: d.session,
      }),
    );
    downloads = Math.min(downloads, p.heavy ? 15 : 7);
  }
  if (folderDay) downloads = 16;
  for (let i = 0; i < downloads && normalPool.length > 0; i++) {
    const f = rng.pick(normalPool);
    const d = folderDay ? main : device();
    const at = !folderDay
      ? timeIn(startH, endH)
      : i < 15
        ? startT + 600 + i * 180
        : Math.floor(dayStart + (endH - 0.5) * 3600);
    entries.push(
      makeEntry(org, {
        id: nextId(),
        at,
        action: 'file_downloaded',
        actor: p,
        entity: fileEntity(f),
        location: locationOf(org, f.user_team),
        ua: d.ua.ua,
        ip: d.ip,
        sessionId: d.session,
      }),
    );
  }

  // Uploads create new files (never archives more than once a day), often shared to a channel.
  const uploads = Math.min(3, rng.poisson((workday ? 0.8 : 0.1) * p.activity));
  let archived = false;
  const memberChannels = p.channelIds
    .map((c) => pools.channelById.get(c))
    .filter((c): c is ChannelModel => c !== undefined);
  const ws = (teamId: string): string => org.workspaces.find((w) => w.id === teamId)?.domain ?? 'acme';
  const engineer = p.department === 'engineering';
  for (let i = 0; i < uploads; i++) {
    let ext: string = rng.pick(DOCUMENT_EXTS);
    if (!archived && rng.chance(0.03)) {
      ext = rng.pick(['zip', '7z']);
      archived = true;
    }
    const channel = memberChannels.length > 0 && rng.chance(0.65) ? rng.pick(memberChannels) : null;
    const teamId = channel?.workspaceId ?? p.primaryTeamId;
    const t = timeIn(startH, endH);
    let stem = `${rng.pick(UPLOAD_STEMS)} ${new Date(t * 1000).toISOString().slice(0, 10)}${i > 0 ? ` (${i + 1})` : ''}`;
    if (engineer && ext !== 'zip' && ext !== '7z' && rng.chance(0.3)) {
      // Engineers share snippets and config files.
      const name = rng.pick(CODE_UPLOADS);
      stem = name.slice(0, name.lastIndexOf('.'));
      ext = name.slice(name.lastIndexOf('.') + 1);
    }
    const file = makeFile({
      id: slackId('F', seed, IdSpace.uploadFile, p.index, dk, i),
      stem,
      ext,
      created: t,
      user: p,
      teamId,
      channelIds: channel === null ? [] : [channel.channel.id],
      rng,
      workspaceDomain: ws(teamId),
    });
    files.push(file);
    const d = device();
    entries.push(
      makeEntry(org, {
        id: nextId(),
        at: t,
        action: 'file_uploaded',
        actor: p,
        entity: fileEntity(file),
        location: locationOf(org, teamId),
        ua: d.ua.ua,
        ip: d.ip,
        sessionId: d.session,
      }),
    );
    if (channel !== null) {
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: t + rng.int(1, 4),
          action: 'file_shared',
          actor: p,
          entity: fileEntity(file),
          location: locationOf(org, teamId),
          ua: d.ua.ua,
          ip: d.ip,
          sessionId: d.session,
          details: { channel_id: channel.channel.id },
        }),
      );
    }
  }

  // A benign public link now and then (marketing material).
  if (workday && rng.chance(0.012)) {
    const t = timeIn(startH, endH);
    const stem = rng.pick(PUBLIC_LINK_STEMS);
    if (!isPublicLinkSensitiveName(stem)) {
      const file = makeFile({
        id: slackId('F', seed, IdSpace.uploadFile, p.index, dk, 10),
        stem,
        ext: 'pdf',
        created: t,
        user: p,
        teamId: p.primaryTeamId,
        channelIds: [],
        rng,
        workspaceDomain: ws(p.primaryTeamId),
      });
      file.is_public = true;
      file.public_url_shared = true;
      file.permalink_public = `https://slack-files.com/${p.primaryTeamId}-${file.id}-${rng.hex(10)}`;
      files.push(file);
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: t,
          action: 'file_uploaded',
          actor: p,
          entity: fileEntity(file),
          location: loc,
          ua: main.ua.ua,
          ip: main.ip,
          sessionId: main.session,
        }),
      );
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: t + rng.int(30, 300),
          action: 'file_public_link_created',
          actor: p,
          entity: fileEntity(file),
          location: loc,
          ua: main.ua.ua,
          ip: main.ip,
          sessionId: main.session,
        }),
      );
    }
  }

  if (rng.chance(0.05)) {
    const publicChannels = org.channels.filter((c) => !c.channel.is_private && p.teamIds.includes(c.workspaceId));
    if (publicChannels.length > 0) {
      const c = rng.pick(publicChannels);
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: timeIn(startH, endH),
          action: 'user_channel_join',
          actor: p,
          entity: channelEntity(c),
          location: locationOf(org, c.workspaceId),
          ua: main.ua.ua,
          ip: main.ip,
          sessionId: main.session,
          details: { is_workflow: false },
        }),
      );
    }
  }
  if (rng.chance(0.01)) {
    entries.push(
      makeEntry(org, {
        id: nextId(),
        at: timeIn(startH, endH),
        action: 'user_profile_updated',
        actor: p,
        entity: self,
        location: loc,
        ua: main.ua.ua,
        ip: main.ip,
        sessionId: main.session,
      }),
    );
  }
  if (rng.chance(workday ? 0.04 : 0.02)) {
    entries.push(
      makeEntry(org, {
        id: nextId(),
        at: Math.floor(dayStart + endH * 3600),
        action: 'user_logout',
        actor: p,
        entity: self,
        location: loc,
        ua: main.ua.ua,
        ip: main.ip,
        sessionId: main.session,
      }),
    );
  }

  const cutoff = activityCutoff(p);
  return {
    entries: entries.filter((e) => e.date_create < cutoff).sort(byTime),
    files: files.filter((f) => f.created < cutoff),
  };
}

/** Org-level housekeeping by admins on one UTC day: app installs, a session reset, scheduled deactivations. */
export function adminDay(seed: number, org: OrgModel, day: number): DayActivity {
  const rng = Rng.for(seed, 'admin-day', day);
  const entries: AuditEntry[] = [];
  const dk = dayKey(day);
  let seq = 0;
  const nextId = (): string => uuidFrom(seed, IdSpace.backgroundAdmin, 0, dk, seq++);
  const dayStart = day * DAY;
  const admins = org.people.filter((p) => p.isAdmin && !p.isBot && !p.deletedBeforeWindow);
  if (admins.length === 0) return { entries, files: [] };
  const ent = enterpriseLocationOf(org);
  const adminDevice = (a: Person): { ip: string; ua: string; session: number } => ({
    ip: a.officeIp ?? addressOn(a, 'home', day) ?? addressOn(a, 'mobile', day) ?? '',
    ua: desktopOn(a, dayStart).ua,
    session: a.desktopSessionId,
  });
  // Admin hours: 14:00-22:00 UTC covers US and UK working time.
  const at = (): number => dayStart + rng.int(14 * 3600, 22 * 3600);
  const wd = weekday(day);
  if (wd >= 1 && wd <= 5 && rng.chance(0.1)) {
    const a = rng.pick(admins);
    const d = adminDevice(a);
    const app = rng.pick(APPS);
    entries.push(
      makeEntry(org, {
        id: nextId(),
        at: at(),
        action: 'app_installed',
        actor: a,
        entity: appEntity(app),
        location: locationOf(org, rng.pick(org.workspaces).id),
        ua: d.ua,
        ip: d.ip,
        sessionId: d.session,
        details: { is_internal_integration: false, granular_bot_token: true, bot_scopes: app.scopes },
      }),
    );
  }
  if (wd >= 1 && wd <= 5 && rng.chance(0.2)) {
    const a = rng.pick(admins);
    const d = adminDevice(a);
    // Incident deactivations do not steer housekeeping, so injecting one never rewrites a served day.
    const targets = org.people.filter(
      (p) =>
        !p.isBot &&
        !p.isPrimaryOwner &&
        !p.deletedBeforeWindow &&
        (p.deactivatedAt === null || p.deactivationByIncident || p.deactivatedAt > dayStart + DAY),
    );
    if (targets.length > 0) {
      const target = rng.pick(targets);
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: at(),
          action: 'user_session_reset_by_admin',
          actor: a,
          entity: userEntity(org, target),
          location: ent,
          ua: d.ua,
          ip: d.ip,
          sessionId: d.session,
          details: { mobile_only: false, web_only: false, non_sso_only: false },
        }),
      );
    }
  }
  for (const p of org.people) {
    if (p.deactivatedAt === null || p.deactivationByIncident) continue;
    if (p.deactivatedAt >= dayStart && p.deactivatedAt < dayStart + DAY) {
      const a = admins.find((x) => x.department === 'it') ?? rng.pick(admins);
      const d = adminDevice(a);
      // Offboarding: sign the leaver out everywhere, then deactivate.
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: p.deactivatedAt - 120,
          action: 'user_session_reset_by_admin',
          actor: a,
          entity: userEntity(org, p),
          location: ent,
          ua: d.ua,
          ip: d.ip,
          sessionId: d.session,
          details: { mobile_only: false, web_only: false, non_sso_only: false },
        }),
      );
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: p.deactivatedAt,
          action: 'user_deactivated',
          actor: a,
          entity: userEntity(org, p),
          location: ent,
          ua: d.ua,
          ip: d.ip,
        }),
      );
    }
  }
  return { entries: entries.sort(byTime), files: [] };
}

/** Near misses upload files under this key of the upload space (people stay below it: at most 4000). */
const NEAR_MISS_KEY = 4_095;

/**
 * Networks of a person's own (home, phone, the VPN until it is learned: an IPv4 /24 or IPv6 /64
 * each); the office is the org's egress.
 */
export function ownNetworksOf(p: Person): number {
  return [p.homeIp, p.mobileIp, p.vpnIp].filter((ip) => ip !== null).length;
}

/**
 * The org's near misses on one UTC day: ordinary events that sit exactly at a rule's threshold and
 * must stay quiet (each is one day a week, picked by hash):
 * - an offsite: 10 people sign in from the hotel's address within three hours (many-users-one-ip
 *   fires above 10); with home and phone, an attendee's own networks reach three, user-many-ips'
 *   near miss;
 * - a stale client: after a password change a desktop app retries 10 times in 4 minutes with the
 *   old password from a home address (failed-logins-user and -one-ip fire above 10 in 5 minutes);
 * - build artifacts: an engineer uploads 10 archives within 12 minutes (archive-upload-burst fires
 *   above 10 in 15 minutes).
 * The heavy users' folder days (15 downloads within an hour) are in `personDay`.
 */
export function nearMissDay(seed: number, org: OrgModel, pools: FilePools, day: number): DayActivity {
  const entries: AuditEntry[] = [];
  const files: SlackFile[] = [];
  const wd = weekday(day);
  if (wd < 1 || wd > 5) return { entries, files };
  const week = Math.floor((day + 3) / 7);
  const dk = dayKey(day);
  let seq = 0;
  const nextId = (): string => uuidFrom(seed, IdSpace.backgroundAdmin, 1, dk, seq++);
  const dayStart = day * DAY;
  const on = (what: string) => 1 + (hash32(seed, 'near-miss', what, week) % 5) === wd;
  const eligible = (p: Person, t: number) =>
    p.nearMisses && !p.isBot && !p.deletedBeforeWindow && isActiveAt(p, t) && !p.isAdmin;
  /** The person's own background actions of a kind within `margin` seconds of `t` (none, for a clean near miss). */
  const ownNear = (p: Person, t: number, action: string, margin: number): boolean => {
    const local = Math.floor((t + p.tzOffsetSec) / DAY);
    return [local - 1, local, local + 1].some((d) =>
      personDay(seed, org, pools, p, d).entries.some(
        (e) => e.action === action && Math.abs(e.date_create - t) <= margin,
      ),
    );
  };

  if (on('offsite')) {
    const rng = Rng.for(seed, 'offsite', day);
    const start = dayStart + 15 * 3600;
    const hotel = `${String(rng.int(96, 97))}.${String(rng.int(0, 255))}.${String(rng.int(0, 255))}.${String(rng.int(2, 254))}`;
    const attendees = rng
      .shuffle(
        org.people.filter(
          // Half the people may go in even weeks, half in odd ones: two offsites they attend are at
          // least 10 days apart, so a week never holds two hotels.
          (p) =>
            eligible(p, start + 4 * 3600) &&
            ownNetworksOf(p) <= 2 &&
            hash32(seed, 'offsite-half', p.index) % 2 === week % 2,
        ),
      )
      .slice(0, 10);
    for (const [i, p] of attendees.entries()) {
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: start + i * 900 + rng.int(0, 600),
          action: 'user_login',
          actor: p,
          entity: userEntity(org, p),
          location: locationOf(org, p.primaryTeamId),
          ua: desktopOn(p, dayStart).ua,
          ip: hotel,
          sessionId: p.desktopSessionId,
        }),
      );
    }
  }

  if (on('stale-client')) {
    const rng = Rng.for(seed, 'stale-client', day);
    const at = dayStart + 20 * 3600 + rng.int(0, 3600);
    const p = rng
      .shuffle(org.people.filter((x) => eligible(x, at + 600) && x.style === 'remote' && x.homeIp !== null))
      .find((x) => !ownNear(x, at, 'user_login_failed', 900));
    if (p !== undefined) {
      const ip = addressOn(p, 'home', Math.floor((at + p.tzOffsetSec) / DAY)) ?? '';
      const ua = desktopOn(p, dayStart).ua;
      const base = { actor: p, entity: userEntity(org, p), location: locationOf(org, p.primaryTeamId), ua, ip };
      for (let i = 0; i < 10; i++)
        entries.push(
          makeEntry(org, { ...base, id: nextId(), at: at + i * 24, action: 'user_login_failed', sessionId: null }),
        );
      entries.push(
        makeEntry(org, { ...base, id: nextId(), at: at + 420, action: 'user_login', sessionId: p.desktopSessionId }),
      );
    }
  }

  if (on('artifacts')) {
    const rng = Rng.for(seed, 'artifacts', day);
    const at = dayStart + 17 * 3600 + rng.int(0, 3600);
    const p = rng
      .shuffle(org.people.filter((x) => eligible(x, at + 900) && x.department === 'engineering'))
      .find((x) => !ownNear(x, at, 'file_uploaded', 1_800));
    if (p !== undefined) {
      const ip = p.officeIp ?? addressOn(p, 'home', Math.floor((at + p.tzOffsetSec) / DAY)) ?? '';
      for (let i = 0; i < 10; i++) {
        const t = at + i * 70;
        const file = makeFile({
          id: slackId('F', seed, IdSpace.uploadFile, NEAR_MISS_KEY, dk, i),
          stem: `build-${String(dk)}-${String(i + 1)}`,
          ext: 'zip',
          created: t,
          user: p,
          teamId: p.primaryTeamId,
          channelIds: [],
          rng,
          workspaceDomain: org.workspaces.find((w) => w.id === p.primaryTeamId)?.domain ?? 'acme',
        });
        files.push(file);
        entries.push(
          makeEntry(org, {
            id: nextId(),
            at: t,
            action: 'file_uploaded',
            actor: p,
            entity: fileEntity(file),
            location: locationOf(org, p.primaryTeamId),
            ua: desktopOn(p, dayStart).ua,
            ip,
            sessionId: p.desktopSessionId,
          }),
        );
      }
    }
  }
  return { entries: entries.sort(byTime), files };
}

/**
 * Background entries and newly uploaded files in [fromSec, toSec) (half-open), regenerated from
 * the day buckets that overlap it. `cache` lets a live feed reuse buckets between calls.
 */
export function backgroundBetween(
  seed: number,
  org: OrgModel,
  pools: FilePools,
  fromSec: number,
  toSec: number,
  cache?: Map<string, DayActivity>,
): DayActivity {
  const entries: AuditEntry[] = [];
  const files: SlackFile[] = [];
  const bucket = (key: string, make: () => DayActivity): DayActivity => {
    if (cache === undefined) return make();
    let hit = cache.get(key);
    if (hit === undefined) {
      if (cache.size > 20_000) cache.clear();
      hit = make();
      cache.set(key, hit);
    }
    return hit;
  };
  const take = (a: DayActivity): void => {
    for (const e of a.entries) if (e.date_create >= fromSec && e.date_create < toSec) entries.push(e);
    for (const f of a.files) if (f.created >= fromSec && f.created < toSec) files.push(f);
  };
  for (const p of org.people) {
    if (p.isBot || p.deletedBeforeWindow) continue;
    const first = Math.floor((fromSec + p.tzOffsetSec) / DAY);
    const last = Math.floor((toSec - 1 + p.tzOffsetSec) / DAY);
    for (let d = first; d <= last; d++) take(bucket(`p${p.index}:${d}`, () => personDay(seed, org, pools, p, d)));
  }
  for (let d = Math.floor(fromSec / DAY); d <= Math.floor((toSec - 1) / DAY); d++) {
    take(bucket(`a:${d}`, () => adminDay(seed, org, d)));
    take(bucket(`n:${d}`, () => nearMissDay(seed, org, pools, d)));
  }
  entries.sort(byTime);
  files.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
  return { entries, files };
}
