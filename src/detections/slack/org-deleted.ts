/** Panther OrgDeleted. */
import { singleEventRule } from './common';

export const orgDeleted = singleEventRule({
  id: 'slack.audit.org-deleted',
  title: 'Slack organization deleted',
  description: 'An organization was deleted from the Enterprise grid, with its data.',
  severity: 'medium',
  mitre: ['TA0040:T1485'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: { organization_deleted: { label: 'Organization deleted' } },
});
