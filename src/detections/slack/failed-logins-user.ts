/** Sentinel "Multiple failed logins for user": more than 10 failed logins for one user in 5 minutes. */
import { defineDetection, fields } from '../define';
import { actorSubject, eventObservation } from './common';

export const failedLoginsUser = defineDetection({
  id: 'slack.audit.failed-logins-user',
  title: 'Slack failed logins for one user',
  description: 'Many failed sign-ins for one account in a short window: password guessing against that user.',
  severity: 'medium',
  mitre: ['TA0006:T1110.001'],
  entities: { actor: 'victim', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['user_login_failed'],
  config: {
    threshold: fields.threshold(10),
    windowMinutes: fields.minutes(5),
  },
  match(input) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const subject = actorSubject(row);
    if (subject === undefined) return null;
    return eventObservation(row, subject.id, subject, row.SrcIpAddr);
  },
  window: { kind: 'count', threshold: (c) => c.threshold, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    const ips = [...new Set(crossing.items.map((i) => i.label ?? '?'))];
    return {
      title: `${crossing.count} failed logins for ${window.subject.name ?? window.subject.id}`,
      evidence: { ips: ips.slice(0, 50) },
    };
  },
});
