/**
 * The Slack Enterprise org: enterprise, workspaces, users (with the private profile the generator
 * needs: work style, base IPs, devices, sessions), channels, the file corpus that exists before the
 * history window, sessions and user groups.
 *
 * Addresses behave like real ones: office workers egress through their site's NAT (the Meraki
 * site's WAN1 public IP, which the detections learn as the org's egress); a home IPv4 line behind a
 * DHCP lease gets a new address in the same /24 every few days; IPv6 privacy addresses rotate daily
 * inside one /64 (`addressOn`). Every person uses at most three networks (an IPv4 /24 or IPv6 /64):
 * office, home, mobile; only hybrid workers with a phone use all three, the near miss of
 * user-many-ips. Home and mobile networks are unique to one person.
 */
import {
  CHANNELS,
  DEPARTMENT_WEIGHTS,
  DESKTOP_UAS,
  FILE_TYPES,
  FIRST_NAMES,
  LAST_NAMES,
  MOBILE_UAS,
  SLACK_COLORS,
  TITLES,
  WORKSPACES,
  homeIp,
  mobileIp,
  type Department,
  type FileTypeSpec,
  type UaSpec,
  type WorkspaceSpec,
} from './data';
import { hash32, IdSpace, Rng, slackId } from './prng';
import { OFFICE_SITE_KEYS, type MerakiModel } from './meraki';
import { SENSITIVE_CHANNEL_NAMES } from './catalogue';
import type {
  AuditLocation,
  AuditUser,
  SlackChannel,
  SlackEnterprise,
  SlackFile,
  SlackSession,
  SlackUser,
  SlackUsergroup,
  SlackWorkspace,
} from './wire-types';

const DAY = 86_400;

export type WorkStyle = 'office' | 'remote' | 'hybrid';

export interface Person {
  index: number;
  id: string;
  name: string;
  email: string;
  realName: string;
  firstName: string;
  lastName: string;
  title: string;
  department: Department;
  teamIds: string[];
  primaryTeamId: string;
  style: WorkStyle;
  siteKey: string | null;
  tz: string;
  tzLabel: string;
  tzOffsetSec: number;
  officeIp: string | null;
  homeIp: string | null;
  mobileIp: string | null;
  desktop: UaSpec;
  mobile: UaSpec | null;
  desktopSessionId: number;
  mobileSessionId: number | null;
  /** Multiplier of the background volume. */
  activity: number;
  /** A heavy but ordinary downloader (10–16 files a workday: analysts, account managers). */
  heavy: boolean;
  /** Days between the home line's DHCP lease renewals (new address, same /24); null: static. */
  homeLeaseDays: number | null;
  /** When the desktop app updates itself to its next release (Unix seconds); null: it does not. */
  desktopUpdateAt: number | null;
  /** The company VPN's address, for remote staff who connect through it on some days; else null. */
  vpnIp: string | null;
  /**
   * Among the people the org's near misses happen to (background.ts `nearMissDay`); incidents never
   * pick them, so an incident's events never tip a near miss over its threshold.
   */
  nearMisses: boolean;
  isAdmin: boolean;
  isOwner: boolean;
  isPrimaryOwner: boolean;
  isBot: boolean;
  has2fa: boolean;
  /** Deactivated before the history window: no activity at all. */
  deletedBeforeWindow: boolean;
  /** Deactivated inside the history window (unix seconds): background stops 6 h before. */
  deactivatedAt: number | null;
  /** True when an incident (not background housekeeping) deactivates the person. */
  deactivationByIncident: boolean;
  channelIds: string[];
}

export interface ChannelModel {
  channel: SlackChannel;
  workspaceId: string;
  sensitive: boolean;
  fileIds: string[];
}

export interface OrgModel {
  enterprise: SlackEnterprise;
  workspaces: SlackWorkspace[];
  people: Person[];
  channels: ChannelModel[];
  corpus: SlackFile[];
  usergroups: SlackUsergroup[];
  responderUserIds: string[];
  oncallUserIds: string[];
  responderGroupId: string;
  oncallGroupId: string;
}

