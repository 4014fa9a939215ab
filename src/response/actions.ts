/**
 * Response actions on the outside systems, each idempotent on its own where the vendor allows it and
 * all of them through the action ledger (idempotency.ts):
 * - resetSessions: `admin.users.session.reset` (admin user token). Not idempotent at Slack (a second
 *   reset signs the user out again), so only the ledger prevents a repeat.
 * - invalidateSession: `admin.users.session.invalidate` with integer `session_id` + `user_id` (the
 *   8.2 typings still want `team_id`, so it goes through `apiCall`); `session_not_found` = already gone.
 * - deactivateUser: SCIM GET (already inactive → nothing to do) then DELETE.
 * - blockIp: the MX L3 rules are read, and a deny rule for `<ip>/32` is put first unless one exists.
 *   Meraki appends its own default rule to every GET and refuses it in a PUT, so it is dropped. The
 *   rule goes first, not after the existing ones, so an earlier allow rule cannot shadow it. (Meraki
 *   has no ETag: an edit made between our GET and PUT would be overwritten; the window is one RTT.)
 * - blockClient: the client's policy becomes `Blocked` (or the configured group policy) unless it is.
 * - snooze: the subject is allowlisted for the detection until the given time (never shortened).
 * A refusal (bad token, missing scope, unknown user) is an outcome with the reason, shown in the
 * message; transient failures (network, 5xx, rate limits) are thrown so Durable retries the activity.
 */
import { z } from 'zod';

import { AppError, ErrorCode, HttpStatusError } from '../errors';
import type { ActionLedger } from '../state/incidents';
import type { Snooze } from '../state/snoozes';
import { callSlack, type SlackApi, slackErrorOf } from '../slack/web-client';
import { runOnce } from './idempotency';
import { actionKey } from './incident-state';
import { type ActionOutcome, ActorSchema, isIpv4 } from './model';
import type { ScimClient } from './scim';

export interface MerakiActions {
  getL3FirewallRules(networkId: string, orgId: string): Promise<unknown>;
  putL3FirewallRules(networkId: string, orgId: string, rules: readonly unknown[]): Promise<unknown>;
  getClientPolicy(networkId: string, orgId: string, clientId: string): Promise<unknown>;
  putClientPolicy(
    networkId: string,
    orgId: string,
    clientId: string,
    policy: { devicePolicy: string; groupPolicyId?: string },
  ): Promise<unknown>;
}

export interface ActionDeps {
  /** Admin user token client (admin.users.*); undefined when no such token is configured. */
  admin: SlackApi | undefined;
  scim: ScimClient | undefined;
  meraki: MerakiActions | undefined;
  snoozes: { snooze(snooze: Snooze): Promise<Snooze> };
  ledger: ActionLedger;
  blockGroupPolicyId?: string | undefined;
  now: () => Date;
}

export const RESPONSE_ACTIONS = [
  'resetSessions',
  'invalidateSession',
  'deactivateUser',
  'blockIp',
  'blockClient',
  'snooze',
] as const;
export type ResponseActionKind = (typeof RESPONSE_ACTIONS)[number];

export const ActionRequest = z.object({
  incidentId: z.string().min(1),
  detectionId: z.string().min(1),
  kind: z.enum(RESPONSE_ACTIONS),
  target: z.string().min(1).max(256),
  /** The Slack user the incident is about (session and user actions). */
  userId: z.string().optional(),
  userName: z.string().optional(),
  organizationId: z.string().optional(),
  networkId: z.string().optional(),
  networkName: z.string().optional(),
  /** Snooze: until when (computed by the orchestration from its own clock). */
  snoozeUntil: z.string().optional(),
  requestedBy: ActorSchema,
  requestedAt: z.string(),
});
export type ActionRequest = z.infer<typeof ActionRequest>;

function refusal(summary: string, code: string, message: string): ActionOutcome {
  return { status: 'failed', summary, error: { code, message, retriable: false } };
}

/** A thrown error as an outcome when it is definitive; rethrows transient ones for Durable to retry. */
function outcomeOf(error: unknown, summary: string): ActionOutcome {
  if (error instanceof AppError && error.retriable) throw error;
  if (error instanceof HttpStatusError) return refusal(summary, `http_${error.status}`, error.message);
  if (error instanceof AppError) {
    return refusal(summary, slackErrorOf(error) ?? error.code, error.message);
  }
  throw error;
}

function requireValue<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new AppError(ErrorCode.ConfigInvalid, `${what} is not configured`);
  return value;
}

