/**
 * dispatchIncidents on the local Durable host with the real DurableClient binding over HTTP: it
 * starts `incident` with the finding's instance id, raises findingUpdated on a running one instead
 * of opening another, restarts a failed one, leaves a closed one closed unless the finding is new,
 * and skips snoozed subjects.
 */
import { join } from 'node:path';

import type { DurableClient } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Harness, startHarness, waitForStatus } from '../../dev/host/durable/harness';
import { parseConfig } from '../../src/config';
import type { DispatchResult } from '../../src/activities/dispatch-incidents';
import { grantFor, INCIDENT_TEST_ENV, slackFinding, TEST_RESPONSE_KEY } from '../helpers/incidents';

let h: Harness;
let client: DurableClient;
const env = {
  config: parseConfig({
    ...INCIDENT_TEST_ENV,
    SENTRY_SLACK_ONCALL_GROUP: 'S0SECOPS1',
    SENTRY_INCIDENT_ESCALATION_MINUTES: '20',
  }),
  snoozed: new Set<string>(),
  summaries: new Map<string, { count: number; lastSeen: string }>(),
  cycles: new Map<string, unknown[]>(),
  responseKey: TEST_RESPONSE_KEY,
};

beforeAll(async () => {
  (globalThis as unknown as { __dispatchEnv: typeof env }).__dispatchEnv = env;
  h = await startHarness({
    appPath: join(__dirname, '../fixtures/incident-dispatch-app/index.js'),
    systemKey: 'dispatch-key',
    settings: {
      hubName: 'DispatchHub',
      maxConcurrentActivityFunctions: 4,
      maxConcurrentOrchestratorFunctions: 4,
      maxConcurrentEntityFunctions: 4,
    },
  });
  await h.invoker.invoke('ClientHolder', {
    trigger: { http: { method: 'GET', url: `${h.baseUrl}/api/client`, headers: {}, query: {}, params: {} } },
  });
  client = (globalThis as unknown as { __durableClient: DurableClient }).__durableClient;
});
afterAll(async () => {
  await h.close();
});

let cycles = 0;
/** One cycle's dispatch: the activity gets only the cycle id, and reads these findings for it. */
async function dispatch(findings: unknown[]): Promise<DispatchResult> {
  const cycleId = `cycle-${String((cycles += 1))}`;
  env.cycles.set(cycleId, findings);
  const id = await client.startNew('driveDispatch', { input: { cycleId } });
  const doc = await waitForStatus(h.extension, id);
  if (doc.runtimeStatus !== 'Completed')
    throw new Error(`dispatch ${doc.runtimeStatus}: ${JSON.stringify(doc.failureDetails ?? doc.output)}`);
  return JSON.parse(doc.output ?? 'null') as DispatchResult;
}

async function customStatus(id: string): Promise<{ updates: { count: number; findingId?: string }[] }> {
  return (await client.getStatus(id)).customStatus as { updates: { count: number; findingId?: string }[] };
}