const REMOTE_TZS = [
  { tz: 'America/New_York', label: 'Eastern Standard Time', offset: -5 },
  { tz: 'America/Chicago', label: 'Central Standard Time', offset: -6 },
  { tz: 'America/Denver', label: 'Mountain Standard Time', offset: -7 },
  { tz: 'America/Los_Angeles', label: 'Pacific Standard Time', offset: -8 },
  { tz: 'Europe/London', label: 'Greenwich Mean Time', offset: 0 },
  { tz: 'Europe/Berlin', label: 'Central European Time', offset: 1 },
];

const SITE_TZ: Record<string, { tz: string; label: string; offset: number }> = {
  nyc: { tz: 'America/New_York', label: 'Eastern Standard Time', offset: -5 },
  chi: { tz: 'America/Chicago', label: 'Central Standard Time', offset: -6 },
  aus: { tz: 'America/Chicago', label: 'Central Standard Time', offset: -6 },
  lon: { tz: 'Europe/London', label: 'Greenwich Mean Time', offset: 0 },
};

const BOTS = [
  { name: 'jira-cloud', real: 'Jira Cloud' },
  { name: 'github', real: 'GitHub' },
  { name: 'pagerduty', real: 'PagerDuty' },
  { name: 'google-drive', real: 'Google Drive' },
];

export const EMAIL_DOMAIN = 'acme-corp.example';

