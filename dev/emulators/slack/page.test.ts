import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { seedSampleOrg, type SampleOrg } from './fixtures';
import { startSlackEmulator, type SlackEmulator } from './index';
import { escapeHtml, renderMrkdwn } from './page';
import { payloadOf, signatureValid, startReceiver, type ReceivedRequest, type Receiver } from './test-receiver';

const SECRET = 'page-test-signing-secret';
const XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

const alertBlocks = [
  { type: 'header', text: { type: 'plain_text', text: `Mass download ${XSS}` } },
  {
    type: 'section',
    text: { type: 'mrkdwn', text: `*<@W0BOB0001>* downloaded 40 files ${XSS}` },
    fields: [
      { type: 'mrkdwn', text: '*Actor*\nBob Builder' },
      { type: 'plain_text', text: `IP ${XSS}` },
    ],
  },
  {
    type: 'context',
    elements: [
      { type: 'image', image_url: 'https://example.invalid/logo.png', alt_text: 'sentry logo' },
      { type: 'mrkdwn', text: 'slack.audit.mass-download' },
    ],
  },
  { type: 'divider' },
  {
    type: 'actions',
    block_id: 'alert-actions',
    elements: [
      {
        type: 'button',
        action_id: 'alert-ack',
        text: { type: 'plain_text', text: 'Acknowledge' },
        style: 'primary',
        value: '{"a":"alert-1"}',
      },
      {
        type: 'button',
        action_id: 'alert-reset',
        text: { type: 'plain_text', text: 'Reset sessions' },
        style: 'danger',
        value: 'reset',
        confirm: {
          title: { type: 'plain_text', text: 'Reset all sessions?' },
          text: { type: 'mrkdwn', text: `Bob is signed out everywhere ${XSS}` },
          confirm: { type: 'plain_text', text: 'Reset' },
          deny: { type: 'plain_text', text: 'Keep' },
          style: 'danger',
        },
      },
    ],
  },
];

let browser: Browser | undefined;
let emulator: SlackEmulator | undefined;
let receiver: Receiver | undefined;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await emulator?.close();
  await receiver?.close();
  emulator = undefined;
  receiver = undefined;
});

async function api(e: SlackEmulator, method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${e.apiUrl}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${e.tokens.bot}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const out = (await res.json()) as Record<string, unknown>;
  if (out.ok !== true) throw new Error(`${method}: ${JSON.stringify(out)}`);
  return out;
}

