import { describe, expect, it } from 'vitest';

import { ALICE, auditRow, BOB, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { blockedMfaLogin } from './blocked-mfa-login';

const refused = (n: number, who = ALICE) =>
  series(n, T0, 60, () => ({
    action: 'user_login_failed',
    actor: who,
    details: { reason: 'two_factor_auth_required' },
  }));

describe('slack.audit.blocked-mfa-login', () => {
  it('raises on a sign-in refused by the 2FA policy (threshold 0: the first one)', async () => {
    expect(blockedMfaLogin.defaults).toMatchObject({
      enabled: true,
      windowMinutes: 60,
      mfaFailureReasons: ['two_factor_auth_required'],
    });
    const [f] = await raise(blockedMfaLogin, refused(1));
    expect(f?.subject.id).toBe(ALICE.id);
    expect(f?.severity).toBe('medium');
  });

  it('merges repeats within the hour into one finding per user', async () => {
    const findings = await raise(blockedMfaLogin, [...refused(4), ...refused(2, BOB)]);
    expect(findings.map((f) => [f.subject.id, f.count]).sort()).toEqual([
      [ALICE.id, 4],
      [BOB.id, 2],
    ]);
  });

  it('ignores other failures, and successful logins of users not listed as blocked', async () => {
    const wrongPassword = auditRow({ action: 'user_login_failed', details: { reason: 'invalid_password' } });
    const noDetails = auditRow({ action: 'user_login_failed' });
    expect(await raise(blockedMfaLogin, [wrongPassword, noDetails, auditRow({ action: 'user_login' })])).toEqual([]);
  });

  it('accepts configured reasons (also as a list) and blocked users', async () => {
    const custom = auditRow({ action: 'user_login_failed', details: { reason: ['mfa_not_enrolled'] } });
    expect(await raise(blockedMfaLogin, [custom])).toEqual([]);
    expect(await raise(blockedMfaLogin, [custom], { mfaFailureReasons: ['mfa_not_enrolled'] })).toHaveLength(1);
    const [f] = await raise(blockedMfaLogin, [auditRow({ action: 'user_login', actor: BOB })], {
      blockedUserIds: [BOB.id],
    });
    expect(f?.subject.id).toBe(BOB.id);
  });

  it('keys findings by user', async () => {
    const [a] = await raise(blockedMfaLogin, refused(1));
    const [b] = await raise(blockedMfaLogin, refused(1));
    expect(a?.dedupeKey).toBe(ALICE.id);
    expect(b?.incidentId).toBe(a?.incidentId);
  });
});
