/** Panther UserPrivilegeChangedToUser: an admin or owner demoted to a regular user. */
import { singleEventRule } from './common';

export const privilegeDemotion = singleEventRule({
  id: 'slack.audit.privilege-demotion',
  title: 'Slack admin demoted',
  description:
    'An admin or owner was demoted to a regular member: expected in offboarding, suspicious when an attacker removes defenders.',
  severity: 'medium',
  mitre: ['TA0040:T1531'],
  entities: { actor: 'suspect', affected: 'victim', sourceIp: 'context' },
  subject: 'entity',
  actions: { role_change_to_user: { label: 'Demoted to member' } },
});
