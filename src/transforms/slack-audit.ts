/**
 * Slack audit entry → `SentrySlackAudit_CL` row. Pure; never throws.
 *
 * Slack quirks handled here: `date_create` is integer Unix seconds; `context.session_id` arrives as a
 * number, a string, null or not at all; `entity` and `actor` hold one sub-object keyed by their `type`
 * (so unknown types still carry data); apps act as bot *users* with `context.app` set. Unknown actions,
 * entity types and actor types land unchanged; fields not mapped to a column land in `Extra` under
 * their dotted path, so a new Slack field is never dropped. Validation uses only cheap checks (no
 * format regexes): this runs once per audit entry on the hot path.
 */
import { z } from 'zod';
import type { JsonValue } from './columns';
import { type QuarantineOptions, toQuarantineRow } from './quarantine';
import {
  type Bag,
  RowBuilder,
  type TransformResult,
  describeIssues,
  errorReason,
  ownObject,
  read,
  scalarId,
  UNREADABLE,
} from './row-builder';
import { type QuarantineRow, type SlackAuditRow, columnCaps, streams } from './streams';

const optionalString = z.string().nullish();

const SlackUser = z.object({ id: optionalString, name: optionalString, email: optionalString, team: optionalString });

/** Earliest plausible `date_create` (2000-01-01) and latest (2100-01-01): catches ms-for-seconds mix-ups. */
const MIN_DATE_CREATE = 946_684_800;
const MAX_DATE_CREATE = 4_102_444_800;

/** The audit entry as `GET /audit/v1/logs` returns it (known fields; the rest is read from the raw entry). */
export const SlackAuditEntrySchema = z.object({
  id: z.string().min(1).max(256),
  date_create: z.number().min(MIN_DATE_CREATE).max(MAX_DATE_CREATE),
  action: z.string().min(1).max(1024),
  actor: z.object({ type: z.string().min(1), user: SlackUser.nullish() }),
  entity: z.object({ type: z.string().min(1) }),
  context: z
    .object({
      location: z
        .object({ type: optionalString, id: optionalString, name: optionalString, domain: optionalString })
        .nullish(),
      ua: optionalString,
      ip_address: optionalString,
      session_id: z.union([z.number(), z.string()]).nullish(),
      app: z.unknown().optional(),
      acting_agent: optionalString,
    })
    .nullish(),
  details: z.unknown().optional(),
});
export type SlackAuditEntry = z.infer<typeof SlackAuditEntrySchema>;

export interface SlackAuditTransformOptions {
  /** Configured key of the Slack enterprise the entry was read from. */
  sourceOrg: string;
}

const CAPS = columnCaps(streams.slackAudit);
const KNOWN_TOP = new Set(['id', 'date_create', 'action', 'actor', 'entity', 'context', 'details']);
const KNOWN_USER = new Set(['id', 'name', 'email', 'team']);
const KNOWN_CONTEXT = new Set(['location', 'ua', 'ip_address', 'session_id', 'app', 'acting_agent']);
const KNOWN_LOCATION = new Set(['type', 'id', 'name', 'domain']);
const PROMOTED_ENTITY = new Set(['id', 'name']);

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * Unix seconds → ISO-8601 (`2024-11-22T08:00:00Z`), without a fraction for whole seconds. Whole
 * seconds in years 1970–9999 are formatted by arithmetic (days → civil date), as this runs per entry.
 */
