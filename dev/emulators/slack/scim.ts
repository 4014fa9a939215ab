/**
 * SCIM 1.1 Users (`/scim/v1/Users`): a real REST API (GET/PATCH/DELETE, bearer token with the `admin`
 * scope), errors as `{"Errors":{"description","code"}}`. Deactivation (PATCH `active:false` or DELETE)
 * marks the user `deleted` and ends every session of theirs, as Slack does.
 */
import type { EmulatorRequest, EmulatorResponse, Router } from '../common/server';
import { json } from '../common/server';
import { parseObject } from './interactivity';
import { bearer, findGrant, type SlackContext } from './options';
import { auditUserEntity, buildAuditEntry, type SlackUser } from './state';

const CORE = 'urn:scim:schemas:core:1.0';

function scimError(code: number, description: string): EmulatorResponse {
  return json(code, { Errors: { description, code } });
}

export function toScimUser(ctx: SlackContext, user: SlackUser): Record<string, unknown> {
  const groups = ctx.state.listUserGroups().filter((g) => g.users.includes(user.id) && (g.date_delete ?? 0) === 0);
  const email = user.profile.email;
  return {
    schemas: [CORE],
    id: user.id,
    externalId: typeof user.external_id === 'string' ? user.external_id : '',
    meta: {
      created: new Date(((user.created as number | undefined) ?? 0) * 1000).toISOString(),
      location: `${ctx.publicUrl()}/scim/v1/Users/${user.id}`,
    },
    userName: user.name,
    nickName: user.name,
    name: { givenName: user.profile.first_name ?? '', familyName: user.profile.last_name ?? '' },
    displayName: user.profile.display_name ?? '',
    profileUrl: `https://${ctx.state.org.enterpriseDomain}.enterprise.slack.com/team/${user.name}`,
    title: user.profile.title ?? '',
    timezone: user.tz ?? '',
    active: user.deleted !== true,
    emails: email === undefined ? [] : [{ value: email, primary: true }],
    photos: [],
    groups: groups.map((g) => ({ value: g.id, display: g.name })),
  };
}

/** `attr eq "value"` filters (the forms IdPs send); anything else is `invalidFilter`. */
function compileFilter(filter: string): ((user: Record<string, unknown>) => boolean) | undefined {
  const m = /^\s*(\w+(?:\.\w+)?)\s+eq\s+(?:"([^"]*)"|(true|false))\s*$/i.exec(filter);
  if (m === null) return undefined;
  const attr = (m[1] ?? '').toLowerCase();
  const value = m[2] ?? m[3] ?? '';
  return (user) => {
    switch (attr) {
      case 'username':
        return String(user.userName).toLowerCase() === value.toLowerCase();
      case 'id':
        return user.id === value;
      case 'email':
      case 'emails':
      case 'emails.value':
        return (user.emails as { value: string }[]).some((e) => e.value.toLowerCase() === value.toLowerCase());
      case 'active':
        return String(user.active) === value.toLowerCase();
      case 'displayname':
        return user.displayName === value;
      default:
        return false;
    }
  };
}

