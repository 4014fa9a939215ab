/**
 * `generateScenario`: a seeded, pure, I/O-free org with `days` of backdated history and injected
 * incidents, as wire-format objects emulators can be seeded with. Same options → deep-equal output.
 *
 * Time model: `now` is epoch ms; history covers [now − days, now). Audit `date_create` is integer
 * seconds. Background comes from per-person local-day buckets (see background.ts), so the live feed
 * continues the same stream seamlessly after `now`.
 */
import { byTime } from './audit';
import { backgroundBetween, filePools, isActiveAt } from './background';
import {
  ALL_DETECTION_IDS,
  ARCHIVE_EXTENSIONS,
  DETECTION_RULES,
  FILENAME_KEYWORDS,
  KEYWORD_EXCLUDED_EXTENSIONS,
  MFA_BLOCKED_LOGIN_DETAILS,
  PUBLIC_LINK_SENSITIVE_PATTERNS,
  SENSITIVE_CHANNEL_NAMES,
  SENSITIVE_FILE_NAME_PATTERNS,
  isSensitiveFileName,
  type DetectionId,
  type DetectionRule,
} from './catalogue';
import {
  buildIncident,
  INCIDENT_KINDS,
  type Incident,
  type IncidentBuild,
  type IncidentEnv,
  type IncidentKind,
} from './incidents';
import {
  backgroundMerakiBetween,
  buildMerakiModel,
  deviceStatusesAt,
  uplinkStatusesAt,
  type MerakiModel,
} from './meraki';
import { buildOrg, sessionsOf, toSlackUser, type OrgModel, type Person } from './org';
import { IdSpace, Rng } from './prng';
import type {
  AuditEntry,
  MerakiDevice,
  MerakiDeviceStatus,
  MerakiNetwork,
  MerakiNetworkEvent,
  MerakiOrganization,
  MerakiUplinkChange,
  MerakiUplinkStatus,
  MerakiWebhookPayload,
  SlackChannel,
  SlackEnterprise,
  SlackFile,
  SlackSession,
  SlackUser,
  SlackUsergroup,
  SlackWorkspace,
} from './wire-types';

const DAY = 86_400;
const HOUR = 3_600;

/** Where and how an incident is placed; omitted fields get the default placement. */
export interface IncidentPlan {
  kind: IncidentKind;
  /** Epoch ms of the first event. */
  at?: number;
  /** For spread-out kinds (sensitive / keyword downloads): epoch ms of the last event. */
  until?: number;
  variant?: number;
}

export interface ScenarioOptions {
  seed: number;
  /** Epoch ms (or anything `new Date()` takes): the end of the history window. */
  now: number | string | Date;
  /** History length in days (default 14). */
  days?: number;
  /** People in the org including 4 bots (default 300, at least 60 when incidents are on, at most 4000). */
  users?: number;
  /** Incidents to inject (default DEFAULT_INCIDENTS); `[]` for background only. */
  incidents?: readonly (IncidentKind | IncidentPlan)[];
  /** Meraki organizations (default 2). */
  merakiOrganizations?: 1 | 2;
  /** `sharedSecret` in Meraki webhook bodies. */
  webhookSharedSecret?: string;
}

/** Every kind once, plus two more anomaly flavours and an owner promotion. */
export const DEFAULT_INCIDENTS: readonly IncidentPlan[] = [
  ...INCIDENT_KINDS.map((kind) => ({ kind })),
  { kind: 'anomaly', variant: 1 },
  { kind: 'anomaly', variant: 2 },
  { kind: 'privilege-escalation', variant: 1 },
];

export interface ScenarioVolumes {
  users: number;
  activeHumans: number;
  bots: number;
  workspaces: number;
  channels: number;
  files: number;
  sessions: number;
  usergroups: number;
  auditEntries: number;
  backgroundAuditEntries: number;
  incidentAuditEntries: number;
  auditByAction: Record<string, number>;
  merakiOrganizations: number;
  merakiNetworks: number;
  merakiDevices: number;
  merakiEvents: number;
  merakiWebhooks: number;
  merakiUplinkChanges: number;
  incidents: number;
}

