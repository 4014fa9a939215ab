import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { maliciousFileShared } from './malicious-file-shared';

singleEventSuite(maliciousFileShared, [
  {
    name: 'file_malicious_content_detected',
    row: auditRow({
      action: 'file_malicious_content_detected',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'critical',
    subjectId: ALICE.id,
  },
  {
    name: 'an unrelated action (user_login)',
    row: auditRow({ action: 'user_login', actor: ALICE, entity: userEntity(BOB) }),
  },
]);

describe('maliciousFileShared configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'file_malicious_content_detected', actor: ALICE });
    expect(await raise(maliciousFileShared, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(maliciousFileShared, [row])).toHaveLength(1);
  });
});
