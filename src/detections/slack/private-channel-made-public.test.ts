import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { privateChannelMadePublic } from './private-channel-made-public';

singleEventSuite(privateChannelMadePublic, [
  {
    name: 'private_channel_converted_to_public',
    row: auditRow({
      action: 'private_channel_converted_to_public',
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

describe('privateChannelMadePublic configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'private_channel_converted_to_public', actor: ALICE });
    expect(await raise(privateChannelMadePublic, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(privateChannelMadePublic, [row])).toHaveLength(1);
  });
});
