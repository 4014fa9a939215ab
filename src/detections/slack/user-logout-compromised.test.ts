import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, userEntity } from '../../../test/helpers/detection-testkit';
import { userLogoutCompromised } from './user-logout-compromised';

singleEventSuite(userLogoutCompromised, [
  {
    name: 'user_logout_compromised',
    row: auditRow({ action: 'user_logout_compromised', actor: ALICE, entity: userEntity(BOB) }),
    severity: 'high',
    subjectId: BOB.id,
  },
  {
    name: 'an ordinary logout (user_logout)',
    row: auditRow({ action: 'user_logout', actor: ALICE, entity: userEntity(BOB) }),
  },
]);
