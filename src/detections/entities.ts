/**
 * What a finding is about, as roles: who acted (`actor`), whom it was done to (`affected`), where it
 * came from (`sourceIp`), and on the Meraki side the appliance (`device`) and the network client
 * (`client`). Each detection declares the roles it knows and, per role, a stance:
 * - `suspect`: the party whose behaviour the finding is about; response actions may target it;
 * - `victim`: the party the activity was aimed at (the accounts of a password spray); shown, never
 *   acted on, whatever the newest event says;
 * - `context`: shown so a responder can judge, never acted on.
 * The stance is the detection's judgement of the role, not of a person: the response layer still
 * checks every target against its guardrails before acting.
 *
 * Observations carry parties (role + id + display data); windows keep a bounded set per bucket, and a
 * finding's entities are the parties of its crossing with the declared stance attached.
 */
import { specialRange } from '../net/ip';
import type {
  MerakiDeviceRow,
  MerakiEventRow,
  MerakiSecurityRow,
  MerakiUplinkRow,
  SlackAuditRow,
} from '../transforms/streams';
import { slackAuditEntity } from '../transforms/slack-audit';

export const ENTITY_ROLES = ['actor', 'affected', 'sourceIp', 'device', 'client'] as const;
export type EntityRole = (typeof ENTITY_ROLES)[number];

export const STANCES = ['suspect', 'victim', 'context'] as const;
export type Stance = (typeof STANCES)[number];

/** The kind of thing each role names. */
export const ROLE_TYPES = {
  actor: 'user',
  affected: 'user',
  sourceIp: 'ip',
  device: 'device',
  client: 'client',
} as const satisfies Record<EntityRole, string>;
export type EntityType = (typeof ROLE_TYPES)[EntityRole];

/** Which roles a detection's findings carry, and how each is to be treated. */
export type EntityDeclaration = Readonly<Partial<Record<EntityRole, Stance>>>;

/** Where a Meraki entity lives (the network a block would be written to). */
export interface EntityNetwork {
  organizationId?: string | undefined;
  networkId?: string | undefined;
  networkName?: string | undefined;
}

/** One party of one observation. */
export interface Party {
  role: EntityRole;
  id: string;
  name?: string | undefined;
  email?: string | undefined;
  /** Slack session id (digits) of the party's own activity. */
  sessionId?: string | undefined;
  network?: EntityNetwork | undefined;
}

/** A party of a finding with its declared stance, as detection hands it to response. */
export interface FindingEntity {
  role: EntityRole;
  type: EntityType;
  stance: Stance;
  id: string;
  name?: string | undefined;
  email?: string | undefined;
  /** Slack sessions the party used in the finding's events (newest last, at most 3). */
  sessions?: string[] | undefined;
  network?: EntityNetwork | undefined;
  /** First and last time the party appears in the finding's window (Unix seconds). */
  firstSeen: number;
  lastSeen: number;
}

/** Entities a finding keeps per role (most recent first); the rest are counted in `omitted`. */
export const ENTITIES_PER_ROLE = 10;

const MAX_TEXT = 256;
const SESSION = /^\d{1,20}$/;

