import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';

import { TEST_RESPONSE_KEY } from '../../test/helpers/incidents';
import { ActionIds, encodeButtonValue } from '../slack/action-ids';
import { computeSlackSignature } from '../slack/verify';
import type { ResponderActionEvent } from '../response/model';
import { verifyResponderEvent } from '../response/proofs';
import { MemoryReplayGuard } from '../../test/helpers/replay-guard';
import type { ReplayGuard } from '../state/signatures';
import { handleSlackInteractivity, type InteractivityDeps } from './slack-interactivity';

const SECRET = 'interactivity-test-secret';
const NOW_MS = Date.parse('2026-03-02T10:00:00.000Z');
const NOW = Math.floor(NOW_MS / 1000);

const payload = {
  type: 'block_actions',
  user: { id: 'W0ALICE01', username: 'alice' },
  channel: { id: 'C0ALERTS1', name: 'security-alerts' },
  message: { ts: '1772445600.000100' },
  response_url: 'http://127.0.0.1:1/response_url/abc',
  actions: [
    {
      action_id: ActionIds.blockIp,
      block_id: 'incident-actions',
      type: 'button',
      value: encodeButtonValue('incident-meraki.x-1', '198.51.100.99'),
    },
  ],
};
const BODY = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

function request(body: string, headers: Record<string, string>): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: 'http://localhost:7071/api/slack/interactivity',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: { string: body },
  });
}

function signed(body = BODY, ts = NOW, secret = SECRET): HttpRequest {
  return request(body, {
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': computeSlackSignature(secret, ts, body),
  });
}

function setup(replay: ReplayGuard = new MemoryReplayGuard(), raise?: InteractivityDeps['raise']) {
  const raised: { instanceId: string; event: ResponderActionEvent }[] = [];
  const logs: string[] = [];
  const deps: InteractivityDeps = {
    signingSecret: SECRET,
    responseKey: TEST_RESPONSE_KEY,
    replay,
    raise:
      raise ??
      ((instanceId, event) => {
        raised.push({ instanceId, event });
        return Promise.resolve();
      }),
    nowMs: () => NOW_MS,
    log: (level, message) => logs.push(`${level}: ${message}`),
  };
  return { deps, raised, logs };
}

