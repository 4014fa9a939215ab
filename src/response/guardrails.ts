/**
 * Guardrails: the accounts, addresses and clients no response action may touch, checked by the
 * activity that acts (and, to leave such buttons out, when the incident opens). A target is refused
 * with a coded reason when it is:
 * - a user: configured as protected, a responder (configured id or responder-group member), the owner
 *   of one of Sentry's own Slack tokens (acting on it would cut Sentry off from Slack), unknown to
 *   Slack, the primary owner, an owner, an admin (unless `SENTRY_RESPONSE_PROTECT_ADMINS=false`), or a
 *   bot / app user. Workspace and org-level (Enterprise Grid `enterprise_user`) roles both count;
 * - a session: whatever protects the user it belongs to;
 * - an IP: in a special-purpose range (src/net/ip.ts), one of the organization's own appliance uplink
 *   IPs (from the last uplink snapshot), or in the configured allowlist;
 * - a client: in the configured list.
 * Lookups fail closed: when Slack cannot say who a user is, the action is refused (a transient
 * failure is thrown instead, so the activity is retried).
 */
import { ipInList, specialRange } from '../net/ip';
import type { TargetKind } from './targets';

export const GuardCodes = {
  protectedUser: 'guardrail_protected_user',
  responder: 'guardrail_responder',
  tokenOwner: 'guardrail_token_owner',
  unknownUser: 'guardrail_unknown_user',
  primaryOwner: 'guardrail_primary_owner',
  owner: 'guardrail_owner',
  admin: 'guardrail_admin',
  bot: 'guardrail_bot',
  ipRange: 'guardrail_ip_range',
  uplinkIp: 'guardrail_uplink_ip',
  protectedIp: 'guardrail_protected_ip',
  protectedClient: 'guardrail_protected_client',
  notIpv4: 'guardrail_not_ipv4',
} as const;

export interface Refusal {
  code: string;
  /** One sentence for the message, the thread and the response row. */
  reason: string;
}

/** What Slack says about a user (users.info), reduced to what the guardrails need. */
export interface SlackUserFacts {
  id: string;
  name?: string | undefined;
  deleted?: boolean | undefined;
  isBot?: boolean | undefined;
  isAdmin?: boolean | undefined;
  isOwner?: boolean | undefined;
  isPrimaryOwner?: boolean | undefined;
}

export interface GuardrailDeps {
  protectAdmins: boolean;
  protectedUsers: readonly string[];
  /** IPs and CIDRs never to block. */
  protectedIps: readonly string[];
  /** Client MACs or ids never to block. */
  protectedClients: readonly string[];
  /** users.info; undefined when Slack does not know the user. Throws a retriable error when Slack is unreachable. */
  userFacts(userId: string): Promise<SlackUserFacts | undefined>;
  /** User ids behind Sentry's own Slack tokens (auth.test). */
  tokenOwners(): Promise<ReadonlySet<string>>;
  /** Configured responders and responder-group members. */
  responders(): Promise<ReadonlySet<string>>;
  /** Public IPs of the organizations' own appliance uplinks. */
  uplinkIps(): Promise<ReadonlySet<string>>;
}

export interface GuardTarget {
  kind: TargetKind;
  id: string;
  /** Sessions: the user they belong to. */
  of?: string | undefined;
}

/** Reads Slack's `users.info` user object (workspace and Enterprise Grid org roles). */
export function userFactsOf(user: Record<string, unknown>): SlackUserFacts {
  const org = (user.enterprise_user ?? {}) as Record<string, unknown>;
  const flag = (name: string) => user[name] === true || org[name] === true;
  return {
    id: typeof user.id === 'string' ? user.id : '',
    ...(typeof user.name === 'string' ? { name: user.name } : {}),
    deleted: user.deleted === true,
    isBot: user.is_bot === true || user.is_app_user === true || user.id === 'USLACKBOT',
    isAdmin: flag('is_admin'),
    isOwner: flag('is_owner'),
    isPrimaryOwner: flag('is_primary_owner'),
  };
}

async function userRefusal(userId: string, deps: GuardrailDeps): Promise<Refusal | undefined> {
  if (deps.protectedUsers.includes(userId))
    return {
      code: GuardCodes.protectedUser,
      reason: `${userId} is on the protected list (SENTRY_RESPONSE_PROTECTED_USERS)`,
    };
  if ((await deps.responders()).has(userId))
    return { code: GuardCodes.responder, reason: `${userId} is a Sentry responder` };
  if ((await deps.tokenOwners()).has(userId))
    return {
      code: GuardCodes.tokenOwner,
      reason: `${userId} owns one of Sentry's own Slack tokens: acting on it would cut Sentry off from Slack`,
    };
  const facts = await deps.userFacts(userId);
  if (facts === undefined) return { code: GuardCodes.unknownUser, reason: `Slack does not know user ${userId}` };
  if (facts.isPrimaryOwner === true)
    return { code: GuardCodes.primaryOwner, reason: `${userId} is the primary owner of the organization` };
  if (facts.isOwner === true) return { code: GuardCodes.owner, reason: `${userId} is an owner of the organization` };
  if (facts.isAdmin === true && deps.protectAdmins)
    return {
      code: GuardCodes.admin,
      reason: `${userId} is an admin (admins are protected; see SENTRY_RESPONSE_PROTECT_ADMINS)`,
    };
  if (facts.isBot === true) return { code: GuardCodes.bot, reason: `${userId} is a bot or app user` };
  return undefined;
}

/** Why an address may not be blocked, without lookups (ranges and the configured list). */
export function ipRefusalOf(ip: string, protectedIps: readonly string[]): Refusal | undefined {
  const special = specialRange(ip);
  if (special !== undefined)
    return { code: GuardCodes.ipRange, reason: `${ip} is in ${special.range}, ${special.why}: never blocked` };
  if (ipInList(ip, protectedIps))
    return { code: GuardCodes.protectedIp, reason: `${ip} is on the protected list (SENTRY_RESPONSE_PROTECTED_IPS)` };
  return undefined;
}

/** Why an action must not touch this target, or undefined when it may. */
export async function checkTarget(target: GuardTarget, deps: GuardrailDeps): Promise<Refusal | undefined> {
  switch (target.kind) {
    case 'user':
      return userRefusal(target.id, deps);
    case 'session':
      return target.of === undefined
        ? { code: GuardCodes.unknownUser, reason: `session ${target.id} belongs to no known user` }
        : userRefusal(target.of, deps);
    case 'ip': {
      const refusal = ipRefusalOf(target.id, deps.protectedIps);
      if (refusal !== undefined) return refusal;
      if ((await deps.uplinkIps()).has(target.id))
        return {
          code: GuardCodes.uplinkIp,
          reason: `${target.id} is a public uplink IP of the organization's own appliances`,
        };
      return undefined;
    }
    case 'client': {
      const id = target.id.toLowerCase();
      if (deps.protectedClients.some((c) => c.toLowerCase() === id))
        return {
          code: GuardCodes.protectedClient,
          reason: `${target.id} is on the protected list (SENTRY_RESPONSE_PROTECTED_CLIENTS)`,
        };
      return undefined;
    }
  }
}

/** A value cached for `ttlMs` per key; concurrent callers share one lookup. */
export class TtlCache<T> {
  private readonly entries = new Map<string, { value: Promise<T>; expiresAt: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    const now = this.now();
    if (hit !== undefined && hit.expiresAt > now) return hit.value;
    const value = load();
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    // A failed lookup is not cached.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
