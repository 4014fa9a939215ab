import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { ekmChanged } from './ekm-changed';

singleEventSuite(ekmChanged, [
  {
    name: 'ekm_logging_config_set',
    row: auditRow({
      action: 'ekm_logging_config_set',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'ekm_slackbot_unenroll_notification_sent',
    row: auditRow({
      action: 'ekm_slackbot_unenroll_notification_sent',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'ekm_unenrolled',
    row: auditRow({
      action: 'ekm_unenrolled',
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

describe('ekmChanged configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'ekm_logging_config_set', actor: ALICE });
    expect(await raise(ekmChanged, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(ekmChanged, [row])).toHaveLength(1);
  });
});
