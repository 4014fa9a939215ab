import { describe, expect, it } from 'vitest';

import { INCIDENT_TEST_ENV, slackFinding, TEST_RESPONSE_KEY } from '../../test/helpers/incidents';
import { parseConfig } from '../config';
import { EventNames, OrchestratorNames } from '../contracts';
import { normalizeFinding } from '../response/model';
import { resolvePolicy } from '../response/policy';
import { verifyCharter } from '../response/proofs';
import { charterOf } from '../response/targets';
import type { HeldBack } from '../slack/blocks/held-back';
import type { IncidentSummary } from '../state/incidents';
import { type DispatchDeps, type DurableClientLike, dispatchFindings, dispatchIncidents } from './dispatch-incidents';

const config = parseConfig(INCIDENT_TEST_ENV);

const LIVE = 'slack.audit.anomaly:ab12:live';
const OLDER = 'slack.audit.anomaly:ab12:day03';
const ID = 'incident-slack.audit.anomaly-3f2a9c1d';

/** A durable client with one instance in a given state, recording what dispatch does to it. */
function fakeClient(instance: { runtimeStatus: string; customStatus?: unknown } | undefined) {
  const raised: { id: string; name: string; data: unknown }[] = [];
  const started: { name: string; instanceId: string; input: unknown }[] = [];
  const client: DurableClientLike = {
    getStatus: (id) =>
      instance === undefined || id !== ID
        ? Promise.reject(new Error(`Durable Functions answered: replied with HTTP 404 response for ${id}`))
        : Promise.resolve(instance),
    startNew: (name, options) => {
      started.push({ name, ...options });
      return Promise.resolve(options.instanceId);
    },
    raiseEvent: (id, name, data) => {
      raised.push({ id, name, data });
      return Promise.resolve();
    },
  };
  return { client, raised, started };
}

const heldBack: HeldBack[] = [];

function deps(client: DurableClientLike, summary?: IncidentSummary, extra: Partial<DispatchDeps> = {}): DispatchDeps {
  return {
    client,
    config,
    isSnoozed: () => Promise.resolve(false),
    summary: () => Promise.resolve(summary),
    reported: () => Promise.resolve([]),
    now: () => new Date('2026-03-02T10:30:00.000Z'),
    responseKey: TEST_RESPONSE_KEY,
    postHeldBack: (held) => {
      heldBack.push(held);
      return Promise.resolve();
    },
    ...extra,
  };
}

const SHOWN: IncidentSummary = {
  incidentId: ID,
  detectionId: 'slack.audit.anomaly',
  status: 'open',
  count: 3,
  lastSeen: '2026-03-02T09:55:00.000Z',
  updatedAt: '2026-03-02T10:00:00.000Z',
};

/** What the incident orchestration publishes: its finding and one occurrence it already shows. */
const knows = {
  status: 'open',
  count: 3,
  findings: [
    [LIVE, 3, '2026-03-02T09:55:00.000Z'],
    [OLDER, 4, '2026-02-18T10:20:00.000Z'],
  ],
};

const older = (overrides = {}) =>
  slackFinding({
    findingId: OLDER,
    count: 4,
    firstSeen: '2026-02-18T10:00:00.000Z',
    lastSeen: '2026-02-18T10:20:00.000Z',
    isNew: true,
    ...overrides,
  });

