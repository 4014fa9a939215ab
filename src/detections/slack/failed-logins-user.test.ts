import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { ALICE, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { failedLoginsUser } from './failed-logins-user';

const failures = (n: number, step = 20) =>
  series(n, T0, step, (i) => ({ action: 'user_login_failed', ip: `198.51.100.${String(i % 3)}` }));

thresholdSuite(failedLoginsUser, { threshold: 10, make: (n) => failures(n), subjectId: ALICE.id });

describe('slack.audit.failed-logins-user', () => {
  it('needs the failures inside 5 minutes and ignores other actions', async () => {
    expect(await raise(failedLoginsUser, failures(11, 31))).toEqual([]);
    expect(
      await raise(
        failedLoginsUser,
        series(20, T0, 5, () => ({ action: 'user_login' })),
      ),
    ).toEqual([]);
  });
});
