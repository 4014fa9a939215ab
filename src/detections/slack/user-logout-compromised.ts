/** Scanner "user logout due to suspicious activity": Slack signed a user out as compromised. */
import { singleEventRule } from './common';

export const userLogoutCompromised = singleEventRule({
  id: 'slack.audit.user-logout-compromised',
  title: 'Slack user signed out as compromised',
  description: 'Slack signed the user out because it judged the account compromised.',
  severity: 'high',
  mitre: ['TA0001:T1078'],
  entities: { actor: 'context', affected: 'suspect', sourceIp: 'context' },
  subject: 'entity',
  actions: { user_logout_compromised: { label: 'Signed out as compromised' } },
});