export interface ScenarioMeta {
  seed: number;
  /** Epoch ms. */
  now: number;
  days: number;
  /** Epoch ms of the window start. */
  windowStart: number;
  enterpriseId: string;
  workspaceIds: string[];
  /** The Org Primary Owner: the identity an Audit Logs `xoxp` token belongs to. */
  primaryOwnerUserId: string;
  ownerUserIds: string[];
  adminUserIds: string[];
  responderGroupId: string;
  responderUserIds: string[];
  oncallGroupId: string;
  oncallUserIds: string[];
  sensitiveChannelNames: string[];
  sensitiveChannelIds: string[];
  /** Corpus files shared in sensitive channels or with a sensitive name. */
  sensitiveFileIds: string[];
  sensitiveFileNamePatterns: string[];
  filenameKeywords: string[];
  keywordExcludedExtensions: string[];
  archiveExtensions: string[];
  publicLinkSensitivePatterns: string[];
  mfaBlockedLoginDetails: Record<string, unknown>;
  merakiOrganizationIds: string[];
  merakiNetworkIds: string[];
  /** Office WAN/cellular public IPs (from Meraki): shared by many people, not "unusual". */
  knownEgressIps: string[];
  webhookSharedSecret: string;
  detectionIds: DetectionId[];
  detectionRules: Readonly<Record<DetectionId, DetectionRule>>;
  volumes: ScenarioVolumes;
}

export interface Scenario {
  meta: ScenarioMeta;
  slack: {
    enterprise: SlackEnterprise;
    workspaces: SlackWorkspace[];
    users: SlackUser[];
    channels: SlackChannel[];
    files: SlackFile[];
    sessions: SlackSession[];
    usergroups: SlackUsergroup[];
    /** Ascending by date_create then id; background and incident entries together. */
    auditEntries: AuditEntry[];
  };
  meraki: {
    organizations: MerakiOrganization[];
    networks: MerakiNetwork[];
    devices: MerakiDevice[];
    /** Statuses at `now`, by organization id. */
    deviceStatuses: Record<string, MerakiDeviceStatus[]>;
    uplinkStatuses: Record<string, MerakiUplinkStatus[]>;
    /** Every change of an MX's uplink statuses in the window, ascending. */
    uplinkChanges: MerakiUplinkChange[];
    /** Appliance network events, ascending by occurredAt. */
    events: MerakiNetworkEvent[];
    /** Webhook alert bodies, ascending by occurredAt. */
    webhooks: MerakiWebhookPayload[];
  };
  incidents: Incident[];
  /** Internal state the live feed continues from (plain data). */
  model: {
    org: OrgModel;
    meraki: MerakiModel;
    incidentPeople: string[];
    usedIps: string[];
  };
}

function toMs(now: ScenarioOptions['now']): number {
  const ms = typeof now === 'number' ? now : new Date(now).getTime();
  if (!Number.isFinite(ms)) throw new Error(`generateScenario: invalid now ${String(now)}`);
  return ms;
}

/** Longest span of each kind (seconds), so a placed incident ends before `now`. */
const SPAN: Readonly<Record<IncidentKind, number>> = {
  'mass-download': 2 * HOUR,
  'sensitive-file-downloads': 0,
  'filename-keyword': 0,
  'blocked-mfa-login': 10 * 60,
  'failed-logins-one-ip': 5 * 60,
  'user-many-ips': 26 * HOUR,
  'many-users-one-ip': 2 * HOUR,
  anomaly: 60,
  'privilege-escalation': 60,
  'archive-upload-burst': 10 * 60,
  'public-link-sensitive-file': 2 * 60,
  'empty-user-agent': 5 * 60,
  'login-after-deactivation': 6 * HOUR,
  'session-reset-burst': 2 * HOUR,
  'uplink-failover': 70 * 60,
};

