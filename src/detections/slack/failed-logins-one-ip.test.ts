import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { failedLoginsOneIp } from './failed-logins-one-ip';

const spray = (n: number, ip = '203.0.113.66', step = 10) =>
  series(n, T0, step, (i) => ({ action: 'user_login_failed', ip, actor: { id: `W0USER${String(i % 6)}` } }));

thresholdSuite(failedLoginsOneIp, { threshold: 10, make: (n) => spray(n), subjectId: '203.0.113.66' });

describe('slack.audit.failed-logins-one-ip', () => {
  it('needs the failures inside 5 minutes', async () => {
    expect(await raise(failedLoginsOneIp, spray(11, '203.0.113.66', 40))).toEqual([]);
  });

  it('ignores successful logins and allowlisted IPs', async () => {
    const ok = series(20, T0, 5, () => ({ action: 'user_login', ip: '203.0.113.66' }));
    expect(await raise(failedLoginsOneIp, ok)).toEqual([]);
    expect(await raise(failedLoginsOneIp, spray(20), { ignoreIps: ['203.0.113.66'] })).toEqual([]);
  });

  it('lists the targeted accounts', async () => {
    const [f] = await raise(failedLoginsOneIp, spray(14));
    expect(f?.evidence.accounts).toHaveLength(6);
  });
});
