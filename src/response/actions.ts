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
 *
 * Before any of them touches an outside system, `runResponseAction` checks, in order: the incident's
 * charter is signed by dispatch and names this target for this action (targets.ts, proofs.ts); the
 * target passes the guardrails (guardrails.ts); an automatic action is the one the charter allows and
 * fits the circuit breaker (state/auto-actions.ts). Each failed check is a `refused` outcome with a
 * coded reason. Targets, networks and session owners come from the charter, never from the request.
 * Summaries carry no outside text (names are shown from the target, escaped, by the message builder).
 */

import type { ActionRequest, ResponseActionKind } from '../contracts';
import { AppError, ErrorCode, HttpStatusError } from '../errors';
import type { AutoActionBreaker, AutoActionLimits } from '../state/auto-actions';
import type { ActionLedger } from '../state/incidents';
import type { Snooze } from '../state/snoozes';
import { callSlack, type SlackApi, slackErrorOf } from '../slack/web-client';
import { checkTarget, type GuardrailDeps } from './guardrails';
import { runOnce } from './idempotency';
import { actionKey } from './incident-state';
import { type ActionOutcome, isIpv4 } from './model';
import { verifyCharter } from './proofs';
import type { ScimClient } from './scim';
import { type Charter, charterTarget, type CharterTarget } from './targets';

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
  /** The response key (proofs.ts); undefined: no charter can be verified, so nothing targeted runs. */
  responseKey: Buffer | undefined;
  guardrails: GuardrailDeps;
  breaker: AutoActionBreaker;
  limits: AutoActionLimits;
}

/** A verified request: the target as the charter names it. */
interface Resolved {
  req: ActionRequest;
  target: CharterTarget;
}

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

async function resetSessions({ target }: Resolved, deps: ActionDeps): Promise<ActionOutcome> {
  const admin = requireValue(deps.admin, 'An admin user token (SENTRY_SLACK_ADMIN_TOKEN)');
  await callSlack(admin, 'admin.users.session.reset', { user_id: target.id });
  return { status: 'succeeded', summary: 'Signed out of every session', details: { userId: target.id } };
}

async function invalidateSession({ target }: Resolved, deps: ActionDeps): Promise<ActionOutcome> {
  const admin = requireValue(deps.admin, 'An admin user token (SENTRY_SLACK_ADMIN_TOKEN)');
  if (!/^\d{1,20}$/.test(target.id) || target.of === undefined) {
    return refusal(
      'Session invalidation needs a numeric session id and its user',
      ErrorCode.InputInvalid,
      'session id or user missing',
    );
  }
  try {
    await callSlack(admin, 'admin.users.session.invalidate', { session_id: Number(target.id), user_id: target.of });
  } catch (error) {
    if (slackErrorOf(error) === 'session_not_found') {
      return { status: 'skipped', summary: 'The session had already ended', details: { sessionId: target.id } };
    }
    throw error;
  }
  return { status: 'succeeded', summary: 'Session ended', details: { sessionId: target.id, userId: target.of } };
}

