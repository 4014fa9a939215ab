/**
 * One incident per finding (instance id `incident-<detection id>-<hash>`, from dispatchIncidents).
 * Checks its targets against the guardrails, posts the alert, then loops until closed, racing a
 * responder's click (`responderAction`), growth of the finding (`findingUpdated`) and the next
 * deadline: escalation while nobody has acted (with the policy's automatic action, if it applies to
 * exactly one recent target), then going stale. The steps and the trust rules they keep are in
 * incident-steps.ts.
 *
 * Replay notes: durable-functions hands an external event to the newest open wait for that name, so
 * each loop creates fresh waits and cancels the timer it did not need. After many loops the history
 * is trimmed with continueAsNew, carrying the state; that drops events received but not yet awaited,
 * so it happens only between loops.
 */
import type { OrchestrationContext } from 'durable-functions';

import { EventNames, IncidentInput } from '../contracts';
import { type IncidentState, knownFindings, nextDeadline, openIncident } from '../response/incident-state';
import { escalate, goStale, type Io, open, respond, type Step, update } from './incident-steps';

export { ACTIVITY_RETRY } from './incident-steps';

export interface IncidentResult {
  incidentId: string;
  status: IncidentState['status'];
  closure?: IncidentState['closure'];
  steps: number;
}

/** Loops before the history is trimmed with continueAsNew. */
export const LOOPS_BEFORE_CONTINUE = 50;

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
