/**
 * Rows of the response stream (`SentryResponse_CL`): one per step of an incident (alert posted,
 * escalation, another occurrence learned, each action and each refused click), with who, what,
 * target, when and the result.
 * `EventId` is `<incident id>:<step>`, assigned by the orchestration, so a retried upload lands the
 * same id (dedupe in KQL with `summarize arg_max(TimeGenerated, *) by EventId`).
 */
import type { ResponseRow } from '../transforms/streams';
import type { IncidentState, StepKind } from './incident-state';
import { snoozeSubject } from './incident-state';
import type { Actor } from './model';

export const ACTION_COLUMN: Readonly<Record<StepKind, string>> = {
  post: 'slack.alert.post',
  escalate: 'incident.escalate',
  occurrence: 'incident.occurrence',
  stale: 'incident.close.stale',
  acknowledge: 'incident.acknowledge',
  resetSessions: 'slack.session.reset',
  invalidateSession: 'slack.session.invalidate',
  deactivateUser: 'slack.user.deactivate',
  blockIp: 'meraki.block-ip',
  blockClient: 'meraki.block-client',
  closeFalsePositive: 'incident.close.false-positive',
  closeBenignPositive: 'incident.close.benign-positive',
  snooze: 'incident.snooze',
};

export interface ResponseStep {
  step: number;
  at: string;
  requestedAt?: string | undefined;
  by: Actor;
  kind: StepKind;
  target?: string | undefined;
  /** What the target is (user, session, ip, client) and how it is named, when the step acted on one. */
  targetType?: string | undefined;
  targetName?: string | undefined;
  result: 'succeeded' | 'failed' | 'skipped' | 'refused' | 'denied';
  summary: string;
  error?: { code: string; message: string } | undefined;
  details?: Record<string, string | number | boolean> | undefined;
}

function targetOf(state: IncidentState, step: ResponseStep): { type: string; id: string; name?: string | undefined } {
  if (step.targetType !== undefined && step.target !== undefined) {
    return { type: step.targetType, id: step.target, name: step.targetName };
  }
  switch (step.kind) {
    case 'resetSessions':
    case 'deactivateUser':
      return { type: 'user', id: step.target ?? 'unknown', name: step.targetName };
    case 'invalidateSession':
      return { type: 'session', id: step.target ?? 'unknown', name: step.targetName };
    case 'blockIp':
      return { type: 'ip', id: step.target ?? 'unknown', name: step.targetName };
    case 'blockClient':
      return { type: 'client', id: step.target ?? 'unknown', name: step.targetName };
    case 'snooze':
      return {
        type: state.finding.subject.type,
        id: step.target ?? snoozeSubject(state),
        name: state.finding.subject.name,
      };
    default:
      return { type: 'incident', id: state.incidentId, name: state.finding.title };
  }
}

function cut(value: string, max: number): string {
  return value.length <= max ? value : value.slice(0, max);
}

/** The response row for one step of an incident. */
export function responseRow(state: IncidentState, step: ResponseStep): ResponseRow {
  const target = targetOf(state, step);
  const finding = state.finding;
  const row: ResponseRow = {
    TimeGenerated: step.at,
    EventId: `${state.incidentId}:${step.step}`,
    SourceOrg: finding.context.org ?? finding.context.meraki?.organizationId ?? 'sentry',
    IncidentId: state.incidentId,
    DetectionId: finding.detectionId,
    Action: ACTION_COLUMN[step.kind],
    TargetType: target.type,
    TargetId: cut(target.id, 1000),
    RequestedBy: step.by.automatic === true ? 'sentry' : step.by.id,
    Result: step.result,
    Details: { summary: cut(step.summary, 2000), ...(step.details ?? {}) },
  };
  if (target.name !== undefined && target.name !== '') row.TargetName = cut(target.name, 1000);
  if (step.by.name !== undefined && step.by.name !== '') row.RequestedByName = cut(step.by.name, 1000);
  if (step.requestedAt !== undefined) row.RequestedAt = step.requestedAt;
  if (step.error !== undefined) {
    row.ErrorCode = cut(step.error.code, 250);
    row.ErrorMessage = cut(step.error.message, 4000);
  }
  return row;
}
