/**
 * Web API (`/api/<method>`): POST with a form-encoded or JSON body (GET with query args also works),
 * token from `Authorization: Bearer` or a `token` argument (form/query only, as Slack ignores it in
 * JSON bodies). Errors are HTTP 200 `{ok:false,error}`; only rate limiting uses 429 + `Retry-After`
 * (via the `ratelimited` fault kind), which is what @slack/web-api keys its retries on.
 */
import type { EmulatorRequest, EmulatorResponse, Router } from '../common/server';
import { json } from '../common/server';
import { checkBlocks, textFromBlocks } from './blocks';
import { bearer, findGrant, type SlackContext, type TokenGrant } from './options';
import {
  auditUserEntity,
  buildAuditEntry,
  type SlackChannel,
  type SlackMessage,
  type SlackSession,
  type SlackUser,
} from './state';

type Args = Record<string, unknown>;

export class SlackError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

interface Call {
  args: Args;
  grant: TokenGrant;
  identity: SlackUser | undefined;
}

interface Method {
  scope?: string;
  handler: (call: Call) => Record<string, unknown>;
}

function parseArgs(req: EmulatorRequest): { args: Args; bodyToken?: string; json: boolean } {
  const args: Args = {};
  for (const [k, v] of req.query) args[k] = v;
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const text = req.body.toString('utf8');
  if (contentType.startsWith('application/json')) {
    if (text.trim() !== '') {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SlackError('invalid_json');
      Object.assign(args, parsed);
    }
    // Slack reads the token of a JSON body only from the Authorization header.
    delete args.token;
    return { args, json: true };
  }
  for (const [k, v] of new URLSearchParams(text)) args[k] = v;
  const token = typeof args.token === 'string' ? args.token : undefined;
  delete args.token;
  return { args, json: false, ...(token === undefined ? {} : { bodyToken: token }) };
}

const str = (args: Args, name: string): string | undefined => {
  const v = args[name];
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
};

const bool = (args: Args, name: string): boolean => {
  const v = args[name];
  return v === true || v === 'true' || v === '1' || v === 1;
};

const required = (args: Args, name: string, error = 'invalid_arguments'): string => {
  const v = str(args, name);
  if (v === undefined)
    throw new SlackError(error, { response_metadata: { messages: [`[ERROR] missing required field: ${name}`] } });
  return v;
};

/** Bot-posted messages carry `bot_id`/`app_id` and the bot user; user tokens post as the user. */
function authorFields(ctx: SlackContext, call: Call): Partial<SlackMessage> {
  const org = ctx.state.org;
  if (call.grant.type === 'bot') {
    return {
      user: org.botUserId,
      bot_id: org.botId,
      app_id: org.appId,
      team: org.teamId,
      bot_profile: { id: org.botId, app_id: org.appId, name: org.botName, deleted: false, team_id: org.teamId },
    };
  }
  return { user: call.grant.userId, team: org.teamId };
}

