/**
 * The incident workflow's steps (orchestrators/incident.ts runs them): each a top-level generator
 * from one explicit state to the next. The state changes only through response/incident-state.ts,
 * its wording comes from response/wording.ts, and every activity call goes through its contract.
 *
 * Trust: a click acts only when `authorizeResponder` finds its proof valid, fresh and unused and the
 * user a responder; an event without a valid proof (raised through the management API) is recorded
 * as denied and nobody is notified. Actions carry the charter and dispatch's grant, which the acting
 * activity verifies.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';

import {
  type ActivityInput,
  type ActivityName,
  type ActivityOutput,
  activityTask,
  callActivity,
  EventNames,
  isResponseAction,
  parseEvent,
  type ResponderVerdict,
} from '../contracts';
import {
  applyFindingUpdate,
  applyOutcome,
  automaticAction,
  closeStale,
  findOffered,
  type IncidentState,
  markEscalated,
  occurrenceIsEarlier,
  type OfferedAction,
  recordStep,
  rememberProof,
  SENTRY_ACTOR,
  targetLabel,
  touched,
  withMessage,
  withProtections,
} from '../response/incident-state';
import type { ActionOutcome, Actor, ResponderActionEvent } from '../response/model';
import { responseRow, type ResponseStep } from '../response/records';
import { charterOf, offerableTargets } from '../response/targets';
import * as say from '../response/wording';
import type { ReplySpec } from '../slack/blocks/replies';

/** Slack and Table calls are quick; give transient failures a few tries over ~15 s. */
export const ACTIVITY_RETRY = new df.RetryOptions(2_000, 4);

export type Step<T = IncidentState> = Generator<Task, T, unknown>;

/** What every step needs: the durable context, its clock and a replay-safe log. */
export interface Io {
  dfx: OrchestrationContext['df'];
  now(): string;
  log(state: IncidentState, message: string): void;
}

function failureMessage(error: unknown): string {
  const details = (error as { failureDetails?: { errorMessage?: string } } | undefined)?.failureDetails;
  const message = details?.errorMessage ?? (error instanceof Error ? error.message : String(error));
  return message.slice(0, 1000);
}

/** An activity with the incident's retry policy, its result parsed by its contract. */
function* call<N extends ActivityName>(io: Io, name: N, input: ActivityInput<N>): Step<ActivityOutput<N>> {
  return yield* callActivity(io.dfx, name, input, ACTIVITY_RETRY);
}

/** Lands a step's row alone (refused and stale clicks: nothing in the message changes). */
function* record(io: Io, state: IncidentState, step: Omit<ResponseStep, 'step'>): Step<void> {
  try {
    yield* call(io, 'recordResponse', { row: responseRow(state, { ...step, step: state.step }) });
  } catch (error) {
    io.log(state, `could not record step ${state.step}: ${failureMessage(error)}`);
  }
}

/** Updates the message, replies in the thread and lands the step's row, in parallel. */
function* report(
  io: Io,
  state: IncidentState,
  step: Omit<ResponseStep, 'step'>,
  reply: ReplySpec | undefined,
): Step<void> {
  const tasks: Task[] = [
    activityTask(io.dfx, 'publishIncidentAlert', { state }, ACTIVITY_RETRY),
    activityTask(io.dfx, 'recordResponse', { row: responseRow(state, { ...step, step: state.step }) }, ACTIVITY_RETRY),
  ];
  if (reply !== undefined && state.message !== undefined) {
    tasks.push(
      activityTask(
        io.dfx,
        'postIncidentReply',
        { channel: state.message.channel, threadTs: state.message.ts, reply },
        ACTIVITY_RETRY,
      ),
    );
  }
  try {
    yield io.dfx.Task.all(tasks);
  } catch (error) {
    io.log(state, `reporting step ${state.step} failed: ${failureMessage(error)}`);
  }
}

/** Checks the targets against the guardrails, posts the alert and records it. */
export function* open(io: Io, initial: IncidentState): Step {
  let state = initial;
  const targets = offerableTargets(state.finding).targets.map(({ kind, id, of }) => ({ kind, id, of }));
  if (targets.length > 0) {
    try {
      state = withProtections(state, (yield* call(io, 'checkTargets', { targets })).protections);
    } catch (error) {
      // The acting activity checks again; until then every target is offered.
      io.log(state, `could not check targets: ${failureMessage(error)}`);
    }
  }
  const posted = yield* call(io, 'publishIncidentAlert', { state });
  state = withMessage(state, posted);
  state = recordStep(
    state,
    { at: io.now(), by: SENTRY_ACTOR, kind: 'post', status: 'succeeded', summary: 'Alert posted' },
    { visible: false },
  );
  yield* record(io, state, {
    at: io.now(),
    by: SENTRY_ACTOR,
    kind: 'post',
    result: 'succeeded',
    summary: 'Alert posted',
    details: { channel: posted.channel, ts: posted.ts },
  });
  return state;
}

