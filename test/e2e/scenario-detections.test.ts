/**
 * The detections end to end on the local stack: the scenario's 14 days of history, read by the real
 * collection path, raise exactly the findings its injected incidents are tagged with, and the benign
 * background none.
 *
 * The unmodified app runs on the local Functions host against the Slack and Meraki emulators serving
 * the scenario. Slack history arrives the way an operator would bring it in: a 14-day backfill through
 * `POST /api/ops/backfill` (the backfill orchestration, one `collectSlackAudit` activity per daily
 * window, its observer marking the windows it touched). Meraki history can only come from the network
 * events API, which the live cycle reads back `SENTRY_MERAKI_EVENTS_LOOKBACK_HOURS` on its first turn
 * per network (polls see only the present, and past webhooks were sent before the app existed). The
 * eternal cycle then evaluates what changed: detections judge each window at its own items' times,
 * not at the cycle's, so one evaluation after the backfill finds incidents days old.
 *
 * Findings are read where an operator sees them: the findings table (Azurite), the SentryFinding_CL
 * rows in the ingestion emulator, and the alerts posted on the Slack emulator's incident channel.
 * Everything is fitted to a short run by settings only (daily windows, 9999-entry pages,
 * every Meraki network's events in one cycle).
 */
import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_HOST_KEYS } from '../../dev/host/http';
import type { Stack } from '../../dev/stack';
import { type Config, parseConfig } from '../../src/config';
import type { FindingRecord } from '../../src/detections/evaluate';
import { TableFindingStore } from '../../src/state/findings';
import {
  attributeFindings,
  attributionProblems,
  expectedFindings,
  type SeenFinding,
  stackDetectionsConfig,
} from '../helpers/scenario-detections';
import { startTestStack, type TestStack } from '../helpers/test-stack';

const DAYS = 14;
const SEED = 20260302;
let e2e: TestStack;
let stack: Stack;
let config: Config;
const timings: Record<string, number> = {};
const t0 = Date.now();
let findings: FindingRecord[] = [];

interface CycleStatus {
  cycle?: number;
  cycleId?: string;
  phase?: string;
  findings?: number;
  problems?: string[];
}

async function cycleStatus(): Promise<CycleStatus | undefined> {
  const response = await fetch(
    `${stack.urls.app}/runtime/webhooks/durabletask/instances/sentry-cycle?taskHub=SentryLocal&code=${DEFAULT_HOST_KEYS.system}`,
  );
  // Durable answers 202 while the instance runs (the eternal cycle always does), 200 once it ended.
  if (response.status !== 200 && response.status !== 202) return undefined;
  return ((await response.json()) as { customStatus?: CycleStatus }).customStatus;
}

/** Waits for a whole cycle that started at or after `sinceMs` (its evaluation and dispatch are done). */
async function cycleAfter(sinceMs: number, timeoutMs: number): Promise<CycleStatus> {
  return e2e.waitFor(
    `a cycle started after ${new Date(sinceMs).toISOString()} to finish`,
    async () => {
      const status = await cycleStatus();
      const started = Date.parse(status?.cycleId?.split('#')[0] ?? '');
      return status?.phase === 'waiting' && started >= sinceMs ? status : undefined;
    },
    timeoutMs,
  );
}

const keyOf = (f: SeenFinding) => `${f.detectionId}|${f.subjectId}`;

