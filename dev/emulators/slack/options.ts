/**
 * Options of the Slack emulator. Every point no source confirms (docs/reference/slack-api.md,
 * "Unverified points") is a setting here, with the default the project assumes; tests flip them to
 * prove the client copes either way.
 */
import type { FaultInjector } from '../common/faults';
import type { SlackOrg, SlackStateData } from './state';

/** A token the emulator accepts, and who it speaks for. */
export interface TokenGrant {
  token: string;
  type: 'user' | 'bot';
  /** The user the token belongs to (the bot user for a bot token). */
  userId: string;
  scopes: string[];
}

export interface SlackEmulatorOptions {
  port?: number;
  host?: string;
  /** Base URL the emulator advertises (response_url); defaults to its own http://127.0.0.1:<port>. */
  publicUrl?: string;
  /** Clock in ms (tests move time without sleeping). */
  now?: () => number;
  faults?: FaultInjector;
  org?: Partial<SlackOrg>;
  /** Initial state (e.g. a snapshot read from the data folder). */
  seed?: Partial<SlackStateData>;
  tokens?: {
    /** Org Owner user token (`xoxp-…`) for the Audit Logs API and the admin.* methods. */
    audit?: string;
    /** Bot token (`xoxb-…`) for chat.*, users.*, files.info, usergroups.*. */
    bot?: string;
    /** SCIM token (an OAuth token with the `admin` scope). */
    scim?: string;
    /** More tokens (e.g. a user token without admin rights). */
    extra?: TokenGrant[];
  };
  /** Where the channel page sends `block_actions` (can be set later with `setInteractivity`). */
  interactivity?: InteractivityOptions;
  audit?: AuditOptions;
  webApi?: WebApiOptions;
  scim?: ScimOptions;
  responseUrl?: ResponseUrlOptions;
}

export interface InteractivityOptions {
  requestUrl?: string;
  signingSecret?: string;
  /** The legacy verification token put in `payload.token`. */
  verificationToken?: string;
  /** Slack gives up on the app after 3 s. */
  timeoutMs?: number;
  /** Sign with a timestamp this many seconds off (negative = in the past) to test staleness checks. */
  clockSkewSec?: number;
}

export interface AuditOptions {
  /** Org-wide budget over all Audit Logs methods (Tier 3, ~50 calls/min). */
  ratePerWindow?: number;
  windowMs?: number;
  /** [UNVERIFIED] default page size when `limit` is absent. */
  defaultLimit?: number;
  maxLimit?: number;
  /** [UNVERIFIED format] maximum number of comma-separated `action` values. */
  maxActions?: number;
  /** [UNVERIFIED] newest first is assumed. */
  order?: 'newestFirst' | 'oldestFirst';
  /** [UNVERIFIED] how a bad argument (limit over max, bad number, too many actions, bad cursor) is answered. */
  argumentError?: { status: number; error: string };
  /** Whether `/logs` bodies carry `"ok": true` (present in some responses). */
  includeOk?: boolean;
}

export interface WebApiOptions {
  /** Text longer than this answers `msg_too_long`. */
  maxTextLength?: number;
  /** [UNVERIFIED] whether users.lookupByEmail finds deactivated users. */
  lookupByEmailIncludesDeleted?: boolean;
  /** Slack's current docs require `user_id` on admin.users.session.invalidate; @slack/web-api 8 types still send `team_id` only. */
  invalidateRequiresUserId?: boolean;
  /** [UNVERIFIED] `member`: files.info lists only shares in channels the caller's identity is a member of. */
  filesInfoVisibility?: 'all' | 'member';
  /** [UNVERIFIED] admin.users.session.list answers `no_active_sessions` (instead of an empty list) for a user without sessions. */
  noActiveSessionsError?: boolean;
  /** [UNVERIFIED] scope admin.users.deactivate needs. */
  deactivateScope?: string;
  /** Admin actions (session reset/invalidate, SCIM deactivation) append the audit entries Slack would log. */
  emitAuditEntries?: boolean;
}

export interface ScimOptions {
  /** [UNVERIFIED for Slack] PATCH with `active:false` deactivates. */
  patchActiveDeactivates?: boolean;
  /** [UNVERIFIED] status of a successful DELETE. */
  deleteStatus?: 200 | 204;
}

