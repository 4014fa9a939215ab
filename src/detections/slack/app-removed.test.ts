import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { appRemoved } from './app-removed';

singleEventSuite(appRemoved, [
  {
    name: 'app_restricted',
    row: auditRow({
      action: 'app_restricted',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'medium',
    subjectId: ALICE.id,
  },
  {
    name: 'app_uninstalled',
    row: auditRow({
      action: 'app_uninstalled',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'medium',
    subjectId: ALICE.id,
  },
  {
    name: 'org_app_workspace_removed',
    row: auditRow({
      action: 'org_app_workspace_removed',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'medium',
    subjectId: ALICE.id,
  },
  {
    name: 'an install (app_installed)',
    row: auditRow({ action: 'app_installed', actor: ALICE, entity: userEntity(BOB) }),
  },
]);

describe('appRemoved configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'app_restricted', actor: ALICE });
    expect(await raise(appRemoved, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(appRemoved, [row])).toHaveLength(1);
  });
});
