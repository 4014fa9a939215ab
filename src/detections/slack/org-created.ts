/** Panther OrgCreated. */
import { singleEventRule } from './common';

export const orgCreated = singleEventRule({
  id: 'slack.audit.org-created',
  title: 'Slack organization created',
  description: 'A new organization was created in the Enterprise grid.',
  severity: 'low',
  mitre: ['TA0003:T1136.003'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: { organization_created: { label: 'Organization created' } },
});
