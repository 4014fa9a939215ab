import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { HttpRequest } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';

import { FakeIngestion, httpError, recordingObservers } from '../../../test/helpers/pipeline';
import { BASE_TEST_ENV } from '../../../test/helpers/state';
import { parseConfig } from '../../config';
import { streams } from '../../transforms/streams';
import {
  handleMerakiWebhook,
  type MerakiWebhookDeps,
  resetWebhookState,
  secretMatches,
  webhookCounters,
} from './meraki-webhook';

const SECRET = BASE_TEST_ENV.SENTRY_MERAKI_WEBHOOK_SECRET ?? '';
const config = parseConfig({
  ...BASE_TEST_ENV,
  SENTRY_MERAKI_ORG_IDS: '111111,549236',
  SENTRY_STORAGE_CONNECTION: 'UseDevelopmentStorage=true',
});
const failover = JSON.parse(
  readFileSync(resolve(__dirname, '../../../test/fixtures/meraki/webhook-failover-event.json'), 'utf8'),
) as Record<string, unknown>;
/** A minute after the fixture's occurredAt. */
const AFTER_ALERT = Date.parse(String(failover.occurredAt)) + 60_000;

function request(body: unknown, headers: Record<string, string> = {}): HttpRequest {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new HttpRequest({
    method: 'POST',
    url: 'https://sentry.example/api/meraki/webhook',
    headers: { 'content-type': 'application/json', ...headers },
    body: { string: text },
  });
}

let ingestion: FakeIngestion;
let observers: ReturnType<typeof recordingObservers>;
let expedites: unknown[];
let logs: string[];
let clock: number;
let deps: MerakiWebhookDeps;

beforeEach(() => {
  resetWebhookState();
  ingestion = new FakeIngestion();
  observers = recordingObservers();
  expedites = [];
  logs = [];
  clock = AFTER_ALERT;
  deps = {
    config,
    ingestion,
    createObserver: observers.factory,
    raiseExpedite: (data) => {
      expedites.push(data);
      return Promise.resolve();
    },
    knownSerials: (org) => Promise.resolve(new Set(org === '549236' ? ['Q2KN-7XWD-3PLM'] : [])),
    log: (level, message) => logs.push(`${level} ${message}`),
    now: () => clock,
  };
});

