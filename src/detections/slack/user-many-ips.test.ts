import { describe, expect, it } from 'vitest';

import { MemoryEgressStore } from '../../../test/helpers/egress';
import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, Harness, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { failedLoginsOneIp } from './failed-logins-one-ip';
import { manyUsersOneIp } from './many-users-one-ip';
import { userManyIps } from './user-many-ips';

const DAY = 86_400;
/** Addresses in n different networks (no two share a /24). */
const fromIps = (n: number, step = 3_600) =>
  series(n, T0, step, (i) => ({ action: i % 2 ? 'file_downloaded' : 'user_login', ip: `185.${String(i + 10)}.4.7` }));

thresholdSuite(userManyIps, { threshold: 3, make: (n) => fromIps(n), subjectId: ALICE.id });

/** Alice's ordinary places: home, office, phone. */
const ordinary = (t: number) => [
  auditRow({ action: 'user_login', ip: '73.40.12.9', t }),
  auditRow({ action: 'file_downloaded', ip: '64.20.30.40', t: t + 3_600 }),
  auditRow({ action: 'user_login', ip: '172.58.7.21', t: t + 7_200 }),
];

describe('slack.audit.user-many-ips', () => {
  it('counts distinct networks, not events', async () => {
    const same = series(40, T0, 600, (i) => ({ ip: `198.51.${String(100 + (i % 3))}.4` }));
    expect(await raise(userManyIps, same)).toEqual([]);
  });

  it('uses a 7-day window', async () => {
    expect(await raise(userManyIps, fromIps(4, 3 * DAY))).toEqual([]);
  });

  it('IPv6 privacy addresses rotating daily inside one /64 are one place', async () => {
    const rotating = Array.from({ length: 7 }, (_, d) =>
      auditRow({
        action: 'user_login',
        ip: `2601:1c0:4a2:9f10:${(0x1000 + d * 97).toString(16)}:7e2:51ab:9c0${String(d)}`,
        t: T0 + d * DAY,
      }),
    );
    // Home is the rotating /64; office and phone are the other two places.
    expect(await raise(userManyIps, [...ordinary(T0).slice(1), ...rotating])).toEqual([]);
    // Each address as its own place would be nine.
    expect(await raise(userManyIps, [...ordinary(T0).slice(1), ...rotating.slice(0, 2)])).toEqual([]);
  });

  it('a DHCP renewal inside the ISP’s /24 is the same place', async () => {
    const renewed = [auditRow({ action: 'user_login', ip: '73.40.12.200', t: T0 + 3 * DAY })];
    expect(await raise(userManyIps, [...ordinary(T0), ...renewed])).toEqual([]);
  });

  it('failed sign-ins are not the user acting', async () => {
    const failed = series(3, T0, 60, (i) => ({ action: 'user_login_failed', ip: `45.134.${String(i + 1)}.9` }));
    expect(await raise(userManyIps, [...ordinary(T0), ...failed])).toEqual([]);
  });

  it('does not count the organization’s known egress (an uplink after a failover)', async () => {
    const egress = new MemoryEgressStore();
    await egress.save([{ ip: '174.224.3.4', kind: 'uplink', users: [], lastSeen: T0 }]);
    const harness = new Harness([userManyIps], { egress });
    const failover = auditRow({ action: 'user_login', ip: '174.224.3.4', t: T0 + DAY });
    expect(await harness.run([...ordinary(T0), failover].map((row) => ({ stream: 'slackAudit', row })))).toEqual([]);
    // Without that knowledge the same activity is four places.
    expect(await raise(userManyIps, [...ordinary(T0), failover])).toHaveLength(1);
  });

  it('folds activity from a credential-stuffing source into that finding', async () => {
    const stuffer = '45.134.77.9';
    const victims = Array.from({ length: 12 }, (_, i) =>
      auditRow({ action: 'user_login', ip: stuffer, actor: { id: `W0V${String(i)}` }, t: T0 + 600 + i * 30 }),
    );
    const alice = auditRow({ action: 'user_login', ip: stuffer, t: T0 + 900 });
    const rows = [...ordinary(T0), ...victims, alice].map((row) => ({ stream: 'slackAudit' as const, row }));
    const findings = await new Harness([userManyIps, manyUsersOneIp, failedLoginsOneIp]).run(rows);
    expect(findings.map((f) => f.detectionId)).toEqual(['slack.audit.many-users-one-ip']);
    expect(findings[0]?.entities?.some((e) => e.id === ALICE.id)).toBe(true);
  });

  it('skips allowlisted IPs and lists the networks it counted', async () => {
    expect(await raise(userManyIps, fromIps(4), { ignoreIps: ['185.10.4.7'] })).toEqual([]);
    const [f] = await raise(userManyIps, fromIps(4));
    expect(f?.evidence.networks).toEqual([
      '185.10.4.0/24 (185.10.4.7)',
      '185.11.4.0/24 (185.11.4.7)',
      '185.12.4.0/24 (185.12.4.7)',
      '185.13.4.0/24 (185.13.4.7)',
    ]);
  });
});
