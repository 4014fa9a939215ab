/**
 * Sentinel "Empty User Agent": a user acting with no user agent (scripts and raw API clients often
 * send none). Entries Slack itself generates on a user's behalf are ignored by action.
 */
import { defineDetection, fields } from '../define';
import { actorSubject, eventObservation } from './common';

export const SYSTEM_ACTIONS = [
  'user_sessions_reset_by_circuit_breaker',
  'user_sessions_reset_by_anomaly_event_response',
  'guest_expired',
  'user_logout_compromised',
  'user_logout_non_compliant_mobile_app_version',
  'user_force_upgrade_non_compliant_mobile_app_version',
] as const;

export const emptyUserAgent = defineDetection({
  id: 'slack.audit.empty-user-agent',
  title: 'Slack activity with an empty user agent',
  description:
    'A user account acted without a user agent: usually a script or a raw API client using the account’s session or token.',
  severity: 'low',
  mitre: ['TA0001:T1078'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  config: {
    windowMinutes: fields.minutes(24 * 60),
    ignoreActions: fields.list(SYSTEM_ACTIONS),
    ignoreUserIds: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    if (row.ActorType !== 'user' || (row.UserAgent ?? '').trim() !== '' || row.ActingAgent !== undefined) return null;
    if (config.ignoreActions.includes(row.Action)) return null;
    const subject = actorSubject(row);
    if (subject === undefined || config.ignoreUserIds.includes(subject.id)) return null;
    return eventObservation(row, subject.id, subject, row.Action);
  },
  window: { kind: 'count', threshold: () => 0, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    return {
      title: `${window.subject.name ?? window.subject.id}: ${crossing.count} actions with no user agent`,
      evidence: { actions: [...new Set(crossing.items.map((i) => i.label ?? ''))] },
    };
  },
});