export function registerScimRoutes(router: Router, ctx: SlackContext): void {
  const { state } = ctx;

  const authorize = (req: EmulatorRequest): EmulatorResponse | undefined => {
    if (ctx.faults.take('tokenExpiry', req.raw) !== undefined) return scimError(401, 'invalid_authentication');
    const grant = findGrant(ctx.options, bearer(req.headers.authorization));
    if (grant === undefined) return scimError(401, 'invalid_authentication');
    if (!grant.scopes.includes('admin')) return scimError(403, 'missing_scope');
    return undefined;
  };

  const deactivate = (user: SlackUser, actorId: string | undefined): void => {
    if (user.deleted === true) return;
    user.deleted = true;
    user.updated = state.nowSec();
    state.removeSessions((s) => s.user_id === user.id);
    state.touch();
    if (ctx.options.webApi.emitAuditEntries) {
      const actor = actorId === undefined ? undefined : state.getUser(actorId);
      state.addAuditEntries(
        buildAuditEntry(state.org, {
          action: 'user_deactivated',
          dateCreate: state.nowSec(),
          actor,
          entity: auditUserEntity(state.org, user),
        }),
      );
    }
  };

  const ownerId = () => state.org.ownerUserId;

  router.on('GET', '/scim/v1/Users', (req) => {
    const denied = authorize(req);
    if (denied !== undefined) return denied;
    const startIndex = Number(req.query.get('startIndex') ?? '1');
    const count = Number(req.query.get('count') ?? '100');
    if (!Number.isInteger(startIndex) || startIndex < 1 || !Number.isInteger(count) || count < 0)
      return scimError(400, 'invalid_pagination');
    let users = state
      .listUsers()
      .filter((u) => u.is_bot !== true)
      .map((u) => toScimUser(ctx, u));
    const filter = req.query.get('filter');
    if (filter !== null && filter !== '') {
      const predicate = compileFilter(filter);
      if (predicate === undefined) return scimError(400, 'invalid_filter');
      users = users.filter(predicate);
    }
    const page = users.slice(startIndex - 1, startIndex - 1 + Math.min(count, 1000));
    return json(200, {
      schemas: [CORE],
      totalResults: users.length,
      itemsPerPage: page.length,
      startIndex,
      Resources: page,
    });
  });

  router.on('GET', '/scim/v1/Users/{id}', (req) => {
    const denied = authorize(req);
    if (denied !== undefined) return denied;
    const user = state.getUser(req.params.id ?? '');
    if (user === undefined || user.is_bot === true) return scimError(404, 'user_not_found');
    return json(200, toScimUser(ctx, user));
  });

  router.on('PATCH', '/scim/v1/Users/{id}', (req) => {
    const denied = authorize(req);
    if (denied !== undefined) return denied;
    const user = state.getUser(req.params.id ?? '');
    if (user === undefined || user.is_bot === true) return scimError(404, 'user_not_found');
    let body: Record<string, unknown>;
    try {
      body = parseObject(req.body.toString('utf8'));
    } catch {
      return scimError(400, 'invalid_json');
    }
    // SCIM 1.1 sends the attributes to change; accept SCIM 2 style Operations too.
    const changes: Record<string, unknown> = { ...body };
    if (Array.isArray(body.Operations)) {
      for (const op of body.Operations as { op?: string; path?: string; value?: unknown }[]) {
        if (typeof op.path === 'string') changes[op.path] = op.value;
        else if (op.value !== null && typeof op.value === 'object') Object.assign(changes, op.value);
      }
    }
    const active =
      changes.active === undefined
        ? undefined
        : changes.active === true || changes.active === 'true' || changes.active === 'True';
    if (active === false && (user.is_primary_owner === true || user.enterprise_user?.is_primary_owner === true)) {
      return scimError(403, 'cannot_disable_primary_owner');
    }
    if (typeof changes.userName === 'string') user.name = changes.userName;
    if (typeof changes.displayName === 'string') user.profile.display_name = changes.displayName;
    if (typeof changes.title === 'string') user.profile.title = changes.title;
    if (active === false && ctx.options.scim.patchActiveDeactivates) deactivate(user, ownerId());
    else if (active === true && user.deleted === true) {
      user.deleted = false;
      if (ctx.options.webApi.emitAuditEntries) {
        state.addAuditEntries(
          buildAuditEntry(state.org, {
            action: 'user_reactivated',
            dateCreate: state.nowSec(),
            actor: state.getUser(ownerId()),
            entity: auditUserEntity(state.org, user),
          }),
        );
      }
    }
    state.touch();
    return json(200, toScimUser(ctx, user));
  });

  router.on('DELETE', '/scim/v1/Users/{id}', (req) => {
    const denied = authorize(req);
    if (denied !== undefined) return denied;
    const user = state.getUser(req.params.id ?? '');
    if (user === undefined || user.is_bot === true) return scimError(404, 'user_not_found');
    if (user.is_primary_owner === true || user.enterprise_user?.is_primary_owner === true)
      return scimError(403, 'cannot_disable_primary_owner');
    deactivate(user, ownerId());
    return ctx.options.scim.deleteStatus === 204 ? { status: 204 } : json(200, toScimUser(ctx, user));
  });
}
