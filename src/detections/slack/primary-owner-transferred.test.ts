import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, userEntity } from '../../../test/helpers/detection-testkit';
import { primaryOwnerTransferred } from './primary-owner-transferred';

singleEventSuite(primaryOwnerTransferred, [
  {
    name: 'service_owner_transferred',
    row: auditRow({ action: 'service_owner_transferred', actor: ALICE, entity: userEntity(BOB) }),
    severity: 'critical',
    subjectId: BOB.id,
  },
  {
    name: 'an unrelated action (user_login)',
    row: auditRow({ action: 'user_login', actor: ALICE, entity: userEntity(BOB) }),
  },
]);