/** Performs one offered action (or the incident's own acknowledge/close) and reports it. */
function* act(io: Io, initial: IncidentState, action: OfferedAction, actor: Actor, requestedAt: string): Step {
  let state = initial;
  let outcome: ActionOutcome;
  if (action.kind === 'acknowledge') {
    outcome = { status: 'succeeded', summary: 'Acknowledged: a responder is on it' };
  } else if (action.kind === 'closeFalsePositive' || action.kind === 'closeBenignPositive') {
    outcome = {
      status: 'succeeded',
      summary: `Closed as ${action.kind === 'closeFalsePositive' ? 'false' : 'benign'} positive`,
    };
  } else if (action.target === undefined || !isResponseAction(action.kind)) {
    // An offered action always names its target; one without is a bug, reported, never guessed.
    outcome = {
      status: 'failed',
      summary: say.actionFailed(action.label),
      error: { code: 'action_invalid', message: `${action.kind} offered without a target`, retriable: false },
    };
  } else {
    const snoozeUntil =
      action.kind === 'snooze'
        ? new Date(io.dfx.currentUtcDateTime.getTime() + state.policy.snoozeDays * 86_400_000).toISOString()
        : undefined;
    try {
      outcome = yield* call(io, 'runResponseAction', {
        incidentId: state.incidentId,
        detectionId: state.finding.detectionId,
        kind: action.kind,
        target: action.target,
        charter: charterOf(state.finding, state.policy),
        ...(state.grant === undefined ? {} : { grant: state.grant }),
        ...(snoozeUntil === undefined ? {} : { snoozeUntil }),
        requestedBy: actor,
        requestedAt,
      });
    } catch (error) {
      outcome = {
        status: 'failed',
        summary: say.actionFailed(action.label),
        error: { code: 'action_failed', message: failureMessage(error), retriable: true },
      };
    }
  }
  state = applyOutcome(state, action, outcome, actor, io.now());
  const targetName = action.about === undefined ? undefined : targetLabel(action.about, 120);
  yield* report(
    io,
    state,
    {
      at: io.now(),
      requestedAt,
      by: actor,
      kind: action.kind,
      target: action.target,
      ...(action.about === undefined ? {} : { targetType: action.about.kind, targetName }),
      result: outcome.status,
      summary: outcome.summary,
      error: outcome.error,
      details: outcome.details,
    },
    {
      type: 'outcome',
      kind: action.kind,
      by: actor,
      status: outcome.status,
      summary: outcome.summary,
      ...(targetName === undefined ? {} : { targetName }),
      error: outcome.error,
    },
  );
  return state;
}

/** A click: verified (proof, freshness, replay, responder), then the offered action it names. */
export function* respond(io: Io, initial: IncidentState, raw: unknown): Step {
  let state = initial;
  const event = parseEvent('responderAction', raw);
  if (event === undefined) {
    io.log(state, `ignored a malformed ${EventNames.responderAction} event`);
    return state;
  }
  const actor: Actor = { id: event.user.id, ...(event.user.name === undefined ? {} : { name: event.user.name }) };
  let verdict: Pick<ResponderVerdict, 'trusted' | 'authorized' | 'code' | 'reason'>;
  try {
    verdict = yield* call(io, 'authorizeResponder', { incidentId: state.incidentId, event });
  } catch (error) {
    verdict = { trusted: false, authorized: false, code: 'verification_failed', reason: failureMessage(error) };
  }
  if (verdict.trusted && event.proof !== undefined) {
    const seen = rememberProof(state, event.proof);
    state = seen.state;
    if (seen.replayed)
      verdict = { trusted: false, authorized: false, code: 'proof_replayed', reason: 'the click was already handled' };
  }
  const deny = function* (code: string, reason: string, notify: boolean): Step {
    const summary = say.deniedClick(event.kind, reason);
    const next = recordStep(
      state,
      { at: io.now(), by: actor, kind: event.kind, target: event.target, status: 'denied', summary },
      { visible: false },
    );
    if (notify)
      yield* notifyClicker(
        io,
        next,
        event,
        code === 'responder_not_authorized' ? 'unauthorized' : 'unavailable',
        reason,
      );
    yield* record(io, next, {
      at: io.now(),
      requestedAt: event.receivedAt,
      by: actor,
      kind: event.kind,
      target: event.target,
      result: 'denied',
      summary,
      error: { code, message: reason },
    });
    return next;
  };
  // Only a click that really came through Slack may be answered: a forged event's response_url and
  // channel are the forger's, so nothing is sent to them.
  if (!verdict.trusted) return yield* deny(verdict.code ?? 'proof_invalid', verdict.reason ?? 'untrusted event', false);
  if (!verdict.authorized)
    return yield* deny(verdict.code ?? 'responder_not_authorized', verdict.reason ?? 'not a responder', true);
  const offered = findOffered(state, event.kind, event.target);
  if (offered === undefined) {
    const detail = say.unavailableDetail(state, event.kind, event.target);
    state = recordStep(
      state,
      {
        at: io.now(),
        by: actor,
        kind: event.kind,
        target: event.target,
        status: 'skipped',
        summary: say.nothingToDo(detail),
      },
      { visible: false },
    );
    yield* notifyClicker(io, state, event, 'unavailable', detail);
    yield* record(io, state, {
      at: io.now(),
      requestedAt: event.receivedAt,
      by: actor,
      kind: event.kind,
      target: event.target,
      result: 'skipped',
      summary: say.nothingToDo(detail),
    });
    return state;
  }
  return yield* act(io, state, offered, actor, event.receivedAt);
}