beforeAll(async () => {
  // The scenario's history ends now, so the stack serves it as a live org would.
  const now = Date.now();
  e2e = await startTestStack('scenario-detections', {
    seed: SEED,
    days: DAYS,
    now,
    live: false,
    // The cycle runs when the host starts and then only when asked (POST /api/ops/cycle), so the test
    // decides when evaluation happens instead of racing a timer.
    pollIntervalSeconds: 3600,
    hostStartTimeoutMs: 60_000,
    scenarioAppSettings: (scenario) => ({
      SENTRY_DETECTIONS_CONFIG: JSON.stringify(stackDetectionsConfig(scenario.meta)),
    }),
    appSettings: {
      // Slack: whole days per window and per page (the audit API allows 9999 entries a page), so a
      // 14-day backfill is ~15 calls, inside the Tier 3 budget's burst and pace; the live cycle itself
      // only reads the last hour (the backfill brings the rest).
      SENTRY_SLACK_AUDIT_PAGE_SIZE: '9999',
      SENTRY_SLACK_AUDIT_WINDOW_SECONDS: '86400',
      SENTRY_SLACK_AUDIT_LOOKBACK_HOURS: '1',
      SENTRY_SLACK_AUDIT_LAG_SECONDS: '3',
      // Meraki: every network's event history on its first turn, all networks of an org per cycle.
      SENTRY_MERAKI_EVENTS_LOOKBACK_HOURS: String(DAYS * 24 + 1),
      SENTRY_MERAKI_MAX_CALLS_PER_CYCLE: '8',
      SENTRY_MIN_CYCLE_GAP_SECONDS: '1',
      // Responses would write audit entries of their own; this test is about what is detected.
      SENTRY_INCIDENT_AUTO_ACTIONS: 'none',
    },
  });
  stack = e2e.stack;
  config = parseConfig(stack.appSettings);
  timings.stackStarted = Date.now() - t0;
}, 120_000);

/** CPU seconds a child process has used so far (Linux), for a run-time report independent of load. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields =
      readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
        .split(') ')[1]
        ?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** CPU seconds so far of Azurite, the app's host, and this process (the emulators run in it). */
function cpuNow(): Record<string, number | undefined> {
  const own = process.cpuUsage();
  return {
    azurite: cpuSeconds(stack.azurite.pid),
    host: cpuSeconds(stack.host?.child.pid),
    testAndEmulators: Math.round((own.user + own.system) / 1e4) / 100,
  };
}
const cpuAt: Record<string, Record<string, number | undefined>> = {};

afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
  if (e2e === undefined) return;
  cpuAt.end = cpuNow();
  process.stdout.write(
    `scenario-detections e2e: ms since start ${JSON.stringify(timings)}, CPU seconds ${JSON.stringify(cpuAt)}\n`,
  );
  await e2e.stop();
}, 60_000);