function text(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT - 1)}…` : value;
}

function party(role: EntityRole, id: string | undefined, extra: Omit<Party, 'role' | 'id'> = {}): Party | undefined {
  if (id === undefined || id === '') return undefined;
  const out: Party = { role, id: id.slice(0, MAX_TEXT) };
  const name = text(extra.name);
  const email = text(extra.email);
  if (name !== undefined) out.name = name;
  if (email !== undefined) out.email = email;
  if (extra.sessionId !== undefined && SESSION.test(extra.sessionId)) out.sessionId = extra.sessionId;
  if (extra.network !== undefined) out.network = extra.network;
  return out;
}

/**
 * The parties of a Slack audit entry: the acting user, the user it was done to (when that is another
 * user), and the address it came from.
 */
export function slackAuditParties(row: SlackAuditRow): Party[] {
  const out: Party[] = [];
  const actor =
    row.ActorType === undefined || row.ActorType === 'user'
      ? party('actor', row.ActorUserId, { name: row.ActorUserName, email: row.ActorEmail, sessionId: row.SessionId })
      : undefined;
  if (actor !== undefined) out.push(actor);
  const entity = slackAuditEntity(row);
  if (entity.type === 'user' && entity.id !== undefined && entity.id !== row.ActorUserId) {
    const affected = party('affected', entity.id, { name: entity.name, email: entity.email });
    if (affected !== undefined) out.push(affected);
  }
  const ip = party('sourceIp', row.SrcIpAddr);
  if (ip !== undefined) out.push(ip);
  return out;
}

/** The parties of a Meraki row: the appliance (with its network) and, for events, the client. */
export function merakiParties(row: MerakiUplinkRow | MerakiDeviceRow | MerakiEventRow): Party[] {
  const network: EntityNetwork = {};
  if (row.NetworkId !== undefined) network.networkId = row.NetworkId;
  if ('NetworkName' in row && row.NetworkName !== undefined) network.networkName = row.NetworkName;
  if (row.SourceOrg !== '') network.organizationId = row.SourceOrg;
  const serial = 'Serial' in row ? row.Serial : row.DeviceSerial;
  const name = 'Name' in row ? row.Name : 'DeviceName' in row ? row.DeviceName : undefined;
  const out: Party[] = [];
  const device = party('device', serial, { name, network });
  if (device !== undefined) out.push(device);
  if ('ClientMac' in row) {
    const client = party('client', row.ClientMac, { name: row.ClientDescription, network });
    if (client !== undefined) out.push(client);
  }
  return out;
}

/** The network of a security event row (the collector mapped its appliance's MAC to it). */
export function merakiSecurityNetwork(row: MerakiSecurityRow): EntityNetwork {
  const network: EntityNetwork = {};
  if (row.NetworkId !== undefined) network.networkId = row.NetworkId;
  if (row.NetworkName !== undefined) network.networkName = row.NetworkName;
  if (row.SourceOrg !== '') network.organizationId = row.SourceOrg;
  return network;
}

/**
 * The parties of a Meraki security event: the appliance, the inside client and, only when it is an
 * outside (public) address, the source IP. A private or special-purpose source is an inside host,
 * never a party a block could be aimed at.
 */
export function merakiSecurityParties(row: MerakiSecurityRow): Party[] {
  const network = merakiSecurityNetwork(row);
  const out: Party[] = [];
  const device = party('device', row.DeviceSerial ?? row.DeviceMac, { name: row.DeviceName, network });
  if (device !== undefined) out.push(device);
  const client = party('client', row.ClientMac, { name: row.ClientName, network });
  if (client !== undefined) out.push(client);
  if (row.SrcIp !== undefined && specialRange(row.SrcIp) === undefined) {
    const ip = party('sourceIp', row.SrcIp, { network });
    if (ip !== undefined) out.push(ip);
  }
  return out;
}

/** A stable key of a party within a window. */
export function partyKey(role: EntityRole, id: string): string {
  return `${role}|${id}`;
}

const ROLE_ORDER: Readonly<Record<EntityRole, number>> = { actor: 0, affected: 1, sourceIp: 2, device: 3, client: 4 };
const STANCE_ORDER: Readonly<Record<Stance, number>> = { suspect: 0, victim: 1, context: 2 };

/** Entities in display order: suspects first, then by role, then the most recent first. */
export function sortEntities<T extends Pick<FindingEntity, 'role' | 'stance' | 'lastSeen' | 'id'>>(list: T[]): T[] {
  return list.sort(
    (a, b) =>
      STANCE_ORDER[a.stance] - STANCE_ORDER[b.stance] ||
      ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
      b.lastSeen - a.lastSeen ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/**
 * Merges two entity lists of one finding (a finding that grew): one entry per role and id, times
 * widened, display data from the most recent sighting, at most `ENTITIES_PER_ROLE` per role.
 */
export function mergeEntities(a: readonly FindingEntity[], b: readonly FindingEntity[]): FindingEntity[] {
  const byKey = new Map<string, FindingEntity>();
  for (const e of [...a, ...b]) {
    const key = partyKey(e.role, e.id);
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, { ...e, ...(e.sessions === undefined ? {} : { sessions: [...e.sessions] }) });
      continue;
    }
    const newer = e.lastSeen >= seen.lastSeen ? e : seen;
    const sessions = [...new Set([...(seen.sessions ?? []), ...(e.sessions ?? [])])].slice(-3);
    byKey.set(key, {
      ...seen,
      ...newer,
      firstSeen: Math.min(seen.firstSeen, e.firstSeen),
      lastSeen: Math.max(seen.lastSeen, e.lastSeen),
      ...(sessions.length === 0 ? {} : { sessions }),
    });
  }
  return capPerRole(sortEntities([...byKey.values()]));
}

/** Keeps at most `ENTITIES_PER_ROLE` entities of each role (the list is in display order). */
export function capPerRole<T extends { role: EntityRole }>(list: readonly T[]): T[] {
  const counts = new Map<EntityRole, number>();
  return list.filter((e) => {
    const n = (counts.get(e.role) ?? 0) + 1;
    counts.set(e.role, n);
    return n <= ENTITIES_PER_ROLE;
  });
}
