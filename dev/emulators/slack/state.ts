/**
 * The Slack emulator's in-memory org. Everything is kept in Slack's own wire shapes (the `user` of
 * `users.info`, the `file` of `files.info`, an `active_sessions` item of `admin.users.session.list`,
 * an Audit Logs `entries[]` item, a `message` of `chat.postMessage`), so a scenario generator can seed
 * it with plain JSON and `snapshot()`/`restore()` round-trip it through a data folder.
 *
 * Seeded audit entries are stored as given, even when they break the documented schema: the
 * emulator must be able to serve bad records, so nothing here validates them.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface SlackOrg {
  enterpriseId: string;
  enterpriseName: string;
  enterpriseDomain: string;
  teamId: string;
  teamName: string;
  teamDomain: string;
  appId: string;
  botId: string;
  botUserId: string;
  botName: string;
  /** The Org Owner who installed the app: owner of the audit/admin user token. */
  ownerUserId: string;
}

export const DEFAULT_ORG: SlackOrg = {
  enterpriseId: 'E0SENTRY1',
  enterpriseName: 'Sentry Test Org',
  enterpriseDomain: 'sentry-test-org',
  teamId: 'T0SENTRY1',
  teamName: 'Sentry Test Workspace',
  teamDomain: 'sentry-test',
  appId: 'A0SENTRY1',
  botId: 'B0SENTRY1',
  botUserId: 'U0SENTRYBOT',
  botName: 'sentry',
  ownerUserId: 'W0OWNER01',
};

