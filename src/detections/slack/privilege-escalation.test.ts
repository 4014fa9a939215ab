import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, userEntity } from '../../../test/helpers/detection-testkit';
import { privilegeEscalation } from './privilege-escalation';

singleEventSuite(privilegeEscalation, [
  {
    name: 'role_change_to_admin',
    row: auditRow({ action: 'role_change_to_admin', actor: ALICE, entity: userEntity(BOB) }),
    severity: 'high',
    subjectId: BOB.id,
  },
  {
    name: 'role_change_to_owner',
    row: auditRow({ action: 'role_change_to_owner', actor: ALICE, entity: userEntity(BOB) }),
    severity: 'critical',
    subjectId: BOB.id,
  },
  {
    name: 'owner_transferred',
    row: auditRow({ action: 'owner_transferred', actor: ALICE, entity: userEntity(BOB) }),
    severity: 'critical',
    subjectId: BOB.id,
  },
  {
    name: 'permissions_assigned',
    row: auditRow({ action: 'permissions_assigned', actor: ALICE, entity: userEntity(BOB) }),
    severity: 'medium',
    subjectId: BOB.id,
  },
  {
    name: 'a demotion (role_change_to_user)',
    row: auditRow({ action: 'role_change_to_user', actor: ALICE, entity: userEntity(BOB) }),
  },
  {
    name: 'made a guest (role_change_to_guest)',
    row: auditRow({ action: 'role_change_to_guest', actor: ALICE, entity: userEntity(BOB) }),
  },
]);
