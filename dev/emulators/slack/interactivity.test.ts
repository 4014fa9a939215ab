import { afterEach, describe, expect, it } from 'vitest';

import { seedSampleOrg, type SampleOrg } from './fixtures';
import { startSlackEmulator, type SlackEmulator, type SlackEmulatorOptions } from './index';
import { payloadOf, signatureValid, startReceiver, type ReceivedRequest, type Receiver } from './test-receiver';

const SECRET = 'test-signing-secret';
let emulator: SlackEmulator | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await emulator?.close();
  await receiver?.close();
  emulator = undefined;
  receiver = undefined;
});

const alertBlocks = [
  { type: 'header', text: { type: 'plain_text', text: 'Mass download' } },
  {
    type: 'actions',
    block_id: 'alert-actions',
    elements: [
      {
        type: 'button',
        action_id: 'alert-ack',
        text: { type: 'plain_text', text: 'Ack' },
        value: '{"a":"1","i":"incident-x"}',
        style: 'primary',
      },
      {
        type: 'button',
        action_id: 'alert-reset',
        text: { type: 'plain_text', text: 'Reset sessions' },
        value: 'reset',
        style: 'danger',
        confirm: {
          title: { type: 'plain_text', text: 'Sure?' },
          text: { type: 'mrkdwn', text: 'Ends all sessions' },
          confirm: { type: 'plain_text', text: 'Reset' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
    ],
  },
];

async function start(
  options: SlackEmulatorOptions = {},
): Promise<{ e: SlackEmulator; org: SampleOrg; r: Receiver; ts: string }> {
  const r = await startReceiver();
  receiver = r;
  const e = await startSlackEmulator({
    ...options,
    interactivity: { requestUrl: r.url, signingSecret: SECRET, ...options.interactivity },
  });
  emulator = e;
  const org = seedSampleOrg(e.state);
  const res = await fetch(`${e.apiUrl}chat.postMessage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${e.tokens.bot}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: org.alerts.id, text: 'Mass download by bob', blocks: alertBlocks }),
  });
  const { ts } = (await res.json()) as { ts: string };
  return { e, org, r, ts };
}

function nth(r: Receiver, index: number): ReceivedRequest {
  const request = r.received[index];
  if (request === undefined) throw new Error(`the app received no request #${index}`);
  return request;
}

async function respond(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('Slack interactivity emulator', () => {
  it('sends a signed block_actions form post with the payload Slack sends', async () => {
    const { e, org, r, ts } = await start();
    const delivery = await e.click({
      channel: org.alerts.id,
      messageTs: ts,
      actionId: 'alert-ack',
      userId: org.alice.id,
    });
    expect(delivery.status).toBe(200);
    expect(r.received).toHaveLength(1);
    const request = nth(r, 0);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.rawBody.startsWith('payload=')).toBe(true);
    expect(signatureValid(request, SECRET)).toBe(true);
    expect(signatureValid(request, 'another-secret')).toBe(false);
    const payload = payloadOf(request);
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: org.alice.id, username: org.alice.name, name: org.alice.name, team_id: e.state.org.teamId },
      team: { id: e.state.org.teamId, domain: e.state.org.teamDomain },
      enterprise: { id: e.state.org.enterpriseId, name: e.state.org.enterpriseName },
      channel: { id: org.alerts.id, name: org.alerts.name },
      container: { type: 'message', message_ts: ts, channel_id: org.alerts.id, is_ephemeral: false },
      message: { ts, text: 'Mass download by bob', bot_id: e.state.org.botId },
      api_app_id: e.state.org.appId,
      token: e.options.interactivity.verificationToken,
      actions: [
        {
          action_id: 'alert-ack',
          block_id: 'alert-actions',
          value: '{"a":"1","i":"incident-x"}',
          type: 'button',
          style: 'primary',
          text: { type: 'plain_text', text: 'Ack' },
        },
      ],
    });
    expect(payload.trigger_id).toEqual(expect.any(String));
    expect((payload.actions as { action_ts: string }[])[0]?.action_ts).toMatch(/^\d+\.\d{6}$/);
    expect(payload.response_url).toMatch(new RegExp(`^${e.url}/response_url/[0-9a-f]+$`));
    expect(e.state.deliveries).toHaveLength(1);
  });

  it('records the app status, timeouts and a missing configuration', async () => {
    const { e, org, r, ts } = await start({ interactivity: { timeoutMs: 200 } });
    r.respond.status = 401;
    expect(
      (await e.click({ channel: org.alerts.id, messageTs: ts, actionId: 'alert-ack', userId: org.bob.id })).status,
    ).toBe(401);
    r.respond.status = 200;
    r.respond.delayMs = 500;
    const slow = await e.click({ channel: org.alerts.id, messageTs: ts, actionId: 'alert-ack', userId: org.bob.id });
    expect(slow.status).toBeUndefined();
    expect(slow.error).toContain('no answer within 200 ms');
    await expect(
      e.click({ channel: org.alerts.id, messageTs: ts, actionId: 'nope', userId: org.bob.id }),
    ).rejects.toThrow(/no action nope/);
    e.setInteractivity({ requestUrl: undefined });
    await expect(
      e.click({ channel: org.alerts.id, messageTs: ts, actionId: 'alert-ack', userId: org.bob.id }),
    ).rejects.toThrow(/no interactivity/);
  });

  it('signs with a skewed clock when asked (for staleness checks)', async () => {
    const { e, org, r, ts } = await start({ interactivity: { clockSkewSec: -600 } });
    await e.click({ channel: org.alerts.id, messageTs: ts, actionId: 'alert-ack', userId: org.bob.id });
    const request = nth(r, 0);
    expect(signatureValid(request, SECRET)).toBe(false);
    expect(signatureValid(request, SECRET, Number(request.headers['x-slack-request-timestamp']))).toBe(true);
  });

  it('response_url: replace_original rewrites the message, delete_original removes it', async () => {
    const { e, org, r, ts } = await start();
    await e.click({ channel: org.alerts.id, messageTs: ts, actionId: 'alert-ack', userId: org.alice.id });
    const url = payloadOf(nth(r, 0)).response_url as string;
    const replaced = await respond(url, {
      replace_original: true,
      text: 'Acknowledged by alice',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Acknowledged by *alice*' } }],
    });
    expect(replaced.status).toBe(200);
    expect(e.state.getMessages(org.alerts.id)).toEqual([
      expect.objectContaining({
        ts,
        text: 'Acknowledged by alice',
        blocks: [expect.objectContaining({ type: 'section' })],
      }),
    ]);
    expect((await respond(url, { delete_original: true })).status).toBe(200);
    expect(e.state.getMessages(org.alerts.id)).toEqual([]);
  });

  it('response_url: new messages are ephemeral by default, in_channel when asked, threaded with thread_ts', async () => {
    const { e, org, r, ts } = await start();
    await e.click({ channel: org.alerts.id, messageTs: ts, actionId: 'alert-ack', userId: org.bob.id });
    const url = payloadOf(nth(r, 0)).response_url as string;
    await respond(url, { text: 'Only bob sees this' });
    expect(e.state.getEphemeral(org.alerts.id)).toEqual([
      expect.objectContaining({ user: org.bob.id, text: 'Only bob sees this' }),
    ]);
    await respond(url, { response_type: 'in_channel', replace_original: false, text: 'Escalated', thread_ts: ts });
    expect(e.state.getThread(org.alerts.id, ts).map((m) => m.text)).toEqual(['Escalated']);
    expect(e.state.getMessage(org.alerts.id, ts)?.text).toBe('Mass download by bob');
    expect((await respond(url, { blocks: [{ type: 'bogus' }] })).status).toBe(400);
  });

  it('response_url: at most 5 uses within 30 minutes, unknown ids 404', async () => {
    let clock = Date.now();
    const { e, org, r, ts } = await start({ now: () => clock });
    await e.click({ channel: org.alerts.id, messageTs: ts, actionId: 'alert-ack', userId: org.bob.id });
    const url = payloadOf(nth(r, 0)).response_url as string;
    for (let i = 0; i < 5; i += 1) expect((await respond(url, { text: `use ${i}` })).status).toBe(200);
    const sixth = await respond(url, { text: 'too many' });
    expect(sixth.status).toBe(404);
    expect(await sixth.text()).toBe('expired_url');

    await e.click({ channel: org.alerts.id, messageTs: ts, actionId: 'alert-ack', userId: org.bob.id });
    const fresh = payloadOf(nth(r, 1)).response_url as string;
    clock += 31 * 60 * 1000;
    expect((await respond(fresh, { text: 'late' })).status).toBe(404);
    expect((await respond(`${e.url}/response_url/deadbeef`, { text: 'x' })).status).toBe(404);
  });

  it('clicks on an ephemeral message say so and omit `message`, and response_url replaces the ephemeral', async () => {
    const { e, org, r } = await start();
    const res = await fetch(`${e.apiUrl}chat.postEphemeral`, {
      method: 'POST',
      headers: { authorization: `Bearer ${e.tokens.bot}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: org.alerts.id, user: org.bob.id, text: 'confirm?', blocks: alertBlocks }),
    });
    const { message_ts: ts } = (await res.json()) as { message_ts: string };
    await e.click({
      channel: org.alerts.id,
      messageTs: ts,
      actionId: 'alert-ack',
      userId: org.bob.id,
      ephemeral: true,
    });
    const payload = payloadOf(nth(r, 0));
    expect(payload.container).toMatchObject({ is_ephemeral: true, message_ts: ts });
    expect(payload.message).toBeUndefined();
    await respond(payload.response_url as string, { replace_original: true, text: 'done' });
    expect(e.state.getEphemeral(org.alerts.id)).toEqual([expect.objectContaining({ ts, text: 'done' })]);
  });

  it('snapshot/restore round-trips the whole org through JSON', async () => {
    const { e, org, ts } = await start();
    const json = JSON.stringify(e.state.snapshot());
    const copy = await startSlackEmulator({ seed: JSON.parse(json) as never });
    try {
      expect(copy.state.getMessage(org.alerts.id, ts)?.text).toBe('Mass download by bob');
      expect(copy.state.getUser(org.bob.id)?.profile.email).toBe(org.bob.profile.email);
      expect(copy.state.getSessions(org.bob.id)).toHaveLength(2);
      // Timestamps keep increasing after a restore.
      const res = await fetch(`${copy.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${copy.tokens.bot}` },
        body: new URLSearchParams({ channel: org.alerts.id, text: 'after restore' }),
      });
      const { ts: next } = (await res.json()) as { ts: string };
      expect(Number(next)).toBeGreaterThan(Number(ts));
    } finally {
      await copy.close();
    }
    e.state.restore({});
    expect(e.state.getMessages(org.alerts.id)).toEqual([]);
  });
});
