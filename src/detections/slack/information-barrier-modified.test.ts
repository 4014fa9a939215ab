import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { informationBarrierModified } from './information-barrier-modified';

singleEventSuite(informationBarrierModified, [
  {
    name: 'barrier_deleted',
    row: auditRow({
      action: 'barrier_deleted',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'medium',
    subjectId: ALICE.id,
  },
  {
    name: 'barrier_updated',
    row: auditRow({
      action: 'barrier_updated',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'medium',
    subjectId: ALICE.id,
  },
  {
    name: 'an unrelated action (user_login)',
    row: auditRow({ action: 'user_login', actor: ALICE, entity: userEntity(BOB) }),
  },
]);

describe('informationBarrierModified configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'barrier_deleted', actor: ALICE });
    expect(await raise(informationBarrierModified, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(informationBarrierModified, [row])).toHaveLength(1);
  });
});
