import { describe, expect, it } from 'vitest';

import { ALICE, auditRow, raise, T0 } from '../../../test/helpers/detection-testkit';
import { emailChanged } from './email-changed';

describe('slack.audit.email-changed', () => {
  it('raises when the same user id shows up with a second email within 14 days', async () => {
    expect(emailChanged.defaults).toMatchObject({ enabled: true, windowMinutes: 14 * 1440 });
    const rows = [
      auditRow({ t: T0 }),
      auditRow({ t: T0 + 5 * 86_400, actor: { ...ALICE, email: 'alice@attacker.example' } }),
    ];
    const [f] = await raise(emailChanged, rows);
    expect(f?.subject.id).toBe(ALICE.id);
    expect(f?.evidence.emails).toEqual(['alice@example.com', 'alice@attacker.example']);
  });

  it('ignores case changes and a change outside the window', async () => {
    const rows = [auditRow({ t: T0 }), auditRow({ t: T0 + 60, actor: { ...ALICE, email: 'Alice@Example.com' } })];
    expect(await raise(emailChanged, rows)).toEqual([]);
    const far = [auditRow({ t: T0 }), auditRow({ t: T0 + 15 * 86_400, actor: { ...ALICE, email: 'new@example.com' } })];
    expect(await raise(emailChanged, far)).toEqual([]);
    expect(await raise(emailChanged, far, { windowMinutes: 16 * 1440 })).toHaveLength(1);
  });
});
