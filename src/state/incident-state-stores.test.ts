/**
 * The incident tables on Azurite (real Table Storage protocol): replay claims hold across store
 * instances (= app instances), snoozes expire and are never shortened, the action ledger and the
 * incident summary round-trip, and over-long keys are hashed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startAzurite, type AzuriteInstance } from '../../dev/emulators/azurite';
import { parseConfig, type Config } from '../config';
import { IncidentStore, tableKey } from './incidents';
import { SignatureReplayStore } from './signatures';
import { isSnoozed, SnoozeStore } from './snoozes';

let location: string;
let azurite: AzuriteInstance;
let config: Config;

beforeAll(async () => {
  location = await mkdtemp(join(tmpdir(), 'incident-state-'));
  azurite = await startAzurite({ location });
  config = parseConfig({
    SENTRY_SOURCES: 'slackAudit',
    SENTRY_SLACK_AUDIT_TOKEN: 'xoxp-test',
    SENTRY_INGESTION_ENDPOINT: 'https://ingest.example',
    SENTRY_DCR_IMMUTABLE_ID: 'dcr-test',
    SENTRY_STORAGE_CONNECTION: azurite.connectionString,
  });
}, 60_000);

afterAll(async () => {
  await azurite.stop();
  await rm(location, { recursive: true, force: true });
});

describe('SignatureReplayStore', () => {
  it('accepts a signature once, across instances, and keys by the request time bucket', async () => {
    const now = () => 1_772_445_600_000;
    const a = new SignatureReplayStore(config, now);
    const b = new SignatureReplayStore(config, now);
    const sig = 'ab'.repeat(32);
    expect(await a.claim(sig, 1_772_445_600)).toBe(true);
    expect(await b.claim(sig, 1_772_445_600)).toBe(false);
    expect(await b.claim(sig.toUpperCase(), 1_772_445_600)).toBe(false);
    expect(await b.claim('cd'.repeat(32), 1_772_445_600)).toBe(true);
  });

  it('prunes claims older than the signature window', async () => {
    const old = new SignatureReplayStore(config, () => 1_772_000_000_000);
    expect(await old.claim('ef'.repeat(32), 1_772_000_000)).toBe(true);
    const later = new SignatureReplayStore(config, () => 1_772_445_600_000);
    expect(await later.prune()).toBeGreaterThanOrEqual(1);
    // Pruned: the old signature could be claimed again, but the timestamp check refuses it long before.
    expect(await later.claim('ef'.repeat(32), 1_772_000_000)).toBe(true);
    expect(await later.claim('ab'.repeat(32), 1_772_445_600)).toBe(false);
  });
});

describe('SnoozeStore / isSnoozed', () => {
  it('allowlists a subject for a detection until the end time, and never shortens it', async () => {
    const store = new SnoozeStore(config);
    const t = new Date('2026-03-02T10:00:00.000Z');
    expect(await isSnoozed('slack.audit.anomaly', 'W0BOB0001', t, config)).toBe(false);
    await store.snooze({ detectionId: 'slack.audit.anomaly', subject: 'W0BOB0001', until: '2026-03-09T10:00:00.000Z', by: 'W0ALICE01', incidentId: 'incident-x', createdAt: t.toISOString() });
    expect(await isSnoozed('slack.audit.anomaly', 'W0BOB0001', t, config)).toBe(true);
    expect(await isSnoozed('slack.audit.anomaly', 'W0BOB0001', new Date('2026-03-09T10:00:00.001Z'), config)).toBe(false);
    expect(await isSnoozed('slack.audit.mass-download', 'W0BOB0001', t, config)).toBe(false);
    expect(await isSnoozed('slack.audit.anomaly', 'W0CAROL01', t, config)).toBe(false);
    const kept = await store.snooze({ detectionId: 'slack.audit.anomaly', subject: 'W0BOB0001', until: '2026-03-03T10:00:00.000Z', by: 'W0CAROL01', incidentId: 'incident-y', createdAt: t.toISOString() });
    expect(kept.until).toBe('2026-03-09T10:00:00.000Z');
  });

  it('takes subjects with characters Table keys forbid, and very long ones', async () => {
    const store = new SnoozeStore(config);
    const subject = `W0BOB0001|203.0.113.5/#?\\${'x'.repeat(2000)}`;
    await store.snooze({ detectionId: 'slack.audit.mass-download', subject, until: '2026-03-09T10:00:00.000Z', by: 'W0ALICE01', incidentId: 'i', createdAt: '2026-03-02T10:00:00.000Z' });
    expect(await store.isSnoozed('slack.audit.mass-download', subject, new Date('2026-03-02T10:00:00.000Z'))).toBe(true);
    expect(tableKey(subject)).toMatch(/^h-[0-9a-f]{64}$/);
  });
});

describe('IncidentStore', () => {
  it('keeps the action ledger and the summary per incident', async () => {
    const store = new IncidentStore(config);
    expect(await store.get('incident-a', 'resetSessions:W0BOB0001')).toBeUndefined();
    await store.put('incident-a', { key: 'resetSessions:W0BOB0001', status: 'succeeded', summary: 'done', details: { userId: 'W0BOB0001' }, attempts: 1, updatedAt: '2026-03-02T10:00:00.000Z' });
    expect(await store.get('incident-a', 'resetSessions:W0BOB0001')).toEqual({ key: 'resetSessions:W0BOB0001', status: 'succeeded', summary: 'done', details: { userId: 'W0BOB0001' }, attempts: 1, updatedAt: '2026-03-02T10:00:00.000Z' });
    expect(await store.get('incident-b', 'resetSessions:W0BOB0001')).toBeUndefined();
    await store.saveSummary({ incidentId: 'incident-a', detectionId: 'd', status: 'open', count: 4, lastSeen: '2026-03-02T09:00:00.000Z', channel: 'C1', messageTs: '1.2', updatedAt: '2026-03-02T10:00:00.000Z' });
    expect(await store.getSummary('incident-a')).toMatchObject({ status: 'open', count: 4, messageTs: '1.2' });
    expect(await store.getSummary('incident-zzz')).toBeUndefined();
  });
});
