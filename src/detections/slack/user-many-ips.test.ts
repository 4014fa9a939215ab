import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { ALICE, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { userManyIps } from './user-many-ips';

const fromIps = (n: number, step = 3_600) =>
  series(n, T0, step, (i) => ({ action: i % 2 ? 'file_downloaded' : 'user_login', ip: `203.0.113.${String(i + 1)}` }));

thresholdSuite(userManyIps, { threshold: 3, make: (n) => fromIps(n), subjectId: ALICE.id });

describe('slack.audit.user-many-ips', () => {
  it('counts distinct IPs, not events', async () => {
    const same = series(40, T0, 600, (i) => ({ ip: `198.51.100.${String(i % 3)}` }));
    expect(await raise(userManyIps, same)).toEqual([]);
  });

  it('uses a 7-day window', async () => {
    expect(await raise(userManyIps, fromIps(4, 3 * 86_400))).toEqual([]);
  });

  it('skips allowlisted IPs and lists the IPs it counted', async () => {
    expect(await raise(userManyIps, fromIps(4), { ignoreIps: ['203.0.113.1'] })).toEqual([]);
    const [f] = await raise(userManyIps, fromIps(4));
    expect(f?.evidence.ips).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']);
  });
});