describe('dispatchIncidents on a running incident', () => {
  it('raises a finding the incident does not know yet, with its id, although it is older and smaller', async () => {
    const f = fakeClient({
      runtimeStatus: 'Running',
      customStatus: { findings: [[LIVE, 3, '2026-03-02T09:55:00.000Z']] },
    });
    // The summary row shows the live finding, bigger and later: the old comparison called this unchanged.
    const result = await dispatchFindings([older({ count: 2 })], deps(f.client, SHOWN));
    expect(result).toEqual({ started: [], updated: [ID], skipped: [], rejected: [] });
    expect(f.raised).toEqual([
      {
        id: ID,
        name: EventNames.findingUpdated,
        data: expect.objectContaining({
          findingId: OLDER,
          count: 2,
          firstSeen: '2026-02-18T10:00:00.000Z',
          lastSeen: '2026-02-18T10:20:00.000Z',
        }) as unknown,
      },
    ]);
  });

  it('skips a finding the incident already shows at that size, and raises it once it grew', async () => {
    const f = fakeClient({ runtimeStatus: 'Running', customStatus: knows });
    const same = await dispatchFindings(
      [older({ isNew: false }), slackFinding({ findingId: LIVE, isNew: false })],
      deps(f.client, SHOWN),
    );
    expect(same.skipped).toEqual([
      { incidentId: ID, reason: 'unchanged' },
      { incidentId: ID, reason: 'unchanged' },
    ]);
    expect(f.raised).toEqual([]);

    const grown = await dispatchFindings(
      [older({ isNew: false, count: 6, lastSeen: '2026-02-18T10:40:00.000Z' })],
      deps(f.client),
    );
    expect(grown.updated).toEqual([ID]);
    expect(f.raised).toMatchObject([{ data: { findingId: OLDER, count: 6 } }]);
  });

  it('an incident without the list (started before it existed): a new finding is raised, growth uses the summary row', async () => {
    const f = fakeClient({ runtimeStatus: 'Running', customStatus: { status: 'open', count: 3 } });
    const summary = SHOWN;
    const result = await dispatchFindings(
      [older({ count: 2 }), slackFinding({ findingId: LIVE, isNew: false })],
      deps(f.client, summary),
    );
    expect(result.updated).toEqual([ID]);
    expect(result.skipped).toEqual([{ incidentId: ID, reason: 'unchanged' }]);
    expect(f.raised).toMatchObject([{ data: { findingId: OLDER } }]);
  });

  it('findings without ids behave as before: compared with the summary row', async () => {
    const f = fakeClient({ runtimeStatus: 'Running', customStatus: knows });
    const summary = SHOWN;
    const unchanged = await dispatchFindings([slackFinding({ isNew: false })], deps(f.client, summary));
    expect(unchanged.skipped).toEqual([{ incidentId: ID, reason: 'unchanged' }]);
    const grown = await dispatchFindings([slackFinding({ count: 5 })], deps(f.client, summary));
    expect(grown.updated).toEqual([ID]);
    expect(f.raised[0]?.data).not.toHaveProperty('findingId');
  });
});

describe('dispatchIncidents: the activity', () => {
  it('reads the findings of the cycle it is given from the store, and takes no finding list', async () => {
    const f = fakeClient(undefined);
    const asked: string[] = [];
    const reported = (cycleId: string) => {
      asked.push(cycleId);
      return Promise.resolve(cycleId === 'c7' ? [slackFinding({ findingId: LIVE })] : []);
    };
    const result = await dispatchIncidents({ cycleId: 'c7' }, deps(f.client, undefined, { reported }));
    expect(asked).toEqual(['c7']);
    expect(result.started).toEqual([ID]);
    await expect(
      dispatchIncidents({ cycleId: 'c7', findings: [slackFinding({})] }, deps(f.client, undefined, { reported })),
    ).rejects.toMatchObject({ code: 'input_invalid', retriable: false });
  });
});

describe('dispatchIncidents on a finished incident', () => {
  it('a closed incident with a new finding (a backfilled older one too) starts a fresh incident', async () => {
    const f = fakeClient({ runtimeStatus: 'Completed', customStatus: knows });
    const result = await dispatchFindings([older({ findingId: 'day01' })], deps(f.client));
    expect(result.started).toEqual([ID]);
    expect(f.started).toMatchObject([
      { name: OrchestratorNames.incident, instanceId: ID, input: { finding: { findingId: 'day01', count: 4 } } },
    ]);
    expect(f.raised).toEqual([]);
  });

  it('a closed incident whose finding merely grew stays closed; a failed one restarts', async () => {
    const closed = fakeClient({ runtimeStatus: 'Completed' });
    expect(
      await dispatchFindings([slackFinding({ findingId: LIVE, isNew: false })], deps(closed.client)),
    ).toMatchObject({ started: [], skipped: [{ incidentId: ID, reason: 'closed' }] });
    const failed = fakeClient({ runtimeStatus: 'Failed' });
    expect(
      await dispatchFindings([slackFinding({ findingId: LIVE, isNew: false })], deps(failed.client)),
    ).toMatchObject({ started: [ID] });
  });

  it('no incident yet: starts one that carries the finding id', async () => {
    const f = fakeClient(undefined);
    await dispatchFindings([slackFinding({ findingId: LIVE })], deps(f.client));
    expect(f.started).toMatchObject([{ instanceId: ID, input: { finding: { findingId: LIVE } } }]);
  });
});