export function isoFromUnixSeconds(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds >= 253_402_300_800) {
    const iso = new Date(Math.round(seconds * 1000)).toISOString();
    return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
  }
  const days = Math.floor(seconds / 86_400);
  const secOfDay = seconds - days * 86_400;
  // Howard Hinnant's civil_from_days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hh = Math.floor(secOfDay / 3600);
  const mm = Math.floor((secOfDay % 3600) / 60);
  const ss = secOfDay % 60;
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(hh)}:${pad2(mm)}:${pad2(ss)}Z`;
}

function mapActor(b: RowBuilder, entry: SlackAuditEntry, raw: Bag): void {
  const actor = entry.actor;
  b.str('ActorType', actor.type);
  const rawActor = raw.actor as Bag;
  let sub: Bag | undefined;
  let subMapped = false;
  if (actor.type === 'user') {
    const user = actor.user;
    if (user) {
      b.str('ActorUserId', user.id);
      b.str('ActorUserName', user.name);
      b.str('ActorEmail', user.email);
      b.str('ActorTeam', user.team);
    }
    sub = ownObject(rawActor, 'user');
    subMapped = actor.user !== undefined && actor.user !== null;
  } else {
    // Unknown actor types: take the identity fields when they are strings, keep the rest.
    sub = ownObject(rawActor, actor.type);
    if (sub) {
      subMapped = true;
      b.str('ActorUserId', scalarId(read(sub, 'id')));
      const name = read(sub, 'name');
      const email = read(sub, 'email');
      const team = read(sub, 'team');
      if (typeof name === 'string') b.str('ActorUserName', name);
      if (typeof email === 'string') b.str('ActorEmail', email);
      if (typeof team === 'string') b.str('ActorTeam', team);
      for (const key of Object.keys(sub)) {
        const v = read(sub, key);
        if (!KNOWN_USER.has(key) || (key === 'id' ? scalarId(v) === undefined : typeof v !== 'string')) {
          b.keep(`actor.${actor.type}.${key}`, v);
        }
      }
      sub = undefined;
    }
  }
  if (sub) b.keepUnknown('actor.user.', sub, KNOWN_USER);
  for (const key of Object.keys(rawActor)) {
    if (key !== 'type' && (key !== actor.type || !subMapped)) b.keep(`actor.${key}`, read(rawActor, key));
  }
}

/** Same own keys with identical primitive values (nested values never count as equal). */
function sameFlatObject(a: Bag, b: Bag | undefined): boolean {
  if (b === undefined) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    const v = read(a, key);
    if (!Object.hasOwn(b, key) || v !== read(b, key) || (typeof v === 'object' && v !== null) || v === UNREADABLE) {
      return false;
    }
  }
  return true;
}

function mapEntity(b: RowBuilder, entry: SlackAuditEntry, raw: Bag): void {
  const type = entry.entity.type;
  b.str('EntityType', type);
  const rawEntity = raw.entity as Bag;
  const actorUser = ownObject(raw.actor as Bag, 'user');
  const sub = type === 'type' ? undefined : ownObject(rawEntity, type);
  if (sub) {
    const id = scalarId(read(sub, 'id'));
    b.str('EntityId', id);
    // Self-actions (login, logout, anomaly…) repeat the actor object verbatim as the entity: keep only its id.
    const isActor =
      type === 'user' && entry.actor.type === 'user' && id !== undefined && sameFlatObject(sub, actorUser);
    if (!isActor) mapEntityFields(b, sub, id);
  }
  for (const key of Object.keys(rawEntity)) {
    if (key !== 'type' && (key !== type || sub === undefined)) b.keep(`entity.${key}`, read(rawEntity, key));
  }
}

function mapEntityFields(b: RowBuilder, sub: Bag, id: string | undefined): void {
  const rawName = read(sub, 'name');
  const name = typeof rawName === 'string' ? rawName : undefined;
  b.str('EntityName', name);
  let rest: Bag | undefined;
  for (const key of Object.keys(sub)) {
    if (PROMOTED_ENTITY.has(key) && (key === 'id' ? id !== undefined : name !== undefined)) continue;
    // Slack defaults a file's title to its name; store it only when it says something new.
    const value = read(sub, key);
    if (key === 'title' && name !== undefined && value === name) continue;
    (rest ??= Object.create(null) as Bag)[key] = value;
  }
  if (rest) b.dyn('Entity', rest);
}

function mapContext(b: RowBuilder, entry: SlackAuditEntry, raw: Bag): void {
  const context = entry.context;
  if (!context) {
    if (Object.hasOwn(raw, 'context') && raw.context !== null) b.keep('context', raw.context);
    return;
  }
  b.str('SrcIpAddr', context.ip_address);
  b.str('UserAgent', context.ua);
  const session = context.session_id;
  b.str('SessionId', typeof session === 'number' ? String(session) : session);
  const location = context.location;
  if (location) {
    b.str('LocationType', location.type);
    b.str('LocationId', location.id);
    b.str('LocationName', location.name);
    b.str('LocationDomain', location.domain);
  }
  b.dyn('App', context.app);
  b.str('ActingAgent', context.acting_agent);
  const rawContext = raw.context as Bag;
  b.keepUnknown('context.', rawContext, KNOWN_CONTEXT);
  const rawLocation = ownObject(rawContext, 'location');
  if (rawLocation) b.keepUnknown('context.location.', rawLocation, KNOWN_LOCATION);
}

function mapEntry(raw: unknown, options: SlackAuditTransformOptions): TransformResult<SlackAuditRow> {
  const parsed = SlackAuditEntrySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `invalid Slack audit entry: ${describeIssues(parsed.error)}` };
  const entry = parsed.data;
  const source = raw as Bag;
  const b = new RowBuilder(CAPS);
  const time = isoFromUnixSeconds(entry.date_create);
  b.row.TimeGenerated = time;
  b.str('EventId', entry.id);
  b.row.SourceOrg = options.sourceOrg;
  b.row.DateCreate = Math.trunc(entry.date_create);
  b.str('Action', entry.action);
  mapActor(b, entry, source);
  mapContext(b, entry, source);
  mapEntity(b, entry, source);
  b.dyn('Details', entry.details);
  b.keepUnknown('', source, KNOWN_TOP);
  return { ok: true, row: b.finish() as SlackAuditRow };
}

/**
 * Maps one raw audit entry (as parsed from the API page) to a row, or says why it cannot.
 * Never throws: hostile input ends as `{ ok: false, reason }`.
 */
export function toSlackAuditRow(raw: unknown, options: SlackAuditTransformOptions): TransformResult<SlackAuditRow> {
  try {
    return mapEntry(raw, options);
  } catch (error) {
    return { ok: false, reason: errorReason('Slack audit entry could not be mapped', error) };
  }
}

/** Maps a page of entries; entries that fail become quarantine rows with their reason. */
export function transformSlackAuditEntries(
  entries: readonly unknown[],
  options: SlackAuditTransformOptions & QuarantineOptions,
): { rows: SlackAuditRow[]; quarantine: QuarantineRow[] } {
  const rows: SlackAuditRow[] = [];
  const quarantine: QuarantineRow[] = [];
  for (const entry of entries) {
    const result = toSlackAuditRow(entry, options);
    if (result.ok) rows.push(result.row);
    else quarantine.push(toQuarantineRow('slackAudit', entry, result.reason, options));
  }
  return { rows, quarantine };
}

export interface SlackAuditEntityView {
  type?: string;
  id?: string;
  name?: string;
  email?: string;
  team?: string;
  attributes?: JsonValue;
}

/** The target entity of a row, expanding the self-action form (entity = actor, stored as EntityId only). */
export function slackAuditEntity(row: SlackAuditRow): SlackAuditEntityView {
  const isActor =
    row.EntityType === 'user' &&
    row.EntityId !== undefined &&
    row.EntityId === row.ActorUserId &&
    row.EntityName === undefined &&
    row.Entity === undefined;
  if (isActor) {
    return { type: 'user', id: row.EntityId, name: row.ActorUserName, email: row.ActorEmail, team: row.ActorTeam };
  }
  const attributes = row.Entity;
  const view: SlackAuditEntityView = { type: row.EntityType, id: row.EntityId, name: row.EntityName, attributes };
  if (attributes !== null && typeof attributes === 'object' && !Array.isArray(attributes)) {
    if (typeof attributes.email === 'string') view.email = attributes.email;
    if (typeof attributes.team === 'string') view.team = attributes.team;
  }
  return view;
}
