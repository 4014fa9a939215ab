import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { ALICE, BOB, raise, series, T0, userEntity } from '../../../test/helpers/detection-testkit';
import { sessionResetBurst } from './session-reset-burst';

const resets = (n: number, target: { id: string; name?: string } = BOB) =>
  series(n, T0, 60, (i) => ({
    action: i % 3 === 0 ? 'user_session_invalidated' : 'user_session_reset_by_admin',
    actor: ALICE,
    entity: userEntity(target),
  }));

thresholdSuite(sessionResetBurst, { threshold: 60, make: (n) => resets(n), subjectId: BOB.id });

describe('slack.audit.session-reset-burst', () => {
  it('counts per target user, not per admin', async () => {
    const rows = [...resets(40, BOB), ...resets(40, { id: 'W0CAROL', name: 'carol' })];
    expect(await raise(sessionResetBurst, rows)).toEqual([]);
  });

  it('is critical by default', async () => {
    const [f] = await raise(sessionResetBurst, resets(61));
    expect(f?.severity).toBe('critical');
  });
});