describe('dispatchIncidents through the durable client binding', () => {
  const finding = slackFinding({ incidentId: 'incident-slack.audit.anomaly-host1', isNew: true });

  it('starts the incident with the finding’s instance id and the configured policy', async () => {
    expect(await dispatch([finding])).toEqual({
      started: ['incident-slack.audit.anomaly-host1'],
      updated: [],
      skipped: [],
      rejected: [],
    });
    await waitForStatus(h.extension, finding.incidentId, ['Running']);
    const status = await client.getStatus(finding.incidentId, { showInput: true });
    const policy = {
      channel: 'C0ALERTS1',
      escalateAfterMinutes: 20,
      oncallGroup: 'S0SECOPS1',
      automaticAction: 'resetSessions' as const,
      snoozeDays: 7,
      staleAfterHours: 72,
      autoActionMaxAgeMinutes: 240,
    };
    expect(status.input).toEqual({
      finding: JSON.parse(JSON.stringify(finding)) as unknown,
      policy,
      grant: grantFor(finding, policy),
    });
  });

  it('a repeat raises findingUpdated on the open incident instead of opening another', async () => {
    const grown = { ...finding, count: 9, lastSeen: '2026-03-02T10:10:00.000Z', isNew: false };
    expect(await dispatch([grown])).toEqual({ started: [], updated: [finding.incidentId], skipped: [], rejected: [] });
    await expect
      .poll(async () => (await customStatus(finding.incidentId)).updates.map((u) => u.count), { timeout: 10_000 })
      .toEqual([9]);
    // Nothing grew since the message showed it: no event.
    env.summaries.set(finding.incidentId, { count: 9, lastSeen: '2026-03-02T10:10:00.000Z' });
    expect(await dispatch([grown])).toMatchObject({
      updated: [],
      skipped: [{ incidentId: finding.incidentId, reason: 'unchanged' }],
    });
  });

  it('raises a separate, older finding of the same key (a backfill) although the summary shows a bigger one', async () => {
    const older = {
      ...finding,
      findingId: 'slack.audit.anomaly:W0BOB0001:day03',
      count: 2,
      firstSeen: '2026-02-18T10:00:00.000Z',
      lastSeen: '2026-02-18T10:20:00.000Z',
      isNew: true,
    };
    expect(await dispatch([older])).toEqual({ started: [], updated: [finding.incidentId], skipped: [], rejected: [] });
    await expect
      .poll(async () => (await customStatus(finding.incidentId)).updates.at(-1), { timeout: 10_000 })
      .toMatchObject({ findingId: older.findingId, count: 2, firstSeen: older.firstSeen });
  });

  it('leaves a closed incident closed when the finding merely grows, and opens a new one for a new finding', async () => {
    await client.raiseEvent(finding.incidentId, 'close', {});
    await waitForStatus(h.extension, finding.incidentId, ['Completed']);
    expect(await dispatch([{ ...finding, isNew: false, count: 12 }])).toMatchObject({
      skipped: [{ incidentId: finding.incidentId, reason: 'closed' }],
    });
    expect(await dispatch([{ ...finding, isNew: true, count: 1 }])).toMatchObject({ started: [finding.incidentId] });
    await waitForStatus(h.extension, finding.incidentId, ['Running']);
  });

  it('restarts an incident that failed or was terminated', async () => {
    const other = slackFinding({ incidentId: 'incident-slack.audit.anomaly-host2', isNew: true });
    await dispatch([other]);
    await waitForStatus(h.extension, other.incidentId, ['Running']);
    await client.terminate(other.incidentId, 'test');
    await waitForStatus(h.extension, other.incidentId, ['Terminated']);
    expect(await dispatch([{ ...other, isNew: false }])).toMatchObject({ started: [other.incidentId] });
  });

  it('skips snoozed subjects and reports malformed findings without dropping the others', async () => {
    env.snoozed.add('slack.audit.anomaly|W0CAROL01');
    const snoozed = slackFinding({
      incidentId: 'incident-slack.audit.anomaly-host3',
      subject: { type: 'user', id: 'W0CAROL01' },
    });
    const fresh = slackFinding({ incidentId: 'incident-slack.audit.anomaly-host4' });
    const result = await dispatch([snoozed, { incidentId: 'incident-bad', title: 'no detection id' }, fresh]);
    expect(result.started).toEqual(['incident-slack.audit.anomaly-host4']);
    expect(result.skipped).toEqual([{ incidentId: 'incident-slack.audit.anomaly-host3', reason: 'snoozed' }]);
    expect(result.rejected).toMatchObject([
      { incidentId: 'incident-bad', reason: expect.stringContaining('detectionId') as unknown },
    ]);
    await expect(client.getStatus('incident-slack.audit.anomaly-host3')).rejects.toThrow(/404/);
  });
});
