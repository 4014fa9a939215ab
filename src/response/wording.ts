/**
 * The sentences the incident workflow records as step summaries (shown in the message's activity
 * list and landed in `SentryResponse_CL`). Kept here, not in the orchestration, so the workflow file
 * is only control flow. Summaries carry no outside text except ids Sentry validated; names are shown
 * separately, escaped, by the message builder. Pure.
 */
import type { AutomaticDecision, IncidentState, Occurrence } from './incident-state';
import type { ActionKind } from './model';

const KIND_TEXT: Readonly<Record<ActionKind, string>> = {
  acknowledge: 'acknowledge',
  resetSessions: 'reset sessions',
  invalidateSession: 'invalidate a session',
  deactivateUser: 'deactivate a user',
  blockIp: 'block an IP',
  blockClient: 'block a client',
  closeFalsePositive: 'close as false positive',
  closeBenignPositive: 'close as benign positive',
  snooze: 'snooze',
};

export function kindText(kind: ActionKind): string {
  return KIND_TEXT[kind];
}

/** A click refused before anything was done (not a responder, no valid proof, a replay). */
export function deniedClick(kind: ActionKind, reason: string): string {
  return `Refused a click to ${KIND_TEXT[kind]}: ${reason}`;
}

/** Why a click had nothing to do, for the row and the clicking user. */
export function unavailableDetail(state: IncidentState, kind: ActionKind, target: string | undefined): string {
  const done = Object.values(state.actions).find(
    (a) => a.kind === kind && (a.target ?? '') === (target ?? '') && a.status !== 'failed',
  );
  if (done !== undefined) return done.status === 'refused' ? 'a guardrail refused it' : 'it was already done';
  if (state.status === 'closed') return 'the incident is closed';
  return 'that action is not available on this incident';
}

export function nothingToDo(detail: string): string {
  return `Nothing to do: ${detail}`;
}

export function escalated(minutes: number): string {
  return `No responder acted within ${minutes} min: escalated to on-call`;
}

/** Why no automatic action was taken at escalation, or undefined when one is taken (or none is set). */
export function automaticSkipped(decision: AutomaticDecision): string | undefined {
  if (decision.act !== undefined || decision.reason === 'none') return undefined;
  switch (decision.reason) {
    case 'too-old':
      return `No automatic action: ${decision.detail ?? 'the finding is too old'}`;
    case 'several-targets':
      return `No automatic action: it would apply to several people (${decision.detail ?? ''}); a responder must choose`;
    default:
      return 'No automatic action: the finding names no target it may apply to (or every target is protected)';
  }
}

export function closedStale(hours: number): string {
  return `Closed as stale: nothing happened for ${hours} h after escalation or the last response`;
}

function minute(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

export function occurrenceLearned(relation: 'earlier' | 'later', occurrence: Occurrence): string {
  const n = occurrence.count;
  return `${relation === 'earlier' ? 'An earlier' : 'A later'} separate occurrence was found: ${n} event${n === 1 ? '' : 's'}, ${minute(occurrence.firstSeen)} → ${minute(occurrence.lastSeen)}`;
}

export function actionFailed(label: string): string {
  return `${label.replace(/^Retry: /, '')} failed`;
}
