/**
 * Slack request signing (`v0`): `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:<ts>:<raw body>")>`
 * with `X-Slack-Request-Timestamp` in Unix seconds. The HMAC is over the raw body bytes exactly as
 * received, so callers read the body once as text and parse only after this check. The timestamp
 * must be within 5 minutes either way (python-slack-sdk's abs check; bolt-js lets future timestamps
 * through), and the digests are compared in constant time. Replay of a valid signature inside the
 * window is refused by the caller's replay store, keyed by the signature this returns.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_TOLERANCE_SEC = 300;

export type VerifyFailure =
  'no_secret' | 'missing_headers' | 'bad_timestamp' | 'stale_timestamp' | 'bad_signature_format' | 'signature_mismatch';

export type VerifyResult = { ok: true; timestamp: number; signature: string } | { ok: false; reason: VerifyFailure };

export interface VerifyInput {
  signingSecret: string | undefined;
  rawBody: string;
  signature: string | null | undefined;
  timestamp: string | null | undefined;
  nowSec: number;
  toleranceSec?: number;
}

/** `v0=<hex>` for a body, as Slack computes it. */
export function computeSlackSignature(signingSecret: string, timestamp: number | string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`, 'utf8').digest('hex')}`;
}

/** Verifies a request's signature and freshness; never throws. */
export function verifySlackSignature(input: VerifyInput): VerifyResult {
  if (input.signingSecret === undefined || input.signingSecret === '') return { ok: false, reason: 'no_secret' };
  const signature = input.signature?.trim();
  const timestampText = input.timestamp?.trim();
  if (signature === undefined || signature === '' || timestampText === undefined || timestampText === '') {
    return { ok: false, reason: 'missing_headers' };
  }
  if (!/^\d{1,12}$/.test(timestampText)) return { ok: false, reason: 'bad_timestamp' };
  const timestamp = Number(timestampText);
  if (Math.abs(input.nowSec - timestamp) > (input.toleranceSec ?? SIGNATURE_TOLERANCE_SEC)) {
    return { ok: false, reason: 'stale_timestamp' };
  }
  const match = /^v0=([0-9a-f]{64})$/i.exec(signature);
  if (match?.[1] === undefined) return { ok: false, reason: 'bad_signature_format' };
  const expected = createHmac('sha256', input.signingSecret)
    .update(`v0:${timestampText}:${input.rawBody}`, 'utf8')
    .digest();
  const given = Buffer.from(match[1], 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature_mismatch' };
  return { ok: true, timestamp, signature: match[1].toLowerCase() };
}