const SPREAD_KINDS: ReadonlySet<IncidentKind> = new Set(['sensitive-file-downloads', 'filename-keyword']);

/** Allocates people to incidents in a seed-fixed order, never twice. */
export function personAllocator(seed: number, people: readonly Person[], used: Set<string>): IncidentEnv['takePeople'] {
  const order = Rng.for(seed, 'incident-pool').shuffle(people.filter((p) => p.index >= 11));
  return (n, filter) => {
    const out: Person[] = [];
    for (const p of order) {
      if (out.length >= n) break;
      if (used.has(p.id) || (filter !== undefined && !filter(p))) continue;
      used.add(p.id);
      out.push(p);
    }
    return out;
  };
}

export function allPersonIps(org: OrgModel, meraki: MerakiModel): string[] {
  return [
    ...org.people.flatMap((p) => [p.officeIp, p.homeIp, p.mobileIp]),
    ...meraki.sites.flatMap((s) => [s.wan1.publicIp, s.wan2.publicIp, s.cellular?.publicIp ?? null]),
  ].filter((x): x is string => x !== null);
}

/** Applies an incident's final-state changes to people. */
export function applyPersonUpdates(org: OrgModel, build: IncidentBuild, phase: 'deactivation' | 'roles'): void {
  for (const u of build.personUpdates) {
    const p = org.people[u.personIndex];
    if (p === undefined) continue;
    if (phase === 'deactivation' && u.deactivatedAt !== undefined) {
      p.deactivatedAt = u.deactivatedAt;
      p.deactivationByIncident = true;
    }
    if (phase === 'roles') {
      if (u.isAdmin !== undefined) p.isAdmin = u.isAdmin;
      if (u.isOwner !== undefined) p.isOwner = u.isOwner;
    }
  }
}

export function knownEgressIps(meraki: MerakiModel): string[] {
  return meraki.sites.flatMap((s) => [
    s.wan1.publicIp,
    s.wan2.publicIp,
    ...(s.cellular === null ? [] : [s.cellular.publicIp]),
  ]);
}