async function deactivateUser({ target }: Resolved, deps: ActionDeps): Promise<ActionOutcome> {
  const scim = requireValue(deps.scim, 'The SCIM token (SENTRY_SLACK_SCIM_TOKEN)');
  const user = await scim.getUser(target.id);
  if (user === undefined)
    return refusal('Deactivation failed', 'user_not_found', `SCIM does not know user ${target.id}`);
  if (!user.active) return { status: 'skipped', summary: 'Was already deactivated', details: { userId: target.id } };
  await scim.deactivate(target.id);
  return { status: 'succeeded', summary: 'Deactivated (SCIM)', details: { userId: target.id } };
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

async function blockIp({ req, target }: Resolved, deps: ActionDeps): Promise<ActionOutcome> {
  const meraki = requireValue(deps.meraki, 'The Meraki API key (SENTRY_MERAKI_API_KEY)');
  if (!isIpv4(target.id))
    return refusal('Block IP failed', ErrorCode.InputInvalid, `${target.id} is not an IPv4 address`);
  if (target.networkId === undefined)
    return refusal('Block IP failed', ErrorCode.InputInvalid, 'the finding names no Meraki network');
  const org = target.organizationId ?? target.networkId;
  const current = rulesOf(await meraki.getL3FirewallRules(target.networkId, org)).filter(
    (rule) => !isDefaultRule(rule),
  );
  if (current.some((rule) => blocksIp(rule, target.id))) {
    return {
      status: 'skipped',
      summary: 'Was already denied on the MX L3 firewall',
      details: { networkId: target.networkId, ip: target.id },
    };
  }
  const rule: L3Rule = {
    comment: `Sentry ${req.incidentId}`.slice(0, 255),
    policy: 'deny',
    protocol: 'any',
    srcPort: 'Any',
    srcCidr: 'Any',
    destPort: 'Any',
    destCidr: `${target.id}/32`,
    syslogEnabled: false,
  };
  const written = rulesOf(await meraki.putL3FirewallRules(target.networkId, org, [rule, ...current]));
  if (!written.some((r) => blocksIp(r, target.id))) {
    return refusal(
      'Block IP failed',
      'meraki_rule_missing',
      `Meraki accepted the rules but no deny rule for ${target.id} came back`,
    );
  }
  return {
    status: 'succeeded',
    summary: 'Deny rule added first in the MX L3 firewall',
    details: { networkId: target.networkId, ip: target.id, rules: written.length },
  };
}

async function blockClient({ target }: Resolved, deps: ActionDeps): Promise<ActionOutcome> {
  const meraki = requireValue(deps.meraki, 'The Meraki API key (SENTRY_MERAKI_API_KEY)');
  if (target.networkId === undefined)
    return refusal('Block client failed', ErrorCode.InputInvalid, 'the finding names no Meraki network');
  const org = target.organizationId ?? target.networkId;
  const groupPolicyId = deps.blockGroupPolicyId;
  const current = (await meraki.getClientPolicy(target.networkId, org, target.id)) as {
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
      summary: 'Was already blocked',
      details: { networkId: target.networkId, client: target.id },
    };
  const policy =
    groupPolicyId === undefined ? { devicePolicy: 'Blocked' } : { devicePolicy: 'Group policy', groupPolicyId };
  await meraki.putClientPolicy(target.networkId, org, target.id, policy);
  return {
    status: 'succeeded',
    summary:
      groupPolicyId === undefined ? 'Blocked on its network' : `Moved to group policy ${groupPolicyId} on its network`,
    details: { networkId: target.networkId, client: target.id, devicePolicy: policy.devicePolicy },
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
    summary: `This detection stays quiet for this subject until ${saved.until}`,
    details: { until: saved.until, subject: req.target },
  };
}

type TargetedKind = Exclude<ResponseActionKind, 'snooze'>;

const PERFORM: Record<TargetedKind, (resolved: Resolved, deps: ActionDeps) => Promise<ActionOutcome>> = {
  resetSessions,
  invalidateSession,
  deactivateUser,
  blockIp,
  blockClient,
};

const FAILURE_SUMMARY: Record<ResponseActionKind, string> = {
  resetSessions: 'Session reset failed',
  invalidateSession: 'Session invalidation failed',
  deactivateUser: 'Deactivation failed',
  blockIp: 'Block IP failed',
  blockClient: 'Block client failed',
  snooze: 'Snooze failed',
};

export const RefusalCodes = {
  noKey: 'response_key_missing',
  charterInvalid: 'charter_invalid',
  notInCharter: 'target_not_in_finding',
  notAutomatic: 'automatic_action_not_allowed',
} as const;

function refused(code: string, reason: string): ActionOutcome {
  return { status: 'refused', summary: `Refused: ${reason}`, error: { code, message: reason, retriable: false } };
}

/** The charter check: the request's target, as the signed charter names it, or a refusal. */
function resolve(req: ActionRequest, deps: ActionDeps): Resolved | ActionOutcome {
  if (deps.responseKey === undefined) {
    return refused(
      RefusalCodes.noKey,
      'no response key is configured (SENTRY_SLACK_SIGNING_SECRET or SENTRY_RESPONSE_SIGNING_KEY), so no action can be verified',
    );
  }
  const charter: Charter | undefined = req.charter;
  if (
    charter?.incidentId !== req.incidentId ||
    charter.detectionId !== req.detectionId ||
    !verifyCharter(deps.responseKey, charter, req.grant)
  ) {
    return refused(
      RefusalCodes.charterInvalid,
      'this incident does not carry a valid grant from Sentry’s dispatch (it was not opened from a detection), so it cannot act',
    );
  }
  const target = charterTarget(charter, req.kind, req.target);
  if (target === undefined) {
    return refused(RefusalCodes.notInCharter, `${req.target} is not a suspect of this finding for this action`);
  }
  if (req.requestedBy.automatic === true && charter.automaticAction !== req.kind) {
    return refused(RefusalCodes.notAutomatic, `the incident's policy does not take ${req.kind} automatically`);
  }
  return { req, target };
}

/**
 * Verifies, guards and performs an action at most once per incident and target (a retried activity
 * returns the first outcome; a refused or failed one is judged again).
 */
export async function runResponseAction(req: ActionRequest, deps: ActionDeps): Promise<ActionOutcome> {
  return runOnce(deps.ledger, req.incidentId, actionKey(req.kind, req.target), deps.now, async () => {
    try {
      if (req.kind === 'snooze') return await snooze(req, deps);
      const resolved = resolve(req, deps);
      if ('status' in resolved) return resolved;
      const guard = await checkTarget(resolved.target, deps.guardrails);
      if (guard !== undefined) return refused(guard.code, guard.reason);
      if (req.requestedBy.automatic === true) {
        const claim = await deps.breaker.claim(
          { incidentId: req.incidentId, kind: req.kind, target: req.target, at: deps.now().getTime() },
          deps.limits,
        );
        if (!claim.allowed) return refused(claim.code, claim.reason);
      }
      return await PERFORM[req.kind](resolved, deps);
    } catch (error) {
      return outcomeOf(error, FAILURE_SUMMARY[req.kind]);
    }
  });
}
