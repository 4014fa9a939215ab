import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, userEntity } from '../../../test/helpers/detection-testkit';
import { privilegeDemotion } from './privilege-demotion';

singleEventSuite(privilegeDemotion, [
  {
    name: 'role_change_to_user',
    row: auditRow({ action: 'role_change_to_user', actor: ALICE, entity: userEntity(BOB) }),
    severity: 'medium',
    subjectId: BOB.id,
  },
  {
    name: 'a promotion (role_change_to_admin)',
    row: auditRow({ action: 'role_change_to_admin', actor: ALICE, entity: userEntity(BOB) }),
  },
]);
