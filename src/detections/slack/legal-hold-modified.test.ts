import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { legalHoldModified } from './legal-hold-modified';

singleEventSuite(legalHoldModified, [
  {
    name: 'legal_hold_policy_entities_deleted',
    row: auditRow({
      action: 'legal_hold_policy_entities_deleted',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'legal_hold_policy_exclusion_added',
    row: auditRow({
      action: 'legal_hold_policy_exclusion_added',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'legal_hold_policy_released',
    row: auditRow({
      action: 'legal_hold_policy_released',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'legal_hold_policy_updated',
    row: auditRow({
      action: 'legal_hold_policy_updated',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'an unrelated action (user_login)',
    row: auditRow({ action: 'user_login', actor: ALICE, entity: userEntity(BOB) }),
  },
]);

describe('legalHoldModified configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'legal_hold_policy_entities_deleted', actor: ALICE });
    expect(await raise(legalHoldModified, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(legalHoldModified, [row])).toHaveLength(1);
  });
});