describe('POST /api/meraki/webhook', () => {
  it('lands an authenticated failover alert, observes it, expedites the cycle and answers 200', async () => {
    const response = await handleMerakiWebhook(request({ ...failover, sharedSecret: SECRET }), deps);
    expect(response.status).toBe(200);
    const rows = ingestion.rows(streams.merakiEvent.stream);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ EventSource: 'webhook', EventType: 'failover_event' });
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    expect(observers.record.observed.map((o) => o.stream)).toEqual(['merakiEvent']);
    expect(observers.record.flushes).toBe(1);
    expect(expedites).toEqual([{ reason: 'merakiWebhook', alertTypeId: 'failover_event', eventId: rows[0]?.EventId }]);
    expect(response.jsonBody).toMatchObject({ status: 'landed', expedited: true });
    expect(webhookCounters()).toMatchObject({ accepted: 1, expedited: 1, unauthorized: 0 });
  });

  it.each([
    ['a wrong secret', { sharedSecret: `${SECRET}x` }],
    ['a secret differing only in case', { sharedSecret: SECRET.toUpperCase() }],
    ['an empty secret', { sharedSecret: '' }],
    ['no secret', {}],
    ['a non-string secret', { sharedSecret: 12345 }],
  ])('refuses %s with 401, lands nothing, counts it, and never logs the body', async (_name, secret) => {
    const body = { ...failover, ...secret, alertData: { marker: 'do-not-log-me' } };
    delete (body as Record<string, unknown>).sharedSecret;
    Object.assign(body, secret);
    const response = await handleMerakiWebhook(request(body), deps);
    expect(response.status).toBe(401);
    expect(ingestion.calls).toBe(0);
    expect(expedites).toEqual([]);
    expect(webhookCounters().unauthorized).toBe(1);
    expect(logs.join('\n')).not.toContain('do-not-log-me');
    expect(logs.join('\n')).not.toContain(SECRET);
  });

  it('refuses everything with 401 when no secret is configured', async () => {
    const open = parseConfig({
      ...BASE_TEST_ENV,
      SENTRY_MERAKI_WEBHOOK_SECRET: '',
      SENTRY_STORAGE_CONNECTION: 'UseDevelopmentStorage=true',
    });
    const response = await handleMerakiWebhook(request({ ...failover, sharedSecret: '' }), { ...deps, config: open });
    expect(response.status).toBe(401);
    expect(logs.join('\n')).toContain('SENTRY_MERAKI_WEBHOOK_SECRET is not set');
  });

  it('answers 400 to bodies that are not JSON objects and 413 to oversized ones, landing nothing', async () => {
    expect((await handleMerakiWebhook(request('{"sharedSecret": '), deps)).status).toBe(400);
    expect((await handleMerakiWebhook(request([failover]), deps)).status).toBe(400);
    expect(
      (await handleMerakiWebhook(request({ ...failover, sharedSecret: SECRET, pad: 'x'.repeat(300_000) }), deps))
        .status,
    ).toBe(413);
    expect((await handleMerakiWebhook(request('{}', { 'content-length': '9999999' }), deps)).status).toBe(413);
    expect(ingestion.calls).toBe(0);
    expect(webhookCounters().malformed).toBe(4);
  });

  it('quarantines an authenticated alert that does not validate (secret redacted) and answers 202', async () => {
    const response = await handleMerakiWebhook(
      request({ ...failover, occurredAt: 'yesterday', sharedSecret: SECRET }),
      deps,
    );
    expect(response.status).toBe(202);
    const quarantined = ingestion.rows(streams.quarantine.stream);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatchObject({ Source: 'merakiEvent' });
    expect(String(quarantined[0]?.Reason)).toContain('occurredAt');
    expect(String(quarantined[0]?.Raw)).not.toContain(SECRET);
    expect(expedites).toEqual([]);
  });

  it.each([
    [
      'an organization Sentry does not collect',
      { organizationId: '999999' },
      'organization 999999 is not one Sentry collects',
    ],
    [
      'a device that is not one of the organization’s appliances',
      { deviceSerial: 'Q2XX-FAKE-0001' },
      'device Q2XX-FAKE-0001 is not an appliance',
    ],
    ['a time in the future', { occurredAt: '2026-11-22T10:12:41Z' }, 'is in the future'],
    ['a time older than the webhook age limit', { occurredAt: '2026-11-20T09:12:41Z' }, 'is older than 1440 min'],
  ])(
    'quarantines an authenticated alert for %s: landed with its reason, never detected on, no cycle expedited',
    async (_name, change, reason) => {
      const response = await handleMerakiWebhook(request({ ...failover, ...change, sharedSecret: SECRET }), deps);
      expect(response.status).toBe(202);
      expect(ingestion.rows(streams.merakiEvent.stream)).toEqual([]);
      const quarantined = ingestion.rows(streams.quarantine.stream);
      expect(String(quarantined[0]?.Reason)).toContain(reason);
      expect(observers.record.observed).toEqual([]);
      expect(expedites).toEqual([]);
    },
  );

  it('answers 503 (nothing landed) when the appliance list cannot be read, so the sender retries', async () => {
    const response = await handleMerakiWebhook(request({ ...failover, sharedSecret: SECRET }), {
      ...deps,
      knownSerials: () => Promise.reject(new Error('Table Storage failed (HTTP 503)')),
    });
    expect(response.status).toBe(503);
    expect(ingestion.calls).toBe(0);
  });

  it('answers 503 when the alert cannot be landed, so the sender can retry', async () => {
    ingestion.failWith = () => httpError(503);
    const response = await handleMerakiWebhook(request({ ...failover, sharedSecret: SECRET }), { ...deps });
    expect(response.status).toBe(503);
    expect(expedites).toEqual([]);
    expect(webhookCounters().failed).toBe(1);
  }, 20_000);

  it('expedites only failover-family alerts, at most once per debounce interval, and survives a stopped cycle', async () => {
    await handleMerakiWebhook(request({ ...failover, alertTypeId: 'settings_changed', sharedSecret: SECRET }), deps);
    expect(expedites).toHaveLength(0);
    await handleMerakiWebhook(request({ ...failover, sharedSecret: SECRET }), deps);
    await handleMerakiWebhook(request({ ...failover, alertId: '123', sharedSecret: SECRET }), deps);
    expect(expedites).toHaveLength(1);
    clock += 6_000;
    const failing: MerakiWebhookDeps = {
      ...deps,
      raiseExpedite: () => Promise.reject(new Error('No instance with ID sentry-cycle (HTTP 404)')),
    };
    const response = await handleMerakiWebhook(request({ ...failover, alertId: '124', sharedSecret: SECRET }), failing);
    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({ expedited: false });
    expect(ingestion.rows(streams.merakiEvent.stream)).toHaveLength(4);
  });

  it('compares secrets in constant time over digests, whatever their lengths', () => {
    expect(secretMatches('abc', 'abc')).toBe(true);
    expect(secretMatches('abc', 'abd')).toBe(false);
    expect(secretMatches('', 'abc')).toBe(false);
    expect(secretMatches('a'.repeat(10_000), 'a')).toBe(false);
  });
});