async function waitForRequests(r: Receiver, count: number): Promise<ReceivedRequest> {
  const deadline = Date.now() + 10_000;
  while (r.received.length < count) {
    if (Date.now() > deadline) throw new Error(`the app got ${r.received.length} requests, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const request = r.received[count - 1];
  if (request === undefined) throw new Error('missing request');
  return request;
}

async function setup(): Promise<{ e: SlackEmulator; r: Receiver; org: SampleOrg; ts: string; page: Page }> {
  if (browser === undefined) throw new Error('browser did not start');
  const r = await startReceiver();
  receiver = r;
  const e = await startSlackEmulator({ interactivity: { requestUrl: r.url, signingSecret: SECRET } });
  emulator = e;
  const org = seedSampleOrg(e.state);
  const posted = await api(e, 'chat.postMessage', {
    channel: org.alerts.id,
    text: 'Mass download by bob',
    blocks: alertBlocks,
  });
  const ts = posted.ts as string;
  await api(e, 'chat.postMessage', { channel: org.alerts.id, thread_ts: ts, text: `Looking into it ${XSS}` });
  const page = await browser.newPage();
  const response = await page.goto(`${e.url}/channels/${org.alerts.id}`);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  return { e, r, org, ts, page };
}

describe('Slack channel page in Chromium', () => {
  it('renders Block Kit and threads, escaping untrusted text', async () => {
    const { page, e, org } = await setup();
    try {
      await expect.poll(() => page.locator('.b-header').textContent()).toContain('Mass download <img src=x');
      expect(await page.locator('.b-section .b-text b .mention').textContent()).toBe('@bob');
      expect(await page.locator('.b-field').allTextContents()).toEqual(['ActorBob Builder', `IP ${XSS}`]);
      expect(await page.locator('.b-context .img-alt').textContent()).toBe('[image: sentry logo]');
      expect(await page.locator('.thread .msg').count()).toBe(1);
      expect(await page.locator('.thread-count').textContent()).toBe('1 reply');
      expect(await page.locator('button.btn-primary', { hasText: 'Acknowledge' }).count()).toBe(1);
      expect(await page.locator('button.btn-danger', { hasText: 'Reset sessions' }).count()).toBe(1);
      expect(await page.locator('.msg img, .msg script').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      const index = await page.goto(`${e.url}/`);
      expect(index?.status()).toBe(200);
      expect(await page.locator('table.channels a').allTextContents()).toEqual([
        '#security-alerts',
        `#${org.finance.name} private`,
      ]);
    } finally {
      await page.close();
    }
  });

  it('sends a signed block_actions request as the chosen user, through the confirm dialog, and shows the app status', async () => {
    const { page, r, e, org, ts } = await setup();
    try {
      await page.selectOption('#as-user', org.bob.id);
      await page.getByRole('button', { name: 'Acknowledge' }).click();
      await page.locator('#click-status[data-status="200"]').waitFor();
      expect(await page.locator('#click-status').textContent()).toContain('HTTP 200');
      const ack = await waitForRequests(r, 1);
      expect(ack.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(signatureValid(ack, SECRET)).toBe(true);
      expect(payloadOf(ack)).toMatchObject({
        type: 'block_actions',
        user: { id: org.bob.id, username: org.bob.name },
        channel: { id: org.alerts.id, name: org.alerts.name },
        container: { type: 'message', message_ts: ts, channel_id: org.alerts.id },
        message: { ts, text: 'Mass download by bob' },
        actions: [{ action_id: 'alert-ack', block_id: 'alert-actions', value: '{"a":"alert-1"}', type: 'button' }],
      });

      // Deny in the confirm dialog: nothing is sent.
      await page.getByRole('button', { name: 'Reset sessions' }).click();
      const dialog = page.locator('dialog#confirm-dialog');
      await dialog.waitFor({ state: 'visible' });
      expect(await dialog.locator('#confirm-title').textContent()).toBe('Reset all sessions?');
      expect(await dialog.locator('#confirm-text').textContent()).toBe(`Bob is signed out everywhere ${XSS}`);
      await dialog.getByRole('button', { name: 'Keep' }).click();
      await expect.poll(() => page.locator('#click-status').textContent()).toBe('Cancelled.');
      expect(r.received).toHaveLength(1);

      // Confirm: the action is sent, with its confirm object, as the (remembered) selected user.
      await page.reload();
      expect(await page.locator('#as-user').inputValue()).toBe(org.bob.id);
      r.respond.status = 500;
      await page.getByRole('button', { name: 'Reset sessions' }).click();
      await dialog.getByRole('button', { name: 'Reset' }).click();
      const reset = await waitForRequests(r, 2);
      expect(signatureValid(reset, SECRET)).toBe(true);
      const payload = payloadOf(reset);
      expect(payload).toMatchObject({
        user: { id: org.bob.id },
        actions: [{ action_id: 'alert-reset', style: 'danger', confirm: { title: { text: 'Reset all sessions?' } } }],
      });
      await page.locator('#click-status[data-status="500"]').waitFor();
      expect(await page.locator('#click-status').getAttribute('class')).toContain('bad');
      await expect.poll(() => page.locator('#deliveries li').count()).toBe(2);

      // The app answers through response_url; the page picks the change up by polling.
      const replaced = await fetch(payload.response_url as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          replace_original: true,
          text: 'Sessions reset by bob',
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Sessions reset by *bob*' } }],
        }),
      });
      expect(replaced.status).toBe(200);
      await page.getByText('Sessions reset by').waitFor({ timeout: 5000 });
      expect(await page.getByRole('button', { name: 'Reset sessions' }).count()).toBe(0);

      // chat.update shows "(edited)".
      await api(e, 'chat.update', { channel: org.alerts.id, ts, text: 'Closed' });
      await page.locator('.edited').first().waitFor({ timeout: 5000 });
      expect(await page.locator('.msg').first().locator('.b-text').first().textContent()).toBe('Sessions reset by bob');
    } finally {
      await page.close();
    }
  });
});

describe('mrkdwn rendering', () => {
  it('escapes markup, keeps only http(s)/mailto links, and formats across mentions', () => {
    expect(escapeHtml(`<a href='x'>&"`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
    expect(renderMrkdwn('<javascript:alert(1)|click>')).toBe('&lt;javascript:alert(1)|click&gt;');
    expect(renderMrkdwn('<https://e.example/?a=1&amp;b="2"|docs>')).toBe(
      '<a href="https://e.example/?a=1&amp;b=&quot;2&quot;" target="_blank" rel="noopener noreferrer">docs</a>',
    );
    expect(renderMrkdwn('*<!here>* &lt;b&gt; _x_ ~y~ `z`')).toBe(
      '<b><span class="mention">@here</span></b> &lt;b&gt; <i>x</i> <s>y</s> <code>z</code>',
    );
    expect(renderMrkdwn('a\u0000b \u00000\u0000')).toBe('ab 0');
  });
});
