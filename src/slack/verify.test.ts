import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { computeSlackSignature, verifySlackSignature } from './verify';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1_772_445_600;
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

function sign(body: string, ts: number | string, secret = SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
}

const verify = (over: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) =>
  verifySlackSignature({
    signingSecret: SECRET,
    rawBody: BODY,
    signature: sign(BODY, NOW),
    timestamp: String(NOW),
    nowSec: NOW,
    ...over,
  });

describe('verifySlackSignature', () => {
  it('accepts a request signed with the secret, and returns the signature as the replay key', () => {
    const result = verify();
    expect(result).toEqual({ ok: true, timestamp: NOW, signature: sign(BODY, NOW).slice(3) });
    expect(computeSlackSignature(SECRET, NOW, BODY)).toBe(sign(BODY, NOW));
  });

  it('matches the worked example of Slack’s documentation', () => {
    // api.slack.com/authentication/verifying-requests-from-slack (the published example request).
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const result = verifySlackSignature({
      signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
      rawBody: body,
      signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      timestamp: '1531420618',
      nowSec: 1531420618,
    });
    expect(result.ok).toBe(true);
  });

  it('refuses a signature made with another secret', () => {
    expect(verify({ signature: sign(BODY, NOW, 'another-secret') })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('refuses an altered body (one character, or a smuggled payload)', () => {
    expect(verify({ rawBody: BODY.replace('block_actions', 'block_actionz') })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verify({ rawBody: `${BODY}&payload=%7B%7D` })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('refuses a timestamp other than the signed one', () => {
    expect(verify({ timestamp: String(NOW - 1) })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('refuses stale and future timestamps beyond five minutes, and accepts the edges', () => {
    const at = (ts: number) => verify({ timestamp: String(ts), signature: sign(BODY, ts) });
    expect(at(NOW - 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(at(NOW + 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(at(NOW - 300).ok).toBe(true);
    expect(at(NOW + 300).ok).toBe(true);
  });

  it('refuses missing headers and malformed values', () => {
    expect(verify({ signature: undefined })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ timestamp: null })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ signature: '' })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ timestamp: '17724456e2' })).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(verify({ signature: sign(BODY, NOW).replace('v0=', 'v1=') })).toEqual({
      ok: false,
      reason: 'bad_signature_format',
    });
    expect(verify({ signature: 'v0=abc' })).toEqual({ ok: false, reason: 'bad_signature_format' });
  });

  it('refuses everything when no signing secret is configured', () => {
    expect(verify({ signingSecret: undefined })).toEqual({ ok: false, reason: 'no_secret' });
    expect(verify({ signingSecret: '' })).toEqual({ ok: false, reason: 'no_secret' });
  });
});
