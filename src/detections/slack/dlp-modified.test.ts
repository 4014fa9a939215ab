import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { dlpModified } from './dlp-modified';

singleEventSuite(dlpModified, [
  {
    name: 'native_dlp_rule_deactivated',
    row: auditRow({
      action: 'native_dlp_rule_deactivated',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'native_dlp_violation_deleted',
    row: auditRow({
      action: 'native_dlp_violation_deleted',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'medium',
    subjectId: ALICE.id,
  },
  {
    name: 'a DLP rule activated (native_dlp_rule_activated)',
    row: auditRow({ action: 'native_dlp_rule_activated', actor: ALICE, entity: userEntity(BOB) }),
  },
]);

describe('dlpModified configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'native_dlp_rule_deactivated', actor: ALICE });
    expect(await raise(dlpModified, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(dlpModified, [row])).toHaveLength(1);
  });
});
