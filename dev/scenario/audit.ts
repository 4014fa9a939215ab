/**
 * Builders for Slack Audit Logs entries in the exact wire shape (docs/reference/slack-api.md, "Audit
 * Logs entries").
 */
import { auditUser, type ChannelModel, type OrgModel, type Person } from './org';
import type { AuditApp, AuditEntity, AuditEntry, AuditLocation, SlackFile } from './wire-types';

export interface EntryArgs {
  id: string;
  /** Unix seconds (integer). */
  at: number;
  action: string;
  actor: Person;
  entity: AuditEntity;
  location: AuditLocation;
  ua: string;
  ip: string;
  /** undefined = field absent. */
  sessionId?: number | string | null;
  details?: Record<string, unknown>;
}

export function makeEntry(org: OrgModel, a: EntryArgs): AuditEntry {
  const entry: AuditEntry = {
    id: a.id,
    date_create: Math.floor(a.at),
    action: a.action,
    actor: { type: 'user', user: auditUser(a.actor, org.enterprise.id) },
    entity: a.entity,
    context: { location: a.location, ua: a.ua, ip_address: a.ip },
  };
  if (a.sessionId !== undefined) entry.context.session_id = a.sessionId;
  if (a.details !== undefined) entry.details = a.details;
  return entry;
}

export function userEntity(org: OrgModel, p: Person): AuditEntity {
  return { type: 'user', user: auditUser(p, org.enterprise.id) };
}

export function fileEntity(f: SlackFile): AuditEntity {
  return { type: 'file', file: { id: f.id, name: f.name, filetype: f.filetype, title: f.title } };
}

export function channelEntity(c: ChannelModel): AuditEntity {
  return {
    type: 'channel',
    channel: {
      id: c.channel.id,
      name: c.channel.name,
      privacy: c.channel.is_private ? 'private' : 'public',
      is_shared: c.channel.is_shared,
      is_org_shared: c.channel.is_org_shared,
    },
  };
}

export function appEntity(app: AuditApp): AuditEntity {
  return { type: 'app', app };
}

export function locationOf(org: OrgModel, teamId: string): AuditLocation {
  const ws = org.workspaces.find((w) => w.id === teamId) ?? org.workspaces[0];
  if (ws === undefined)
    return { type: 'enterprise', id: org.enterprise.id, name: org.enterprise.name, domain: org.enterprise.domain };
  return { type: 'workspace', id: ws.id, name: ws.name, domain: ws.domain };
}

export function enterpriseLocationOf(org: OrgModel): AuditLocation {
  return { type: 'enterprise', id: org.enterprise.id, name: org.enterprise.name, domain: org.enterprise.domain };
}

/** Ascending by time, then id, so output order is total and stable. */
export function byTime(a: AuditEntry, b: AuditEntry): number {
  return a.date_create - b.date_create || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
