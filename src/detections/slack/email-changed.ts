/**
 * Sentinel "User email linked to account changed": the email on a user's activity differs from the
 * one seen for the same user id in the last 14 days (Sentinel's own query had a window bug; this one
 * counts distinct emails per user id over a sliding window).
 */
import { defineDetection, fields } from '../define';
import { actorFacts, actorSubject } from './common';

export const emailChanged = defineDetection({
  id: 'slack.audit.email-changed',
  title: 'Slack account email changed',
  description:
    'The same Slack user id appeared with a different email address within the window: an account takeover often starts by changing the email so recovery goes to the attacker.',
  severity: 'medium',
  mitre: ['TA0003:T1098'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  config: {
    windowMinutes: fields.minutes(14 * 24 * 60),
  },
  match(input) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const email = row.ActorEmail?.trim().toLowerCase();
    const subject = actorSubject(row);
    if (email === undefined || email === '' || subject === undefined || row.ActorType !== 'user') return null;
    return {
      dedupeKey: subject.id,
      subject,
      item: email,
      t: row.DateCreate,
      label: row.Action,
      facts: actorFacts(row),
    };
  },
  window: { kind: 'distinct', threshold: () => 1, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    const emails = crossing.items.map((i) => i.item);
    return {
      title: `${window.subject.name ?? window.subject.id} changed email: ${emails.join(' → ')}`,
      evidence: { emails },
    };
  },
});
