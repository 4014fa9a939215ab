/**
 * Activities that decide and act:
 * - `authorizeResponder`: is this click genuine and fresh (its proof, from the interactivity
 *   endpoint, verifies) and is the clicking user a responder? An event without a valid proof is
 *   reported as untrusted: nobody is notified and nothing is done;
 * - `checkTargets`: the guardrail verdict on each of an incident's targets, when it opens, so
 *   protected accounts and addresses get no buttons;
 * - `runResponseAction`: verifies the charter, re-checks the guardrails and the automatic-action
 *   breaker, and performs one action at most once; a refusal comes back as an outcome with its
 *   reason, a transient failure is thrown for Durable to retry.
 */

import { parseActivityInput, type ResponderVerdict, type TargetVerdicts } from '../contracts';
import { runResponseAction as performOnce } from '../response/actions';
import { authorizeResponder as authorize } from '../response/authorization';
import { checkTarget } from '../response/guardrails';
import type { ActionOutcome } from '../response/model';
import { verifyResponderEvent } from '../response/proofs';
import { targetKey } from '../response/targets';
import { incidentDeps, type IncidentDeps } from './incident-deps';

const PROOF_REASONS: Readonly<Record<string, string>> = {
  proof_missing: 'the event carries no proof from the Slack interactivity endpoint',
  proof_invalid: 'the event’s proof does not verify: it did not come through Slack’s signed request',
  proof_expired: 'the click is too old to act on; click the button again',
};

export async function authorizeResponder(raw: unknown, deps: IncidentDeps = incidentDeps()): Promise<ResponderVerdict> {
  const { incidentId, event } = parseActivityInput('authorizeResponder', raw);
  if (deps.responseKey === undefined) {
    return {
      trusted: false,
      authorized: false,
      via: null,
      code: 'response_key_missing',
      reason: 'no response key is configured (SENTRY_SLACK_SIGNING_SECRET or SENTRY_RESPONSE_SIGNING_KEY)',
    };
  }
  const proof = verifyResponderEvent(deps.responseKey, incidentId, event, deps.now().getTime());
  if (!proof.ok) {
    // An expired proof was still made by us: the click was real, so its user may be told.
    return {
      trusted: proof.code === 'proof_expired',
      authorized: false,
      via: null,
      code: proof.code,
      reason: PROOF_REASONS[proof.code],
    };
  }
  const { responderIds, responderGroup } = deps.config.slack;
  const result = await authorize(
    event.user.id,
    { responderIds, responderGroup },
    responderGroup === undefined ? undefined : deps.bot(),
    deps.now().getTime(),
  );
  return {
    trusted: true,
    authorized: result.authorized,
    via: result.via,
    ...(result.authorized ? {} : { code: 'responder_not_authorized', reason: result.reason ?? 'not a responder' }),
  };
}

export async function checkTargets(raw: unknown, deps: IncidentDeps = incidentDeps()): Promise<TargetVerdicts> {
  const { targets } = parseActivityInput('checkTargets', raw);
  const protections: TargetVerdicts['protections'] = {};
  for (const target of targets) {
    const refusal = await checkTarget(target, deps.guardrails);
    if (refusal !== undefined) protections[targetKey(target.kind, target.id)] = refusal;
  }
  return { protections };
}

export async function runResponseAction(raw: unknown, deps: IncidentDeps = incidentDeps()): Promise<ActionOutcome> {
  return performOnce(parseActivityInput('runResponseAction', raw), {
    admin: deps.admin(),
    scim: deps.scim(),
    meraki: deps.meraki(),
    snoozes: deps.snoozes,
    ledger: deps.incidents,
    blockGroupPolicyId: deps.config.meraki.blockGroupPolicyId,
    now: deps.now,
    responseKey: deps.responseKey,
    guardrails: deps.guardrails,
    breaker: deps.breaker,
    limits: {
      perHour: deps.config.response.autoActionsPerHour,
      perTargetPerHour: deps.config.response.autoActionsPerTargetPerHour,
    },
  });
}

export const authorizeResponderActivity = (raw: unknown): Promise<ResponderVerdict> => authorizeResponder(raw);
export const checkTargetsActivity = (raw: unknown): Promise<TargetVerdicts> => checkTargets(raw);
export const runResponseActionActivity = (raw: unknown): Promise<ActionOutcome> => runResponseAction(raw);
