import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { idpConfigurationChanged } from './idp-configuration-changed';

singleEventSuite(idpConfigurationChanged, [
  {
    name: 'idp_configuration_added',
    row: auditRow({
      action: 'idp_configuration_added',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'idp_configuration_deleted',
    row: auditRow({
      action: 'idp_configuration_deleted',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'idp_prod_configuration_updated',
    row: auditRow({
      action: 'idp_prod_configuration_updated',
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

describe('idpConfigurationChanged configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'idp_configuration_added', actor: ALICE });
    expect(await raise(idpConfigurationChanged, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(idpConfigurationChanged, [row])).toHaveLength(1);
  });
});