describe('POST /api/slack/interactivity', () => {
  it('verifies, acknowledges with 200 and hands the click to its incident with a proof of it', async () => {
    const { deps, raised } = setup();
    const response = await handleSlackInteractivity(signed(), deps);
    expect(response.status).toBe(200);
    expect(raised).toEqual([
      {
        instanceId: 'incident-meraki.x-1',
        event: {
          kind: 'blockIp',
          target: '198.51.100.99',
          user: { id: 'W0ALICE01', name: 'alice' },
          responseUrl: 'http://127.0.0.1:1/response_url/abc',
          channel: 'C0ALERTS1',
          messageTs: '1772445600.000100',
          receivedAt: new Date(NOW_MS).toISOString(),
          proof: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
        },
      },
    ]);
    const [handed] = raised;
    if (handed === undefined) throw new Error('nothing raised');
    // The incident can verify it; the same event for another incident does not verify.
    expect(verifyResponderEvent(TEST_RESPONSE_KEY, 'incident-meraki.x-1', handed.event, NOW_MS)).toEqual({ ok: true });
    expect(verifyResponderEvent(TEST_RESPONSE_KEY, 'incident-meraki.x-2', handed.event, NOW_MS)).toMatchObject({
      ok: false,
    });
  });

  it('checks the signature headers before reading the body, and refuses a body over 1 MB with 413', async () => {
    const { deps, raised } = setup();
    const unsigned = request(BODY, {});
    expect((await handleSlackInteractivity(unsigned, deps)).status).toBe(401);
    expect(unsigned.bodyUsed).toBe(false);
    const huge = request(BODY, {
      'x-slack-request-timestamp': String(NOW),
      'x-slack-signature': computeSlackSignature(SECRET, NOW, BODY),
      'content-length': String(5 * 1024 * 1024),
    });
    expect((await handleSlackInteractivity(huge, deps)).status).toBe(413);
    expect(huge.bodyUsed).toBe(false);
    // Without a declared length (chunked), reading stops past the cap.
    const padded = `${BODY}&pad=${'x'.repeat(1024 * 1024)}`;
    expect((await handleSlackInteractivity(signed(padded), deps)).status).toBe(413);
    expect(raised).toEqual([]);
  });

  it('refuses a replay of the same signed request, even within the window', async () => {
    const { deps, raised, logs } = setup();
    expect((await handleSlackInteractivity(signed(), deps)).status).toBe(200);
    expect((await handleSlackInteractivity(signed(), deps)).status).toBe(401);
    expect(raised).toHaveLength(1);
    expect(logs).toContain('warn: slack interactivity refused: replayed signature');
  });

  const refused: [string, () => HttpRequest][] = [
    ['a wrong secret', () => signed(BODY, NOW, 'not-the-secret')],
    [
      'an altered body',
      () =>
        request(BODY.replace('198.51.100.99', '198.51.100.98'), {
          'x-slack-request-timestamp': String(NOW),
          'x-slack-signature': computeSlackSignature(SECRET, NOW, BODY),
        }),
    ],
    ['a stale timestamp', () => signed(BODY, NOW - 301)],
    ['a future timestamp', () => signed(BODY, NOW + 301)],
    ['no signature header', () => request(BODY, { 'x-slack-request-timestamp': String(NOW) })],
    ['no timestamp header', () => request(BODY, { 'x-slack-signature': computeSlackSignature(SECRET, NOW, BODY) })],
    ['no headers at all', () => request(BODY, {})],
  ];
  for (const [name, build] of refused) {
    it(`answers 401 to ${name} and changes nothing`, async () => {
      const replay = new MemoryReplayGuard();
      const { deps, raised } = setup(replay);
      const response = await handleSlackInteractivity(build(), deps);
      expect(response.status).toBe(401);
      expect(raised).toEqual([]);
      expect(replay.seen.size).toBe(0);
    });
  }

  it('answers 400 to a signed but malformed payload, without raising anything', async () => {
    const { deps, raised } = setup();
    const body = 'payload=%7Bbroken';
    expect((await handleSlackInteractivity(signed(body), deps)).status).toBe(400);
    expect(raised).toEqual([]);
  });

  it('acknowledges other interaction types and foreign buttons without raising', async () => {
    const { deps, raised } = setup();
    const other = new URLSearchParams({ payload: JSON.stringify({ type: 'view_submission' }) }).toString();
    expect((await handleSlackInteractivity(signed(other), deps)).status).toBe(200);
    const foreign = new URLSearchParams({
      payload: JSON.stringify({ ...payload, actions: [{ action_id: 'x', type: 'button', value: 'y' }] }),
    }).toString();
    expect((await handleSlackInteractivity(signed(foreign), deps)).status).toBe(200);
    expect(raised).toEqual([]);
  });

  it('still answers 200 when the incident no longer exists', async () => {
    const { deps, logs } = setup(new MemoryReplayGuard(), () =>
      Promise.reject(new Error("No instance with ID 'incident-meraki.x-1' found.")),
    );
    expect((await handleSlackInteractivity(signed(), deps)).status).toBe(200);
    expect(logs.some((l) => l.includes('could not hand blockIp to incident-meraki.x-1'))).toBe(true);
  });

  it('answers 503 when the replay store is down (it cannot tell a replay) and when no secret is configured', async () => {
    const broken: ReplayGuard = { claim: () => Promise.reject(new Error('Table Storage failed')) };
    const { deps, raised } = setup(broken);
    expect((await handleSlackInteractivity(signed(), deps)).status).toBe(503);
    expect(raised).toEqual([]);
    const { deps: noSecret } = setup();
    expect((await handleSlackInteractivity(signed(), { ...noSecret, signingSecret: undefined })).status).toBe(503);
  });

  it('reads the body once and answers fast', async () => {
    const { deps } = setup();
    const req = signed();
    const started = performance.now();
    expect((await handleSlackInteractivity(req, deps)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(500);
    expect(req.bodyUsed).toBe(true);
  });
});
