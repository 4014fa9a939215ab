import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { auditRow, Harness, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { MemoryEgressStore } from '../../../test/helpers/egress';
import type { SlackAuditRow } from '../../transforms/streams';
import { manyUsersOneIp } from './many-users-one-ip';
import { userManyIps } from './user-many-ips';

const DAY = 86_400;

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

/** `n` users signing in from `ip` on day `d` (a fresh set of users per `tag`). */
const dayLogins = (ip: string, d: number, n: number, tag = 'U') =>
  Array.from({ length: n }, (_, i) =>
    auditRow({
      action: 'user_login',
      ip,
      actor: { id: `W0${tag}${String(i).padStart(3, '0')}` },
      t: T0 + d * DAY + 9 * 3_600 + i * 60,
    }),
  );
const asRows = (rows: SlackAuditRow[]) => rows.map((row) => ({ stream: 'slackAudit' as const, row }));

describe('slack.audit.many-users-one-ip learns the organization’s egress', () => {
  it('an office NAT (5+ users on 3+ days) is shared egress: its busy days stay quiet, and it is kept', async () => {
    const egress = new MemoryEgressStore();
    const harness = new Harness([manyUsersOneIp], { egress });
    const office = '64.20.30.40';
    const history = [0, 1, 2].flatMap((d) => dayLogins(office, d, 6));
    expect(await harness.run(asRows(history), T0 + 3 * DAY)).toEqual([]);
    expect(await harness.run(asRows(dayLogins(office, 3, 40)), T0 + 4 * DAY)).toEqual([]);
    expect(egress.facts.get(office)).toMatchObject({ kind: 'shared' });
    expect(egress.facts.get(office)?.users.length).toBe(40);
  });

  it('an appliance uplink address is egress from the first day', async () => {
    const egress = new MemoryEgressStore();
    await egress.save([{ ip: '174.224.3.4', kind: 'uplink', users: [], lastSeen: T0 }]);
    expect(await new Harness([manyUsersOneIp], { egress }).run(asRows(dayLogins('174.224.3.4', 0, 40)))).toEqual([]);
  });

  it('the office’s people moving together to a new address (a failover) is theirs, not a finding', async () => {
    const egress = new MemoryEgressStore();
    const harness = new Harness([manyUsersOneIp, userManyIps], { egress });
    const office = '64.20.30.40';
    await harness.run(asRows([0, 1, 2].flatMap((d) => dayLogins(office, d, 30))), T0 + 3 * DAY);
    const moved = dayLogins('174.224.9.9', 3, 25);
    expect(await harness.run(asRows(moved), T0 + 4 * DAY)).toEqual([]);
    expect(egress.facts.get('174.224.9.9')).toMatchObject({ kind: 'moved' });
  });

  it('a new address shared by many accounts of no known population still fires (near miss: 59% of an office)', async () => {
    const egress = new MemoryEgressStore();
    const harness = new Harness([manyUsersOneIp], { egress });
    const office = '64.20.30.40';
    await harness.run(asRows([0, 1, 2].flatMap((d) => dayLogins(office, d, 30))), T0 + 3 * DAY);
    // 13 office people and 9 strangers: 59% < 60%.
    const mixed = [...dayLogins('45.134.1.1', 3, 13), ...dayLogins('45.134.1.1', 3, 9, 'X')];
    const findings = await harness.run(asRows(mixed), T0 + 4 * DAY);
    expect(findings.map((f) => f.subject.id)).toEqual(['45.134.1.1']);
  });
});