describe('dispatchIncidents: grants and limits', () => {
  it('signs the charter of every incident it starts, and of every update it raises', async () => {
    const f = fakeClient(undefined);
    await dispatchFindings([slackFinding({ findingId: LIVE })], deps(f.client));
    const input = f.started[0]?.input as { finding: unknown; policy: unknown; grant: string };
    const finding = normalizeFinding(input.finding);
    const policy = resolvePolicy(config, finding.detectionId, finding.severity);
    expect(verifyCharter(TEST_RESPONSE_KEY, charterOf(finding, policy), input.grant)).toBe(true);

    const running = fakeClient({ runtimeStatus: 'Running', customStatus: knows });
    await dispatchFindings([slackFinding({ findingId: LIVE, count: 9, isNew: false })], deps(running.client));
    const update = running.raised[0]?.data as { entities: unknown; grant: string };
    expect(update.entities).toEqual(finding.entities);
    expect(verifyCharter(TEST_RESPONSE_KEY, charterOf(finding, policy), update.grant)).toBe(true);
  });

  it('without a response key incidents still open (to alert) but carry no grant, so they cannot act', async () => {
    const f = fakeClient(undefined);
    await dispatchFindings([slackFinding({ findingId: LIVE })], deps(f.client, undefined, { responseKey: undefined }));
    expect(f.started[0]?.input).not.toHaveProperty('grant');
  });

  it('opens at most the configured number of new incidents per detection per cycle; one message names the rest', async () => {
    heldBack.length = 0;
    const capped = parseConfig({ ...INCIDENT_TEST_ENV, SENTRY_INCIDENT_MAX_NEW_PER_DETECTION: '2' });
    const started: string[] = [];
    const client: DurableClientLike = {
      getStatus: (id) => Promise.reject(new Error(`replied with HTTP 404 response for ${id}`)),
      startNew: (_name, options) => {
        started.push(options.instanceId);
        return Promise.resolve(options.instanceId);
      },
      raiseEvent: () => Promise.resolve(),
    };
    const findings = Array.from({ length: 5 }, (_, i) =>
      slackFinding({
        incidentId: `incident-slack.audit.anomaly-${String(i)}`,
        dedupeKey: `W0DEV000${String(i)}`,
        subject: { type: 'user', id: `W0DEV000${String(i)}`, name: `dev${String(i)}` },
      }),
    );
    const other = slackFinding({
      detectionId: 'slack.audit.mass-download',
      incidentId: 'incident-slack.audit.mass-download-1',
    });
    const result = await dispatchFindings([...findings, other], deps(client, undefined, { config: capped }));
    expect(started).toEqual([
      'incident-slack.audit.anomaly-0',
      'incident-slack.audit.anomaly-1',
      'incident-slack.audit.mass-download-1',
    ]);
    expect(result.skipped.filter((s) => s.reason === 'held-back')).toHaveLength(3);
    expect(heldBack).toHaveLength(1);
    expect(heldBack[0]).toMatchObject({ detectionId: 'slack.audit.anomaly', opened: 2, limit: 2 });
    expect(heldBack[0]?.findings.map((f) => f.subject.id)).toEqual(['W0DEV0002', 'W0DEV0003', 'W0DEV0004']);
  });
});
