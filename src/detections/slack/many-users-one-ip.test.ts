import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { manyUsersOneIp } from './many-users-one-ip';

const logins = (n: number, ip = '203.0.113.99', step = 300) =>
  series(n, T0, step, (i) => ({ action: 'user_login', ip, actor: { id: `W0U${String(i).padStart(4, '0')}` } }));

thresholdSuite(manyUsersOneIp, { threshold: 10, make: (n) => logins(n), subjectId: '203.0.113.99' });

describe('slack.audit.many-users-one-ip', () => {
  it('counts distinct users: one user logging in 30 times is not many users', async () => {
    expect(
      await raise(
        manyUsersOneIp,
        series(30, T0, 60, () => ({ action: 'user_login', ip: '203.0.113.99' })),
      ),
    ).toEqual([]);
  });

  it('ignores office egress IPs and CIDRs', async () => {
    expect(await raise(manyUsersOneIp, logins(20), { ignoreIps: ['203.0.113.99'] })).toEqual([]);
    expect(await raise(manyUsersOneIp, logins(20), { ignoreIps: ['203.0.113.0/25'] })).toEqual([]);
    expect(await raise(manyUsersOneIp, logins(20), { ignoreIps: ['203.0.113.128/25'] })).toHaveLength(1);
  });

  it('uses a 24 h window and only counts sign-ins', async () => {
    expect(await raise(manyUsersOneIp, logins(11, '203.0.113.99', 3 * 3_600))).toEqual([]);
    const downloads = series(20, T0, 60, (i) => ({
      action: 'file_downloaded',
      ip: '203.0.113.99',
      actor: { id: `W0D${String(i)}` },
    }));
    expect(await raise(manyUsersOneIp, downloads)).toEqual([]);
  });
});
