import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { mfaSettingsChanged } from './mfa-settings-changed';

singleEventSuite(mfaSettingsChanged, [
  {
    name: 'pref.two_factor_auth_changed',
    row: auditRow({
      action: 'pref.two_factor_auth_changed',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'pref.two_factor_prevent_sms_changed',
    row: auditRow({
      action: 'pref.two_factor_prevent_sms_changed',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'medium',
    subjectId: ALICE.id,
  },
  {
    name: 'a different pref (pref.sso_setting_changed)',
    row: auditRow({ action: 'pref.sso_setting_changed', actor: ALICE, entity: userEntity(BOB) }),
  },
]);

describe('mfaSettingsChanged configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'pref.two_factor_auth_changed', actor: ALICE });
    expect(await raise(mfaSettingsChanged, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(mfaSettingsChanged, [row])).toHaveLength(1);
  });
});
