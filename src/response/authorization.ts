/**
 * Who may act on an incident: the configured responder user ids, and members of the configured
 * responder user group (`usergroups.users.list`, cached per process for a minute so a burst of clicks
 * costs one call). Checked inside the workflow, after Slack got its acknowledgement, never in the
 * HTTP listener. Fails closed: with neither setting, nobody is a responder.
 */
import { callSlack, type SlackApi } from '../slack/web-client';

export interface AuthorizationResult {
  authorized: boolean;
  via: 'user' | 'group' | null;
  reason?: string | undefined;
}

export interface ResponderPolicy {
  responderIds: readonly string[];
  responderGroup: string | undefined;
}

interface CachedGroup {
  members: ReadonlySet<string>;
  expiresAt: number;
}

const groupCache = new Map<string, CachedGroup>();

export function clearResponderCache(): void {
  groupCache.clear();
}

export const GROUP_CACHE_MS = 60_000;

/** Members of a user group, from the process cache when fresh. */
export async function groupMembers(
  bot: SlackApi,
  groupId: string,
  now: number,
  ttlMs = GROUP_CACHE_MS,
): Promise<ReadonlySet<string>> {
  const cached = groupCache.get(groupId);
  if (cached !== undefined && cached.expiresAt > now) return cached.members;
  const result = await callSlack(bot, 'usergroups.users.list', { usergroup: groupId });
  const users = Array.isArray(result.users) ? result.users.filter((u): u is string => typeof u === 'string') : [];
  const members = new Set(users);
  groupCache.set(groupId, { members, expiresAt: now + ttlMs });
  return members;
}

export async function authorizeResponder(
  userId: string,
  policy: ResponderPolicy,
  bot: SlackApi | undefined,
  now: number,
): Promise<AuthorizationResult> {
  if (policy.responderIds.includes(userId)) return { authorized: true, via: 'user' };
  if (policy.responderGroup !== undefined && bot !== undefined) {
    const members = await groupMembers(bot, policy.responderGroup, now);
    if (members.has(userId)) return { authorized: true, via: 'group' };
    return { authorized: false, via: null, reason: 'not a configured responder nor a member of the responder group' };
  }
  if (policy.responderIds.length === 0 && policy.responderGroup === undefined) {
    return {
      authorized: false,
      via: null,
      reason: 'no responders are configured (SENTRY_SLACK_RESPONDER_IDS / SENTRY_SLACK_RESPONDER_GROUP)',
    };
  }
  return { authorized: false, via: null, reason: 'not a configured responder' };
}
