import { ErrorCode, LogLevel, WebClient, WebClientEvent, type Logger, type WebAPIPlatformError } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';

import { seedSampleOrg, type SampleOrg } from './fixtures';
import { startSlackEmulator, type SlackEmulator, type SlackEmulatorOptions } from './index';

let emulator: SlackEmulator | undefined;
/** WebClient logs `response_metadata.messages` of failed calls; the tests assert on them instead. */
const ignore = (): void => undefined;
const quiet: Logger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  setLevel: ignore,
  getLevel: () => LogLevel.ERROR,
  setName: ignore,
};
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(
  options: SlackEmulatorOptions = {},
): Promise<{ e: SlackEmulator; org: SampleOrg; bot: WebClient; owner: WebClient }> {
  const e = await startSlackEmulator(options);
  emulator = e;
  const org = seedSampleOrg(e.state);
  const client = (token: string) =>
    new WebClient(token, { slackApiUrl: e.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
  return { e, org, bot: client(e.tokens.bot), owner: client(e.tokens.audit) };
}

/** The Slack error code of a rejected WebClient call (and that it is the SDK's platform error). */
async function platformError(call: Promise<unknown>): Promise<WebAPIPlatformError['data']> {
  const error = (await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  )) as WebAPIPlatformError;
  expect(error.code).toBe(ErrorCode.PlatformError);
  return error.data;
}

const alertBlocks = [
  { type: 'header', text: { type: 'plain_text', text: 'Mass download' } },
  {
    type: 'section',
    text: { type: 'mrkdwn', text: '*bob* downloaded 40 files' },
    fields: [{ type: 'mrkdwn', text: '*Actor*\nbob' }],
  },
  {
    type: 'actions',
    block_id: 'alert-actions',
    elements: [
      {
        type: 'button',
        action_id: 'alert-ack',
        text: { type: 'plain_text', text: 'Ack' },
        value: '{"a":"1"}',
        style: 'primary',
      },
    ],
  },
];

describe('Slack Web API emulator through @slack/web-api WebClient', () => {
  it('auth.test identifies bot and user tokens', async () => {
    const { e, bot, owner } = await start();
    const b = await bot.auth.test();
    expect(b).toMatchObject({
      ok: true,
      user_id: e.state.org.botUserId,
      bot_id: e.state.org.botId,
      team_id: e.state.org.teamId,
      enterprise_id: e.state.org.enterpriseId,
    });
    const o = await owner.auth.test();
    expect(o).toMatchObject({ ok: true, user_id: e.state.org.ownerUserId, is_enterprise_install: true });
    expect(o.bot_id).toBeUndefined();
    const anonymous = new WebClient(undefined, { slackApiUrl: e.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
    expect(await platformError(anonymous.auth.test())).toMatchObject({ ok: false, error: 'not_authed' });
    const wrong = new WebClient('xoxb-nope', { slackApiUrl: e.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
    expect(await platformError(wrong.auth.test())).toMatchObject({ error: 'invalid_auth' });
  });

  it('chat.postMessage stores blocks with generated ids, threads replies, and returns ts/channel/message', async () => {
    const { e, org, bot } = await start();
    const posted = await bot.chat.postMessage({
      channel: org.alerts.id,
      text: 'Mass download by bob',
      blocks: alertBlocks,
    });
    expect(posted.ok).toBe(true);
    expect(posted.channel).toBe(org.alerts.id);
    expect(posted.ts).toMatch(/^\d+\.\d{6}$/);
    expect(posted.message).toMatchObject({
      type: 'message',
      text: 'Mass download by bob',
      bot_id: e.state.org.botId,
      user: e.state.org.botUserId,
      app_id: e.state.org.appId,
    });
    const stored = e.state.getMessage(org.alerts.id, posted.ts ?? '');
    expect(stored?.blocks?.[0]).toMatchObject({ type: 'header', block_id: expect.any(String) as string });
    expect(stored?.blocks?.[2]).toMatchObject({ block_id: 'alert-actions' });

    const reply = await bot.chat.postMessage({
      channel: org.alerts.id,
      thread_ts: posted.ts ?? '',
      text: 'Acknowledged by alice',
    });
    expect(reply.message?.thread_ts).toBe(posted.ts);
    const parent = e.state.getMessage(org.alerts.id, posted.ts ?? '');
    expect(parent).toMatchObject({ reply_count: 1, latest_reply: reply.ts, thread_ts: posted.ts });
    expect(e.state.getThread(org.alerts.id, posted.ts ?? '').map((m) => m.text)).toEqual(['Acknowledged by alice']);

    // By channel name, and to a user id (opens the DM).
    expect((await bot.chat.postMessage({ channel: '#security-alerts', text: 'by name' })).channel).toBe(org.alerts.id);
    const dm = await bot.chat.postMessage({ channel: org.bob.id, text: 'hi bob' });
    expect(dm.channel).toMatch(/^D/);
    expect(e.state.getMessages(dm.channel ?? '').map((m) => m.text)).toEqual(['hi bob']);
  });

  it('chat.postMessage errors: channel_not_found, no_text, msg_too_long, invalid_blocks, is_archived', async () => {
    const { e, org, bot } = await start({ webApi: { maxTextLength: 100 } });
    expect(await platformError(bot.chat.postMessage({ channel: 'C0NOPE', text: 'x' }))).toMatchObject({
      error: 'channel_not_found',
    });
    // A private channel the bot is not a member of is invisible.
    expect(await platformError(bot.chat.postMessage({ channel: org.finance.id, text: 'x' }))).toMatchObject({
      error: 'channel_not_found',
    });
    expect(await platformError(bot.apiCall('chat.postMessage', { channel: org.alerts.id }))).toMatchObject({
      error: 'no_text',
    });
    expect(await platformError(bot.chat.postMessage({ channel: org.alerts.id, text: 'x'.repeat(101) }))).toMatchObject({
      error: 'msg_too_long',
    });
    const badBlocks = [
      [{ type: 'nonsense' }],
      [{ type: 'header', text: { type: 'mrkdwn', text: 'headers are plain_text' } }],
      [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }],
      [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'x' }, style: 'loud' }] }],
      Array.from({ length: 51 }, () => ({ type: 'divider' })),
    ];
    for (const blocks of badBlocks) {
      expect(
        await platformError(bot.apiCall('chat.postMessage', { channel: org.alerts.id, text: 't', blocks })),
      ).toMatchObject({ error: 'invalid_blocks' });
    }
    expect(
      await platformError(bot.apiCall('chat.postMessage', { channel: org.alerts.id, text: 't', blocks: '[{' })),
    ).toMatchObject({ error: 'invalid_blocks_format' });
    e.state.addChannels({ id: 'C0OLD0001', name: 'old', is_archived: true });
    expect(await platformError(bot.chat.postMessage({ channel: 'C0OLD0001', text: 'x' }))).toMatchObject({
      error: 'is_archived',
    });
    expect(e.state.getMessages(org.alerts.id)).toHaveLength(0);
  });

  it('chat.update edits in place (keeping blocks unless replaced) and refuses other identities', async () => {
    const { e, org, bot, owner } = await start();
    const posted = await bot.chat.postMessage({ channel: org.alerts.id, text: 'open', blocks: alertBlocks });
    const ts = posted.ts ?? '';
    const textOnly = await bot.chat.update({ channel: org.alerts.id, ts, text: 'still open' });
    expect(textOnly).toMatchObject({ ok: true, channel: org.alerts.id, ts, text: 'still open' });
    expect(e.state.getMessage(org.alerts.id, ts)?.blocks).toHaveLength(3);
    await bot.chat.update({
      channel: org.alerts.id,
      ts,
      text: 'acknowledged',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Acknowledged by *alice*' } }],
    });
    const stored = e.state.getMessage(org.alerts.id, ts);
    expect(stored?.blocks).toHaveLength(1);
    expect(stored?.edited).toMatchObject({ user: e.state.org.botUserId });
    expect(await platformError(bot.chat.update({ channel: org.alerts.id, ts: '1.000001', text: 'x' }))).toMatchObject({
      error: 'message_not_found',
    });
    expect(await platformError(owner.chat.update({ channel: org.alerts.id, ts, text: 'hijack' }))).toMatchObject({
      error: 'cant_update_message',
    });
  });

  it('chat.postEphemeral stores a message only the user sees, and checks the user', async () => {
    const { e, org, bot } = await start();
    const res = await bot.chat.postEphemeral({ channel: org.alerts.id, user: org.alice.id, text: 'only you' });
    expect(res.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(e.state.getEphemeral(org.alerts.id)).toEqual([
      expect.objectContaining({ user: org.alice.id, text: 'only you', ts: res.message_ts }),
    ]);
    expect(e.state.getMessages(org.alerts.id)).toHaveLength(0);
    expect(
      await platformError(bot.chat.postEphemeral({ channel: org.alerts.id, user: 'W0NOBODY', text: 'x' })),
    ).toMatchObject({ error: 'user_not_found' });
    e.state.addChannels({ ...org.alerts, members: [org.bob.id] });
    expect(
      await platformError(bot.chat.postEphemeral({ channel: org.alerts.id, user: org.alice.id, text: 'x' })),
    ).toMatchObject({ error: 'user_not_in_channel' });
  });

  it('users.info and users.lookupByEmail return the seeded user object', async () => {
    const { org, bot } = await start();
    const info = await bot.users.info({ user: org.bob.id });
    expect(info.user).toMatchObject({
      id: org.bob.id,
      is_admin: false,
      deleted: false,
      profile: { email: org.bob.profile.email },
      enterprise_user: { enterprise_id: 'E0SENTRY1' },
    });
    expect(await platformError(bot.users.info({ user: 'W0NOBODY' }))).toMatchObject({ error: 'user_not_found' });
    const byEmail = await bot.users.lookupByEmail({ email: 'ALICE@sentry-test.example' });
    expect(byEmail.user?.id).toBe(org.alice.id);
    expect(await platformError(bot.users.lookupByEmail({ email: 'nobody@example.com' }))).toMatchObject({
      error: 'users_not_found',
    });
    // Deactivated users are not found by email unless configured otherwise.
    expect(await platformError(bot.users.lookupByEmail({ email: org.carol.profile.email ?? '' }))).toMatchObject({
      error: 'users_not_found',
    });
    expect((await bot.users.info({ user: org.carol.id })).user?.deleted).toBe(true);
  });

  it('usergroups.users.list and files.info', async () => {
    const { e, org, bot } = await start();
    expect((await bot.usergroups.users.list({ usergroup: org.group.id })).users).toEqual([org.alice.id, org.bob.id]);
    expect(await platformError(bot.usergroups.users.list({ usergroup: 'S0NOPE' }))).toMatchObject({
      error: 'no_such_subteam',
    });
    const file = await bot.files.info({ file: org.file.id });
    expect(file.file).toMatchObject({
      id: org.file.id,
      name: 'plan.pdf',
      channels: [org.alerts.id],
      groups: [org.finance.id],
    });
    expect(Object.keys(file.file?.shares?.private ?? {})).toEqual([org.finance.id]);
    expect(await platformError(bot.files.info({ file: 'F0NOPE' }))).toMatchObject({ error: 'file_not_found' });
    e.state.addFiles({ ...org.file, id: 'F0GONE', is_deleted: true });
    expect(await platformError(bot.files.info({ file: 'F0GONE' }))).toMatchObject({ error: 'file_deleted' });
  });

  it('files.info can hide shares in private channels the bot is not in', async () => {
    const { org, bot } = await start({ webApi: { filesInfoVisibility: 'member' } });
    const file = await bot.files.info({ file: org.file.id });
    expect(file.file?.groups).toEqual([]);
    expect(file.file?.shares?.private).toEqual({});
    expect(file.file?.channels).toEqual([org.alerts.id]);
  });

  it('admin.users.session.list / reset / invalidate with the Org Owner token, and log audit entries', async () => {
    const { e, org, owner } = await start();
    const all = await owner.admin.users.session.list();
    expect(all.active_sessions?.map((s) => s.session_id)).toEqual([1001, 1002, 2001]);
    expect(all.response_metadata?.next_cursor).toBe('');
    const paged = await owner.admin.users.session.list({ limit: 2 });
    expect(paged.active_sessions).toHaveLength(2);
    const rest = await owner.admin.users.session.list({ limit: 2, cursor: paged.response_metadata?.next_cursor ?? '' });
    expect(rest.active_sessions?.map((s) => s.session_id)).toEqual([2001]);
    const bobs = await owner.admin.users.session.list({ user_id: org.bob.id, team_id: e.state.org.teamId });
    expect(bobs.active_sessions?.map((s) => s.session_id)).toEqual([1001, 1002]);
    expect(await platformError(owner.apiCall('admin.users.session.list', { user_id: org.bob.id }))).toMatchObject({
      error: 'missing_team',
    });

    await owner.admin.users.session.reset({ user_id: org.bob.id, mobile_only: true });
    expect(e.state.getSessions(org.bob.id).map((s) => s.session_id)).toEqual([1001]);
    await owner.admin.users.session.reset({ user_id: org.bob.id });
    expect(e.state.getSessions(org.bob.id)).toEqual([]);
    expect(await platformError(owner.admin.users.session.reset({ user_id: 'W0NOBODY' }))).toMatchObject({
      error: 'user_not_found',
    });
    expect(await platformError(owner.admin.users.session.reset({ user_id: e.state.org.ownerUserId }))).toMatchObject({
      error: 'cannot_reset_primary_owner',
    });

    // @slack/web-api 8 types still want team_id and lack user_id; Slack now requires user_id.
    expect(
      await platformError(owner.admin.users.session.invalidate({ session_id: '2001', team_id: e.state.org.teamId })),
    ).toMatchObject({ error: 'invalid_arguments' });
    await owner.apiCall('admin.users.session.invalidate', {
      session_id: 2001,
      user_id: org.alice.id,
      team_id: e.state.org.teamId,
    });
    expect(e.state.getSessions(org.alice.id)).toEqual([]);
    expect(
      await platformError(owner.apiCall('admin.users.session.invalidate', { session_id: 2001, user_id: org.alice.id })),
    ).toMatchObject({ error: 'session_not_found' });

    const actions = e.state.getAuditEntries().map((x) => x.action);
    expect(actions).toEqual(['user_session_reset_by_admin', 'user_session_reset_by_admin', 'user_session_invalidated']);
    expect(e.state.getAuditEntries()[0]).toMatchObject({
      actor: { user: { id: e.state.org.ownerUserId } },
      entity: { type: 'user', user: { id: org.bob.id } },
      details: { mobile_only: true, web_only: false },
    });
  });

  it('admin.users.deactivate (via apiCall) deactivates org-wide and ends sessions', async () => {
    const { e, org, owner } = await start();
    await owner.apiCall('admin.users.deactivate', { user_id: org.bob.id });
    expect(e.state.getUser(org.bob.id)?.deleted).toBe(true);
    expect(e.state.getSessions(org.bob.id)).toEqual([]);
    expect(e.state.getAuditEntries().map((x) => x.action)).toEqual(['user_deactivated']);
    expect(
      await platformError(owner.apiCall('admin.users.deactivate', { user_id: e.state.org.ownerUserId })),
    ).toMatchObject({ error: 'cannot_deactivate_primary_owner' });
    expect(await platformError(owner.apiCall('admin.users.deactivate', { user_id: 'W0NOBODY' }))).toMatchObject({
      error: 'user_not_found',
    });
  });

  it('accepts session.invalidate with team_id only when configured to', async () => {
    const { e, org, owner } = await start({ webApi: { invalidateRequiresUserId: false } });
    await owner.admin.users.session.invalidate({ session_id: '1002', team_id: e.state.org.teamId });
    expect(e.state.getSessions(org.bob.id).map((s) => s.session_id)).toEqual([1001]);
  });

  it('answers missing_scope when a bot token calls an admin method, and not_an_admin for a plain user token', async () => {
    const { e, org, bot } = await start({
      tokens: {
        extra: [
          { token: 'xoxp-bob', type: 'user', userId: 'W0BOB0001', scopes: ['admin.users:write', 'admin.users:read'] },
        ],
      },
    });
    const data = await platformError(bot.admin.users.session.reset({ user_id: org.bob.id }));
    expect(data).toMatchObject({ error: 'missing_scope', needed: 'admin.users:write' });
    expect(String((data as { provided?: unknown }).provided)).toContain('chat:write');
    const bobClient = new WebClient('xoxp-bob', { slackApiUrl: e.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
    expect(await platformError(bobClient.admin.users.session.list())).toMatchObject({ error: 'not_an_admin' });
    expect(e.state.getSessions()).toHaveLength(3);
  });

  it('answers 429 + Retry-After under a ratelimited fault, which WebClient waits out and retries', async () => {
    const { e, org } = await start();
    const client = new WebClient(e.tokens.bot, {
      slackApiUrl: e.apiUrl,
      retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 20 },
      logger: quiet,
    });
    const waits: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (retrySec: number) => waits.push(retrySec));
    e.faults.add({ kind: 'ratelimited', retryAfterSec: 1, count: 1, match: { path: '/api/users.info' } });
    const started = Date.now();
    const info = await client.users.info({ user: org.bob.id });
    expect(info.user?.id).toBe(org.bob.id);
    expect(waits).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(e.requests.filter((r) => r.path === '/api/users.info').map((r) => r.status)).toEqual([429, 200]);
  });

  it('answers token_expired (or a chosen error) while a tokenExpiry fault is active', async () => {
    const { e, org, bot } = await start();
    e.faults.add({ kind: 'tokenExpiry', count: 1 });
    expect(await platformError(bot.users.info({ user: org.bob.id }))).toMatchObject({ error: 'token_expired' });
    e.faults.add({ kind: 'tokenExpiry', count: 1, params: { error: 'invalid_auth' } });
    expect(await platformError(bot.users.info({ user: org.bob.id }))).toMatchObject({ error: 'invalid_auth' });
    expect((await bot.users.info({ user: org.bob.id })).ok).toBe(true);
  });

  it('accepts JSON bodies with a bearer token and form bodies with a token argument', async () => {
    const { e, org } = await start();
    const viaJson = await fetch(`${e.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${e.tokens.bot}` },
      body: JSON.stringify({ channel: org.alerts.id, text: 'json', blocks: alertBlocks }),
    });
    expect(await viaJson.json()).toMatchObject({ ok: true, channel: org.alerts.id });
    const viaForm = await fetch(`${e.apiUrl}users.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: e.tokens.bot, user: org.alice.id }).toString(),
    });
    expect(await viaForm.json()).toMatchObject({ ok: true, user: { id: org.alice.id } });
    // A token inside a JSON body is not read.
    const jsonToken = await fetch(`${e.apiUrl}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: e.tokens.bot }),
    });
    expect(await jsonToken.json()).toEqual({ ok: false, error: 'not_authed' });
    const unknown = await fetch(`${e.apiUrl}chat.nope`, {
      method: 'POST',
      headers: { authorization: `Bearer ${e.tokens.bot}` },
    });
    expect(await unknown.json()).toEqual({ ok: false, error: 'unknown_method' });
  });
});
