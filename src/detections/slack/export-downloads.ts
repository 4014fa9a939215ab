/** Scanner "data export download": more than 5 export downloads by one user within the window. */
import { defineDetection, fields } from '../define';
import { actorSubject, eventObservation } from './common';

export const EXPORT_ACTIONS = [
  'channels_export_downloaded',
  'manual_export_downloaded',
  'manual_user_export_downloaded',
  'scheduled_export_downloaded',
  'channel_audit_export_downloaded',
] as const;

export const exportDownloads = defineDetection({
  id: 'slack.audit.export-downloads',
  title: 'Slack repeated data export downloads',
  description: 'One user downloaded many data exports (channel, workspace, user or audit exports) within the window.',
  severity: 'high',
  mitre: ['TA0010:T1530'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: EXPORT_ACTIONS,
  config: {
    threshold: fields.threshold(5),
    /** Scanner evaluates 5-minute windows; a slower exfiltration spreads out, so one day by default. */
    windowMinutes: fields.minutes(24 * 60),
  },
  match(input) {
    if (input.stream !== 'slackAudit') return null;
    const subject = actorSubject(input.row);
    return subject === undefined ? null : eventObservation(input.row, subject.id, subject, input.row.Action);
  },
  window: { kind: 'count', threshold: (c) => c.threshold, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    return { title: `${window.subject.name ?? window.subject.id} downloaded ${crossing.count} data exports` };
  },
});