export interface ResponseUrlOptions {
  /** Uses allowed per response_url (Slack: 5 within 30 minutes). */
  maxUses?: number;
  ttlSec?: number;
  /** [UNVERIFIED] status for an expired or used-up URL. */
  expiredStatus?: number;
  /** [UNVERIFIED] response_type when the app sends none and does not replace the original. */
  defaultResponseType?: 'ephemeral' | 'in_channel';
  /** [UNVERIFIED] legacy attachments replaced by default; Block Kit is assumed not to. */
  replaceOriginalByDefault?: boolean;
}

export interface ResolvedOptions {
  tokens: { audit: string; bot: string; scim: string };
  grants: TokenGrant[];
  interactivity: Required<Pick<InteractivityOptions, 'timeoutMs' | 'clockSkewSec' | 'verificationToken'>> &
    Pick<InteractivityOptions, 'requestUrl' | 'signingSecret'>;
  audit: Required<AuditOptions>;
  webApi: Required<WebApiOptions>;
  scim: Required<ScimOptions>;
  responseUrl: Required<ResponseUrlOptions>;
}

export const OWNER_SCOPES = [
  'auditlogs:read',
  'admin',
  'admin.users:read',
  'admin.users:write',
  'chat:write',
  'users:read',
  'users:read.email',
  'usergroups:read',
  'files:read',
];
export const BOT_SCOPES = [
  'chat:write',
  'chat:write.public',
  'users:read',
  'users:read.email',
  'usergroups:read',
  'files:read',
];

export function resolveOptions(options: SlackEmulatorOptions, org: SlackOrg): ResolvedOptions {
  const tokens = {
    audit: options.tokens?.audit ?? 'xoxp-emulator-org-owner',
    bot: options.tokens?.bot ?? 'xoxb-emulator-bot',
    scim: options.tokens?.scim ?? options.tokens?.audit ?? 'xoxp-emulator-org-owner',
  };
  const grants: TokenGrant[] = [
    { token: tokens.audit, type: 'user', userId: org.ownerUserId, scopes: OWNER_SCOPES },
    { token: tokens.bot, type: 'bot', userId: org.botUserId, scopes: BOT_SCOPES },
    ...(tokens.scim === tokens.audit
      ? []
      : [{ token: tokens.scim, type: 'user' as const, userId: org.ownerUserId, scopes: ['admin'] }]),
    ...(options.tokens?.extra ?? []),
  ];
  return {
    tokens,
    grants,
    interactivity: {
      timeoutMs: 3000,
      clockSkewSec: 0,
      verificationToken: 'emulator-verification-token',
      ...options.interactivity,
    },
    audit: {
      ratePerWindow: 50,
      windowMs: 60_000,
      defaultLimit: 100,
      maxLimit: 9999,
      maxActions: 30,
      order: 'newestFirst',
      argumentError: { status: 400, error: 'invalid_arguments' },
      includeOk: true,
      ...options.audit,
    },
    webApi: {
      maxTextLength: 40_000,
      lookupByEmailIncludesDeleted: false,
      invalidateRequiresUserId: true,
      filesInfoVisibility: 'all',
      noActiveSessionsError: false,
      emitAuditEntries: true,
      deactivateScope: 'admin.users:write',
      ...options.webApi,
    },
    scim: { patchActiveDeactivates: true, deleteStatus: 204, ...options.scim },
    responseUrl: {
      maxUses: 5,
      ttlSec: 30 * 60,
      expiredStatus: 404,
      defaultResponseType: 'ephemeral',
      replaceOriginalByDefault: false,
      ...options.responseUrl,
    },
  };
}

/** What every route module gets. */
export interface SlackContext {
  state: import('./state').SlackState;
  options: ResolvedOptions;
  faults: FaultInjector;
  now: () => number;
  /** The emulator's advertised base URL (set once listening). */
  publicUrl: () => string;
}

export function findGrant(options: ResolvedOptions, token: string | undefined): TokenGrant | undefined {
  if (token === undefined || token === '') return undefined;
  return options.grants.find((g) => g.token === token);
}

export function bearer(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer\s+(.+)$/i.exec(value ?? '');
  return m?.[1]?.trim();
}
