import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { orgDeleted } from './org-deleted';

singleEventSuite(orgDeleted, [
  {
    name: 'organization_deleted',
    row: auditRow({
      action: 'organization_deleted',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'medium',
    subjectId: ALICE.id,
  },
  {
    name: 'the opposite action (organization_created)',
    row: auditRow({ action: 'organization_created', actor: ALICE, entity: userEntity(BOB) }),
  },
]);

describe('orgDeleted configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'organization_deleted', actor: ALICE });
    expect(await raise(orgDeleted, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(orgDeleted, [row])).toHaveLength(1);
  });
});