/** The `user` object of `users.info` (only `id` and `name` are required here; extra fields pass through). */
export interface SlackUser {
  id: string;
  name: string;
  team_id?: string;
  deleted?: boolean;
  real_name?: string;
  tz?: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_bot?: boolean;
  is_app_user?: boolean;
  updated?: number;
  profile: {
    email?: string;
    real_name?: string;
    display_name?: string;
    first_name?: string;
    last_name?: string;
    title?: string;
    [key: string]: unknown;
  };
  enterprise_user?: {
    id: string;
    enterprise_id: string;
    enterprise_name: string;
    is_admin: boolean;
    is_owner: boolean;
    is_primary_owner?: boolean;
    teams: string[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A conversation; `members` (emulator bookkeeping, like `conversations.members`) limits who can see a private one. */
export interface SlackChannel {
  id: string;
  name: string;
  is_channel?: boolean;
  is_private?: boolean;
  is_im?: boolean;
  is_archived?: boolean;
  created?: number;
  /** For a DM (`is_im`): the other user. */
  user?: string;
  members?: string[];
  [key: string]: unknown;
}

/** The `file` object of `files.info`. */
export interface SlackFile {
  id: string;
  name: string;
  title?: string;
  filetype?: string;
  user?: string;
  created?: number;
  is_public?: boolean;
  channels?: string[];
  groups?: string[];
  ims?: string[];
  shares?: { public?: Record<string, unknown[]>; private?: Record<string, unknown[]> };
  /** Emulator flag: a deleted file answers `file_deleted`. */
  is_deleted?: boolean;
  [key: string]: unknown;
}

export interface SessionClient {
  device_hardware?: string;
  os?: string;
  os_version?: string;
  slack_client_version?: string;
  ip?: string;
}

/** An `active_sessions[]` item of `admin.users.session.list`. */
export interface SlackSession {
  user_id: string;
  team_id: string;
  session_id: number;
  created?: SessionClient;
  recent?: SessionClient;
  [key: string]: unknown;
}

/** A user group (`usergroups.list` shape) with its members in `users`. */
export interface SlackUserGroup {
  id: string;
  team_id?: string;
  name: string;
  handle: string;
  users: string[];
  date_delete?: number;
  [key: string]: unknown;
}

/** An Audit Logs API `entries[]` item; kept as `unknown` fields because seeds may be deliberately invalid. */
export type AuditEntry = Record<string, unknown>;

/** A channel message as `chat.postMessage` returns it, plus thread bookkeeping as `conversations.history` shows it. */
export interface SlackMessage {
  type: 'message';
  ts: string;
  text: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  team?: string;
  blocks?: unknown[];
  thread_ts?: string;
  reply_count?: number;
  reply_users?: string[];
  latest_reply?: string;
  edited?: { user: string; ts: string };
  subtype?: string;
  [key: string]: unknown;
}

/** An ephemeral message: only `user` sees it; no API lists it, the channel page shows it. */
export interface EphemeralMessage {
  ts: string;
  channel: string;
  /** The recipient. */
  user: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  deleted?: boolean;
  /** Who posted it (bot user id or user id). */
  from?: string;
}

/** One `block_actions` delivery the emulator made to the app, with what the app answered. */
export interface InteractionDelivery {
  id: string;
  at: number;
  url: string;
  channel: string;
  messageTs: string;
  actionId: string;
  userId: string;
  status?: number;
  error?: string;
  durationMs?: number;
  payload: Record<string, unknown>;
}

/** A `response_url` issued with a delivery: it targets the original message and counts its uses. */
export interface ResponseUrlGrant {
  id: string;
  channel: string;
  messageTs: string;
  isEphemeral: boolean;
  userId: string;
  createdAt: number;
  uses: number;
}

export interface SlackStateData {
  org: SlackOrg;
  users: SlackUser[];
  channels: SlackChannel[];
  files: SlackFile[];
  sessions: SlackSession[];
  usergroups: SlackUserGroup[];
  auditEntries: AuditEntry[];
  /** Per channel id, every message including thread replies, in posting order. */
  messages: Record<string, SlackMessage[]>;
  ephemeral: Record<string, EphemeralMessage[]>;
  deliveries: InteractionDelivery[];
  responseUrls: ResponseUrlGrant[];
  lastTs: string;
}

const MAX_DELIVERIES = 200;

/** Slack message timestamps: `seconds.micro6`, unique and increasing per workspace. */
function compareTs(a: string, b: string): number {
  const [as, am = '0'] = a.split('.');
  const [bs, bm = '0'] = b.split('.');
  const ds = Number(as) - Number(bs);
  return ds !== 0 ? ds : Number(am.padEnd(6, '0')) - Number(bm.padEnd(6, '0'));
}

function emptyData(org: SlackOrg): SlackStateData {
  return {
    org,
    users: [],
    channels: [],
    files: [],
    sessions: [],
    usergroups: [],
    auditEntries: [],
    messages: {},
    ephemeral: {},
    deliveries: [],
    responseUrls: [],
    lastTs: '0.000000',
  };
}

export class SlackState {
  private data: SlackStateData;
  private changeVersion = 0;
  private auditChanges = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    org: Partial<SlackOrg> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.data = emptyData({ ...DEFAULT_ORG, ...org });
    this.ensureIdentities();
  }

  /** The Org Owner (who owns the audit/admin token) and the bot user always exist. */
  private ensureIdentities(): void {
    const org = this.data.org;
    if (this.getUser(org.ownerUserId) === undefined) {
      this.data.users.push({
        id: org.ownerUserId,
        team_id: org.teamId,
        name: 'org-owner',
        real_name: 'Org Owner',
        deleted: false,
        is_admin: true,
        is_owner: true,
        is_primary_owner: true,
        profile: { real_name: 'Org Owner', display_name: 'org-owner', email: `owner@${org.enterpriseDomain}.example` },
        enterprise_user: {
          id: org.ownerUserId,
          enterprise_id: org.enterpriseId,
          enterprise_name: org.enterpriseName,
          is_admin: true,
          is_owner: true,
          is_primary_owner: true,
          teams: [org.teamId],
        },
      });
    }
    if (this.getUser(org.botUserId) === undefined) {
      this.data.users.push({
        id: org.botUserId,
        team_id: org.teamId,
        name: org.botName,
        real_name: org.botName,
        deleted: false,
        is_bot: true,
        is_app_user: false,
        profile: { real_name: org.botName, display_name: org.botName, bot_id: org.botId },
      });
    }
  }

  get org(): SlackOrg {
    return this.data.org;
  }

  /** Increases whenever the audit log changes (the audit route caches its sort on it). */
  get auditRevision(): number {
    return this.auditChanges;
  }

  /** Increases on every mutation; the channel page polls it. */
  get version(): number {
    return this.changeVersion;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Call after mutating objects obtained from the getters. */
  touch(): void {
    this.changeVersion += 1;
    for (const listener of this.listeners) listener();
  }

  // ---- seeding and inspection ----

  /** Adds or replaces (by id) users. */
  addUsers(...users: SlackUser[] | SlackUser[][]): void {
    for (const user of users.flat()) upsert(this.data.users, clone(user));
    this.touch();
  }

  getUser(id: string): SlackUser | undefined {
    return this.data.users.find((u) => u.id === id);
  }

  findUserByEmail(email: string): SlackUser | undefined {
    const wanted = email.trim().toLowerCase();
    return this.data.users.find((u) => typeof u.profile.email === 'string' && u.profile.email.toLowerCase() === wanted);
  }

  listUsers(): SlackUser[] {
    return this.data.users;
  }

  addChannels(...channels: SlackChannel[] | SlackChannel[][]): void {
    for (const channel of channels.flat())
      upsert(this.data.channels, { is_channel: !channel.is_im, created: this.nowSec(), ...clone(channel) });
    this.touch();
  }

  /** By id, or by name with or without `#`. */
  getChannel(idOrName: string): SlackChannel | undefined {
    const byId = this.data.channels.find((c) => c.id === idOrName);
    if (byId !== undefined) return byId;
    const name = idOrName.replace(/^#/, '');
    return this.data.channels.find((c) => c.name === name && c.is_im !== true);
  }

  listChannels(): SlackChannel[] {
    return this.data.channels;
  }

  addFiles(...files: SlackFile[] | SlackFile[][]): void {
    for (const file of files.flat()) upsert(this.data.files, clone(file));
    this.touch();
  }

  getFile(id: string): SlackFile | undefined {
    return this.data.files.find((f) => f.id === id);
  }

  addSessions(...sessions: SlackSession[] | SlackSession[][]): void {
    for (const session of sessions.flat()) {
      const index = this.data.sessions.findIndex((s) => s.session_id === session.session_id);
      if (index >= 0) this.data.sessions[index] = clone(session);
      else this.data.sessions.push(clone(session));
    }
    this.touch();
  }

  /** Active sessions, optionally of one user. */
  getSessions(userId?: string): SlackSession[] {
    return this.data.sessions.filter((s) => userId === undefined || s.user_id === userId);
  }

  /** Ends sessions matching the predicate; returns the ended ones. */
  removeSessions(predicate: (session: SlackSession) => boolean): SlackSession[] {
    const removed = this.data.sessions.filter(predicate);
    this.data.sessions = this.data.sessions.filter((s) => !predicate(s));
    if (removed.length > 0) this.touch();
    return removed;
  }

  addUserGroups(...groups: SlackUserGroup[] | SlackUserGroup[][]): void {
    for (const group of groups.flat()) upsert(this.data.usergroups, clone(group));
    this.touch();
  }

  getUserGroup(id: string): SlackUserGroup | undefined {
    return this.data.usergroups.find((g) => g.id === id);
  }

  listUserGroups(): SlackUserGroup[] {
    return this.data.usergroups;
  }

  /** Appends audit entries exactly as given (valid or not). */
  addAuditEntries(...entries: AuditEntry[] | AuditEntry[][]): void {
    for (const entry of entries.flat()) this.data.auditEntries.push(clone(entry));
    this.auditChanges += 1;
    this.touch();
  }

  getAuditEntries(): readonly AuditEntry[] {
    return this.data.auditEntries;
  }

  clearAuditEntries(): void {
    this.data.auditEntries = [];
    this.auditChanges += 1;
    this.touch();
  }

  /** Every message of a channel (top level and thread replies), oldest first. */
  getMessages(channel: string): SlackMessage[] {
    return [...(this.data.messages[channel] ?? [])].sort((a, b) => compareTs(a.ts, b.ts));
  }

  getMessage(channel: string, ts: string): SlackMessage | undefined {
    return this.data.messages[channel]?.find((m) => m.ts === ts);
  }

  /** Replies of a thread, oldest first (without the parent). */
  getThread(channel: string, threadTs: string): SlackMessage[] {
    return this.getMessages(channel).filter((m) => m.thread_ts === threadTs && m.ts !== threadTs);
  }

  getEphemeral(channel: string, includeDeleted = false): EphemeralMessage[] {
    return (this.data.ephemeral[channel] ?? []).filter((m) => includeDeleted || m.deleted !== true);
  }

  getEphemeralMessage(channel: string, ts: string): EphemeralMessage | undefined {
    return this.data.ephemeral[channel]?.find((m) => m.ts === ts && m.deleted !== true);
  }

  get deliveries(): readonly InteractionDelivery[] {
    return this.data.deliveries;
  }

  // ---- mutations used by the routes ----

  /** Next message timestamp: now, but strictly after every earlier one. */
  nextTs(): string {
    const nowMs = this.now();
    let candidate = `${Math.floor(nowMs / 1000)}.${String((nowMs % 1000) * 1000).padStart(6, '0')}`;
    if (compareTs(candidate, this.data.lastTs) <= 0) {
      const [sec = '0', micro = '0'] = this.data.lastTs.split('.');
      const next = Number(micro) + 1;
      candidate = next >= 1_000_000 ? `${Number(sec) + 1}.000000` : `${sec}.${String(next).padStart(6, '0')}`;
    }
    this.data.lastTs = candidate;
    return candidate;
  }

  nowSec(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Stores a message (a reply when `thread_ts` names an existing parent) and updates the parent's thread fields. */
  appendMessage(channel: string, message: SlackMessage): SlackMessage {
    const list = (this.data.messages[channel] ??= []);
    if (message.thread_ts !== undefined && message.thread_ts !== message.ts) {
      const parent = list.find((m) => m.ts === message.thread_ts);
      if (parent !== undefined) {
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
        const author = message.user ?? message.bot_id ?? '';
        parent.reply_users = [...new Set([...(parent.reply_users ?? []), author])].filter((u) => u !== '');
        parent.latest_reply = message.ts;
      }
    }
    list.push(message);
    this.touch();
    return message;
  }

  /** Removes a message; a thread parent with replies stays as a tombstone, as Slack shows it. */
  deleteMessage(channel: string, ts: string): boolean {
    const list = this.data.messages[channel];
    const index = list?.findIndex((m) => m.ts === ts) ?? -1;
    const message = list?.[index];
    if (list === undefined || message === undefined) return false;
    if ((message.reply_count ?? 0) > 0) {
      list[index] = {
        type: 'message',
        subtype: 'tombstone',
        ts,
        text: 'This message was deleted.',
        thread_ts: ts,
        reply_count: message.reply_count,
        hidden: true,
      };
    } else {
      list.splice(index, 1);
    }
    this.touch();
    return true;
  }

  appendEphemeral(message: EphemeralMessage): EphemeralMessage {
    (this.data.ephemeral[message.channel] ??= []).push(message);
    this.touch();
    return message;
  }

  /** Opens (or finds) the DM channel with a user, as posting to a user id does. */
  openDm(userId: string): SlackChannel {
    const existing = this.data.channels.find((c) => c.is_im === true && c.user === userId);
    if (existing !== undefined) return existing;
    const user = this.getUser(userId);
    const channel: SlackChannel = {
      id: `D${userId.slice(1)}`,
      name: user?.name ?? userId,
      is_im: true,
      is_channel: false,
      user: userId,
      created: this.nowSec(),
    };
    this.data.channels.push(channel);
    this.touch();
    return channel;
  }

  recordDelivery(delivery: InteractionDelivery): void {
    this.data.deliveries.push(delivery);
    if (this.data.deliveries.length > MAX_DELIVERIES)
      this.data.deliveries.splice(0, this.data.deliveries.length - MAX_DELIVERIES);
    this.touch();
  }

  issueResponseUrl(grant: Omit<ResponseUrlGrant, 'id' | 'createdAt' | 'uses'>): ResponseUrlGrant {
    const full: ResponseUrlGrant = { ...grant, id: randomBytes(12).toString('hex'), createdAt: this.now(), uses: 0 };
    this.data.responseUrls.push(full);
    // Keep only recent grants; expired ones are useless anyway.
    if (this.data.responseUrls.length > 1000) this.data.responseUrls.splice(0, this.data.responseUrls.length - 1000);
    return full;
  }

  getResponseUrl(id: string): ResponseUrlGrant | undefined {
    return this.data.responseUrls.find((g) => g.id === id);
  }

  // ---- persistence ----

  /** A deep, JSON-serialisable copy of everything. */
  snapshot(): SlackStateData {
    return clone(this.data);
  }

  /** Replaces the whole state with a snapshot (missing collections become empty). */
  restore(snapshot: Partial<SlackStateData>): void {
    const base = emptyData({ ...this.data.org, ...(snapshot.org ?? {}) });
    this.data = { ...base, ...clone(snapshot), org: base.org };
    this.ensureIdentities();
    this.auditChanges += 1;
    this.touch();
  }
}

function upsert<T extends { id: string }>(list: T[], item: T): void {
  const index = list.findIndex((x) => x.id === item.id);
  if (index >= 0) list[index] = item;
  else list.push(item);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

export { compareTs };

/** A well-formed audit entry with defaults, for seeding and for the emulator's own admin actions. */
export function buildAuditEntry(
  org: SlackOrg,
  input: {
    action: string;
    dateCreate: number;
    actor: SlackUser | undefined;
    entity: { type: string; [key: string]: unknown };
    details?: Record<string, unknown>;
    ip?: string;
    ua?: string;
    sessionId?: number | string | null;
  },
): AuditEntry {
  const actorUser = input.actor;
  const entry: AuditEntry = {
    id: randomUUID(),
    date_create: input.dateCreate,
    action: input.action,
    actor: {
      type: 'user',
      user: {
        id: actorUser?.id ?? 'USLACKBOT',
        name: actorUser?.name ?? 'Slackbot',
        email: actorUser?.profile.email ?? '',
        team: org.enterpriseId,
      },
    },
    entity: input.entity,
    context: {
      location: { type: 'enterprise', id: org.enterpriseId, name: org.enterpriseName, domain: org.enterpriseDomain },
      ua: input.ua ?? 'Slack emulator',
      ip_address: input.ip ?? '127.0.0.1',
      ...(input.sessionId === undefined ? {} : { session_id: input.sessionId }),
    },
  };
  if (input.details !== undefined) entry.details = input.details;
  return entry;
}

/** The `entity.user` sub-object of an audit entry for a user. */
export function auditUserEntity(org: SlackOrg, user: SlackUser): { type: 'user'; user: Record<string, unknown> } {
  return {
    type: 'user',
    user: { id: user.id, name: user.name, email: user.profile.email ?? '', team: org.enterpriseId },
  };
}
