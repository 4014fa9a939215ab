import { describe, expect, it } from 'vitest';

import { ALICE, auditRow, BOB, Harness, slack, T0 } from '../../../test/helpers/detection-testkit';
import { unknownUserAgent } from './unknown-user-agent';

const DAY = 86_400;
const login = (t: number, ua: string, who = ALICE) => auditRow({ action: 'user_login', t, ua, actor: who });

/** 15 days of the usual agents, then the given rows, evaluated as one cycle per day. */
async function afterBaseline(rows: ReturnType<typeof login>[], overrides?: Record<string, unknown>) {
  const harness = new Harness([unknownUserAgent.configure(overrides)]);
  const raised = [];
  for (let d = 0; d < 15; d++) {
    raised.push(
      ...(await harness.run(
        slack([login(T0 + d * DAY, 'Slack/4.41 Mac'), login(T0 + d * DAY + 60, 'Slack/24.11 iPhone', BOB)]),
        T0 + d * DAY + 3_600,
      )),
    );
  }
  raised.push(...(await harness.run(slack(rows))));
  return raised;
}

describe('slack.audit.unknown-user-agent', () => {
  it('raises for a sign-in agent family nobody used during the 14-day baseline', async () => {
    expect(unknownUserAgent.defaults).toMatchObject({ enabled: true, baselineDays: 14 });
    const raised = await afterBaseline([login(T0 + 15 * DAY, 'Firefox/128.0 Linux')]);
    expect(raised).toHaveLength(1);
    expect(raised[0]?.subject).toMatchObject({ type: 'user-agent', id: 'Firefox/* Linux' });
    expect(raised[0]?.evidence).toMatchObject({ userAgent: 'Firefox/128.0 Linux', users: ['alice'] });
  });

  it('an app updating itself (Slack 4.41 → 4.42.7) is the same family, not a new agent', async () => {
    expect(await afterBaseline([login(T0 + 15 * DAY, 'Slack/4.42.7 Mac')])).toEqual([]);
  });

  it('stays silent while the baseline is being learned and for agents in the baseline', async () => {
    expect(await afterBaseline([login(T0 + 15 * DAY, 'Slack/4.41 Mac', BOB)])).toEqual([]);
    const harness = new Harness([unknownUserAgent]);
    expect(await harness.run(slack([login(T0, 'Firefox/128.0 Linux')]))).toEqual([]);
  });

  it('a scripted client signing in or downloading is flagged at once, with no baseline (right after install)', async () => {
    const harness = new Harness([unknownUserAgent]);
    const download = auditRow({ action: 'file_downloaded', t: T0, ua: 'python-requests/2.32.3' });
    const [finding] = await harness.run(slack([download]));
    expect(finding).toMatchObject({ severity: 'medium', subject: { id: 'python-requests/*' } });
    expect(finding?.why).toContain('scripted client');
    // An ordinary agent's download is no sign-in: not judged.
    expect(
      await new Harness([unknownUserAgent]).run(slack([auditRow({ action: 'file_downloaded', ua: 'Slack/4.41 Mac' })])),
    ).toEqual([]);
  });

  it('grows the finding when more users adopt the new agent', async () => {
    const harness = new Harness([unknownUserAgent.configure({ baselineDays: 1 })]);
    await harness.run(slack([login(T0, 'Slack/4.41 Mac')]), T0 + 60);
    const [first] = await harness.run(slack([login(T0 + 2 * DAY, 'Firefox/8.5')]));
    const [second] = await harness.run(slack([login(T0 + 2 * DAY + 600, 'Firefox/8.5', BOB)]));
    expect(first?.isNew).toBe(true);
    expect(second?.isNew).toBe(false);
    expect(second?.count).toBe(2);
    expect(second?.dedupeKey).toBe(first?.dedupeKey);
  });

  it('honours ignored agent patterns', async () => {
    expect(
      await afterBaseline([login(T0 + 15 * DAY, 'Slack/4.50 Linux')], { ignoreUserAgentPatterns: ['slack/'] }),
    ).toEqual([]);
  });
});
