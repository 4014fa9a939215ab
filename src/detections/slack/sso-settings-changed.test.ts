import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { ssoSettingsChanged } from './sso-settings-changed';

singleEventSuite(ssoSettingsChanged, [
  {
    name: 'pref.sso_setting_changed',
    row: auditRow({
      action: 'pref.sso_setting_changed',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'pref.sign_in_with_slack_disabled',
    row: auditRow({
      action: 'pref.sign_in_with_slack_disabled',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'medium',
    subjectId: ALICE.id,
  },
  {
    name: 'a different pref (pref.two_factor_auth_changed)',
    row: auditRow({ action: 'pref.two_factor_auth_changed', actor: ALICE, entity: userEntity(BOB) }),
  },
]);

describe('ssoSettingsChanged configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'pref.sso_setting_changed', actor: ALICE });
    expect(await raise(ssoSettingsChanged, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(ssoSettingsChanged, [row])).toHaveLength(1);
  });
});