function ascii(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

export function auditUser(p: Person, enterpriseId: string): AuditUser {
  return { id: p.id, name: p.name, email: p.email, team: enterpriseId };
}

export function workspaceLocation(ws: SlackWorkspace): AuditLocation {
  return { type: 'workspace', id: ws.id, name: ws.name, domain: ws.domain };
}

export function enterpriseLocation(e: SlackEnterprise): AuditLocation {
  return { type: 'enterprise', id: e.id, name: e.name, domain: e.domain };
}

export function fileTypeFor(ext: string): FileTypeSpec {
  return (
    FILE_TYPES[ext] ??
    FILE_TYPES.none ?? { ext: '', filetype: 'text', mimetype: 'text/plain', pretty: 'Plain Text', minKb: 1, maxKb: 8 }
  );
}

/** A files.info object; `ext` '' gives an extension-less name (e.g. `id_rsa`). */
export function makeFile(args: {
  id: string;
  stem: string;
  ext: string;
  created: number;
  user: Person;
  teamId: string;
  channelIds: string[];
  rng: Rng;
  workspaceDomain: string;
}): SlackFile {
  const t = fileTypeFor(args.ext);
  const name = args.ext === '' ? args.stem : `${args.stem}.${args.ext}`;
  const slug = name.toLowerCase().replace(/[^a-z0-9.]+/g, '_');
  return {
    id: args.id,
    created: args.created,
    timestamp: args.created,
    name,
    title: args.stem,
    mimetype: t.mimetype,
    filetype: t.filetype,
    pretty_type: t.pretty,
    user: args.user.id,
    user_team: args.teamId,
    editable: args.ext === 'txt' || args.ext === '',
    size: args.rng.int(t.minKb, t.maxKb) * 1024 + args.rng.int(0, 1023),
    mode: 'hosted',
    is_external: false,
    external_type: '',
    is_public: false,
    public_url_shared: false,
    display_as_bot: false,
    username: '',
    url_private: `https://files.slack.com/files-pri/${args.teamId}-${args.id}/${slug}`,
    url_private_download: `https://files.slack.com/files-pri/${args.teamId}-${args.id}/download/${slug}`,
    permalink: `https://${args.workspaceDomain}.slack.com/files/${args.user.id}/${args.id}/${slug}`,
    channels: args.channelIds,
    groups: [],
    ims: [],
    comments_count: 0,
  };
}

export interface OrgOptions {
  users: number;
  windowStartSec: number;
  nowSec: number;
}

/** Builds the org; deterministic in (seed, options). */
export function buildOrg(seed: number, meraki: MerakiModel, opts: OrgOptions): OrgModel {
  const rng = Rng.for(seed, 'org');
  const enterprise: SlackEnterprise = { id: slackId('E', seed, 10, 0, 0, 0), name: 'Acme Corp', domain: 'acme-corp' };
  const wsById = new Map<WorkspaceSpec['key'], SlackWorkspace>();
  const workspaces = WORKSPACES.map((w, i) => {
    const ws: SlackWorkspace = {
      id: slackId('T', seed, 11, i, 0, 0),
      name: w.name,
      domain: w.domain,
      email_domain: EMAIL_DOMAIN,
      enterprise_id: enterprise.id,
      enterprise_name: enterprise.name,
    };
    wsById.set(w.key, ws);
    return ws;
  });
  const wsId = (key: WorkspaceSpec['key']): string => {
    const ws = wsById.get(key);
    if (ws === undefined) throw new Error(`unknown workspace ${key}`);
    return ws.id;
  };

  const officeIps = new Map<string, string>();
  for (const s of meraki.sites)
    if ((OFFICE_SITE_KEYS as readonly string[]).includes(s.key)) officeIps.set(s.key, s.wan1.publicIp);
  const officeKeys = [...officeIps.keys()];
  // The company VPN: one concentrator address in a cloud range nothing else uses, not on any Meraki
  // appliance, so the detections must learn it is shared (docs/detections.md).
  const vpnIp = `52.${String(10 + (hash32(seed, 'vpn', 1) % 200))}.${String(hash32(seed, 'vpn', 2) % 256)}.${String(4 + (hash32(seed, 'vpn', 3) % 240))}`;

  const usedIps = new Set<string>([
    ...meraki.sites.flatMap((s) => [s.wan1.publicIp, s.wan2.publicIp, s.cellular?.publicIp ?? '']),
  ]);
  const uniqueIp = (make: () => string): string => {
    for (;;) {
      const ip = make();
      if (!usedIps.has(ip)) {
        usedIps.add(ip);
        return ip;
      }
    }
  };
  const usedNames = new Set<string>();
  const usedSessions = new Set<number>();
  const sessionId = (): number => {
    for (;;) {
      const id = 1_600_000_000_000 + rng.int(0, 299_999_999) * 1000 + rng.int(0, 999);
      if (!usedSessions.has(id)) {
        usedSessions.add(id);
        return id;
      }
    }
  };

  const people: Person[] = [];
  const humanCount = opts.users - BOTS.length;
  for (let i = 0; i < humanCount; i++) {
    // The first few people are fixed roles: primary owner, owner, IT admins, security responders.
    const department: Department =
      i === 0
        ? 'it'
        : i === 1
          ? 'exec'
          : i < 4
            ? 'it'
            : i < 9
              ? 'security'
              : i < 11
                ? 'exec'
                : rng.weighted(DEPARTMENT_WEIGHTS);
    let first = rng.pick(FIRST_NAMES);
    let last = rng.pick(LAST_NAMES);
    let handle = `${ascii(first)}.${ascii(last)}`;
    for (let n = 2; usedNames.has(handle); n++) {
      if (n > 3) {
        first = rng.pick(FIRST_NAMES);
        last = rng.pick(LAST_NAMES);
        handle = `${ascii(first)}.${ascii(last)}`;
        n = 1;
        continue;
      }
      handle = `${ascii(first)}.${ascii(last)}${n}`;
    }
    usedNames.add(handle);
    const style: WorkStyle = rng.weighted([
      ['office', 40],
      ['hybrid', 25],
      ['remote', 35],
    ]);
    const siteKey = style === 'remote' || officeKeys.length === 0 ? null : rng.pick(officeKeys);
    const tzInfo = siteKey === null ? rng.pick(REMOTE_TZS) : (SITE_TZ[siteKey] ?? rng.pick(REMOTE_TZS));
    const effectiveStyle: WorkStyle = siteKey === null ? 'remote' : style;
    const hasMobile = rng.chance(0.6);
    const teamIds = WORKSPACES.filter((w) => w.departments === 'all' || w.departments.includes(department)).map((w) =>
      wsId(w.key),
    );
    const primaryKey: WorkspaceSpec['key'] = ['engineering', 'product', 'design'].includes(department)
      ? 'eng'
      : ['sales', 'marketing', 'support'].includes(department)
        ? 'gtm'
        : 'hq';
    people.push({
      index: i,
      id: slackId('W', seed, 12, i, 0, 0),
      name: handle,
      email: `${handle}@${EMAIL_DOMAIN}`,
      realName: `${first} ${last}`,
      firstName: first,
      lastName: last,
      title: rng.pick(TITLES[department]),
      department,
      teamIds,
      primaryTeamId: wsId(primaryKey),
      style: effectiveStyle,
      siteKey,
      tz: tzInfo.tz,
      tzLabel: tzInfo.label,
      tzOffsetSec: tzInfo.offset * 3600,
      officeIp: siteKey === null ? null : (officeIps.get(siteKey) ?? null),
      homeIp: effectiveStyle === 'office' ? null : uniqueIp(() => homeIp(rng)),
      mobileIp: hasMobile ? uniqueIp(() => mobileIp(rng)) : null,
      desktop: rng.pick(DESKTOP_UAS),
      mobile: hasMobile ? rng.pick(MOBILE_UAS) : null,
      desktopSessionId: sessionId(),
      mobileSessionId: hasMobile ? sessionId() : null,
      activity: Math.max(0.3, rng.normal(1, 0.3)),
      // Drawn from hashes, not the org's stream, so the rest of the org does not shift.
      heavy: i >= 20 && hash32(seed, 'heavy', i) % 100 < 4,
      homeLeaseDays: hash32(seed, 'lease', i) % 100 < 40 ? 3 + (hash32(seed, 'lease-days', i) % 6) : null,
      nearMisses: i >= 20 && hash32(seed, 'near-misses', i) % 100 < 20,
      vpnIp: effectiveStyle === 'remote' && i >= 20 && hash32(seed, 'vpn-user', i) % 100 < 20 ? vpnIp : null,
      desktopUpdateAt:
        hash32(seed, 'update', i) % 100 < 60
          ? opts.windowStartSec + (hash32(seed, 'update-at', i) % Math.max(1, opts.nowSec - opts.windowStartSec))
          : null,
      isAdmin: i < 6,
      isOwner: i < 2,
      isPrimaryOwner: i === 0,
      isBot: false,
      has2fa: rng.chance(0.93) || i < 9,
      deletedBeforeWindow: false,
      deactivatedAt: null,
      deactivationByIncident: false,
      channelIds: [],
    });
  }
  // Departed people: some long gone, a few deactivated inside the window (never fixed roles).
  const departureRng = Rng.for(seed, 'departures');
  const candidates = departureRng.shuffle(people.filter((p) => p.index >= 20));
  const goneCount = Math.max(1, Math.round(humanCount * 0.02));
  const leavingCount = Math.max(1, Math.round(humanCount * 0.01));
  const windowDays = Math.floor((opts.nowSec - opts.windowStartSec) / DAY);
  for (const p of candidates.slice(0, goneCount)) p.deletedBeforeWindow = true;
  if (windowDays >= 3) {
    for (const p of candidates.slice(goneCount, goneCount + leavingCount)) {
      p.deactivatedAt = opts.windowStartSec + departureRng.int(DAY, (windowDays - 2) * DAY);
    }
  }
  const botUa = DESKTOP_UAS[0];
  if (botUa === undefined) throw new Error('no desktop user agents');
  for (const [b, bot] of BOTS.entries()) {
    const i = humanCount + b;
    people.push({
      index: i,
      id: slackId('W', seed, 12, i, 0, 0),
      name: bot.name,
      email: '',
      realName: bot.real,
      firstName: bot.real,
      lastName: '',
      title: '',
      department: 'it',
      teamIds: workspaces.map((w) => w.id),
      primaryTeamId: wsId('hq'),
      style: 'remote',
      siteKey: null,
      tz: 'America/Los_Angeles',
      tzLabel: 'Pacific Standard Time',
      tzOffsetSec: -8 * 3600,
      officeIp: null,
      homeIp: null,
      mobileIp: null,
      desktop: botUa,
      mobile: null,
      desktopSessionId: sessionId(),
      mobileSessionId: null,
      activity: 0,
      heavy: false,
      homeLeaseDays: null,
      desktopUpdateAt: null,
      vpnIp: null,
      nearMisses: false,
      isAdmin: false,
      isOwner: false,
      isPrimaryOwner: false,
      isBot: true,
      has2fa: false,
      deletedBeforeWindow: false,
      deactivatedAt: null,
      deactivationByIncident: false,
      channelIds: [],
    });
  }

  // Channels and membership.
  const humans = people.filter((p) => !p.isBot);
  const channels: ChannelModel[] = CHANNELS.map((spec, ci) => {
    const teamId = wsId(spec.workspace);
    const members = humans.filter(
      (p) => p.teamIds.includes(teamId) && (spec.members === 'all' || spec.members.includes(p.department)),
    );
    const creator = members[0] ?? humans[0];
    if (creator === undefined) throw new Error('the org needs at least one person');
    const created = opts.windowStartSec - (400 + (hash32(seed, 'chan', ci) % 900)) * DAY;
    const channel: SlackChannel = {
      id: slackId('C', seed, 13, ci, 0, 0),
      name: spec.name,
      is_channel: true,
      is_group: false,
      is_im: false,
      is_private: spec.private,
      is_archived: false,
      is_general: spec.name === 'general',
      is_shared: false,
      is_org_shared: false,
      is_ext_shared: false,
      context_team_id: teamId,
      created,
      creator: creator.id,
      name_normalized: spec.name,
      num_members: members.length,
      topic: { value: '', creator: '', last_set: 0 },
      purpose: { value: spec.purpose, creator: creator.id, last_set: created },
      members: members.map((m) => m.id),
    };
    for (const m of members) m.channelIds.push(channel.id);
    return {
      channel,
      workspaceId: teamId,
      sensitive: spec.private && SENSITIVE_CHANNEL_NAMES.includes(spec.name),
      fileIds: [],
    };
  });

  // The corpus: files shared before the window, the only ones background downloads touch.
  const corpus: SlackFile[] = [];
  const byId = new Map(people.map((p) => [p.id, p] as const));
  let fileSeq = 0;
  for (const [ci, cm] of channels.entries()) {
    const spec = CHANNELS[ci];
    if (spec === undefined) continue;
    const ws = workspaces.find((w) => w.id === cm.workspaceId);
    const fileRng = Rng.for(seed, 'corpus', ci);
    // A channel nobody in a small org belongs to has no files.
    if (cm.channel.members.length === 0) continue;
    for (const stem of spec.files) {
      const versions = fileRng.int(1, 3);
      for (let v = 0; v < versions; v++) {
        const owner = byId.get(fileRng.pick(cm.channel.members)) ?? humans[0];
        if (owner === undefined || ws === undefined) continue;
        // A full file name (engineers' scripts and config) is one version, kept as named.
        const dot = stem.lastIndexOf('.');
        if (dot > 0 && v > 0) continue;
        const name =
          dot > 0
            ? { stem: stem.slice(0, dot), ext: stem.slice(dot + 1) }
            : {
                stem:
                  stem +
                  (v === 0
                    ? ''
                    : fileRng.pick([
                        ' v2',
                        ' v3',
                        ' (final)',
                        ` ${2025 + fileRng.int(0, 1)}-${String(fileRng.int(1, 12)).padStart(2, '0')}`,
                      ])),
                ext:
                  stem === 'acme_daily_vitals'
                    ? 'xlsx'
                    : stem.includes('photo') || stem.includes('mockups')
                      ? 'png'
                      : fileRng.pick(['pdf', 'docx', 'xlsx', 'pptx', 'pdf', 'csv']),
              };
        const file = makeFile({
          id: slackId('F', seed, IdSpace.corpusFile, ci, 0, fileSeq++),
          ...name,
          created: opts.windowStartSec - fileRng.int(2 * DAY, 150 * DAY),
          user: owner,
          teamId: cm.workspaceId,
          channelIds: [cm.channel.id],
          rng: fileRng,
          workspaceDomain: ws.domain,
        });
        corpus.push(file);
        cm.fileIds.push(file.id);
      }
    }
  }

  // User groups: security responders (with an on-call subset), plus department groups.
  const hqId = wsId('hq');
  const responders = people.filter((p) => p.department === 'security' && !p.isBot);
  const oncall = responders.slice(0, 2);
  const group = (
    n: number,
    name: string,
    handle: string,
    description: string,
    users: Person[],
    channelNames: string[],
  ): SlackUsergroup => {
    const id = slackId('S', seed, 14, n, 0, 0);
    const created = opts.windowStartSec - (200 + n * 17) * DAY;
    const owner = people[0];
    return {
      id,
      team_id: hqId,
      enterprise_subteam_id: id,
      is_usergroup: true,
      is_subteam: true,
      name,
      description,
      handle,
      is_external: false,
      date_create: created,
      date_update: created + 30 * DAY,
      date_delete: 0,
      auto_type: null,
      created_by: owner?.id ?? '',
      updated_by: owner?.id ?? '',
      deleted_by: null,
      prefs: {
        channels: channels
          .filter((c) => channelNames.includes(c.channel.name) && c.workspaceId === hqId)
          .map((c) => c.channel.id),
        groups: [],
      },
      users: users.map((u) => u.id),
      user_count: users.length,
    };
  };
  const usergroups = [
    group(0, 'Security Responders', 'security-responders', 'People who act on Sentry alerts', responders, [
      'security-ops',
    ]),
    group(1, 'Security On-Call', 'security-oncall', "This week's security on-call", oncall, ['security-ops', 'oncall']),
    group(
      2,
      'IT Admins',
      'it-admins',
      'Workspace and device administrators',
      people.filter((p) => p.department === 'it' && !p.isBot),
      ['it-help'],
    ),
    group(
      3,
      'Finance',
      'finance',
      'Finance team',
      people.filter((p) => p.department === 'finance'),
      ['finance-close'],
    ),
    group(
      4,
      'Legal',
      'legal-team',
      'Legal team',
      people.filter((p) => p.department === 'legal'),
      ['legal'],
    ),
  ];

  return {
    enterprise,
    workspaces,
    people,
    channels,
    corpus,
    usergroups,
    responderUserIds: responders.map((p) => p.id),
    oncallUserIds: oncall.map((p) => p.id),
    responderGroupId: usergroups[0]?.id ?? '',
    oncallGroupId: usergroups[1]?.id ?? '',
  };
}

/** users.info object for a person, reflecting the final state (after the history window). */
export function toSlackUser(p: Person, org: OrgModel, updated: number): SlackUser {
  const color = SLACK_COLORS[hash32(p.id) % SLACK_COLORS.length] ?? '9f69e7';
  const avatar = hash32('avatar', p.id).toString(16).padStart(8, '0').slice(0, 8);
  const img = (size: number): string => `https://avatars.slack-edge.com/2025-01-01/${avatar}_${size}.png`;
  const deleted = p.deletedBeforeWindow || p.deactivatedAt !== null;
  return {
    id: p.id,
    team_id: p.primaryTeamId,
    name: p.name,
    deleted,
    color,
    real_name: p.realName,
    tz: p.tz,
    tz_label: p.tzLabel,
    tz_offset: p.tzOffsetSec,
    profile: {
      real_name: p.realName,
      real_name_normalized: p.realName.normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
      display_name: p.isBot ? p.realName : p.firstName.toLowerCase(),
      display_name_normalized: p.isBot ? p.realName : p.firstName.toLowerCase(),
      first_name: p.firstName,
      last_name: p.lastName,
      title: p.title,
      email: p.email,
      phone: '',
      team: p.primaryTeamId,
      status_text: '',
      status_emoji: '',
      avatar_hash: avatar.slice(0, 12),
      image_24: img(24),
      image_48: img(48),
      image_72: img(72),
      image_192: img(192),
      ...(p.isBot ? { bot_id: `B${p.id.slice(1)}` } : {}),
    },
    is_admin: p.isAdmin,
    is_owner: p.isOwner,
    is_primary_owner: p.isPrimaryOwner,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: p.isBot,
    is_app_user: false,
    updated,
    has_2fa: p.has2fa,
    enterprise_user: {
      id: p.id,
      enterprise_id: org.enterprise.id,
      enterprise_name: org.enterprise.name,
      is_admin: p.isAdmin,
      is_owner: p.isOwner,
      is_primary_owner: p.isPrimaryOwner,
      teams: p.teamIds,
    },
  };
}

/**
 * The address a person's home line or phone has on a UTC day: an IPv6 privacy address (a new
 * interface id every day inside the same /64), or a home IPv4 whose DHCP lease renews every
 * `homeLeaseDays` (a new host in the same /24), or the base address.
 */
export function addressOn(p: Person, base: 'home' | 'mobile', day: number): string | null {
  const ip = base === 'home' ? p.homeIp : p.mobileIp;
  if (ip === null) return null;
  if (ip.includes(':')) {
    const prefix = ip.split(':').slice(0, 4).join(':');
    const iid = [0, 1, 2, 3].map((k) => (hash32('privacy', p.id, base, day, k) & 0xffff).toString(16));
    // The first hextet of a random interface id is never 0 here, so the address stays uncompressed.
    iid[0] = ((hash32('privacy', p.id, base, day, 0) & 0xfff) | 0x1000).toString(16);
    return `${prefix}:${iid.join(':')}`;
  }
  if (base === 'home' && p.homeLeaseDays !== null) {
    const lease = Math.floor((day + (hash32('lease-offset', p.id) % p.homeLeaseDays)) / p.homeLeaseDays);
    const host = 1 + (hash32('lease-host', p.id, lease) % 254);
    return ip.replace(/\.\d+$/, `.${String(host)}`);
  }
  return ip;
}

/** admin.users.session.list items for active people (one per device). */
export function sessionsOf(p: Person): SlackSession[] {
  if (p.isBot || p.deletedBeforeWindow || p.deactivatedAt !== null) return [];
  const ip = p.officeIp ?? p.homeIp ?? p.mobileIp ?? '';
  const out: SlackSession[] = [
    {
      user_id: p.id,
      team_id: p.primaryTeamId,
      session_id: p.desktopSessionId,
      created: {
        device_hardware: p.desktop.hardware,
        os: p.desktop.os,
        os_version: p.desktop.osVersion,
        slack_client_version: p.desktop.client,
        ip,
      },
    },
  ];
  if (p.mobile !== null && p.mobileSessionId !== null && p.mobileIp !== null) {
    out.push({
      user_id: p.id,
      team_id: p.primaryTeamId,
      session_id: p.mobileSessionId,
      created: {
        device_hardware: p.mobile.hardware,
        os: p.mobile.os,
        os_version: p.mobile.osVersion,
        slack_client_version: p.mobile.client,
        ip: p.mobileIp,
      },
    });
  }
  return out;
}
