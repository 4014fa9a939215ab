/** Panther InformationBarrierModified: an information barrier deleted or changed. */
import { singleEventRule } from './common';

export const informationBarrierModified = singleEventRule({
  id: 'slack.audit.information-barrier-modified',
  title: 'Slack information barrier modified',
  description:
    'An information barrier between groups was deleted or changed: groups that must not talk (e.g. research and trading) now can.',
  severity: 'medium',
  mitre: ['TA0005:T1562'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: {
    barrier_deleted: { label: 'Barrier deleted' },
    barrier_updated: { label: 'Barrier updated' },
  },
});
