import { describe, expect, it } from 'vitest';

import { ALICE, auditRow, raise, T0 } from '../../../test/helpers/detection-testkit';
import { emptyUserAgent } from './empty-user-agent';

describe('slack.audit.empty-user-agent', () => {
  it('raises on user activity with an empty or missing user agent', async () => {
    expect(emptyUserAgent.defaults).toMatchObject({ enabled: true, windowMinutes: 1440 });
    const [f] = await raise(emptyUserAgent, [
      auditRow({ ua: '' }),
      auditRow({ action: 'file_downloaded', ua: null, t: T0 + 30 }),
    ]);
    expect(f?.subject.id).toBe(ALICE.id);
    expect(f?.count).toBe(2);
    expect(f?.severity).toBe('low');
  });

  it('ignores normal user agents and system actions', async () => {
    const rows = [
      auditRow({ ua: 'Mozilla/5.0' }),
      auditRow({ action: 'user_sessions_reset_by_anomaly_event_response', ua: '' }),
    ];
    expect(await raise(emptyUserAgent, rows)).toEqual([]);
  });

  it('honours ignored users and actions from configuration, and a severity override', async () => {
    const row = auditRow({ ua: '' });
    expect(await raise(emptyUserAgent, [row], { ignoreUserIds: [ALICE.id] })).toEqual([]);
    expect(await raise(emptyUserAgent, [row], { ignoreActions: ['user_login'] })).toEqual([]);
    const [f] = await raise(emptyUserAgent, [row], { severity: 'high' });
    expect(f?.severity).toBe('high');
  });

  it('merges a day of activity into one finding with a stable key', async () => {
    const [a] = await raise(emptyUserAgent, [auditRow({ ua: '' })]);
    expect(a?.dedupeKey).toBe(ALICE.id);
  });
});
