/** Seed/Sentinel: failed logins concentrated on one IP (a password spray): more than 10 in 5 minutes, any users. */
import { defineDetection, fields } from '../define';
import { eventObservation, ipAllowed } from './common';

export const failedLoginsOneIp = defineDetection({
  id: 'slack.audit.failed-logins-one-ip',
  title: 'Slack failed logins from one IP',
  description:
    'Many failed sign-ins from one IP address in a short window, across any accounts: password spraying or credential stuffing.',
  severity: 'medium',
  mitre: ['TA0006:T1110.003'],
  entities: { actor: 'victim', sourceIp: 'suspect' },
  streams: ['slackAudit'],
  actions: ['user_login_failed'],
  config: {
    threshold: fields.threshold(10),
    windowMinutes: fields.minutes(5),
    ignoreIps: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const ip = row.SrcIpAddr;
    if (ip === undefined || ipAllowed(ip, config.ignoreIps)) return null;
    return eventObservation(row, ip, { type: 'ip', id: ip }, row.ActorUserName ?? row.ActorUserId ?? row.ActorEmail);
  },
  window: { kind: 'count', threshold: (c) => c.threshold, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    const users = [...new Set(crossing.items.map((i) => i.label ?? '?'))];
    return {
      title: `${crossing.count} failed logins from ${window.subject.id} against ${users.length} accounts`,
      evidence: { accounts: users.slice(0, 50) },
    };
  },
});
