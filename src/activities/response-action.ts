/**
 * Activities that decide and act: `authorizeResponder` (is the clicking user a responder?) and
 * `runResponseAction` (performs one action at most once; a refusal comes back as a failed outcome
 * with the reason, a transient failure is thrown for Durable to retry).
 */
import { z } from 'zod';

import { AppError, ErrorCode } from '../errors';
import { ActionRequest, runResponseAction as performOnce } from '../response/actions';
import { type AuthorizationResult, authorizeResponder as authorize } from '../response/authorization';
import type { ActionOutcome } from '../response/model';
import { incidentDeps, type IncidentDeps } from './incident-deps';

export const AuthorizeResponderInput = z.object({ userId: z.string().min(1).max(64) });

export async function authorizeResponder(
  raw: unknown,
  deps: IncidentDeps = incidentDeps(),
): Promise<AuthorizationResult> {
  const parsed = AuthorizeResponderInput.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      ErrorCode.InputInvalid,
      `authorizeResponder input is invalid: ${z.prettifyError(parsed.error)}`,
      { retriable: false },
    );
  }
  const { responderIds, responderGroup } = deps.config.slack;
  return authorize(
    parsed.data.userId,
    { responderIds, responderGroup },
    responderGroup === undefined ? undefined : deps.bot(),
    deps.now().getTime(),
  );
}

export async function runResponseAction(raw: unknown, deps: IncidentDeps = incidentDeps()): Promise<ActionOutcome> {
  const parsed = ActionRequest.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(ErrorCode.InputInvalid, `runResponseAction input is invalid: ${z.prettifyError(parsed.error)}`, {
      retriable: false,
    });
  }
  return performOnce(parsed.data, {
    admin: deps.admin(),
    scim: deps.scim(),
    meraki: deps.meraki(),
    snoozes: deps.snoozes,
    ledger: deps.incidents,
    blockGroupPolicyId: deps.config.meraki.blockGroupPolicyId,
    now: deps.now,
  });
}

export const authorizeResponderActivity = (raw: unknown): Promise<AuthorizationResult> => authorizeResponder(raw);
export const runResponseActionActivity = (raw: unknown): Promise<ActionOutcome> => runResponseAction(raw);