async function resetSessions(req: ActionRequest, deps: ActionDeps): Promise<ActionOutcome> {
  const admin = requireValue(deps.admin, 'An admin user token (SENTRY_SLACK_ADMIN_TOKEN)');
  await callSlack(admin, 'admin.users.session.reset', { user_id: req.target });
  return {
    status: 'succeeded',
    summary: `Signed ${req.userName ?? req.target} out of every session`,
    details: { userId: req.target },
  };
}

async function invalidateSession(req: ActionRequest, deps: ActionDeps): Promise<ActionOutcome> {
  const admin = requireValue(deps.admin, 'An admin user token (SENTRY_SLACK_ADMIN_TOKEN)');
  if (!/^\d{1,20}$/.test(req.target) || req.userId === undefined) {
    return refusal(
      'Session invalidation needs a numeric session id and the user',
      ErrorCode.InputInvalid,
      'session id or user missing',
    );
  }
  try {
    await callSlack(admin, 'admin.users.session.invalidate', { session_id: Number(req.target), user_id: req.userId });
  } catch (error) {
    if (slackErrorOf(error) === 'session_not_found') {
      return {
        status: 'skipped',
        summary: `Session ${req.target} had already ended`,
        details: { sessionId: req.target },
      };
    }
    throw error;
  }
  return {
    status: 'succeeded',
    summary: `Session ${req.target} of ${req.userName ?? req.userId} invalidated`,
    details: { sessionId: req.target, userId: req.userId },
  };
}

async function deactivateUser(req: ActionRequest, deps: ActionDeps): Promise<ActionOutcome> {
  const scim = requireValue(deps.scim, 'The SCIM token (SENTRY_SLACK_SCIM_TOKEN)');
  const user = await scim.getUser(req.target);
  if (user === undefined)
    return refusal('Deactivation failed', 'user_not_found', `SCIM does not know user ${req.target}`);
  if (!user.active)
    return {
      status: 'skipped',
      summary: `${user.userName ?? req.target} was already deactivated`,
      details: { userId: req.target },
    };
  await scim.deactivate(req.target);
  return {
    status: 'succeeded',
    summary: `${user.userName ?? req.userName ?? req.target} deactivated (SCIM)`,
    details: { userId: req.target },
  };
}

interface L3Rule {
  comment?: string;
  policy?: string;
  protocol?: string;
  srcPort?: string;
  srcCidr?: string;
  destPort?: string;
  destCidr?: string;
  syslogEnabled?: boolean;
}

function isDefaultRule(rule: L3Rule): boolean {
  const any = (value: unknown) => typeof value === 'string' && value.toLowerCase() === 'any';
  return rule.comment === 'Default rule' && rule.policy === 'allow' && any(rule.srcCidr) && any(rule.destCidr);
}

function blocksIp(rule: L3Rule, ip: string): boolean {
  if (rule.policy?.toLowerCase() !== 'deny') return false;
  const cidrs = (rule.destCidr ?? '').split(',').map((c) => c.trim());
  const anyProtocol = (rule.protocol ?? 'any').toLowerCase() === 'any';
  return (
    anyProtocol && (rule.srcCidr ?? 'Any').toLowerCase() === 'any' && (cidrs.includes(ip) || cidrs.includes(`${ip}/32`))
  );
}

function rulesOf(body: unknown): L3Rule[] {
  const rules = (body as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules))
    throw new AppError(ErrorCode.CollectorMalformed, 'Meraki returned no L3 firewall rules list', { retriable: true });
  return rules.filter((rule): rule is L3Rule => typeof rule === 'object' && rule !== null);
}

