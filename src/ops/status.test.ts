import { describe, expect, it } from 'vitest';

import type { FindingRecord } from '../detections/evaluate';
import type { CheckpointRecord } from '../state/checkpoints';
import type { HourBucket } from '../state/cycle-hours';
import type { CycleRecord } from '../state/cycles';
import type { IncidentSummary } from '../state/incidents';
import {
  buildOpsStatus,
  lagThresholdSeconds,
  MAX_LISTED_INCIDENTS,
  type OpsSnapshot,
  type OrchestrationSnapshot,
} from './status';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const at = (offsetSeconds: number) => new Date(NOW.getTime() + offsetSeconds * 1000).toISOString();

function record(source: string, org: string, over: Partial<CycleRecord> = {}): CycleRecord {
  return {
    source,
    org,
    lastCycleId: `${at(-60)}#9`,
    lastAttemptAt: at(-60),
    lastOk: true,
    lastSuccessCycleId: `${at(-60)}#9`,
    lastSuccessAt: at(-60),
    last: { rows: 120, quarantined: 2, apiCalls: 3, bytes: 48_000 },
    totals: { rows: 10_000, quarantined: 20, apiCalls: 400, bytes: 4_000_000, cycles: 10, failures: 1 },
    lastErrorCode: undefined,
    lastErrorMessage: undefined,
    details: undefined,
    ...over,
  };
}

function bucket(
  source: string,
  org: string,
  hour: string,
  rows: number,
  apiCalls: number,
  over: Partial<HourBucket> = {},
): HourBucket {
  return { hour, source, org, rows, quarantined: 1, apiCalls, bytes: rows * 100, cycles: 1, failures: 0, ...over };
}

function checkpoint(source: string, org: string, value: unknown, updatedAt: string): CheckpointRecord<unknown> {
  return { source, org, value, etag: 'W/"1"', updatedAt };
}

function finding(
  incidentId: string,
  severity: FindingRecord['severity'],
  firstSeen: number,
  title = `title of ${incidentId}`,
): FindingRecord {
  return {
    detectionId: 'slack.audit.mass-download',
    dedupeKey: incidentId,
    findingId: `f-${incidentId}`,
    incidentId,
    severity,
    title,
    count: 3,
    firstSeen,
    lastSeen: firstSeen + 60,
    lastEventT: firstSeen + 60,
    subject: { type: 'user', id: 'U1' },
    evidence: {},
    eventIds: [],
    sourceOrg: 'E1',
    createdCycle: 'c',
    updatedCycle: 'c',
    isNew: false,
    expiresAt: firstSeen + 86_400,
  };
}

function summary(incidentId: string, status: string): IncidentSummary {
  return {
    incidentId,
    detectionId: 'slack.audit.mass-download',
    status,
    count: 3,
    lastSeen: at(-300),
    updatedAt: at(-300),
  };
}

function instance(
  name: string,
  instanceId: string,
  runtimeStatus: string,
  createdOffset: number,
  extra: Partial<OrchestrationSnapshot> = {},
): OrchestrationSnapshot {
  return {
    name,
    instanceId,
    runtimeStatus,
    createdTime: at(createdOffset),
    lastUpdatedTime: at(createdOffset + 10),
    customStatus: null,
    ...extra,
  };
}

function snapshot(over: Partial<OpsSnapshot> = {}): OpsSnapshot {
  return {
    now: NOW,
    version: '0.1.0',
    pollIntervalSeconds: 60,
    slackLagSeconds: 60,
    merakiMaxCallsPerCycle: 2,
    applicationInsights: false,
    targets: [
      { source: 'slackAudit', org: 'E1' },
      { source: 'meraki', org: '111' },
      { source: 'meraki', org: '222' },
    ],
    cycles: [
      record('slackAudit', 'E1'),
      record('meraki', '111', { last: { rows: 40, quarantined: 0, apiCalls: 2, bytes: 9000 } }),
      record('meraki', '999'),
      record('cycle', 'latest', { details: { targets: 3, failed: 0 } }),
    ],
    checkpoints: [
      checkpoint('slackAudit', 'E1', { at: Math.floor(NOW.getTime() / 1000) - 125, seenIds: ['a'] }, at(-30)),
      checkpoint('meraki', '111', { cycle: 4, plan: {} }, at(-45)),
    ],
    hours: [
      bucket('slackAudit', 'E1', '2026-11-23T12:00:00.000Z', 100, 10),
      bucket('slackAudit', 'E1', '2026-11-22T13:00:00.000Z', 50, 5),
      bucket('slackAudit', 'E1', '2026-11-22T12:00:00.000Z', 9999, 999), // outside the 24 hours
      bucket('meraki', '111', '2026-11-23T11:00:00.000Z', 30, 2, { failures: 1, cycles: 2 }),
      bucket('cycle', 'all', '2026-11-23T12:00:00.000Z', 130, 12, { cycles: 2 }),
    ],
    incidents: [
      summary('inc-low', 'open'),
      summary('inc-critical', 'acknowledged'),
      summary('inc-closed', 'closed'),
      summary('inc-orphan', 'open'),
    ],
    findings: [
      finding('inc-low', 'low', 1_763_800_000),
      finding('inc-critical', 'critical', 1_763_700_000),
      finding('inc-closed', 'high', 1_763_900_000),
    ],
    cycleInstance: instance('cycle', 'sentry-cycle', 'Running', -3600, {
      customStatus: { phase: 'waiting', cycleId: `${at(-60)}#9` },
    }),
    instances: [
      instance('cycle', 'sentry-cycle', 'Running', -3600),
      instance('backfill', 'backfill-old', 'Completed', -7200, {
        input: { request: { source: 'slackAudit', oldest: 1_763_000_000, latest: 1_763_003_599, windowSeconds: 3600 } },
      }),
      instance('backfill', 'backfill-new', 'Running', -100, {
        customStatus: { phase: 'collecting', windowsDone: 2, windowsTotal: 5 },
      }),
      instance('incident', 'incident-a', 'Running', -500),
      instance('incident', 'incident-b', 'Completed', -900),
    ],
    detections: [
      {
        id: 'slack.audit.mass-download',
        title: 'Slack mass file download',
        state: 'learning',
        note: 'Learning its baseline until 2026-11-25T12:00:00.000Z; …',
        learningDays: 7,
        observingSince: at(-5 * 86_400),
        learningUntil: '2026-11-25T12:00:00.000Z',
        assumes: null,
      },
      {
        id: 'slack.audit.privilege-escalation',
        title: 'Made owner',
        state: 'active',
        note: null,
        learningDays: 0,
        observingSince: at(-5 * 86_400),
        learningUntil: null,
        assumes: null,
      },
    ],
    problems: [],
    ...over,
  };
}