describe('the scenario on the local stack, through backfill, collection, evaluation and alerts', () => {
  it('backfills 14 days of Slack audit history through POST /api/ops/backfill', async () => {
    const scenario = stack.scenario;
    const oldest = Math.floor(scenario.meta.windowStart / 1000);
    const latest = Math.floor(scenario.meta.now / 1000);
    const started = await fetch(`${stack.urls.app}/api/ops/backfill?code=${DEFAULT_HOST_KEYS.function}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: oldest, to: latest, windowMinutes: 1440 }),
    });
    expect(started.status).toBe(202);
    const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
    const final = await e2e.waitFor(
      'the backfill to complete',
      async () => {
        const status = (await (await fetch(statusQueryGetUri)).json()) as {
          runtimeStatus: string;
          output?: { windows: number; rows: number; quarantined: number; total: number };
        };
        if (status.runtimeStatus === 'Failed') throw new Error(`backfill failed: ${JSON.stringify(status.output)}`);
        return status.runtimeStatus === 'Completed' ? status : undefined;
      },
      90_000,
    );
    timings.backfillDone = Date.now() - t0;
    cpuAt.backfillDone = cpuNow();
    const entries = scenario.slack.auditEntries.filter((e) => e.date_create >= oldest && e.date_create <= latest);
    expect(final.output).toMatchObject({ windows: DAYS + 1, total: DAYS + 1, rows: entries.length, quarantined: 0 });
  }, 120_000);

  it('reads every Meraki network’s event history and evaluates everything in the next cycle', async () => {
    // The first cycle (at host start) listed the Meraki inventory; the next reads each network's
    // events back to the lookback, then evaluates every window marked since: the backfill's and the
    // events'. The operator's "run a cycle now" (POST /api/ops/cycle) saves waiting out the poll.
    await cycleAfter(t0, 30_000);
    const requested = Date.now();
    const expedite = await fetch(`${stack.urls.app}/api/ops/cycle`, {
      method: 'POST',
      headers: { 'x-functions-key': DEFAULT_HOST_KEYS.function },
    });
    expect(expedite.status).toBe(202);
    const status = await cycleAfter(requested, 90_000);
    timings.evaluated = Date.now() - t0;
    cpuAt.evaluated = cpuNow();
    expect(status.problems ?? []).toEqual([]);
    const events = new Set(
      stack.ingestion
        .query('SentryMerakiEvent_CL', { limit: Number.POSITIVE_INFINITY })
        .filter((r) => r.EventSource !== 'webhook')
        .map((r) => String(r.EventId)),
    );
    expect(events.size).toBe(stack.scenario.meraki.events.length);
  }, 150_000);

  it('finds exactly the tagged findings of every incident, and none in the benign background', async () => {
    findings = (await new TableFindingStore(config).list()).map((s) => s.record);
    const seen = findings.map((f) => ({ detectionId: f.detectionId, subjectId: f.subject.id }));
    expect(attributionProblems(attributeFindings(stack.scenario, seen))).toEqual([]);
    expect(stack.scenario.incidents.length).toBeGreaterThanOrEqual(15);
    expect(seen.map(keyOf).sort()).toEqual(expectedFindings(stack.scenario));
    // Each finding is about its incident's own time, days before the evaluation that raised it.
    const bySubject = new Map(stack.scenario.incidents.map((i) => [i.subject, i] as const));
    const misplaced = findings.flatMap((f) => {
      const incident = bySubject.get(f.subject.id);
      if (incident === undefined) return [];
      const overlaps = f.lastSeen * 1000 >= incident.startAt && f.firstSeen * 1000 <= incident.endAt;
      return overlaps
        ? []
        : [
            `${incident.id}: finding ${new Date(f.firstSeen * 1000).toISOString()}..${new Date(f.lastSeen * 1000).toISOString()}`,
          ];
    });
    expect(misplaced).toEqual([]);
    const oldest = Math.min(...findings.map((f) => f.lastSeen));
    expect(Date.now() / 1000 - oldest).toBeGreaterThan(10 * 86_400);
  });

  it('lands every finding as a SentryFinding_CL row, and nothing else', async () => {
    expect(findings).toHaveLength(expectedFindings(stack.scenario).length);
    const rows = await e2e.waitFor(
      'a finding row per finding',
      () => {
        const landed = stack.ingestion.query('SentryFinding_CL', { limit: Number.POSITIVE_INFINITY });
        return new Set(landed.map((r) => String(r.EventId))).size >= findings.length ? landed : undefined;
      },
      15_000,
    );
    const seen = rows.map((r) => ({ detectionId: String(r.DetectionId), subjectId: String(r.SubjectId) }));
    // A finding grown by a later cycle lands again with the same EventId: count distinct findings.
    const distinct = [...new Map(rows.map((r, i) => [String(r.EventId), seen[i]] as const)).values()].filter(
      (f): f is SeenFinding => f !== undefined,
    );
    expect(attributionProblems(attributeFindings(stack.scenario, distinct))).toEqual([]);
    expect(new Set(rows.map((r) => String(r.EventId)))).toEqual(new Set(findings.map((f) => f.findingId)));
  }, 30_000);

  it('posts one alert per finding on the incident channel, and no other alert', async () => {
    const channel = stack.appSettings.SENTRY_SLACK_INCIDENT_CHANNEL ?? '';
    const alerts = () =>
      stack.slack.state.getMessages(channel).filter((m) => m.thread_ts === undefined && m.text.includes('incident-'));
    const expected = findings.map((f) => f.incidentId).sort();
    expect(expected).toHaveLength(expectedFindings(stack.scenario).length);
    const posted = await e2e.waitFor(
      `an alert for each of ${expected.length} incidents`,
      () => {
        const list = alerts();
        return expected.every((id) => list.some((m) => m.text.includes(id))) ? list : undefined;
      },
      30_000,
      () => {
        const list = alerts();
        return `; missing: ${expected.filter((id) => !list.some((m) => m.text.includes(id))).join(', ')}`;
      },
    );
    timings.alertsPosted = Date.now() - t0;
    const ids = posted.map((m) => /incident-[^\s|]+/.exec(m.text)?.[0] ?? m.text).sort();
    expect(ids).toEqual(expected);
  }, 45_000);
});
