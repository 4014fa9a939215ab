import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { intuneDisabled } from './intune-disabled';

singleEventSuite(intuneDisabled, [
  {
    name: 'intune_disabled',
    row: auditRow({
      action: 'intune_disabled',
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

describe('intuneDisabled configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'intune_disabled', actor: ALICE });
    expect(await raise(intuneDisabled, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(intuneDisabled, [row])).toHaveLength(1);
  });
});