async function blockIp(req: ActionRequest, deps: ActionDeps): Promise<ActionOutcome> {
  const meraki = requireValue(deps.meraki, 'The Meraki API key (SENTRY_MERAKI_API_KEY)');
  if (!isIpv4(req.target))
    return refusal('Block IP failed', ErrorCode.InputInvalid, `${req.target} is not an IPv4 address`);
  if (req.networkId === undefined)
    return refusal('Block IP failed', ErrorCode.InputInvalid, 'the incident names no Meraki network');
  const org = req.organizationId ?? req.networkId;
  const where = req.networkName ?? req.networkId;
  const current = rulesOf(await meraki.getL3FirewallRules(req.networkId, org)).filter((rule) => !isDefaultRule(rule));
  if (current.some((rule) => blocksIp(rule, req.target))) {
    return {
      status: 'skipped',
      summary: `${req.target} was already denied on ${where}`,
      details: { networkId: req.networkId, ip: req.target },
    };
  }
  const rule: L3Rule = {
    comment: `Sentry ${req.incidentId}`.slice(0, 255),
    policy: 'deny',
    protocol: 'any',
    srcPort: 'Any',
    srcCidr: 'Any',
    destPort: 'Any',
    destCidr: `${req.target}/32`,
    syslogEnabled: false,
  };
  const written = rulesOf(await meraki.putL3FirewallRules(req.networkId, org, [rule, ...current]));
  if (!written.some((r) => blocksIp(r, req.target))) {
    return refusal(
      'Block IP failed',
      'meraki_rule_missing',
      `Meraki accepted the rules but no deny rule for ${req.target} came back`,
    );
  }
  return {
    status: 'succeeded',
    summary: `Deny rule for ${req.target} added to the MX L3 firewall of ${where}`,
    details: { networkId: req.networkId, ip: req.target, rules: written.length },
  };
}

async function blockClient(req: ActionRequest, deps: ActionDeps): Promise<ActionOutcome> {
  const meraki = requireValue(deps.meraki, 'The Meraki API key (SENTRY_MERAKI_API_KEY)');
  if (req.networkId === undefined)
    return refusal('Block client failed', ErrorCode.InputInvalid, 'the incident names no Meraki network');
  const org = req.organizationId ?? req.networkId;
  const where = req.networkName ?? req.networkId;
  const groupPolicyId = deps.blockGroupPolicyId;
  const current = (await meraki.getClientPolicy(req.networkId, org, req.target)) as {
    devicePolicy?: string;
    groupPolicyId?: string;
  } | null;
  const already =
    groupPolicyId === undefined
      ? current?.devicePolicy === 'Blocked'
      : current?.devicePolicy === 'Group policy' && current.groupPolicyId === groupPolicyId;
  if (already)
    return {
      status: 'skipped',
      summary: `Client ${req.target} was already blocked on ${where}`,
      details: { networkId: req.networkId, client: req.target },
    };
  const policy =
    groupPolicyId === undefined ? { devicePolicy: 'Blocked' } : { devicePolicy: 'Group policy', groupPolicyId };
  await meraki.putClientPolicy(req.networkId, org, req.target, policy);
  return {
    status: 'succeeded',
    summary:
      groupPolicyId === undefined
        ? `Client ${req.target} blocked on ${where}`
        : `Client ${req.target} moved to group policy ${groupPolicyId} on ${where}`,
    details: { networkId: req.networkId, client: req.target, devicePolicy: policy.devicePolicy },
  };
}

async function snooze(req: ActionRequest, deps: ActionDeps): Promise<ActionOutcome> {
  const until = req.snoozeUntil;
  if (until === undefined || Number.isNaN(Date.parse(until)))
    return refusal('Snooze failed', ErrorCode.InputInvalid, 'no snooze end time');
  const saved = await deps.snoozes.snooze({
    detectionId: req.detectionId,
    subject: req.target,
    until,
    by: req.requestedBy.id,
    incidentId: req.incidentId,
    createdAt: deps.now().toISOString(),
  });
  return {
    status: 'succeeded',
    summary: `${req.detectionId} will not alert on ${req.target} until ${saved.until}`,
    details: { until: saved.until, subject: req.target },
  };
}

const PERFORM: Record<ResponseActionKind, (req: ActionRequest, deps: ActionDeps) => Promise<ActionOutcome>> = {
  resetSessions,
  invalidateSession,
  deactivateUser,
  blockIp,
  blockClient,
  snooze,
};

const FAILURE_SUMMARY: Record<ResponseActionKind, string> = {
  resetSessions: 'Session reset failed',
  invalidateSession: 'Session invalidation failed',
  deactivateUser: 'Deactivation failed',
  blockIp: 'Block IP failed',
  blockClient: 'Block client failed',
  snooze: 'Snooze failed',
};

/** Performs an action at most once per incident and target (a retried activity returns the first outcome). */
export async function runResponseAction(req: ActionRequest, deps: ActionDeps): Promise<ActionOutcome> {
  return runOnce(deps.ledger, req.incidentId, actionKey(req.kind, req.target), deps.now, async () => {
    try {
      return await PERFORM[req.kind](req, deps);
    } catch (error) {
      return outcomeOf(error, FAILURE_SUMMARY[req.kind]);
    }
  });
}
