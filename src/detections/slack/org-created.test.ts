import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { orgCreated } from './org-created';

singleEventSuite(orgCreated, [
  {
    name: 'organization_created',
    row: auditRow({
      action: 'organization_created',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'low',
    subjectId: ALICE.id,
  },
  {
    name: 'the opposite action (organization_deleted)',
    row: auditRow({ action: 'organization_deleted', actor: ALICE, entity: userEntity(BOB) }),
  },
]);

describe('orgCreated configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'organization_created', actor: ALICE });
    expect(await raise(orgCreated, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(orgCreated, [row])).toHaveLength(1);
  });
});
