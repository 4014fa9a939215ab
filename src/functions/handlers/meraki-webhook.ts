/**
 * `POST /api/meraki/webhook`: Meraki alert webhooks. Verify → land → acknowledge → hand off.
 * - Meraki cannot sign requests: authenticity is the plain `sharedSecret` string inside the JSON
 *   body (docs/reference/meraki-api.md, "Network events and webhooks"), so the route is anonymous
 *   and the secret is compared in constant time (digests of both sides, so the length leaks
 *   nothing). A wrong or missing secret answers 401, is counted and logged without any body
 *   content, and lands nothing.
 * - An authenticated alert lands as a `SentryMerakiEvent_CL` row (the secret never reaches a row),
 *   or in quarantine with its reason when it does not validate, before we answer: a 2xx means it is
 *   in Log Analytics. An upload failure answers 503 so the sender may retry (Meraki's retry
 *   policy is [UNVERIFIED]); repeats share the alert's EventId.
 * - Only alerts Sentry can vouch for reach detection: the organization must be configured
 *   (`SENTRY_MERAKI_ORG_IDS`), a device serial must be an appliance of that organization in the last
 *   uplink snapshot, and `occurredAt` must be neither in the future (more than 5 minutes of clock
 *   skew) nor older than `SENTRY_MERAKI_WEBHOOK_MAX_AGE_MINUTES`. Anything else is quarantined with
 *   its reason (202), so a holder of the shared secret cannot open incidents for made-up devices,
 *   organizations or times.
 * - Failover-family alerts then raise `expedite` on the collection cycle (debounced per process), so
 *   the next poll and the detections run now instead of at the next interval.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import { RowSink } from '../../collectors/row-sink';
import type { Config } from '../../config';
import type { ObserverContext, RowObserver } from '../../detections/observer';
import { ensureError } from '../../errors';
import type { IngestionClientLike } from '../../ingestion/uploader';
import { toMerakiWebhookEventRow } from '../../transforms/meraki';
import type { TransformResult } from '../../transforms/row-builder';
import type { MerakiEventRow } from '../../transforms/streams';
import { readBody } from '../http-body';

export const MAX_WEBHOOK_BYTES = 256 * 1024;
export const EXPEDITE_DEBOUNCE_MS = 5_000;
/** Clock skew tolerated on a webhook's occurredAt. */
export const WEBHOOK_FUTURE_SKEW_MS = 5 * 60_000;

export interface MerakiWebhookDeps {
  config: Config;
  ingestion: IngestionClientLike;
  createObserver(ctx: ObserverContext): RowObserver;
  /** Raises `expedite` on the cycle; may throw (e.g. the cycle is not running). */
  raiseExpedite(data: { reason: 'merakiWebhook'; alertTypeId: string; eventId: string }): Promise<void>;
  /** Serials of the organization's appliances in its last uplink snapshot. */
  knownSerials(org: string): Promise<ReadonlySet<string>>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  now?: () => number;
}

export interface WebhookCounters {
  accepted: number;
  quarantined: number;
  /** Wrong or missing shared secret. */
  unauthorized: number;
  /** Not JSON, not an object, or too large. */
  malformed: number;
  failed: number;
  expedited: number;
}

const counters: WebhookCounters = {
  accepted: 0,
  quarantined: 0,
  unauthorized: 0,
  malformed: 0,
  failed: 0,
  expedited: 0,
};
let lastExpediteAt = Number.NEGATIVE_INFINITY;

/** This process's webhook counts since start (for logs and tests). */
export function webhookCounters(): Readonly<WebhookCounters> {
  return { ...counters };
}

/** Test seam. */
export function resetWebhookState(): void {
  for (const key of Object.keys(counters) as (keyof WebhookCounters)[]) counters[key] = 0;
  lastExpediteAt = Number.NEGATIVE_INFINITY;
}

/** Constant-time equality of two strings of any length. */
export function secretMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

const json = (status: number, body: Record<string, unknown>): HttpResponseInit => ({
  status,
  jsonBody: body,
  headers: { 'cache-control': 'no-store' },
});

/**
 * Why an authenticated alert may not reach detection (a made-up organization, device or time), or
 * undefined when it may.
 */
