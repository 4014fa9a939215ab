/**
 * Wire shapes the scenario emits: what Slack's Audit Logs API, Slack Web API (users.info, files.info,
 * conversations.info, usergroups.list, admin.users.session.list) and Meraki Dashboard API v1 return,
 * per docs/reference/slack-api.md and docs/reference/meraki-api.md. Plain JSON only, so emulators can
 * serve them as-is. The Meraki shapes, and the Slack ones a schema fully describes, are `z.infer` of
 * wire-schemas.ts.
 */
import type { AuditLocation, AuditUser, MerakiUplinkStatus } from './wire-schemas';

export type {
  AuditLocation,
  AuditUser,
  MerakiCellularUplink,
  MerakiDevice,
  MerakiDeviceStatus,
  MerakiNetwork,
  MerakiNetworkEvent,
  MerakiOrganization,
  MerakiUplink,
  MerakiUplinkState,
  MerakiUplinkStatus,
  MerakiWanUplink,
  MerakiWebhookPayload,
  SlackSession,
  SlackSessionDevice,
} from './wire-schemas';

// ---------- Slack Audit Logs ----------

export interface AuditFile {
  id: string;
  name: string;
  filetype: string;
  title: string;
}

export interface AuditChannel {
  id: string;
  name: string;
  privacy: 'public' | 'private';
  is_shared: boolean;
  is_org_shared: boolean;
}

export interface AuditApp {
  id: string;
  name: string;
  is_distributed: boolean;
  is_directory_approved: boolean;
  is_workflow_app: boolean;
  scopes: string[];
}

export type AuditEntity =
  | { type: 'user'; user: AuditUser }
  | { type: 'file'; file: AuditFile }
  | { type: 'channel'; channel: AuditChannel }
  | { type: 'app'; app: AuditApp }
  | { type: 'workspace'; workspace: AuditLocation }
  | { type: 'enterprise'; enterprise: AuditLocation };

export interface AuditContext {
  location: AuditLocation;
  ua: string;
  ip_address: string;
  /** Number in Slack's SDK fixture, string in its docs, sometimes null, sometimes absent. */
  session_id?: number | string | null;
}

export interface AuditEntry {
  id: string;
  /** Unix seconds. */
  date_create: number;
  action: string;
  actor: { type: 'user'; user: AuditUser };
  entity: AuditEntity;
  context: AuditContext;
  details?: Record<string, unknown>;
}

// ---------- Slack Web API objects ----------

export interface SlackUserProfile {
  real_name: string;
  real_name_normalized: string;
  display_name: string;
  display_name_normalized: string;
  first_name: string;
  last_name: string;
  title: string;
  email: string;
  phone: string;
  team: string;
  status_text: string;
  status_emoji: string;
  avatar_hash: string;
  image_24: string;
  image_48: string;
  image_72: string;
  image_192: string;
  bot_id?: string;
}

export interface SlackEnterpriseUser {
  id: string;
  enterprise_id: string;
  enterprise_name: string;
  is_admin: boolean;
  is_owner: boolean;
  is_primary_owner: boolean;
  teams: string[];
}

/** users.info `user` object on Enterprise Grid. */
export interface SlackUser {
  id: string;
  team_id: string;
  name: string;
  deleted: boolean;
  color: string;
  real_name: string;
  tz: string;
  tz_label: string;
  tz_offset: number;
  profile: SlackUserProfile;
  is_admin: boolean;
  is_owner: boolean;
  is_primary_owner: boolean;
  is_restricted: boolean;
  is_ultra_restricted: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  updated: number;
  has_2fa: boolean;
  enterprise_user: SlackEnterpriseUser;
}

export interface SlackWorkspace {
  id: string;
  name: string;
  domain: string;
  email_domain: string;
  enterprise_id: string;
  enterprise_name: string;
}

export interface SlackEnterprise {
  id: string;
  name: string;
  domain: string;
}

/** conversations.info `channel` object (subset that matters here). */
export interface SlackChannel {
  id: string;
  name: string;
  is_channel: boolean;
  is_group: boolean;
  is_im: boolean;
  is_private: boolean;
  is_archived: boolean;
  is_general: boolean;
  is_shared: boolean;
  is_org_shared: boolean;
  is_ext_shared: boolean;
  context_team_id: string;
  created: number;
  creator: string;
  name_normalized: string;
  num_members: number;
  topic: { value: string; creator: string; last_set: number };
  purpose: { value: string; creator: string; last_set: number };
  /** Not part of conversations.info: convenience list for conversations.members emulation. */
  members: string[];
}

/** files.info `file` object. */
export interface SlackFile {
  id: string;
  created: number;
  timestamp: number;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  pretty_type: string;
  user: string;
  user_team: string;
  editable: boolean;
  size: number;
  mode: 'hosted';
  is_external: boolean;
  external_type: string;
  is_public: boolean;
  public_url_shared: boolean;
  display_as_bot: boolean;
  username: string;
  url_private: string;
  url_private_download: string;
  permalink: string;
  permalink_public?: string;
  channels: string[];
  groups: string[];
  ims: string[];
  comments_count: number;
}

/** usergroups.list item (with include_users). */
export interface SlackUsergroup {
  id: string;
  team_id: string;
  enterprise_subteam_id: string;
  is_usergroup: boolean;
  is_subteam: boolean;
  name: string;
  description: string;
  handle: string;
  is_external: boolean;
  date_create: number;
  date_update: number;
  date_delete: number;
  auto_type: null;
  created_by: string;
  updated_by: string;
  deleted_by: null;
  prefs: { channels: string[]; groups: string[] };
  users: string[];
  user_count: number;
}

// ---------- Meraki Dashboard API v1 (the wire objects are re-exported above) ----------

/** One change of an MX's uplink statuses: the full status item as it reads from `at` on. */
export interface MerakiUplinkChange {
  /** Stable key for incident eventIds. */
  key: string;
  /** Epoch ms. */
  at: number;
  organizationId: string;
  status: MerakiUplinkStatus;
}
