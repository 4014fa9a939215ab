/**
 * Audit Logs API (`/audit/v1/`): GET only; `/schemas` and `/actions` need no token, `/logs` needs the
 * Org Owner's user token and answers a missing or bad one with 401 and an EMPTY body. `oldest` and
 * `latest` are inclusive Unix seconds, filters are ANDed, pages are newest first (assumed), and
 * `response_metadata.next_cursor` is "" on the last page. One org-wide budget (Tier 3, ~50/min)
 * covers all three methods; over it Slack answers 429 with `Retry-After` seconds.
 *
 * Cursors encode the position (date_create, id) of the last entry served, so entries that arrive
 * while a client pages never shift a page boundary.
 */
import type { EmulatorRequest, EmulatorResponse, Router } from '../common/server';
import { json } from '../common/server';
import { bearer, findGrant, type SlackContext } from './options';
import type { AuditEntry } from './state';

/** Org-wide sliding-window budget. */
export class AuditBudget {
  private calls: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Counts a call; returns the seconds to wait when over budget (the call is then not counted). */
  take(): number | undefined {
    const now = this.now();
    this.calls = this.calls.filter((t) => t > now - this.windowMs);
    if (this.calls.length >= this.limit) {
      const oldest = this.calls[0] ?? now;
      return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
    }
    this.calls.push(now);
    return undefined;
  }

  reset(): void {
    this.calls = [];
  }
}

const INTEGER = /^\d+$/;

function entryTime(entry: AuditEntry): number {
  return typeof entry.date_create === 'number' ? entry.date_create : Number.NaN;
}

function entryId(entry: AuditEntry): string {
  return typeof entry.id === 'string' ? entry.id : '';
}

function nested(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function actorId(entry: AuditEntry): unknown {
  const type = nested(entry, 'actor', 'type');
  return typeof type === 'string'
    ? (nested(entry, 'actor', type, 'id') ?? nested(entry, 'actor', 'user', 'id'))
    : nested(entry, 'actor', 'user', 'id');
}

function entityId(entry: AuditEntry): unknown {
  const type = nested(entry, 'entity', 'type');
  return typeof type === 'string' ? nested(entry, 'entity', type, 'id') : undefined;
}

/** Newest first: date_create descending, then id descending, so the order is total. */
function compareNewestFirst(a: AuditEntry, b: AuditEntry): number {
  const ta = entryTime(a);
  const tb = entryTime(b);
  const da = (Number.isNaN(tb) ? -Infinity : tb) - (Number.isNaN(ta) ? -Infinity : ta);
  if (da !== 0 && !Number.isNaN(da)) return da;
  return entryId(b) < entryId(a) ? -1 : entryId(b) > entryId(a) ? 1 : 0;
}

interface CursorPosition {
  t: number;
  i: string;
}

function encodeCursor(entry: AuditEntry): string {
  const t = entryTime(entry);
  return Buffer.from(JSON.stringify({ t: Number.isNaN(t) ? null : t, i: entryId(entry) })).toString('base64');
}

function decodeCursor(cursor: string): CursorPosition | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as { t?: unknown; i?: unknown };
    if ((typeof parsed.t !== 'number' && parsed.t !== null) || typeof parsed.i !== 'string') return undefined;
    return { t: parsed.t ?? Number.NaN, i: parsed.i };
  } catch {
    return undefined;
  }
}

/** Entries that break the documented schema, served when an `invalidRecords` fault is active. */
export function invalidAuditEntries(variants: readonly string[], nowSec: number): AuditEntry[] {
  const base = (): AuditEntry => ({
    id: `bad-${Math.random().toString(16).slice(2)}`,
    date_create: nowSec,
    action: 'user_login',
    actor: { type: 'user', user: { id: 'W0BAD', name: 'bad record', email: 'bad@example.com', team: 'E0BAD' } },
    entity: { type: 'user', user: { id: 'W0BAD', name: 'bad record', email: 'bad@example.com', team: 'E0BAD' } },
    context: {
      location: { type: 'enterprise', id: 'E0BAD', name: 'bad', domain: 'bad' },
      ua: 'x',
      ip_address: '1.2.3.4',
    },
  });
  const out: AuditEntry[] = [];
  for (const variant of variants) {
    const entry = base();
    if (variant === 'missingId') delete entry.id;
    else if (variant === 'wrongTypes') {
      entry.date_create = String(nowSec);
      entry.action = 42;
      entry.actor = 'not-an-object';
    } else if (variant === 'hugeField') {
      (entry.context as Record<string, unknown>).ua = 'A'.repeat(1_000_000);
    } else if (variant === 'missingEntity') delete entry.entity;
    else if (variant === 'nullDate') entry.date_create = null;
    out.push(entry);
  }
  return out;
}

const EMPTY_401: EmulatorResponse = { status: 401, headers: { 'content-length': '0' } };