export function registerWebApiRoutes(router: Router, ctx: SlackContext): void {
  const { state } = ctx;
  const opts = ctx.options.webApi;

  const emitAudit = (
    action: string,
    actor: SlackUser | undefined,
    target: SlackUser,
    details?: Record<string, unknown>,
  ) => {
    if (!opts.emitAuditEntries) return;
    state.addAuditEntries(
      buildAuditEntry(state.org, {
        action,
        dateCreate: state.nowSec(),
        actor,
        entity: auditUserEntity(state.org, target),
        ...(details === undefined ? {} : { details }),
      }),
    );
  };

  /** Resolves a channel the caller can see; a user id opens the DM, as Slack does. */
  const resolveChannel = (call: Call, ref: string): SlackChannel => {
    let channel = state.getChannel(ref);
    if (channel === undefined && /^[UW][A-Z0-9]+$/.test(ref) && state.getUser(ref) !== undefined)
      channel = state.openDm(ref);
    if (channel === undefined) throw new SlackError('channel_not_found');
    if (channel.is_private === true && channel.members !== undefined && !channel.members.includes(call.grant.userId))
      throw new SlackError('channel_not_found');
    return channel;
  };

  const messageContent = (
    args: Args,
    requireContent: boolean,
  ): { text?: string; blocks?: Record<string, unknown>[] } => {
    const out: { text?: string; blocks?: Record<string, unknown>[] } = {};
    const text = str(args, 'text');
    if (text !== undefined) {
      if (text.length > opts.maxTextLength) throw new SlackError('msg_too_long');
      out.text = text;
    }
    if (args.blocks !== undefined && args.blocks !== '') {
      const checked = checkBlocks(args.blocks);
      if (!checked.ok)
        throw new SlackError(checked.error, { response_metadata: { messages: [`[ERROR] ${checked.detail}`] } });
      out.blocks = checked.blocks;
    }
    if (requireContent && out.text === undefined && out.blocks === undefined && args.attachments === undefined)
      throw new SlackError('no_text');
    return out;
  };

  const requireAdmin = (call: Call): void => {
    const u = call.identity;
    if (
      u === undefined ||
      !(
        u.is_admin === true ||
        u.is_owner === true ||
        u.enterprise_user?.is_admin === true ||
        u.enterprise_user?.is_owner === true
      )
    ) {
      throw new SlackError('not_an_admin');
    }
  };

  const methods: Record<string, Method> = {
    'auth.test': {
      handler: (call) => {
        const org = state.org;
        return {
          url: `https://${org.teamDomain}.slack.com/`,
          team: org.teamName,
          user: call.identity?.name ?? call.grant.userId,
          team_id: org.teamId,
          user_id: call.grant.userId,
          ...(call.grant.type === 'bot' ? { bot_id: org.botId } : {}),
          enterprise_id: org.enterpriseId,
          is_enterprise_install: call.grant.type === 'user',
        };
      },
    },

    'chat.postMessage': {
      scope: 'chat:write',
      handler: (call) => {
        const channel = resolveChannel(call, required(call.args, 'channel', 'channel_not_found'));
        if (channel.is_archived === true) throw new SlackError('is_archived');
        const content = messageContent(call.args, true);
        const ts = state.nextTs();
        let threadTs = str(call.args, 'thread_ts');
        if (threadTs !== undefined) {
          // Replying to a reply lands in the parent's thread.
          const target = state.getMessage(channel.id, threadTs);
          if (target?.thread_ts !== undefined) threadTs = target.thread_ts;
        }
        const message: SlackMessage = {
          type: 'message',
          ts,
          text: content.text ?? (content.blocks === undefined ? '' : textFromBlocks(content.blocks)),
          ...authorFields(ctx, call),
          ...(content.blocks === undefined ? {} : { blocks: content.blocks }),
          ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
          ...(call.args.metadata === undefined
            ? {}
            : {
                metadata:
                  typeof call.args.metadata === 'string'
                    ? (JSON.parse(call.args.metadata) as unknown)
                    : call.args.metadata,
              }),
        };
        state.appendMessage(channel.id, message);
        return { channel: channel.id, ts, message: structuredClone(message) };
      },
    },

    'chat.update': {
      scope: 'chat:write',
      handler: (call) => {
        const channel = resolveChannel(call, required(call.args, 'channel', 'channel_not_found'));
        const ts = required(call.args, 'ts', 'message_not_found');
        const message = state.getMessage(channel.id, ts);
        if (message === undefined || message.subtype === 'tombstone') throw new SlackError('message_not_found');
        const author = authorFields(ctx, call);
        if (message.user !== author.user || (message.bot_id ?? null) !== (author.bot_id ?? null))
          throw new SlackError('cant_update_message');
        const content = messageContent(call.args, false);
        if (content.text === undefined && content.blocks === undefined && call.args.attachments === undefined)
          throw new SlackError('no_text');
        // Without `blocks` the previous blocks stay; an empty array removes them.
        if (content.blocks !== undefined) {
          if (content.blocks.length === 0) delete message.blocks;
          else message.blocks = content.blocks;
        }
        if (content.text !== undefined) message.text = content.text;
        else if (content.blocks !== undefined) message.text = textFromBlocks(content.blocks);
        message.edited = { user: author.user ?? call.grant.userId, ts: state.nextTs() };
        state.touch();
        return { channel: channel.id, ts, text: message.text, message: structuredClone(message) };
      },
    },

    'chat.postEphemeral': {
      scope: 'chat:write',
      handler: (call) => {
        const channel = resolveChannel(call, required(call.args, 'channel', 'channel_not_found'));
        const userId = required(call.args, 'user', 'user_not_found');
        const user = state.getUser(userId);
        if (user === undefined) throw new SlackError('user_not_found');
        if (channel.is_archived === true) throw new SlackError('is_archived');
        if (channel.members !== undefined && !channel.members.includes(userId))
          throw new SlackError('user_not_in_channel');
        const content = messageContent(call.args, true);
        const ts = state.nextTs();
        const threadTs = str(call.args, 'thread_ts');
        state.appendEphemeral({
          ts,
          channel: channel.id,
          user: userId,
          text: content.text ?? (content.blocks === undefined ? '' : textFromBlocks(content.blocks)),
          ...(content.blocks === undefined ? {} : { blocks: content.blocks }),
          ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
          from: authorFields(ctx, call).user ?? call.grant.userId,
        });
        return { message_ts: ts };
      },
    },

    'users.info': {
      scope: 'users:read',
      handler: (call) => {
        const user = state.getUser(required(call.args, 'user', 'user_not_found'));
        if (user === undefined) throw new SlackError('user_not_found');
        const copy = structuredClone(user);
        if (!call.grant.scopes.includes('users:read.email')) delete copy.profile.email;
        return { user: copy };
      },
    },

    'users.lookupByEmail': {
      scope: 'users:read.email',
      handler: (call) => {
        const user = state.findUserByEmail(required(call.args, 'email', 'users_not_found'));
        if (user === undefined || (user.deleted === true && !opts.lookupByEmailIncludesDeleted))
          throw new SlackError('users_not_found');
        return { user: structuredClone(user) };
      },
    },

    'usergroups.users.list': {
      scope: 'usergroups:read',
      handler: (call) => {
        const group = state.getUserGroup(required(call.args, 'usergroup', 'no_such_subteam'));
        if (group === undefined) throw new SlackError('no_such_subteam');
        if ((group.date_delete ?? 0) > 0 && !bool(call.args, 'include_disabled'))
          throw new SlackError('no_such_subteam');
        return { users: [...group.users] };
      },
    },

    'files.info': {
      scope: 'files:read',
      handler: (call) => {
        const file = state.getFile(required(call.args, 'file', 'file_not_found'));
        if (file === undefined) throw new SlackError('file_not_found');
        if (file.is_deleted === true) throw new SlackError('file_deleted');
        const copy = structuredClone(file);
        delete copy.is_deleted;
        if (opts.filesInfoVisibility === 'member') {
          const visible = (id: string) => {
            const c = state.getChannel(id);
            return c !== undefined && (c.members === undefined || c.members.includes(call.grant.userId));
          };
          for (const key of ['channels', 'groups', 'ims'] as const)
            if (copy[key] !== undefined) copy[key] = copy[key].filter(visible);
          for (const kind of ['public', 'private'] as const) {
            const shares = copy.shares?.[kind];
            if (shares !== undefined)
              copy.shares = {
                ...copy.shares,
                [kind]: Object.fromEntries(Object.entries(shares).filter(([id]) => visible(id))),
              };
          }
        }
        return { file: copy, comments: [], response_metadata: { next_cursor: '' } };
      },
    },

    'admin.users.session.reset': {
      scope: 'admin.users:write',
      handler: (call) => {
        requireAdmin(call);
        const user = state.getUser(required(call.args, 'user_id', 'user_not_found'));
        if (user === undefined) throw new SlackError('user_not_found');
        if (user.is_bot === true) throw new SlackError('cannot_reset_bot');
        if (user.is_primary_owner === true || user.enterprise_user?.is_primary_owner === true)
          throw new SlackError('cannot_reset_primary_owner');
        const mobileOnly = bool(call.args, 'mobile_only');
        const webOnly = bool(call.args, 'web_only');
        state.removeSessions(
          (s) => s.user_id === user.id && (!mobileOnly || isMobile(s)) && (!webOnly || !isMobile(s)),
        );
        emitAudit('user_session_reset_by_admin', call.identity, user, {
          mobile_only: mobileOnly,
          web_only: webOnly,
          non_sso_only: false,
        });
        return {};
      },
    },

    'admin.users.session.invalidate': {
      scope: 'admin.users:write',
      handler: (call) => {
        requireAdmin(call);
        const raw = required(call.args, 'session_id');
        if (!/^\d+$/.test(raw)) throw new SlackError('invalid_arguments');
        const userId = str(call.args, 'user_id');
        if (opts.invalidateRequiresUserId && userId === undefined)
          throw new SlackError('invalid_arguments', {
            response_metadata: { messages: ['[ERROR] missing required field: user_id'] },
          });
        const session = state
          .getSessions()
          .find((s) => s.session_id === Number(raw) && (userId === undefined || s.user_id === userId));
        if (session === undefined) throw new SlackError('session_not_found');
        const user = state.getUser(session.user_id);
        if (user?.is_primary_owner === true) throw new SlackError('cannot_invalidate_primary_owner');
        state.removeSessions((s) => s.session_id === session.session_id);
        if (user !== undefined)
          emitAudit('user_session_invalidated', call.identity, user, { session_id: session.session_id });
        return {};
      },
    },

    // Org-wide deactivation; not a typed method in @slack/web-api 8 (use apiCall).
    'admin.users.deactivate': {
      scope: opts.deactivateScope,
      handler: (call) => {
        requireAdmin(call);
        const user = state.getUser(required(call.args, 'user_id', 'user_not_found'));
        if (user === undefined) throw new SlackError('user_not_found');
        if (user.is_primary_owner === true || user.enterprise_user?.is_primary_owner === true)
          throw new SlackError('cannot_deactivate_primary_owner');
        if (user.deleted !== true) {
          user.deleted = true;
          user.updated = state.nowSec();
          state.removeSessions((s) => s.user_id === user.id);
          emitAudit('user_deactivated', call.identity, user);
        }
        return {};
      },
    },

    'admin.users.session.list': {
      scope: 'admin.users:read',
      handler: (call) => {
        requireAdmin(call);
        const userId = str(call.args, 'user_id');
        const teamId = str(call.args, 'team_id');
        if (userId !== undefined && teamId === undefined) throw new SlackError('missing_team');
        if (teamId !== undefined && userId === undefined) throw new SlackError('missing_user');
        if (userId !== undefined && state.getUser(userId) === undefined) throw new SlackError('user_not_found');
        const limitRaw = str(call.args, 'limit');
        const limit = limitRaw === undefined ? 1000 : Number(limitRaw);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new SlackError('invalid_limit');
        const cursor = str(call.args, 'cursor');
        let start = 0;
        if (cursor !== undefined) {
          const decoded = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
          if (decoded === null) throw new SlackError('invalid_cursor');
          start = Number(decoded[1]);
        }
        const sessions = state.getSessions(userId).filter((s) => teamId === undefined || s.team_id === teamId);
        if (userId !== undefined && sessions.length === 0 && opts.noActiveSessionsError)
          throw new SlackError('no_active_sessions');
        const page = sessions.slice(start, start + limit);
        const next = start + limit < sessions.length ? Buffer.from(`offset:${start + limit}`).toString('base64') : '';
        return { active_sessions: structuredClone(page), response_metadata: { next_cursor: next } };
      },
    },
  };

  router.on('*', '/api/{method}', (req): EmulatorResponse => {
    const name = req.params.method ?? '';
    const fail = (error: string, extra: Record<string, unknown> = {}) => json(200, { ok: false, error, ...extra });

    const limited = ctx.faults.take('ratelimited', req.raw);
    if (limited !== undefined)
      return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limited.retryAfterSec ?? 1) });

    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs(req);
    } catch {
      return fail('invalid_json');
    }
    const method = methods[name];
    if (method === undefined) return fail('unknown_method');

    const token = bearer(req.headers.authorization) ?? parsed.bodyToken;
    if (token === undefined) return fail('not_authed');
    const expiry = ctx.faults.take('tokenExpiry', req.raw);
    if (expiry !== undefined)
      return fail(typeof expiry.params?.error === 'string' ? expiry.params.error : 'token_expired');
    const grant = findGrant(ctx.options, token);
    if (grant === undefined) return fail('invalid_auth');
    const identity = state.getUser(grant.userId);
    if (identity?.deleted === true) return fail('account_inactive');
    if (method.scope !== undefined && !grant.scopes.includes(method.scope)) {
      return fail('missing_scope', { needed: method.scope, provided: grant.scopes.join(',') });
    }
    try {
      return json(200, { ok: true, ...method.handler({ args: parsed.args, grant, identity }) });
    } catch (error) {
      if (error instanceof SlackError) return fail(error.error, error.extra);
      throw error;
    }
  });
}

/** Session kind from the client it was created on (mobile_only / web_only of session.reset). */
export function isMobile(session: SlackSession): boolean {
  const client = session.created ?? session.recent ?? {};
  return /ios|android|iphone|ipad/i.test(`${client.os ?? ''} ${client.device_hardware ?? ''}`);
}
