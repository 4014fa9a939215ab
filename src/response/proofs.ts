/**
 * Proofs that tie what an incident does to the two paths allowed to drive it:
 * - a responder proof, attached by the interactivity endpoint after Slack's signature verified, over
 *   the incident id and the whole event (action, target, Slack user, time, response_url, channel);
 * - a charter grant, attached by dispatchIncidents, over what the incident may act on (targets.ts).
 * Both are HMAC-SHA256 with the app's response key, so holding the Durable management key (which the
 * ops endpoints' check-status payloads carry) lets nobody act as a responder or invent a target: an
 * event raised or an incident started through the management API has no valid proof.
 *
 * The key is `SENTRY_RESPONSE_SIGNING_KEY`, or else one derived from the Slack signing secret (whoever
 * holds that secret can already forge Slack's requests, so deriving adds no exposure). Verification
 * happens in activities, where the key is; orchestrations only carry the proofs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import type { ResponderActionEvent } from './model';
import type { Charter } from './targets';

/** How long a responder proof stays valid after the click was received. */
export const RESPONDER_PROOF_TTL_SECONDS = 600;

/** The response key from configuration, or undefined when neither setting exists. */
export function responseKey(settings: {
  responseSigningKey?: string | undefined;
  signingSecret?: string | undefined;
}): Buffer | undefined {
  if (settings.responseSigningKey !== undefined && settings.responseSigningKey !== '') {
    return Buffer.from(settings.responseSigningKey, 'utf8');
  }
  if (settings.signingSecret === undefined || settings.signingSecret === '') return undefined;
  return createHmac('sha256', settings.signingSecret).update('sentry/response-proof/v1', 'utf8').digest();
}

/** JSON with object keys sorted at every level: the same value always serializes the same way. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function mac(key: Buffer, purpose: string, payload: string): string {
  return createHmac('sha256', key).update(`${purpose}\n${payload}`, 'utf8').digest('hex');
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

type Unsigned = Omit<ResponderActionEvent, 'proof'>;

function responderPayload(incidentId: string, event: Unsigned): string {
  return `${incidentId}\n${canonicalJson(event)}`;
}

/** Signs a responder event for one incident. */
export function signResponderEvent(key: Buffer, incidentId: string, event: Unsigned): string {
  return mac(key, 'sentry-responder-v1', responderPayload(incidentId, event));
}

export type ProofCheck = { ok: true } | { ok: false; code: 'proof_missing' | 'proof_invalid' | 'proof_expired' };

/** Verifies a responder event's proof and that it is fresh at `nowMs`. */
export function verifyResponderEvent(
  key: Buffer,
  incidentId: string,
  event: ResponderActionEvent,
  nowMs: number,
): ProofCheck {
  const { proof, ...unsigned } = event;
  if (proof === undefined || proof === '') return { ok: false, code: 'proof_missing' };
  if (!same(proof, signResponderEvent(key, incidentId, unsigned))) return { ok: false, code: 'proof_invalid' };
  const at = Date.parse(event.receivedAt);
  if (Number.isNaN(at) || nowMs - at > RESPONDER_PROOF_TTL_SECONDS * 1000 || at - nowMs > 60_000)
    return { ok: false, code: 'proof_expired' };
  return { ok: true };
}

/** Signs an incident's charter. */
export function signCharter(key: Buffer, charter: Charter): string {
  return mac(key, 'sentry-charter-v1', canonicalJson(charter));
}

export function verifyCharter(key: Buffer, charter: Charter, grant: string | undefined): boolean {
  return grant !== undefined && grant !== '' && same(grant, signCharter(key, charter));
}