/** First index whose entry satisfies a predicate that is false…false true…true over the array. */
function lowerBound(list: readonly AuditEntry[], predicate: (entry: AuditEntry) => boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const item = list[mid];
    if (item === undefined || predicate(item)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const COMMA = Buffer.from(',');

/** The JSON of one entry as it appears in a page (an entry JSON cannot represent serializes as null, as in an array). */
function entryJson(entry: unknown): Buffer {
  return Buffer.from((JSON.stringify(entry) as string | undefined) ?? 'null');
}

/**
 * The `/logs` answer, byte for byte what `JSON.stringify({ ok?, entries, response_metadata })` gives,
 * assembled from the entries' JSON so that a page of thousands of entries is copied, not re-serialized.
 */
function logsBody(includeOk: boolean, entries: readonly Buffer[], nextCursor: string): Buffer {
  const parts: Buffer[] = [Buffer.from(includeOk ? '{"ok":true,"entries":[' : '{"entries":[')];
  entries.forEach((json, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(json);
  });
  parts.push(Buffer.from(`],"response_metadata":{"next_cursor":${JSON.stringify(nextCursor)}}}`));
  return Buffer.concat(parts);
}

export function registerAuditRoutes(router: Router, ctx: SlackContext, budget: AuditBudget): void {
  const opts = ctx.options.audit;
  // Sorting a large seeded log on every page would dominate; sort once per change of the log. Each
  // entry's JSON is kept beside it once served (same lifetime: the log's revision), so serving a
  // page copies bytes instead of serializing its up to 9,999 entries again.
  let cache: { revision: number; sorted: AuditEntry[]; json: (Buffer | undefined)[] } | undefined;
  const sortedEntries = (compare: (a: AuditEntry, b: AuditEntry) => number): AuditEntry[] => {
    if (cache?.revision !== ctx.state.auditRevision) {
      const sorted = [...ctx.state.getAuditEntries()].sort(compare);
      cache = { revision: ctx.state.auditRevision, sorted, json: new Array<Buffer | undefined>(sorted.length) };
    }
    return cache.sorted;
  };
  const servedJson = (index: number, entry: AuditEntry): Buffer => {
    if (cache === undefined) return entryJson(entry);
    let json = cache.json[index];
    if (json === undefined) {
      json = entryJson(entry);
      cache.json[index] = json;
    }
    return json;
  };
  const argumentError = (detail?: string): EmulatorResponse =>
    json(opts.argumentError.status, {
      ok: false,
      error: opts.argumentError.error,
      ...(detail === undefined ? {} : { detail }),
    });

  const limited = (req: EmulatorRequest): EmulatorResponse | undefined => {
    const fault = ctx.faults.take('ratelimited', req.raw);
    const retryAfter = fault !== undefined ? (fault.retryAfterSec ?? 1) : budget.take();
    if (retryAfter === undefined) return undefined;
    return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
  };

  router.on('GET', '/audit/v1/schemas', (req) => limited(req) ?? json(200, { schemas: AUDIT_SCHEMAS }));
  router.on('GET', '/audit/v1/actions', (req) => limited(req) ?? json(200, { actions: AUDIT_ACTIONS }));

  router.on('GET', '/audit/v1/logs', (req) => {
    if (ctx.faults.take('tokenExpiry', req.raw) !== undefined) return EMPTY_401;
    const grant = findGrant(ctx.options, bearer(req.headers.authorization));
    if (grant?.type !== 'user' || !grant.scopes.includes('auditlogs:read')) return EMPTY_401;
    const over = limited(req);
    if (over !== undefined) return over;

    const q = req.query;
    const intParam = (name: string): number | undefined | 'bad' => {
      const raw = q.get(name);
      if (raw === null || raw === '') return undefined;
      return INTEGER.test(raw) ? Number(raw) : 'bad';
    };
    const oldest = intParam('oldest');
    const latest = intParam('latest');
    const limitParam = intParam('limit');
    if (oldest === 'bad' || latest === 'bad') return argumentError('oldest and latest are Unix seconds');
    if (limitParam === 'bad' || (limitParam !== undefined && (limitParam < 1 || limitParam > opts.maxLimit))) {
      return argumentError(`limit must be between 1 and ${opts.maxLimit}`);
    }
    const limit = limitParam ?? opts.defaultLimit;
    const actions = (q.get('action') ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    if (actions.length > opts.maxActions) return argumentError(`at most ${opts.maxActions} actions`);
    const actor = q.get('actor') ?? '';
    const entity = q.get('entity') ?? '';
    const cursorRaw = q.get('cursor') ?? '';
    const cursor = cursorRaw === '' ? undefined : decodeCursor(cursorRaw);
    if (cursorRaw !== '' && cursor === undefined)
      return json(opts.argumentError.status, { ok: false, error: 'invalid_cursor' });

    const newestFirst = opts.order === 'newestFirst';
    const compare = newestFirst ? compareNewestFirst : (a: AuditEntry, b: AuditEntry) => compareNewestFirst(b, a);
    const sorted = sortedEntries(compare);
    // Skip straight to the cursor and to the near time bound; stop at the far bound.
    let begin = 0;
    if (cursor !== undefined) {
      const marker: AuditEntry = { date_create: Number.isNaN(cursor.t) ? undefined : cursor.t, id: cursor.i };
      begin = lowerBound(sorted, (entry) => compare(entry, marker) > 0);
    }
    if (newestFirst && latest !== undefined) {
      begin = Math.max(
        begin,
        lowerBound(sorted, (entry) => Number.isNaN(entryTime(entry)) || entryTime(entry) <= latest),
      );
    } else if (!newestFirst && oldest !== undefined) {
      begin = Math.max(
        begin,
        lowerBound(sorted, (entry) => entryTime(entry) >= oldest),
      );
    }
    const page: AuditEntry[] = [];
    const pageJson: Buffer[] = [];
    let more = false;
    for (let i = begin; i < sorted.length; i += 1) {
      const entry = sorted[i];
      if (entry === undefined) break;
      const t = entryTime(entry);
      if (newestFirst && oldest !== undefined && t < oldest) break;
      if (!newestFirst && latest !== undefined && t > latest) break;
      if (oldest !== undefined && !(t >= oldest)) continue;
      if (latest !== undefined && !(t <= latest)) continue;
      if (actions.length > 0 && !actions.includes(entry.action as string)) continue;
      if (actor !== '' && actorId(entry) !== actor) continue;
      if (entity !== '' && entityId(entry) !== entity) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(entry);
      pageJson.push(servedJson(i, entry));
    }
    const last = page[page.length - 1];
    let entries = pageJson;

    const invalid = ctx.faults.take('invalidRecords', req.raw);
    if (invalid !== undefined) {
      const variants = (invalid.params?.variants as string[] | undefined) ?? ['missingId', 'wrongTypes', 'hugeField'];
      entries = [...invalidAuditEntries(variants, ctx.state.nowSec()).map(entryJson), ...pageJson];
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: logsBody(opts.includeOk, entries, more && last !== undefined ? encodeCursor(last) : ''),
    };
  });
}

/** A subset of the live `/schemas` payload (entity sub-object fields with their types). */
export const AUDIT_SCHEMAS = [
  { type: 'workspace', workspace: { id: 'string', name: 'string', domain: 'string' } },
  { type: 'enterprise', enterprise: { id: 'string', name: 'string', domain: 'string' } },
  { type: 'user', user: { id: 'string', name: 'string', email: 'string', team: 'string' } },
  { type: 'file', file: { id: 'string', name: 'string', filetype: 'string', title: 'string' } },
  {
    type: 'channel',
    channel: {
      id: 'string',
      name: 'string',
      privacy: 'string',
      is_shared: 'bool',
      is_org_shared: 'bool',
      teams_shared_with: 'Optional',
    },
  },
  {
    type: 'app',
    app: {
      id: 'string',
      name: 'string',
      is_distributed: 'bool',
      is_directory_approved: 'bool',
      is_workflow_app: 'bool',
      scopes: 'array',
    },
  },
  { type: 'message', message: { team: 'string', channel: 'string', timestamp: 'int' } },
  { type: 'usergroup', usergroup: { id: 'string', name: 'string', team: 'string' } },
];

/** A subset of the live `/actions` payload: category → action names. */
export const AUDIT_ACTIONS: Record<string, string[]> = {
  workspace_or_org: [
    'pref.block_file_download_for_unapproved_ip',
    'pref.disallow_public_file_urls',
    'pref.session_duration_changed',
    'pref.two_factor_auth_changed',
    'pref.sso_setting_changed',
    'pref.anomaly_event_response_changed',
    'manual_export_downloaded',
    'scheduled_export_downloaded',
    'bulk_session_reset_by_admin',
    'ip_allowlist_enabled',
    'ip_allowlist_disabled',
  ],
  user: [
    'user_created',
    'user_deactivated',
    'user_reactivated',
    'user_login',
    'user_logout',
    'user_login_failed',
    'user_session_reset_by_admin',
    'user_session_invalidated',
    'user_sessions_reset_by_anomaly_event_response',
    'role_change_to_admin',
    'role_change_to_owner',
    'role_change_to_user',
    'role_change_to_guest',
    'user_email_updated',
    'user_channel_join',
    'user_channel_leave',
    'guest_created',
  ],
  file: [
    'file_downloaded',
    'file_downloaded_blocked',
    'file_download_blocked',
    'file_uploaded',
    'file_shared',
    'file_public_link_created',
    'file_public_link_revoked',
    'file_deleted',
    'file_malicious_content_detected',
  ],
  channel: [
    'public_channel_created',
    'private_channel_created',
    'public_channel_converted_to_private',
    'private_channel_converted_to_public',
    'channel_renamed',
    'external_shared_channel_connected',
    'external_shared_channel_invite_sent',
  ],
  app: [
    'app_installed',
    'app_uninstalled',
    'app_scopes_expanded',
    'app_approved',
    'org_app_installed',
    'bot_token_upgraded',
  ],
  anomaly: ['anomaly'],
};