describe('buildOpsStatus', () => {
  it('reports each configured source/org with its last cycle, checkpoint lag, counts, quarantine and budget', () => {
    const status = buildOpsStatus(snapshot());
    expect(status.status).toBe('ok');
    expect(status.generatedAt).toBe(NOW.toISOString());
    expect(status.sources.map((s) => `${s.source}/${s.org}:${String(s.configured)}`)).toEqual([
      'slackAudit/E1:true',
      'meraki/111:true',
      'meraki/222:true',
      'meraki/999:false',
    ]);
    const slack = status.sources[0];
    expect(slack).toMatchObject({
      lastCycle: { cycleId: `${at(-60)}#9`, at: at(-60), ok: true, error: null },
      lastSuccess: { at: at(-60), ageSeconds: 60 },
      checkpoint: { at: at(-125), savedAt: at(-30), lagSeconds: 125 },
      lastCycleCounts: { rows: 120, bytes: 48_000, quarantined: 2, apiCalls: 3 },
      last24h: { rows: 150, bytes: 15_000, quarantined: 2, apiCalls: 15, cycles: 2, failures: 0 },
      totals: { rows: 10_000, cycles: 10, failures: 1 },
      quarantine: { lastCycle: 2, last24h: 2, total: 20 },
      apiBudget: { lastCycle: 3, last24h: 15, perCycleLimit: null, vendorCallsPerMinute: 50 },
    });
    // 15 calls of the 72,000 the Tier 3 limit allows in a day.
    expect(slack?.apiBudget.last24hPercentOfVendorLimit).toBe(0.0208);

    const meraki = status.sources[1];
    // The Meraki org state carries no event time: its checkpoint is when the poll last completed.
    expect(meraki?.checkpoint).toMatchObject({
      at: at(-45),
      lagSeconds: 45,
      meaning: 'last completed poll of the organization',
    });
    expect(meraki?.last24h).toEqual({ rows: 30, bytes: 3000, quarantined: 1, apiCalls: 2, cycles: 2, failures: 1 });
    expect(meraki?.apiBudget).toMatchObject({ lastCycle: 2, perCycleLimit: 2, vendorCallsPerMinute: 600 });

    // Configured but never collected: shown, with nothing invented.
    expect(status.sources[2]).toMatchObject({
      lastCycle: null,
      lastSuccess: null,
      checkpoint: null,
      lastCycleCounts: null,
      last24h: { rows: 0, cycles: 0 },
      quarantine: { lastCycle: null, last24h: 0, total: null },
    });
    expect(status.cycle).toEqual({
      latest: { cycleId: `${at(-60)}#9`, at: at(-60), ok: true, targets: 3, failed: 0 },
      last24h: { rows: 130, bytes: 13_000, quarantined: 1, apiCalls: 12, cycles: 2, failures: 0 },
    });
  });

  it('lists open incidents by severity with detection time, and counts them all', () => {
    const { incidents } = buildOpsStatus(snapshot());
    expect(incidents?.open).toBe(3);
    expect(incidents?.bySeverity).toEqual({ critical: 1, low: 1, unknown: 1 });
    expect(incidents?.list.map((i) => [i.incidentId, i.severity, i.status])).toEqual([
      ['inc-critical', 'critical', 'acknowledged'],
      ['inc-low', 'low', 'open'],
      ['inc-orphan', null, 'open'],
    ]);
    expect(incidents?.list[0]).toMatchObject({
      firstSeen: new Date(1_763_700_000 * 1000).toISOString(),
      title: 'title of inc-critical',
      count: 3,
    });

    const many = Array.from({ length: MAX_LISTED_INCIDENTS + 5 }, (_, i) =>
      summary(`inc-${String(i).padStart(3, '0')}`, 'open'),
    );
    const big = buildOpsStatus(snapshot({ incidents: many, findings: [] })).incidents;
    expect(big?.open).toBe(MAX_LISTED_INCIDENTS + 5);
    expect(big?.list).toHaveLength(MAX_LISTED_INCIDENTS);
  });

  it('shows the eternal cycle and backfills (newest first, with their range), and counts running incidents', () => {
    const { orchestrations } = buildOpsStatus(snapshot());
    expect(orchestrations.cycle).toMatchObject({
      instanceId: 'sentry-cycle',
      runtimeStatus: 'Running',
      customStatus: { phase: 'waiting' },
    });
    expect(orchestrations.backfills?.map((b) => b.instanceId)).toEqual(['backfill-new', 'backfill-old']);
    expect(orchestrations.backfills?.[0]).toMatchObject({
      request: null,
      customStatus: { windowsDone: 2, windowsTotal: 5 },
    });
    expect(orchestrations.backfills?.[1]?.request).toEqual({
      source: 'slackAudit',
      from: new Date(1_763_000_000_000).toISOString(),
      to: new Date(1_763_003_599_000).toISOString(),
      windowSeconds: 3600,
    });
    expect(orchestrations.runningIncidents).toBe(1);
  });

  it('says what needs attention: a failed target, a lagging checkpoint, a stopped or missing cycle, a failed backfill', () => {
    const threshold = lagThresholdSeconds(60);
    expect(threshold).toBe(900);
    const status = buildOpsStatus(
      snapshot({
        cycles: [
          record('slackAudit', 'E1'),
          record('meraki', '111', {
            lastOk: false,
            lastErrorCode: 'collector_auth_failed',
            lastErrorMessage: '[collector_auth_failed] 401',
          }),
        ],
        checkpoints: [
          // Slack is allowed its configured lag on top of the threshold: 960 s is fine, 961 s is not.
          checkpoint('slackAudit', 'E1', { at: Math.floor(NOW.getTime() / 1000) - 961, seenIds: [] }, at(-5)),
          checkpoint('meraki', '111', { cycle: 1, plan: {} }, at(-900)),
        ],
        cycleInstance: instance('cycle', 'sentry-cycle', 'Failed', -100),
        instances: [instance('backfill', 'backfill-x', 'Failed', -100)],
      }),
    );
    expect(status.status).toBe('degraded');
    expect(status.attention).toEqual([
      'The cycle orchestration is Failed.',
      'slackAudit/E1: the checkpoint lags 961 s (more than 960 s).',
      'meraki/111: the last cycle failed (collector_auth_failed).',
      'Backfill backfill-x failed.',
    ]);
    expect(status.sources[1]?.lastCycle?.error).toEqual({
      code: 'collector_auth_failed',
      message: '[collector_auth_failed] 401',
    });

    const missing = buildOpsStatus(snapshot({ cycleInstance: null }));
    expect(missing.attention[0]).toMatch(/does not exist yet/);
    expect(missing.orchestrations.cycle).toBeNull();
  });

  it('counts detections by state and lists the ones not judging with everything they need', () => {
    const status = buildOpsStatus(snapshot());
    expect(status.detections?.total).toBe(2);
    expect(status.detections?.byState).toEqual({ active: 1, learning: 1, 'needs-configuration': 0, disabled: 0 });
    expect(status.detections?.list.map((d) => d.id)).toEqual(['slack.audit.mass-download']);
    // Learning is expected after install: it does not degrade the status.
    expect(status.attention).toEqual([]);
    expect(buildOpsStatus(snapshot({ detections: undefined })).detections).toBeNull();
  });

  it('leaves sections it could not read empty and reports the problems', () => {
    const status = buildOpsStatus(
      snapshot({
        checkpoints: undefined,
        hours: undefined,
        incidents: undefined,
        cycleInstance: undefined,
        instances: undefined,
        problems: ['checkpoints: Table Storage failed while listing checkpoints (HTTP 503)'],
      }),
    );
    expect(status.status).toBe('degraded');
    expect(status.problems).toEqual(['checkpoints: Table Storage failed while listing checkpoints (HTTP 503)']);
    expect(status.sources[0]).toMatchObject({
      checkpoint: null,
      last24h: null,
      apiBudget: { last24h: null, last24hPercentOfVendorLimit: null },
    });
    // What could be read is still there.
    expect(status.sources[0]?.lastCycleCounts).toEqual({ rows: 120, bytes: 48_000, quarantined: 2, apiCalls: 3 });
    expect(status.incidents).toBeNull();
    expect(status.cycle.last24h).toBeNull();
    expect(status.orchestrations).toEqual({ cycle: null, backfills: null, runningIncidents: null });
    // An unreadable cycle instance is a problem, not "missing".
    expect(status.attention.some((line) => line.includes('does not exist'))).toBe(false);
  });
});
