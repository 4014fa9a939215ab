/** Panther ServiceOwnerTransferred: the Primary Owner role moved to someone else. */
import { singleEventRule } from './common';

export const primaryOwnerTransferred = singleEventRule({
  id: 'slack.audit.primary-owner-transferred',
  title: 'Slack Primary Owner transferred',
  description: 'The Primary Owner role (the one account no one can demote) was transferred.',
  severity: 'critical',
  mitre: ['TA0004:T1098.003'],
  entities: { actor: 'suspect', affected: 'suspect', sourceIp: 'context' },
  subject: 'entity',
  actions: { service_owner_transferred: { label: 'Primary Owner transferred' } },
});
