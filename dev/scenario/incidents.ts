/**
 * Injected incidents: each builds its own audit entries (and files, or Meraki artefacts) with ids
 * disjoint from background, tags the detection id(s) it must trigger and the subject the finding is
 * about. Every incident uses people no other incident uses and adds at most one new IP per person
 * (except `user-many-ips`, whose point is to add several), so no incident trips another detection.
 */
import { byTime, enterpriseLocationOf, fileEntity, locationOf, makeEntry, userEntity } from './audit';
import { type FilePools } from './background';
import { DETECTION_IDS, MFA_BLOCKED_LOGIN_DETAILS, type DetectionId } from './catalogue';
import { MOBILE_UAS, TOOL_UAS, hostingIp, type UaSpec } from './data';
import { buildFailover, merakiEventKey, type MerakiModel } from './meraki';
import { makeFile, type OrgModel, type Person } from './org';
import { IdSpace, Rng, slackId, uuidFrom } from './prng';
import type { AuditEntry, MerakiNetworkEvent, MerakiUplinkChange, MerakiWebhookPayload, SlackFile } from './wire-types';

export const INCIDENT_KINDS = [
  'mass-download',
  'sensitive-file-downloads',
  'filename-keyword',
  'blocked-mfa-login',
  'failed-logins-one-ip',
  'user-many-ips',
  'many-users-one-ip',
  'anomaly',
  'privilege-escalation',
  'archive-upload-burst',
  'public-link-sensitive-file',
  'empty-user-agent',
  'login-after-deactivation',
  'session-reset-burst',
  'uplink-failover',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export const INCIDENT_DETECTIONS: Readonly<Record<IncidentKind, readonly DetectionId[]>> = {
  'mass-download': [DETECTION_IDS.massDownload],
  'sensitive-file-downloads': [DETECTION_IDS.sensitiveFileDownloads],
  'filename-keyword': [DETECTION_IDS.filenameKeyword],
  'blocked-mfa-login': [DETECTION_IDS.blockedMfaLogin],
  'failed-logins-one-ip': [DETECTION_IDS.failedLoginsOneIp],
  'user-many-ips': [DETECTION_IDS.userManyIps],
  'many-users-one-ip': [DETECTION_IDS.manyUsersOneIp],
  anomaly: [DETECTION_IDS.anomaly],
  'privilege-escalation': [DETECTION_IDS.privilegeEscalation],
  'archive-upload-burst': [DETECTION_IDS.archiveUploadBurst],
  'public-link-sensitive-file': [DETECTION_IDS.publicLinkSensitiveFile],
  'empty-user-agent': [DETECTION_IDS.emptyUserAgent],
  'login-after-deactivation': [DETECTION_IDS.loginAfterDeactivation],
  'session-reset-burst': [DETECTION_IDS.sessionResetBurst],
  'uplink-failover': [DETECTION_IDS.merakiPublicIpChange],
};

export interface Incident {
  id: string;
  kind: IncidentKind;
  detectionIds: DetectionId[];
  /** User id, IP, or device serial, per `subjectType`. */
  subject: string;
  subjectType: 'user' | 'ip' | 'device';
  description: string;
  /** Epoch ms of the first and last event. */
  startAt: number;
  endAt: number;
  /** Audit entry ids; for Meraki: uplink-change keys, `merakiEventKey`s and webhook `alertId`s. */
  eventIds: string[];
  /** Every person involved (actors and targets). */
  userIds: string[];
}

export interface IncidentBuild {
  incident: Incident;
  entries: AuditEntry[];
  files: SlackFile[];
  uplinkChanges: MerakiUplinkChange[];
  merakiEvents: MerakiNetworkEvent[];
  webhooks: MerakiWebhookPayload[];
  /** Final-state changes to people (users.info) and background cut-offs. */
  personUpdates: { personIndex: number; isAdmin?: boolean; isOwner?: boolean; deactivatedAt?: number }[];
}

export interface IncidentEnv {
  seed: number;
  org: OrgModel;
  meraki: MerakiModel;
  pools: FilePools;
  /** IdSpace.incident for history, IdSpace.liveIncident for live injections. */
  space: number;
  /** Unique number of this incident within its space. */
  seq: number;
  /** Which flavour of a kind (anomaly reason set, admin vs owner, failover site). */
  variant: number;
  /** Allocates people no other incident has used. */
  takePeople: (n: number, filter?: (p: Person) => boolean) => Person[];
  /** Addresses already used anywhere in the scenario; fresh ones are added. */
  usedIps: Set<string>;
}

const ANOMALY_VARIANTS: readonly { reason: string[]; extra: 'asn' | 'tor' | 'downloads' | 'fingerprint' }[] = [
  { reason: ['asn', 'ip_address'], extra: 'asn' },
  { reason: ['tor'], extra: 'tor' },
  { reason: ['excessive_downloads'], extra: 'downloads' },
  { reason: ['session_fingerprint', 'unexpected_user_agent'], extra: 'fingerprint' },
];

const ARCHIVE_STEMS = [
  'customer-export',
  'repo-backup',
  'design-assets',
  'crm-dump',
  'analytics-extract',
  'shared-drive',
];
const KEYWORD_FILES: readonly [string, string][] = [
  ['Salary bands 2026', 'xlsx'],
  ['Payroll register March', 'csv'],
  ['Confidential - board minutes', 'pdf'],
  ['prod database passwords', 'txt'],
  ['Merger synergies model', 'xlsx'],
  ['Acquisition targets Q3', 'pptx'],
  ['Employee SSN list', 'csv'],
  ['AWS credentials backup', 'txt'],
  ['Secret roadmap FY27', 'docx'],
  ['Vendor bank_details', 'xlsx'],
  ['Salaries by department', 'xlsx'],
  ['Confidential offer letters', 'pdf'],
  ['Payroll adjustments', 'xlsx'],
  ['salary chart', 'png'],
  ['merger announcement video', 'mp4'],
];

/** The i-th item, wrapping around; throws on an empty list. */
function cyclic<T>(list: readonly T[], i: number): T {
  const item = list[i % list.length];
  if (item === undefined) throw new Error('incident needs a non-empty list of candidates');
  return item;
}

/**
 * IP for the spread-out download kinds: the person's own when spread over 10+ days; squeezed (live
 * injection, short windows), a fresh address, so the downloads plus a busy background day never reaches the
 * mass-download count for one IP.
 */
function spreadIp(env: IncidentEnv, rng: Rng, p: Person, atSec: number, untilSec: number): string {
  return untilSec - atSec >= 10 * 86_400 ? personIp(p) : freshIp(env, rng, hostingIp);
}

function personIp(p: Person): string {
  return p.homeIp ?? p.officeIp ?? p.mobileIp ?? '';
}

function personUa(p: Person): UaSpec {
  return p.desktop;
}

function freshIp(env: IncidentEnv, rng: Rng, make: (r: Rng) => string): string {
  for (;;) {
    const ip = make(rng);
    if (!env.usedIps.has(ip)) {
      env.usedIps.add(ip);
      return ip;
    }
  }
}

/**
 * Times spread over [from, to]: one slot each, jittered inside the slot; over several days each
 * lands in 14:00-21:00 UTC of its slot's day (US and UK working hours) when that stays in range.
 */
function spread(rng: Rng, n: number, from: number, to: number): number[] {
  const slot = (to - from) / n;
  return Array.from({ length: n }, (_, i) => {
    const t = Math.floor(from + slot * (i + 0.2 + rng.next() * 0.6));
    if (to - from < 2 * 86_400) return t;
    const snapped = Math.floor(t / 86_400) * 86_400 + rng.int(14 * 3600, 21 * 3600);
    return snapped >= from && snapped <= to ? snapped : t;
  });
}

const normalPeople = (p: Person): boolean =>
  !p.isBot &&
  !p.isAdmin &&
  !p.deletedBeforeWindow &&
  p.deactivatedAt === null &&
  p.department !== 'security' &&
  !p.nearMisses;

/**
 * Builds one incident starting at `atSec`. `untilSec` bounds the spread-out kinds
 * (sensitive/keyword downloads); burst kinds ignore it.
 */
export function buildIncident(kind: IncidentKind, env: IncidentEnv, atSec: number, untilSec: number): IncidentBuild {
  const { seed, org, pools } = env;
  // The spread-out kinds must stay inside one 14-day detection window.
  untilSec = Math.min(untilSec, atSec + 13 * 86_400);
  if (untilSec <= atSec) untilSec = atSec + 20 * 60;
  const rng = Rng.for(seed, 'incident', env.space, env.seq, kind);
  const entries: AuditEntry[] = [];
  const files: SlackFile[] = [];
  const personUpdates: IncidentBuild['personUpdates'] = [];
  let k = 0;
  const nextId = (): string => uuidFrom(seed, env.space, env.seq, 0, k++);
  let fileSeq = 0;
  const newFileId = (): string =>
    slackId('F', seed, IdSpace.incidentFile, env.seq, env.space === IdSpace.incident ? 0 : 1, fileSeq++);
  const wsDomain = (teamId: string): string => org.workspaces.find((w) => w.id === teamId)?.domain ?? 'acme';
  let subject = '';
  let subjectType: Incident['subjectType'] = 'user';
  let description = '';
  const involved: Person[] = [];
  const one = (filter?: (p: Person) => boolean): Person => {
    const [p] = env.takePeople(1, (x) => normalPeople(x) && (filter === undefined || filter(x)));
    if (p === undefined)
      throw new Error(`no unused person left for incident ${kind}; generate the scenario with more users`);
    involved.push(p);
    return p;
  };
  const download = (p: Person, f: SlackFile, at: number, ip: string, ua: string, sessionId?: number | null): void => {
    entries.push(
      makeEntry(org, {
        id: nextId(),
        at,
        action: 'file_downloaded',
        actor: p,
        entity: fileEntity(f),
        location: locationOf(org, f.user_team),
        ua,
        ip,
        sessionId,
      }),
    );
  };
  let uplinkChanges: MerakiUplinkChange[] = [];
  let merakiEvents: MerakiNetworkEvent[] = [];
  let webhooks: MerakiWebhookPayload[] = [];

  switch (kind) {
    case 'mass-download': {
      const p = one((x) => (pools.normal.get(x.id)?.length ?? 0) >= 10);
      const pool = pools.normal.get(p.id) ?? [];
      const ip = personIp(p);
      const n = 32;
      const order = rng.shuffle(pool);
      for (let i = 0; i < n; i++) {
        const f = cyclic(order, i);
        download(p, f, atSec + i * rng.int(60, 110), ip, personUa(p).ua, p.desktopSessionId);
      }
      subject = p.id;
      description = `${p.name} downloaded ${n} files within an hour from ${ip}`;
      break;
    }
    case 'sensitive-file-downloads': {
      const p = one();
      const sensitive = org.corpus.filter((f) =>
        f.channels.some((c) => org.channels.find((x) => x.channel.id === c)?.sensitive === true),
      );
      const n = 13;
      const times = spread(rng, n, atSec, untilSec);
      const ip = spreadIp(env, rng, p, atSec, untilSec);
      const order = rng.shuffle(sensitive);
      for (const [i, t] of times.entries()) download(p, cyclic(order, i), t, ip, personUa(p).ua, p.desktopSessionId);
      subject = p.id;
      description = `${p.name} downloaded ${n} files from sensitive channels over ${Math.round((untilSec - atSec) / 86_400)} days`;
      break;
    }
    case 'filename-keyword': {
      const p = one();
      const channels = org.channels.filter((c) => !c.sensitive && c.channel.members.length > 3);
      const owner = (c: (typeof channels)[number]): Person =>
        org.people.find((x) => x.id === rng.pick(c.channel.members)) ?? p;
      const kwFiles = KEYWORD_FILES.map(([stem, ext]) => {
        const c = rng.pick(channels);
        const f = makeFile({
          id: newFileId(),
          stem,
          ext,
          created: atSec - rng.int(3600, 5 * 86_400),
          user: owner(c),
          teamId: c.workspaceId,
          channelIds: [c.channel.id],
          rng,
          workspaceDomain: wsDomain(c.workspaceId),
        });
        files.push(f);
        return f;
      });
      const times = spread(rng, kwFiles.length, atSec, untilSec);
      const ip = spreadIp(env, rng, p, atSec, untilSec);
      for (const [i, f] of kwFiles.entries()) download(p, f, times[i] ?? atSec, ip, personUa(p).ua, p.desktopSessionId);
      subject = p.id;
      description = `${p.name} downloaded ${kwFiles.length} files with keyword names (${kwFiles.length - 2} counted; an image and a video are excluded)`;
      break;
    }
    case 'blocked-mfa-login': {
      const p = one((x) => !x.has2fa);
      const ip = personIp(p);
      const self = userEntity(org, p);
      for (let i = 0; i < 4; i++) {
        entries.push(
          makeEntry(org, {
            id: nextId(),
            at: atSec + i * rng.int(40, 120),
            action: 'user_login_failed',
            actor: p,
            entity: self,
            location: locationOf(org, p.primaryTeamId),
            ua: personUa(p).ua,
            ip,
            sessionId: null,
            details: { ...MFA_BLOCKED_LOGIN_DETAILS },
          }),
        );
      }
      subject = p.id;
      description = `${p.name} (no 2FA enrolled) was refused sign-in 4 times by the 2FA policy`;
      break;
    }
    case 'failed-logins-one-ip': {
      const targets = env.takePeople(6, normalPeople);
      if (targets.length < 6)
        throw new Error('no unused people left for a password spray; generate the scenario with more users');
      involved.push(...targets);
      const ip = freshIp(env, rng, hostingIp);
      // The last attempt aims at the primary owner: whoever the newest event names must not become
      // the incident's "user" (a response acting on it would do the attacker's work).
      const owner = org.people.find((x) => x.isPrimaryOwner);
      const aimed = owner === undefined ? targets : [...targets, owner];
      const attempts = owner === undefined ? 14 : 15;
      for (let i = 0; i < attempts; i++) {
        const p = i === 14 && owner !== undefined ? owner : cyclic(targets, i);
        entries.push(
          makeEntry(org, {
            id: nextId(),
            at: atSec + Math.floor((i * 230) / 14),
            action: 'user_login_failed',
            actor: p,
            entity: userEntity(org, p),
            location: locationOf(org, p.primaryTeamId),
            ua: TOOL_UAS.python,
            ip,
            sessionId: null,
          }),
        );
      }
      subject = ip;
      subjectType = 'ip';
      description = `Password spray: ${attempts} failed logins against ${aimed.length} accounts from ${ip} in about 4 minutes, the last against the primary owner`;
      break;
    }
    case 'user-many-ips': {
      const p = one();
      const ips = [0, 1, 2, 3].map(() => freshIp(env, rng, hostingIp));
      const pool = pools.normal.get(p.id) ?? [];
      ips.forEach((ip, i) => {
        const t = atSec + i * rng.int(4, 8) * 3600;
        const ua = i % 2 === 0 ? personUa(p).ua : (p.mobile ?? cyclic(MOBILE_UAS, 0)).ua;
        entries.push(
          makeEntry(org, {
            id: nextId(),
            at: t,
            action: 'user_login',
            actor: p,
            entity: userEntity(org, p),
            location: locationOf(org, p.primaryTeamId),
            ua,
            ip,
            sessionId: 1_900_000_000_000 + env.seq * 10 + i,
          }),
        );
        if (pool.length > 0)
          download(p, rng.pick(pool), t + rng.int(60, 600), ip, ua, 1_900_000_000_000 + env.seq * 10 + i);
      });
      subject = p.id;
      const lastAt = entries.reduce((m, e) => Math.max(m, e.date_create), atSec);
      description = `${p.name} signed in from ${ips.length} new IPs within ${Math.round((lastAt - atSec) / 3600)} hours`;
      break;
    }
    case 'many-users-one-ip': {
      const people = env.takePeople(12, normalPeople);
      if (people.length < 12)
        throw new Error('no unused people left for many-users-one-ip; generate the scenario with more users');
      involved.push(...people);
      const ip = freshIp(env, rng, hostingIp);
      for (const [i, p] of people.entries()) {
        entries.push(
          makeEntry(org, {
            id: nextId(),
            at: atSec + i * rng.int(120, 480),
            action: 'user_login',
            actor: p,
            entity: userEntity(org, p),
            location: locationOf(org, p.primaryTeamId),
            ua: personUa(p).ua,
            ip,
            sessionId: 1_910_000_000_000 + env.seq * 100 + i,
          }),
        );
      }
      subject = ip;
      subjectType = 'ip';
      description = `${people.length} different users signed in from one unfamiliar IP ${ip}`;
      break;
    }
    case 'anomaly': {
      const p = one();
      const v = ANOMALY_VARIANTS[env.variant % ANOMALY_VARIANTS.length] ?? {
        reason: ['asn', 'ip_address'],
        extra: 'asn' as const,
      };
      const base = personIp(p);
      const ip =
        v.extra === 'downloads'
          ? base
          : freshIp(env, rng, v.extra === 'tor' ? (r) => `185.220.101.${r.int(1, 254)}` : hostingIp);
      const ua = v.extra === 'fingerprint' || v.extra === 'tor' ? TOOL_UAS.headless : personUa(p).ua;
      const details: Record<string, unknown> = {
        action_timestamp: atSec * 1_000_000 + rng.int(0, 999_999),
        location: v.extra === 'asn' ? 'Frankfurt am Main, DE' : v.extra === 'tor' ? '' : 'Ashburn, US',
        previous_ip_address: v.extra === 'downloads' ? '' : base,
        previous_ua: v.extra === 'downloads' ? '' : personUa(p).ua,
        reason: v.reason,
      };
      if (v.extra === 'asn') details.ip_address_details = ['new-asn', 'cloud-asn'];
      if (v.extra === 'fingerprint') details.user_agent_change_details = ['browser_change'];
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: atSec,
          action: 'anomaly',
          actor: p,
          entity: userEntity(org, p),
          location: locationOf(org, p.primaryTeamId),
          ua,
          ip,
          sessionId: String(p.desktopSessionId),
          details,
        }),
      );
      if (v.extra === 'downloads') {
        entries.push(
          makeEntry(org, {
            id: nextId(),
            at: atSec + 2,
            action: 'user_sessions_reset_by_anomaly_event_response',
            actor: p,
            entity: userEntity(org, p),
            location: enterpriseLocationOf(org),
            ua,
            ip,
          }),
        );
      }
      subject = p.id;
      description = `Slack anomaly for ${p.name}: ${v.reason.join(', ')}`;
      break;
    }
    case 'privilege-escalation': {
      const toOwner = env.variant % 2 === 1;
      const actor = org.people.find((x) => x.isAdmin && !x.isPrimaryOwner && !x.isBot) ?? org.people[0];
      if (actor === undefined) throw new Error('the org has no admin');
      const target = one();
      const d = actor.officeIp ?? actor.homeIp ?? actor.mobileIp ?? '';
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: atSec,
          action: toOwner ? 'role_change_to_owner' : 'role_change_to_admin',
          actor,
          entity: userEntity(org, target),
          location: enterpriseLocationOf(org),
          ua: actor.desktop.ua,
          ip: d,
          sessionId: actor.desktopSessionId,
        }),
      );
      personUpdates.push({ personIndex: target.index, isAdmin: true, ...(toOwner ? { isOwner: true } : {}) });
      subject = target.id;
      description = `${actor.name} made ${target.name} an ${toOwner ? 'owner' : 'admin'}`;
      break;
    }
    case 'archive-upload-burst': {
      const p = one();
      const ip = personIp(p);
      for (let i = 0; i < 14; i++) {
        const ext = rng.pick(['zip', '7z', 'gz', 'rar']);
        const stem = `${rng.pick(ARCHIVE_STEMS)}-${String(i + 1).padStart(2, '0')}${ext === 'gz' ? '.tar' : ''}`;
        const t = atSec + i * rng.int(20, 35);
        const f = makeFile({
          id: newFileId(),
          stem,
          ext,
          created: t,
          user: p,
          teamId: p.primaryTeamId,
          channelIds: [],
          rng,
          workspaceDomain: wsDomain(p.primaryTeamId),
        });
        files.push(f);
        entries.push(
          makeEntry(org, {
            id: nextId(),
            at: t,
            action: 'file_uploaded',
            actor: p,
            entity: fileEntity(f),
            location: locationOf(org, p.primaryTeamId),
            ua: personUa(p).ua,
            ip,
            sessionId: p.desktopSessionId,
          }),
        );
      }
      subject = p.id;
      description = `${p.name} uploaded 14 archives in about 7 minutes`;
      break;
    }
    case 'public-link-sensitive-file': {
      const p = one((x) => x.department === 'engineering');
      const ip = personIp(p);
      const f = makeFile({
        id: newFileId(),
        stem: 'id_rsa',
        ext: '',
        created: atSec,
        user: p,
        teamId: p.primaryTeamId,
        channelIds: [],
        rng,
        workspaceDomain: wsDomain(p.primaryTeamId),
      });
      f.is_public = true;
      f.public_url_shared = true;
      f.permalink_public = `https://slack-files.com/${p.primaryTeamId}-${f.id}-${rng.hex(10)}`;
      files.push(f);
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: atSec,
          action: 'file_uploaded',
          actor: p,
          entity: fileEntity(f),
          location: locationOf(org, p.primaryTeamId),
          ua: personUa(p).ua,
          ip,
          sessionId: p.desktopSessionId,
        }),
      );
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: atSec + rng.int(20, 90),
          action: 'file_public_link_created',
          actor: p,
          entity: fileEntity(f),
          location: locationOf(org, p.primaryTeamId),
          ua: personUa(p).ua,
          ip,
          sessionId: p.desktopSessionId,
        }),
      );
      subject = p.id;
      description = `${p.name} created a public link for id_rsa`;
      break;
    }
    case 'empty-user-agent': {
      const p = one((x) => (pools.normal.get(x.id)?.length ?? 0) > 0);
      const ip = freshIp(env, rng, hostingIp);
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: atSec,
          action: 'user_login',
          actor: p,
          entity: userEntity(org, p),
          location: locationOf(org, p.primaryTeamId),
          ua: '',
          ip,
          sessionId: 1_920_000_000_000 + env.seq,
        }),
      );
      const pool = pools.normal.get(p.id) ?? [];
      for (let i = 0; i < 3; i++)
        download(p, rng.pick(pool), atSec + 30 + i * rng.int(5, 20), ip, '', 1_920_000_000_000 + env.seq);
      subject = p.id;
      description = `${p.name}'s account was used with no user agent from ${ip}`;
      break;
    }
    case 'login-after-deactivation': {
      const p = one();
      const admin = org.people.find((x) => x.isAdmin && x.department === 'it' && !x.isPrimaryOwner) ?? org.people[0];
      if (admin === undefined) throw new Error('the org has no admin');
      const adminIp = admin.officeIp ?? admin.homeIp ?? admin.mobileIp ?? '';
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: atSec,
          action: 'user_deactivated',
          actor: admin,
          entity: userEntity(org, p),
          location: enterpriseLocationOf(org),
          ua: admin.desktop.ua,
          ip: adminIp,
        }),
      );
      const loginAt = atSec + rng.int(2, 5) * 3600;
      entries.push(
        makeEntry(org, {
          id: nextId(),
          at: loginAt,
          action: 'user_login',
          actor: p,
          entity: userEntity(org, p),
          location: locationOf(org, p.primaryTeamId),
          ua: personUa(p).ua,
          ip: personIp(p),
          sessionId: p.desktopSessionId,
        }),
      );
      personUpdates.push({ personIndex: p.index, deactivatedAt: atSec });
      subject = p.id;
      description = `${p.name} signed in ${Math.round((loginAt - atSec) / 3600)} h after being deactivated by ${admin.name}`;
      break;
    }
    case 'session-reset-burst': {
      const target = one();
      const actor =
        org.people.find((x) => x.isAdmin && x.department === 'it' && !x.isPrimaryOwner && x.index > 2) ?? org.people[0];
      if (actor === undefined) throw new Error('the org has no admin');
      const ip = actor.officeIp ?? actor.homeIp ?? actor.mobileIp ?? '';
      for (let i = 0; i < 65; i++) {
        entries.push(
          makeEntry(org, {
            id: nextId(),
            at: atSec + i * rng.int(50, 90),
            action: 'user_session_reset_by_admin',
            actor,
            entity: userEntity(org, target),
            location: enterpriseLocationOf(org),
            ua: actor.desktop.ua,
            ip,
            sessionId: actor.desktopSessionId,
            details: { mobile_only: false, web_only: false, non_sso_only: false },
          }),
        );
      }
      subject = target.id;
      description = `${actor.name} reset ${target.name}'s sessions 65 times in about 1.3 hours`;
      break;
    }
    case 'uplink-failover': {
      const candidates = env.meraki.sites.filter((s) => s.cellular !== null);
      const site = candidates[env.variant % Math.max(1, candidates.length)];
      if (site === undefined) throw new Error('no Meraki site with integrated cellular');
      const duration = (35 + rng.int(0, 30)) * 60_000;
      const f = buildFailover(
        seed,
        env.meraki,
        site,
        atSec * 1000,
        duration,
        env.seq + (env.space === IdSpace.incident ? 0 : 100_000),
      );
      uplinkChanges = f.changes;
      merakiEvents = f.events;
      webhooks = f.webhooks;
      subject = site.mx.serial;
      subjectType = 'device';
      description = `${site.mx.name} (${site.network.name}) lost both WANs and failed over to LTE: public IP ${f.publicIps.before} → ${f.publicIps.during} for ${Math.round(duration / 60_000)} min`;
      break;
    }
  }

  entries.sort(byTime);
  const times = [
    ...entries.map((e) => e.date_create * 1000),
    ...uplinkChanges.map((c) => c.at),
    ...merakiEvents.map((e) => Date.parse(e.occurredAt)),
  ];
  const incident: Incident = {
    id: `${env.space === IdSpace.incident ? 'inc' : 'live'}-${String(env.seq).padStart(3, '0')}-${kind}`,
    kind,
    detectionIds: [...INCIDENT_DETECTIONS[kind]],
    subject,
    subjectType,
    description,
    startAt: Math.min(...times),
    endAt: Math.max(...times),
    eventIds: [
      ...entries.map((e) => e.id),
      ...uplinkChanges.map((c) => c.key),
      ...merakiEvents.map(merakiEventKey),
      ...webhooks.map((w) => w.alertId),
    ],
    userIds: involved.map((p) => p.id),
  };
  return { incident, entries, files, uplinkChanges, merakiEvents, webhooks, personUpdates };
}
