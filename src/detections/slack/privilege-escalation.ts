/** Panther UserPrivilegeEscalation + Sentinel "User role changed to admin or owner". */
import { singleEventRule } from './common';

export const privilegeEscalation = singleEventRule({
  id: 'slack.audit.privilege-escalation',
  title: 'Slack privilege escalation',
  description:
    'A user was made an admin or owner, given the org ownership, or assigned permissions: persistence or preparation for abuse if not requested.',
  severity: 'high',
  mitre: ['TA0004:T1098.003'],
  entities: { actor: 'suspect', affected: 'suspect', sourceIp: 'context' },
  subject: 'entity',
  actions: {
    role_change_to_admin: { label: 'Made admin' },
    role_change_to_owner: { severity: 'critical', label: 'Made owner' },
    owner_transferred: { severity: 'critical', label: 'Ownership transferred' },
    permissions_assigned: { severity: 'medium', label: 'Permissions assigned' },
  },
});
