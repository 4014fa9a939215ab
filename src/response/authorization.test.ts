import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { seedSampleOrg, type SampleOrg } from '../../dev/emulators/slack/fixtures';
import { startSlackEmulator, type SlackEmulator } from '../../dev/emulators/slack';
import type { SlackApi } from '../slack/web-client';
import { authorizeResponder, clearResponderCache, GROUP_CACHE_MS } from './authorization';

let slack: SlackEmulator;
let org: SampleOrg;
let bot: SlackApi;

beforeAll(async () => {
  slack = await startSlackEmulator();
  org = seedSampleOrg(slack.state);
  slack.state.addUsers({ id: 'W0MALLORY', name: 'mallory', profile: {} });
  bot = new WebClient(slack.tokens.bot, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
  }) as unknown as SlackApi;
});
afterAll(async () => {
  await slack.close();
});
beforeEach(() => {
  clearResponderCache();
});

const groupCalls = () => slack.requests.filter((r) => r.path === '/api/usergroups.users.list').length;

describe('authorizeResponder', () => {
  it('accepts configured responder ids without calling Slack', async () => {
    const before = groupCalls();
    expect(
      await authorizeResponder('W0CAROL01', { responderIds: ['W0CAROL01'], responderGroup: org.group.id }, bot, 0),
    ).toEqual({ authorized: true, via: 'user' });
    expect(groupCalls()).toBe(before);
  });

  it('accepts members of the responder group and refuses others', async () => {
    const policy = { responderIds: [], responderGroup: org.group.id };
    expect(await authorizeResponder(org.alice.id, policy, bot, 0)).toEqual({ authorized: true, via: 'group' });
    expect(await authorizeResponder('W0MALLORY', policy, bot, 0)).toMatchObject({ authorized: false, via: null });
  });

  it('resolves the group once per cache period, then again after it', async () => {
    const policy = { responderIds: [], responderGroup: org.group.id };
    const before = groupCalls();
    for (const user of [org.alice.id, org.bob.id, 'W0MALLORY', org.alice.id])
      await authorizeResponder(user, policy, bot, 1_000);
    expect(groupCalls() - before).toBe(1);
    // Membership changes are seen once the cache expires.
    slack.state.getUserGroup(org.group.id)?.users.push('W0MALLORY');
    expect((await authorizeResponder('W0MALLORY', policy, bot, 1_000 + GROUP_CACHE_MS - 1)).authorized).toBe(false);
    expect((await authorizeResponder('W0MALLORY', policy, bot, 1_000 + GROUP_CACHE_MS + 1)).authorized).toBe(true);
    expect(groupCalls() - before).toBe(2);
  });

  it('fails closed: nobody is a responder when nothing is configured, and a group lookup error is thrown', async () => {
    expect(
      await authorizeResponder(org.alice.id, { responderIds: [], responderGroup: undefined }, bot, 0),
    ).toMatchObject({
      authorized: false,
      reason: expect.stringContaining('no responders are configured') as unknown,
    });
    await expect(
      authorizeResponder(org.alice.id, { responderIds: [], responderGroup: 'S0NOSUCH' }, bot, 0),
    ).rejects.toThrow(/no_such_subteam/);
  });
});
