/** Panther ApplicationDoS: more than 60 session resets/invalidations targeting one user in 24 h. */
import { defineDetection, fields } from '../define';
import { entitySubject, eventObservation } from './common';

export const sessionResetBurst = defineDetection({
  id: 'slack.audit.session-reset-burst',
  title: 'Slack mass session resets',
  description:
    'One user’s sessions were reset or invalidated again and again: someone is locking the user out (denial of service), or fighting an attacker who keeps coming back.',
  severity: 'critical',
  mitre: ['TA0040:T1531'],
  entities: { actor: 'suspect', affected: 'victim', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['user_session_reset_by_admin', 'user_session_invalidated', 'bulk_session_reset_by_admin'],
  config: {
    threshold: fields.threshold(60),
    windowMinutes: fields.minutes(24 * 60),
  },
  match(input) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const subject = entitySubject(row);
    if (subject === undefined) return null;
    return eventObservation(
      row,
      `${subject.type}:${subject.id}`,
      subject,
      `${row.Action} by ${row.ActorUserName ?? row.ActorUserId ?? '?'}`,
    );
  },
  window: { kind: 'count', threshold: (c) => c.threshold, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    return {
      title: `${window.subject.name ?? window.subject.id}: ${crossing.count} session resets`,
      evidence: { by: [...new Set(crossing.items.map((i) => i.label ?? ''))] },
    };
  },
});
