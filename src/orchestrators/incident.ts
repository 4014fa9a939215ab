/**
 * One incident per finding (instance id `incident-<detection id>-<hash>`, from dispatchIncidents).
 * Checks its targets against the guardrails, posts the alert, then loops until closed, racing a
 * responder's click (`responderAction`), growth of the finding (`findingUpdated`) and the next
 * deadline: escalation while nobody has acted (with the policy's automatic action, if it applies to
 * exactly one recent target), then going stale. Each step is a top-level generator from one explicit
 * state to the next; the state changes only through response/incident-state.ts and its wording
 * comes from response/wording.ts.
 *
 * Trust: a click acts only when `authorizeResponder` finds its proof valid, fresh and unused and the
 * user a responder; an event without a valid proof (raised through the management API) is recorded
 * as denied and nobody is notified. Actions carry the charter and dispatch's grant, which the acting
 * activity verifies.
 *
 * Replay notes: durable-functions hands an external event to the newest open wait for that name, so
 * each loop creates fresh waits and cancels the timer it did not need. After many loops the history
 * is trimmed with continueAsNew, carrying the state; that drops events received but not yet awaited,
 * so it happens only between loops.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { z } from 'zod';

import {
  applyFindingUpdate,
  applyOutcome,
  automaticAction,
  closeStale,
  findOffered,
  type IncidentState,
  knownFindings,
  markEscalated,
  nextDeadline,
  occurrenceIsEarlier,
  type OfferedAction,
  openIncident,
  recordStep,
  rememberProof,
  SENTRY_ACTOR,
  targetLabel,
  touched,
  withMessage,
  withProtections,
} from '../response/incident-state';
import {
  type ActionOutcome,
  ActionOutcomeSchema,
  type Actor,
  FindingUpdatedEvent,
  IncidentFindingSchema,
  IncidentPolicySchema,
  ResponderActionEvent,
} from '../response/model';
import { responseRow, type ResponseStep } from '../response/records';
import { charterOf, offerableTargets } from '../response/targets';
import * as say from '../response/wording';
import type { ReplySpec } from '../slack/blocks/replies';
import { ActivityNames, EventNames } from './names';

export const IncidentInput = z.object({
  finding: IncidentFindingSchema,
  policy: IncidentPolicySchema,
  /** dispatchIncidents' signature over the incident's charter (response/proofs.ts). */
  grant: z.string().max(128).optional(),
  /** Carried across continueAsNew. */
  state: z.looseObject({ version: z.literal(1) }).optional(),
});
export type IncidentInput = z.infer<typeof IncidentInput>;

export interface IncidentResult {
  incidentId: string;
  status: IncidentState['status'];
  closure?: IncidentState['closure'];
  steps: number;
}

/** Slack and Table calls are quick; give transient failures a few tries over ~15 s. */
export const ACTIVITY_RETRY = new df.RetryOptions(2_000, 4);
/** Loops before the history is trimmed with continueAsNew. */
export const LOOPS_BEFORE_CONTINUE = 50;

const PostedSchema = z.object({ channel: z.string(), ts: z.string() });
const VerdictSchema = z.object({
  trusted: z.boolean(),
  authorized: z.boolean(),
  code: z.string().optional(),
  reason: z.string().optional(),
});
const VerdictsSchema = z.object({
  protections: z.record(z.string(), z.object({ code: z.string(), reason: z.string() })),
});

type Step<T = IncidentState> = Generator<Task, T, unknown>;

/** What every step needs: the durable context, its clock and a replay-safe log. */
interface Io {
  dfx: OrchestrationContext['df'];
  now(): string;
  log(state: IncidentState, message: string): void;
}

function failureMessage(error: unknown): string {
  const details = (error as { failureDetails?: { errorMessage?: string } } | undefined)?.failureDetails;
  const message = details?.errorMessage ?? (error instanceof Error ? error.message : String(error));
  return message.slice(0, 1000);
}

function* call(io: Io, name: string, input: unknown): Step<unknown> {
  return yield io.dfx.callActivityWithRetry(name, ACTIVITY_RETRY, input);
}

