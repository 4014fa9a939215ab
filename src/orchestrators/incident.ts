/**
 * One incident per finding (instance id `incident-<detection id>-<hash>`, from dispatchIncidents).
 * Posts the alert, then loops until closed, racing three things: a responder's click
 * (`responderAction`), growth of the finding (`findingUpdated`) and, while nobody has acted, the
 * escalation timer. On the timer it escalates in the thread to the on-call group and takes the
 * policy's automatic action, if any. Each step updates the message, replies in the thread and lands a
 * response row. A `findingUpdated` for another finding of the same dedupe key (a backfill can find an
 * older one) is kept as an occurrence: listed in the message and announced once in the thread; the
 * custom status lists the findings the incident knows (`findings`) so dispatch raises only news. All state is plain JSON changed by the pure functions of response/incident-state.ts.
 *
 * Replay notes: durable-functions hands an external event to the newest open wait for that name, so
 * each loop creates fresh waits (a wait reused in a second Task.any would be tracked twice) and
 * cancels the timer it did not need. After many loops the history is trimmed with continueAsNew,
 * carrying the state; that drops events received but not yet awaited, so it happens only between
 * loops. Authorization is checked here, after Slack got its acknowledgement.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { z } from 'zod';

import {
  applyFindingUpdate,
  applyOutcome,
  automaticAction,
  findOffered,
  type IncidentState,
  knownFindings,
  markEscalated,
  occurrenceIsEarlier,
  type OfferedAction,
  openIncident,
  recordStep,
  SENTRY_ACTOR,
  targetUser,
  withMessage,
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
import type { ReplySpec } from '../slack/blocks/replies';
import { ActivityNames, EventNames } from './names';

export const IncidentInput = z.object({
  finding: IncidentFindingSchema,
  policy: IncidentPolicySchema,
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
const AuthorizationSchema = z.object({ authorized: z.boolean(), reason: z.string().optional() });

function failureMessage(error: unknown): string {
  const details = (error as { failureDetails?: { errorMessage?: string } } | undefined)?.failureDetails;
  const message = details?.errorMessage ?? (error instanceof Error ? error.message : String(error));
  return message.slice(0, 1000);
}

export function* incidentOrchestrator(
  context: OrchestrationContext,
): Generator<Task, IncidentResult | undefined, unknown> {
  const dfx = context.df;
  const input = IncidentInput.parse(dfx.getInput());
  let state: IncidentState =
    (input.state as IncidentState | undefined) ?? openIncident(input.finding, input.policy, dfx.currentUtcDateTime);
  const now = (): string => dfx.currentUtcDateTime.toISOString();
  const log = (message: string): void => {
    if (!dfx.isReplaying) context.log(`incident ${state.incidentId}: ${message}`);
  };

  function* record(step: Omit<ResponseStep, 'step'>): Generator<Task, void, unknown> {
    try {
      yield dfx.callActivityWithRetry(ActivityNames.recordResponse, ACTIVITY_RETRY, {
        row: responseRow(state, { ...step, step: state.step }),
      });
    } catch (error) {
      log(`could not record step ${state.step}: ${failureMessage(error)}`);
    }
  }

  /** Updates the message, replies in the thread and lands the step's row, in parallel. */
  function* report(step: Omit<ResponseStep, 'step'>, reply: ReplySpec | undefined): Generator<Task, void, unknown> {
    const tasks: Task[] = [
      dfx.callActivityWithRetry(ActivityNames.publishIncidentAlert, ACTIVITY_RETRY, { state }),
      dfx.callActivityWithRetry(ActivityNames.recordResponse, ACTIVITY_RETRY, {
        row: responseRow(state, { ...step, step: state.step }),
      }),
    ];
    if (reply !== undefined && state.message !== undefined) {
      tasks.push(
        dfx.callActivityWithRetry(ActivityNames.postIncidentReply, ACTIVITY_RETRY, {
          channel: state.message.channel,
          threadTs: state.message.ts,
          reply,
        }),
      );
    }
    try {
      yield dfx.Task.all(tasks);
    } catch (error) {
      log(`reporting step ${state.step} failed: ${failureMessage(error)}`);
    }
  }

  function* notify(
    event: ResponderActionEvent,
    notice: 'unauthorized' | 'unavailable',
    detail?: string,
  ): Generator<Task, void, unknown> {
    const channel = event.channel ?? state.message?.channel;
    try {
      yield dfx.callActivityWithRetry(ActivityNames.notifyResponder, ACTIVITY_RETRY, {
        userId: event.user.id,
        ...(channel === undefined ? {} : { channel }),
        ...(event.responseUrl === undefined ? {} : { responseUrl: event.responseUrl }),
        notice,
        ...(detail === undefined ? {} : { detail }),
      });
    } catch (error) {
      log(`could not notify ${event.user.id}: ${failureMessage(error)}`);
    }
  }

  function* act(action: OfferedAction, actor: Actor, requestedAt: string): Generator<Task, void, unknown> {
    let outcome: ActionOutcome;
    if (action.kind === 'acknowledge') {
      outcome = { status: 'succeeded', summary: 'Acknowledged: a responder is on it' };
    } else if (action.kind === 'closeFalsePositive' || action.kind === 'closeBenignPositive') {
      outcome = {
        status: 'succeeded',
        summary: `Closed as ${action.kind === 'closeFalsePositive' ? 'false' : 'benign'} positive`,
      };
    } else {
      const meraki = state.finding.context.meraki;
      const user = state.finding.context.user;
      const snoozeUntil =
        action.kind === 'snooze'
          ? new Date(dfx.currentUtcDateTime.getTime() + state.policy.snoozeDays * 86_400_000).toISOString()
          : undefined;
      try {
        const raw = yield dfx.callActivityWithRetry(ActivityNames.runResponseAction, ACTIVITY_RETRY, {
          incidentId: state.incidentId,
          detectionId: state.finding.detectionId,
          kind: action.kind,
          target: action.target,
          ...(targetUser(state) === undefined ? {} : { userId: targetUser(state) }),
          ...(user?.name === undefined ? {} : { userName: user.name }),
          ...(meraki?.organizationId === undefined ? {} : { organizationId: meraki.organizationId }),
          ...(meraki?.networkId === undefined ? {} : { networkId: meraki.networkId }),
          ...(meraki?.networkName === undefined ? {} : { networkName: meraki.networkName }),
          ...(snoozeUntil === undefined ? {} : { snoozeUntil }),
          requestedBy: actor,
          requestedAt,
        });
        outcome = ActionOutcomeSchema.parse(raw);
      } catch (error) {
        outcome = {
          status: 'failed',
          summary: `${action.label.replace(/^Retry: /, '')} failed`,
          error: { code: 'action_failed', message: failureMessage(error), retriable: true },
        };
      }
    }
    state = applyOutcome(state, action.kind, action.target, outcome, actor, now());
    yield* report(
      {
        at: now(),
        requestedAt,
        by: actor,
        kind: action.kind,
        target: action.target,
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
        error: outcome.error,
      },
    );
  }

  function* respond(raw: unknown): Generator<Task, void, unknown> {
    const parsed = ResponderActionEvent.safeParse(raw);
    if (!parsed.success) {
      log(`ignored a malformed ${EventNames.responderAction} event`);
      return;
    }
    const event = parsed.data;
    const actor: Actor = { id: event.user.id, ...(event.user.name === undefined ? {} : { name: event.user.name }) };
    let authorization: { authorized: boolean; reason?: string | undefined };
    try {
      authorization = AuthorizationSchema.parse(
        yield dfx.callActivityWithRetry(ActivityNames.authorizeResponder, ACTIVITY_RETRY, { userId: event.user.id }),
      );
    } catch (error) {
      authorization = { authorized: false, reason: `responder check failed: ${failureMessage(error)}` };
    }
    if (!authorization.authorized) {
      const summary = `Refused ${event.kind} from ${event.user.name ?? event.user.id}: ${authorization.reason ?? 'not a responder'}`;
      state = recordStep(
        state,
        { at: now(), by: actor, kind: event.kind, target: event.target, status: 'denied', summary },
        { visible: false },
      );
      yield* notify(event, 'unauthorized');
      yield* record({
        at: now(),
        requestedAt: event.receivedAt,
        by: actor,
        kind: event.kind,
        target: event.target,
        result: 'denied',
        summary,
        error: { code: 'responder_not_authorized', message: authorization.reason ?? 'not a responder' },
      });
      return;
    }
    const offered = findOffered(state, event.kind, event.target);
    if (offered === undefined) {
      const done = Object.values(state.actions).find(
        (a) => a.kind === event.kind && (a.target ?? '') === (event.target ?? '') && a.status !== 'failed',
      );
      const detail =
        done !== undefined
          ? `it was already done (${done.summary})`
          : state.status === 'closed'
            ? 'the incident is closed'
            : 'that action is not available on this incident';
      state = recordStep(
        state,
        {
          at: now(),
          by: actor,
          kind: event.kind,
          target: event.target,
          status: 'skipped',
          summary: `Nothing to do: ${detail}`,
        },
        { visible: false },
      );
      yield* notify(event, 'unavailable', detail);
      yield* record({
        at: now(),
        requestedAt: event.receivedAt,
        by: actor,
        kind: event.kind,
        target: event.target,
        result: 'skipped',
        summary: `Nothing to do: ${detail}`,
      });
      return;
    }
    yield* act(offered, actor, event.receivedAt);
  }

  function* escalate(): Generator<Task, void, unknown> {
    const at = now();
    const automatic = automaticAction(state);
    state = markEscalated(state, at);
    state = recordStep(state, {
      at,
      by: SENTRY_ACTOR,
      kind: 'escalate',
      status: 'succeeded',
      summary: `No responder acted within ${state.policy.escalateAfterMinutes} min: escalated to on-call`,
    });
    yield* report(
      {
        at,
        by: SENTRY_ACTOR,
        kind: 'escalate',
        target: state.policy.oncallGroup,
        result: 'succeeded',
        summary: 'Escalated to on-call',
      },
      {
        type: 'escalation',
        oncallGroup: state.policy.oncallGroup,
        minutes: state.policy.escalateAfterMinutes,
        automaticAction: automatic?.kind,
      },
    );
    if (automatic !== undefined) yield* act(automatic, SENTRY_ACTOR, at);
  }

  function* update(raw: unknown): Generator<Task, void, unknown> {
    const parsed = FindingUpdatedEvent.safeParse(raw);
    if (!parsed.success) {
      log(`ignored a malformed ${EventNames.findingUpdated} event`);
      return;
    }
    const applied = applyFindingUpdate(state, parsed.data);
    state = applied.state;
    if (!applied.changed) return;
    const learned = applied.learned;
    if (learned === undefined) {
      try {
        yield dfx.callActivityWithRetry(ActivityNames.publishIncidentAlert, ACTIVITY_RETRY, { state });
      } catch (error) {
        log(`could not update the message: ${failureMessage(error)}`);
      }
      return;
    }
    // Another separate finding of this dedupe key: shown in the message, announced once in the thread
    // and landed as a step (a repeat of the event is not `learned` again, so nothing is said twice).
    const at = now();
    const relation = occurrenceIsEarlier(state, learned) ? 'earlier' : 'later';
    const minute = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
    const summary = `${relation === 'earlier' ? 'An earlier' : 'A later'} separate occurrence was found: ${learned.count} event${learned.count === 1 ? '' : 's'}, ${minute(learned.firstSeen)} → ${minute(learned.lastSeen)}`;
    state = recordStep(state, { at, by: SENTRY_ACTOR, kind: 'occurrence', status: 'succeeded', summary });
    yield* report(
      {
        at,
        by: SENTRY_ACTOR,
        kind: 'occurrence',
        target: learned.findingId,
        result: 'succeeded',
        summary,
        details: {
          findingId: learned.findingId,
          count: learned.count,
          firstSeen: learned.firstSeen,
          lastSeen: learned.lastSeen,
        },
      },
      {
        type: 'occurrence',
        relation,
        findingId: learned.findingId,
        count: learned.count,
        firstSeen: learned.firstSeen,
        lastSeen: learned.lastSeen,
        ...(learned.severity === undefined ? {} : { severity: learned.severity }),
      },
    );
  }

  if (state.message === undefined) {
    const posted = PostedSchema.parse(
      yield dfx.callActivityWithRetry(ActivityNames.publishIncidentAlert, ACTIVITY_RETRY, { state }),
    );
    state = withMessage(state, posted);
    state = recordStep(
      state,
      { at: now(), by: SENTRY_ACTOR, kind: 'post', status: 'succeeded', summary: 'Alert posted' },
      { visible: false },
    );
    yield* record({
      at: now(),
      by: SENTRY_ACTOR,
      kind: 'post',
      result: 'succeeded',
      summary: 'Alert posted',
      details: { channel: posted.channel, ts: posted.ts },
    });
  }

  for (let loops = 0; state.status !== 'closed'; loops += 1) {
    if (loops >= LOOPS_BEFORE_CONTINUE) {
      dfx.continueAsNew({ finding: state.finding, policy: state.policy, state });
      return undefined;
    }
    dfx.setCustomStatus({
      status: state.status,
      count: state.finding.count,
      messageTs: state.message?.ts,
      escalateAt: state.escalateAt,
      findings: knownFindings(state),
    });
    const actionTask = dfx.waitForExternalEvent(EventNames.responderAction);
    const updateTask = dfx.waitForExternalEvent(EventNames.findingUpdated);
    const timer = state.escalateAt === undefined ? undefined : dfx.createTimer(new Date(state.escalateAt));
    const winner = yield dfx.Task.any(timer === undefined ? [actionTask, updateTask] : [actionTask, updateTask, timer]);
    if (timer !== undefined && winner !== timer) timer.cancel();
    if (winner === timer) yield* escalate();
    else if (winner === updateTask) yield* update(updateTask.result);
    else yield* respond(actionTask.result);
  }
  dfx.setCustomStatus({
    status: state.status,
    count: state.finding.count,
    messageTs: state.message?.ts,
    closure: state.closure?.as,
  });
  return { incidentId: state.incidentId, status: state.status, closure: state.closure, steps: state.step };
}