async function untrusted(
  row: MerakiEventRow,
  org: string,
  deps: MerakiWebhookDeps,
  nowMs: number,
): Promise<string | undefined> {
  if (!deps.config.meraki.orgIds.includes(org))
    return `organization ${org} is not one Sentry collects (SENTRY_MERAKI_ORG_IDS)`;
  const at = Date.parse(row.TimeGenerated);
  if (Number.isNaN(at)) return 'occurredAt is not a time';
  if (at > nowMs + WEBHOOK_FUTURE_SKEW_MS) return `occurredAt ${row.TimeGenerated} is in the future`;
  const maxAge = deps.config.collection.meraki.webhookMaxAgeMinutes;
  if (at < nowMs - maxAge * 60_000)
    return `occurredAt ${row.TimeGenerated} is older than ${maxAge} min (SENTRY_MERAKI_WEBHOOK_MAX_AGE_MINUTES)`;
  const serial = row.DeviceSerial;
  if (serial !== undefined && !(await deps.knownSerials(org)).has(serial))
    return `device ${serial} is not an appliance of organization ${org} in Sentry's last uplink snapshot`;
  return undefined;
}

export async function handleMerakiWebhook(request: HttpRequest, deps: MerakiWebhookDeps): Promise<HttpResponseInit> {
  const read = await readBody(request, MAX_WEBHOOK_BYTES);
  if (!read.ok) {
    counters.malformed += 1;
    return read.response;
  }
  const text = read.text;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    counters.malformed += 1;
    deps.log('warn', 'Meraki webhook: body is not JSON; nothing landed');
    return json(400, { error: 'invalid_json' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    counters.malformed += 1;
    return json(400, { error: 'invalid_body' });
  }

  const expected = deps.config.meraki.webhookSecret;
  const given = (body as { sharedSecret?: unknown }).sharedSecret;
  if (expected === undefined || typeof given !== 'string' || !secretMatches(given, expected)) {
    counters.unauthorized += 1;
    deps.log(
      'warn',
      expected === undefined
        ? 'Meraki webhook refused: SENTRY_MERAKI_WEBHOOK_SECRET is not set, so no alert can be authenticated'
        : `Meraki webhook refused: ${typeof given === 'string' ? 'wrong' : 'missing'} shared secret (${counters.unauthorized} refused since start)`,
    );
    return json(401, { error: 'unauthorized' });
  }

  const organizationId = (body as { organizationId?: unknown }).organizationId;
  const org = typeof organizationId === 'string' && organizationId !== '' ? organizationId : 'unknown';
  const now = deps.now ?? Date.now;
  let mapped: TransformResult<MerakiEventRow> = toMerakiWebhookEventRow(body, { sourceOrg: org });
  if (mapped.ok) {
    let reason: string | undefined;
    try {
      reason = await untrusted(mapped.row, org, deps, now());
    } catch (error) {
      counters.failed += 1;
      deps.log(
        'error',
        `Meraki webhook: could not check the alert's device, answering 503: ${ensureError(error).message}`,
      );
      return json(503, { error: 'not_checked' });
    }
    if (reason !== undefined) mapped = { ok: false, reason: `webhook alert not accepted for detection: ${reason}` };
  }
  const eventId = mapped.ok ? mapped.row.EventId : 'quarantined';
  const sink = new RowSink({
    ingestion: deps.ingestion,
    dcrImmutableId: deps.config.ingestion.dcrImmutableId,
    observer: deps.createObserver({ source: 'merakiWebhook', org, cycleId: `webhook:${eventId}` }),
    sourceOrg: org,
    now: () => new Date(now()),
    // One extra attempt on top of the SDK's own retries: the sender is waiting for our answer.
    maxAttempts: 2,
  });
  try {
    await sink.accept('merakiEvent', mapped, body);
    await sink.flush();
  } catch (error) {
    counters.failed += 1;
    deps.log('error', `Meraki webhook: the alert could not be landed, answering 503: ${ensureError(error).message}`);
    return json(503, { error: 'not_landed' });
  }
  if (!mapped.ok) {
    counters.quarantined += 1;
    deps.log('warn', `Meraki webhook: alert quarantined (${mapped.reason})`);
    return json(202, { status: 'quarantined' });
  }
  counters.accepted += 1;

  const alertTypeId = mapped.row.EventType ?? '';
  let expedited = false;
  if (
    deps.config.collection.meraki.expediteAlertTypes.includes(alertTypeId) &&
    now() - lastExpediteAt >= EXPEDITE_DEBOUNCE_MS
  ) {
    lastExpediteAt = now();
    try {
      await deps.raiseExpedite({ reason: 'merakiWebhook', alertTypeId, eventId });
      counters.expedited += 1;
      expedited = true;
    } catch (error) {
      // The alert is landed; the next scheduled cycle still sees it. Most likely the cycle is not running.
      deps.log('warn', `Meraki webhook: could not expedite the cycle: ${ensureError(error).message}`);
    }
  }
  return json(200, { status: 'landed', eventId, expedited });
}