/** Lands a step's row alone (refused and stale clicks: nothing in the message changes). */
function* record(io: Io, state: IncidentState, step: Omit<ResponseStep, 'step'>): Step<void> {
  try {
    yield* call(io, ActivityNames.recordResponse, { row: responseRow(state, { ...step, step: state.step }) });
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
  const call = (name: string, input: unknown) => io.dfx.callActivityWithRetry(name, ACTIVITY_RETRY, input);
  const tasks: Task[] = [
    call(ActivityNames.publishIncidentAlert, { state }),
    call(ActivityNames.recordResponse, { row: responseRow(state, { ...step, step: state.step }) }),
  ];
  if (reply !== undefined && state.message !== undefined) {
    tasks.push(
      call(ActivityNames.postIncidentReply, { channel: state.message.channel, threadTs: state.message.ts, reply }),
    );
  }
  try {
    yield io.dfx.Task.all(tasks);
  } catch (error) {
    io.log(state, `reporting step ${state.step} failed: ${failureMessage(error)}`);
  }
}

/** Checks the targets against the guardrails, posts the alert and records it. */
function* open(io: Io, initial: IncidentState): Step {
  let state = initial;
  const targets = offerableTargets(state.finding).targets.map(({ kind, id, of }) => ({ kind, id, of }));
  if (targets.length > 0) {
    try {
      state = withProtections(
        state,
        VerdictsSchema.parse(yield* call(io, ActivityNames.checkTargets, { targets })).protections,
      );
    } catch (error) {
      // The acting activity checks again; until then every target is offered.
      io.log(state, `could not check targets: ${failureMessage(error)}`);
    }
  }
  const posted = PostedSchema.parse(yield* call(io, ActivityNames.publishIncidentAlert, { state }));
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
  } else {
    const snoozeUntil =
      action.kind === 'snooze'
        ? new Date(io.dfx.currentUtcDateTime.getTime() + state.policy.snoozeDays * 86_400_000).toISOString()
        : undefined;
    try {
      const raw = yield* call(io, ActivityNames.runResponseAction, {
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
      outcome = ActionOutcomeSchema.parse(raw);
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
function* respond(io: Io, initial: IncidentState, raw: unknown): Step {
  let state = initial;
  const parsed = ResponderActionEvent.safeParse(raw);
  if (!parsed.success) {
    io.log(state, `ignored a malformed ${EventNames.responderAction} event`);
    return state;
  }
  const event = parsed.data;
  const actor: Actor = { id: event.user.id, ...(event.user.name === undefined ? {} : { name: event.user.name }) };
  let verdict: z.infer<typeof VerdictSchema>;
  try {
    verdict = VerdictSchema.parse(
      yield* call(io, ActivityNames.authorizeResponder, { incidentId: state.incidentId, event }),
    );
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
    yield* call(io, ActivityNames.notifyResponder, {
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
function* escalate(io: Io, initial: IncidentState): Step {
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
function* goStale(io: Io, initial: IncidentState): Step {
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
function* update(io: Io, initial: IncidentState, raw: unknown): Step {
  const parsed = FindingUpdatedEvent.safeParse(raw);
  if (!parsed.success) {
    io.log(initial, `ignored a malformed ${EventNames.findingUpdated} event`);
    return initial;
  }
  const applied = applyFindingUpdate(initial, parsed.data);
  if (!applied.changed) return applied.state;
  // New evidence keeps an escalated or acknowledged incident from going stale.
  let state = touched(applied.state, io.now());
  const learned = applied.learned;
  if (learned === undefined) {
    try {
      yield* call(io, ActivityNames.publishIncidentAlert, { state });
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

function customStatus(state: IncidentState): Record<string, unknown> {
  return state.status === 'closed'
    ? { status: state.status, count: state.finding.count, messageTs: state.message?.ts, closure: state.closure?.as }
    : {
        status: state.status,
        count: state.finding.count,
        messageTs: state.message?.ts,
        escalateAt: state.escalateAt,
        staleAt: state.staleAt,
        findings: knownFindings(state),
      };
}

export function* incidentOrchestrator(context: OrchestrationContext): Step<IncidentResult | undefined> {
  const dfx = context.df;
  const io: Io = {
    dfx,
    now: () => dfx.currentUtcDateTime.toISOString(),
    log: (state, message) => {
      if (!dfx.isReplaying) context.log(`incident ${state.incidentId}: ${message}`);
    },
  };
  const input = IncidentInput.parse(dfx.getInput());
  let state =
    (input.state as IncidentState | undefined) ??
    openIncident(input.finding, input.policy, dfx.currentUtcDateTime, input.grant);
  if (state.message === undefined) state = yield* open(io, state);

  for (let loops = 0; state.status !== 'closed'; loops += 1) {
    if (loops >= LOOPS_BEFORE_CONTINUE) {
      dfx.continueAsNew({ finding: state.finding, policy: state.policy, state });
      return undefined;
    }
    dfx.setCustomStatus(customStatus(state));
    const actionTask = dfx.waitForExternalEvent(EventNames.responderAction);
    const updateTask = dfx.waitForExternalEvent(EventNames.findingUpdated);
    const deadline = nextDeadline(state);
    const timer = deadline === undefined ? undefined : dfx.createTimer(new Date(deadline.at));
    const winner = yield dfx.Task.any(timer === undefined ? [actionTask, updateTask] : [actionTask, updateTask, timer]);
    if (timer !== undefined && winner !== timer) timer.cancel();
    if (winner === timer && deadline !== undefined) {
      state = deadline.kind === 'escalate' ? yield* escalate(io, state) : yield* goStale(io, state);
    } else if (winner === updateTask) state = yield* update(io, state, updateTask.result);
    else state = yield* respond(io, state, actionTask.result);
  }
  dfx.setCustomStatus(customStatus(state));
  return { incidentId: state.incidentId, status: state.status, closure: state.closure, steps: state.step };
}