/** Generates the whole scenario. Pure: same options → deep-equal result. */
export function generateScenario(options: ScenarioOptions): Scenario {
  const seed = options.seed >>> 0;
  const nowMs = toMs(options.now);
  const days = options.days ?? 14;
  const users = options.users ?? 300;
  const plans: IncidentPlan[] = (options.incidents ?? DEFAULT_INCIDENTS).map((x) =>
    typeof x === 'string' ? { kind: x } : x,
  );
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`generateScenario: days must be a positive integer (got ${days})`);
  if (plans.length > 0 && days < 2) throw new Error('generateScenario: incidents need at least 2 days of history');
  if (!Number.isInteger(users) || users < (plans.length > 0 ? 60 : 12) || users > 4000) {
    throw new Error(
      `generateScenario: users must be an integer in [${plans.length > 0 ? 60 : 12}, 4000] (got ${users})`,
    );
  }
  const nowSec = Math.floor(nowMs / 1000);
  const windowStartSec = nowSec - days * DAY;

  const meraki = buildMerakiModel(seed, {
    organizations: options.merakiOrganizations ?? 2,
    webhookSharedSecret: options.webhookSharedSecret ?? 'sentry-local-meraki-secret',
  });
  const org = buildOrg(seed, meraki, { users, windowStartSec, nowSec });
  const pools = filePools(org);

  // Incidents first: a deactivation must cut the person's background short.
  const usedPeople = new Set<string>();
  const usedIps = new Set(allPersonIps(org, meraki));
  const takePeople = personAllocator(seed, org.people, usedPeople);
  const placeRng = Rng.for(seed, 'placement');
  const bursts = plans.filter((p) => !SPREAD_KINDS.has(p.kind));
  const builds: IncidentBuild[] = plans.map((plan, seq) => {
    const env: IncidentEnv = {
      seed,
      org,
      meraki,
      pools,
      space: IdSpace.incident,
      seq,
      variant: plan.variant ?? 0,
      takePeople,
      usedIps,
    };
    if (SPREAD_KINDS.has(plan.kind)) {
      // Spread over at most 13 days so the whole incident fits one 14-day detection window.
      const at =
        plan.at === undefined
          ? Math.max(windowStartSec, nowSec - 13 * DAY) + 2 * HOUR + placeRng.int(0, HOUR)
          : Math.floor(plan.at / 1000);
      const until =
        plan.until === undefined ? nowSec - 2 * HOUR - placeRng.int(0, HOUR) : Math.floor(plan.until / 1000);
      return buildIncident(plan.kind, env, at, until);
    }
    let at: number;
    if (plan.at !== undefined) at = Math.floor(plan.at / 1000);
    else {
      const slot = bursts.indexOf(plan);
      const frac = (slot + 0.5) / bursts.length;
      const latest = nowSec - SPAN[plan.kind] - HOUR;
      const earliest = windowStartSec + HOUR;
      // Snap to 15:00-18:00 UTC of the chosen day (working hours in the US and UK).
      const day = Math.floor((windowStartSec + frac * (nowSec - windowStartSec)) / DAY);
      at = Math.min(latest, Math.max(earliest, day * DAY + 15 * HOUR + placeRng.int(0, 3 * HOUR)));
    }
    return buildIncident(plan.kind, env, at, at + 20 * 60);
  });
  for (const b of builds) applyPersonUpdates(org, b, 'deactivation');

  const background = backgroundBetween(seed, org, pools, windowStartSec, nowSec);
  for (const b of builds) applyPersonUpdates(org, b, 'roles');

  const incidentEntries = builds.flatMap((b) => b.entries);
  const auditEntries = [...background.entries, ...incidentEntries].sort(byTime);
  const files = [...org.corpus, ...background.files, ...builds.flatMap((b) => b.files)].sort(
    (a, b) => a.created - b.created || (a.id < b.id ? -1 : 1),
  );

  const windowStartMs = windowStartSec * 1000;
  const uplinkChanges = builds.flatMap((b) => b.uplinkChanges).sort((a, b) => a.at - b.at);
  const merakiEvents = [
    ...backgroundMerakiBetween(seed, meraki, windowStartMs, nowMs),
    ...builds.flatMap((b) => b.merakiEvents),
  ].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const webhooks = builds.flatMap((b) => b.webhooks).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const deviceStatuses: Record<string, MerakiDeviceStatus[]> = {};
  const uplinkStatuses: Record<string, MerakiUplinkStatus[]> = {};
  for (const o of meraki.organizations) {
    deviceStatuses[o.id] = deviceStatusesAt(meraki, uplinkChanges, o.id, nowMs);
    uplinkStatuses[o.id] = uplinkStatusesAt(meraki, uplinkChanges, o.id, nowMs);
  }

  const slackUsers = org.people.map((p) => toSlackUser(p, org, windowStartSec - 30 * DAY));
  const sessions = org.people.flatMap(sessionsOf);
  const sensitiveChannels = org.channels.filter((c) => c.sensitive);
  const sensitiveFileIds = org.corpus
    .filter(
      (f) => isSensitiveFileName(f.name) || f.channels.some((c) => sensitiveChannels.some((s) => s.channel.id === c)),
    )
    .map((f) => f.id);
  const auditByAction: Record<string, number> = {};
  for (const e of auditEntries) auditByAction[e.action] = (auditByAction[e.action] ?? 0) + 1;

  const incidents = builds.map((b) => b.incident);
  const networks = meraki.sites.map((s) => s.network);
  const devices = meraki.sites.flatMap((s) => s.devices);
  const meta: ScenarioMeta = {
    seed,
    now: nowMs,
    days,
    windowStart: windowStartMs,
    enterpriseId: org.enterprise.id,
    workspaceIds: org.workspaces.map((w) => w.id),
    primaryOwnerUserId: org.people.find((p) => p.isPrimaryOwner)?.id ?? '',
    ownerUserIds: org.people.filter((p) => p.isOwner).map((p) => p.id),
    adminUserIds: org.people.filter((p) => p.isAdmin).map((p) => p.id),
    responderGroupId: org.responderGroupId,
    responderUserIds: org.responderUserIds,
    oncallGroupId: org.oncallGroupId,
    oncallUserIds: org.oncallUserIds,
    sensitiveChannelNames: [...SENSITIVE_CHANNEL_NAMES],
    sensitiveChannelIds: sensitiveChannels.map((c) => c.channel.id),
    sensitiveFileIds,
    sensitiveFileNamePatterns: [...SENSITIVE_FILE_NAME_PATTERNS],
    filenameKeywords: [...FILENAME_KEYWORDS],
    keywordExcludedExtensions: [...KEYWORD_EXCLUDED_EXTENSIONS],
    archiveExtensions: [...ARCHIVE_EXTENSIONS],
    publicLinkSensitivePatterns: [...PUBLIC_LINK_SENSITIVE_PATTERNS],
    mfaBlockedLoginDetails: { ...MFA_BLOCKED_LOGIN_DETAILS },
    merakiOrganizationIds: meraki.organizations.map((o) => o.id),
    merakiNetworkIds: networks.map((n) => n.id),
    knownEgressIps: knownEgressIps(meraki),
    webhookSharedSecret: meraki.webhookSharedSecret,
    detectionIds: [...ALL_DETECTION_IDS],
    detectionRules: DETECTION_RULES,
    volumes: {
      users: slackUsers.length,
      activeHumans: org.people.filter((p) => !p.isBot && isActiveAt(p, nowSec)).length,
      bots: org.people.filter((p) => p.isBot).length,
      workspaces: org.workspaces.length,
      channels: org.channels.length,
      files: files.length,
      sessions: sessions.length,
      usergroups: org.usergroups.length,
      auditEntries: auditEntries.length,
      backgroundAuditEntries: background.entries.length,
      incidentAuditEntries: incidentEntries.length,
      auditByAction,
      merakiOrganizations: meraki.organizations.length,
      merakiNetworks: networks.length,
      merakiDevices: devices.length,
      merakiEvents: merakiEvents.length,
      merakiWebhooks: webhooks.length,
      merakiUplinkChanges: uplinkChanges.length,
      incidents: incidents.length,
    },
  };

  return {
    meta,
    slack: {
      enterprise: org.enterprise,
      workspaces: org.workspaces,
      users: slackUsers,
      channels: org.channels.map((c) => c.channel),
      files,
      sessions,
      usergroups: org.usergroups,
      auditEntries,
    },
    meraki: {
      organizations: meraki.organizations,
      networks,
      devices,
      deviceStatuses,
      uplinkStatuses,
      uplinkChanges,
      events: merakiEvents,
      webhooks,
    },
    incidents,
    model: { org, meraki, incidentPeople: [...usedPeople], usedIps: [...usedIps] },
  };
}

/**
 * Audit entries with fromSec ≤ date_create ≤ toSec — both bounds inclusive, like the Audit Logs
 * API's `oldest`/`latest`. Ascending; the emulator reverses for newest-first pages.
 */
export function auditEntriesBetween(scenario: Scenario, fromSec: number, toSec: number): AuditEntry[] {
  const list = scenario.slack.auditEntries;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid]?.date_create ?? Infinity) < fromSec) lo = mid + 1;
    else hi = mid;
  }
  const out: AuditEntry[] = [];
  for (let i = lo; i < list.length; i++) {
    const e = list[i];
    if (e === undefined || e.date_create > toSec) break;
    out.push(e);
  }
  return out;
}