function* notifyClicker(
  io: Io,
  state: IncidentState,
  event: ResponderActionEvent,
  notice: 'unauthorized' | 'unavailable',
  detail: string,
): Step<void> {
  const channel = event.channel ?? state.message?.channel;
  try {
    yield* call(io, 'notifyResponder', {
      userId: event.user.id,
      ...(channel === undefined ? {} : { channel }),
      ...(event.responseUrl === undefined ? {} : { responseUrl: event.responseUrl }),
      notice,
      detail,
    });
  } catch (error) {
    io.log(state, `could not notify ${event.user.id}: ${failureMessage(error)}`);
  }
}

/** Nobody acted in time: tell on-call, then take the automatic action when it applies. */
export function* escalate(io: Io, initial: IncidentState): Step {
  const at = io.now();
  const decision = automaticAction(initial, at);
  const skipped = say.automaticSkipped(decision);
  let state = markEscalated(initial, at);
  state = recordStep(state, {
    at,
    by: SENTRY_ACTOR,
    kind: 'escalate',
    status: 'succeeded',
    summary: say.escalated(state.policy.escalateAfterMinutes),
  });
  if (skipped !== undefined)
    state = recordStep(state, { at, by: SENTRY_ACTOR, kind: 'escalate', status: 'skipped', summary: skipped });
  yield* report(
    io,
    state,
    {
      at,
      by: SENTRY_ACTOR,
      kind: 'escalate',
      target: state.policy.oncallGroup,
      result: 'succeeded',
      summary: skipped === undefined ? 'Escalated to on-call' : `Escalated to on-call. ${skipped}`,
    },
    {
      type: 'escalation',
      oncallGroup: state.policy.oncallGroup,
      minutes: state.policy.escalateAfterMinutes,
      ...(decision.act === undefined
        ? skipped === undefined
          ? {}
          : { automaticSkipped: skipped }
        : {
            automaticAction: decision.act.kind,
            ...(decision.act.about === undefined ? {} : { automaticTarget: targetLabel(decision.act.about, 120) }),
          }),
    },
  );
  if (decision.act !== undefined) state = yield* act(io, state, decision.act, SENTRY_ACTOR, at);
  return state;
}

/** Nothing happened for the stale time: close with a final word in the thread. */
export function* goStale(io: Io, initial: IncidentState): Step {
  const at = io.now();
  const summary = say.closedStale(initial.policy.staleAfterHours);
  let state = closeStale(initial, at);
  state = recordStep(state, { at, by: SENTRY_ACTOR, kind: 'stale', status: 'succeeded', summary });
  yield* report(
    io,
    state,
    { at, by: SENTRY_ACTOR, kind: 'stale', result: 'succeeded', summary },
    { type: 'stale', hours: state.policy.staleAfterHours },
  );
  return state;
}

/** Growth of the finding, or (another finding id) a separate occurrence, announced once. */
export function* update(io: Io, initial: IncidentState, raw: unknown): Step {
  const updated = parseEvent('findingUpdated', raw);
  if (updated === undefined) {
    io.log(initial, `ignored a malformed ${EventNames.findingUpdated} event`);
    return initial;
  }
  const applied = applyFindingUpdate(initial, updated);
  if (!applied.changed) return applied.state;
  // New evidence keeps an escalated or acknowledged incident from going stale.
  let state = touched(applied.state, io.now());
  const learned = applied.learned;
  if (learned === undefined) {
    try {
      yield* call(io, 'publishIncidentAlert', { state });
    } catch (error) {
      io.log(state, `could not update the message: ${failureMessage(error)}`);
    }
    return state;
  }
  const at = io.now();
  const relation = occurrenceIsEarlier(state, learned) ? 'earlier' : 'later';
  const summary = say.occurrenceLearned(relation, learned);
  state = recordStep(state, { at, by: SENTRY_ACTOR, kind: 'occurrence', status: 'succeeded', summary });
  const { findingId, count, firstSeen, lastSeen } = learned;
  yield* report(
    io,
    state,
    {
      at,
      by: SENTRY_ACTOR,
      kind: 'occurrence',
      target: findingId,
      result: 'succeeded',
      summary,
      details: { findingId, count, firstSeen, lastSeen },
    },
    {
      type: 'occurrence',
      relation,
      findingId,
      count,
      firstSeen,
      lastSeen,
      ...(learned.severity === undefined ? {} : { severity: learned.severity }),
    },
  );
  return state;
}
