import { describe, expect, it } from 'vitest';

import { ALICE, auditRow, BOB, raise, T0, userEntity } from '../../../test/helpers/detection-testkit';
import { loginAfterDeactivation } from './login-after-deactivation';

const deactivate = (t: number) => auditRow({ action: 'user_deactivated', t, actor: ALICE, entity: userEntity(BOB) });
const reactivate = (t: number) => auditRow({ action: 'user_reactivated', t, actor: ALICE, entity: userEntity(BOB) });
const login = (t: number) => auditRow({ action: 'user_login', t, actor: BOB, ip: '203.0.113.40' });

describe('slack.audit.login-after-deactivation', () => {
  it('raises when the deactivated user signs in within 24 h', async () => {
    expect(loginAfterDeactivation.defaults).toMatchObject({ enabled: true, windowMinutes: 1440 });
    const [f] = await raise(loginAfterDeactivation, [deactivate(T0), login(T0 + 3 * 3_600)]);
    expect(f?.subject.id).toBe(BOB.id);
    expect(f?.count).toBe(1);
    expect(f?.title).toContain('3 h after being deactivated');
    expect(f?.severity).toBe('high');
  });

  it('is order-independent across batches (deactivation and login observed in different flushes)', async () => {
    const rows = [login(T0 + 3_600), deactivate(T0)];
    expect(await raise(loginAfterDeactivation, rows)).toHaveLength(1);
  });

  it('ignores logins before deactivation, after 24 h, or after a reactivation', async () => {
    expect(await raise(loginAfterDeactivation, [login(T0 - 60), deactivate(T0)])).toEqual([]);
    expect(await raise(loginAfterDeactivation, [deactivate(T0), login(T0 + 25 * 3_600)])).toEqual([]);
    expect(await raise(loginAfterDeactivation, [deactivate(T0), reactivate(T0 + 600), login(T0 + 3_600)])).toEqual([]);
  });

  it('follows the configured window', async () => {
    expect(
      await raise(loginAfterDeactivation, [deactivate(T0), login(T0 + 25 * 3_600)], { windowMinutes: 48 * 60 }),
    ).toHaveLength(1);
  });
});
