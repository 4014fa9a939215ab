import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { describe, expect, it } from 'vitest';

import { BASE_TEST_ENV, useTestAzurite } from '../../../test/helpers/state';
import { LEASE_GRACE_MS, TableLease } from '../../state/locks';
import { planBackfill, planCycle } from '../../activities/cycle-activities';
import { parseConfig } from '../../config';
import { ErrorCode } from '../../errors';
import { CYCLE_INSTANCE_ID, OrchestratorNames } from '../../contracts';
import { type CycleClientLike, ensureCycleRunning, handleBackfill } from './cycle-control';

class FakeClient implements CycleClientLike {
  statuses = new Map<string, string>();
  started: { name: string; instanceId: string; input?: unknown }[] = [];
  startError: Error | undefined;

  getStatus(instanceId: string) {
    const status = this.statuses.get(instanceId);
    if (status === undefined) {
      return Promise.reject(
        new Error(`Webhook returned unexpected status code 404 for instance ${instanceId}: HTTP 404 response`),
      );
    }
    return Promise.resolve({ runtimeStatus: status });
  }

  startNew(name: string, options: { instanceId: string; input?: unknown }) {
    if (this.startError !== undefined) return Promise.reject(this.startError);
    this.started.push({ name, ...options });
    this.statuses.set(options.instanceId, 'Pending');
    return Promise.resolve(options.instanceId);
  }

  createCheckStatusResponse(_request: HttpRequest | undefined, instanceId: string) {
    return new HttpResponse({
      status: 202,
      jsonBody: { id: instanceId, statusQueryGetUri: `https://x/instances/${instanceId}` },
    });
  }

  createHttpManagementPayload(instanceId: string) {
    return { id: instanceId, statusQueryGetUri: `https://x/instances/${instanceId}` };
  }
}

describe('cycle watchdog', () => {
  it('starts the cycle under its fixed id when absent, and not again while it runs', async () => {
    const client = new FakeClient();
    expect(await ensureCycleRunning(client)).toEqual({ result: 'started', previous: undefined });
    expect(client.started).toEqual([
      { name: OrchestratorNames.cycle, instanceId: CYCLE_INSTANCE_ID, input: { cycle: 0 } },
    ]);
    for (const status of ['Pending', 'Running', 'ContinuedAsNew', 'Suspended']) {
      client.statuses.set(CYCLE_INSTANCE_ID, status);
      expect((await ensureCycleRunning(client)).result).toBe('running');
    }
    expect(client.started).toHaveLength(1);
  });

  it('restarts a cycle that failed or was terminated', async () => {
    for (const status of ['Failed', 'Terminated', 'Completed', 'Canceled']) {
      const client = new FakeClient();
      client.statuses.set(CYCLE_INSTANCE_ID, status);
      expect(await ensureCycleRunning(client)).toEqual({ result: 'started', previous: status });
    }
  });

  it('tolerates losing the start race to another instance, and surfaces other failures', async () => {
    const client = new FakeClient();
    client.startError = new Error(
      'Webhook returned unexpected status code 409: An Orchestration instance with the status Pending already exists.',
    );
    expect((await ensureCycleRunning(client)).result).toBe('raced');
    client.startError = new Error('connect ECONNREFUSED');
    await expect(ensureCycleRunning(client)).rejects.toThrow(/ECONNREFUSED/);
  });
});

function post(body: unknown): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: 'https://x/api/ops/backfill',
    body: { string: typeof body === 'string' ? body : JSON.stringify(body) },
  });
}

describe('POST /api/ops/backfill', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  const storage = useTestAzurite();
  let leases = 0;
  let clock = now;
  /** A fresh lease per test (its own name), on the real Table Storage protocol. */
  const lease = () => new TableLease(storage.config, `backfill-test-${String((leases += 1))}`, () => clock);

  it('starts a backfill with a stable id and answers with the check-status payload', async () => {
    const client = new FakeClient();
    const single = lease();
    const response = (await handleBackfill(
      post({ from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z', windowMinutes: 30 }),
      client,
      now,
      single,
    )) as HttpResponse;
    expect(response.status).toBe(202);
    const oldest = Date.parse('2026-11-20T00:00:00Z') / 1000;
    const latest = Date.parse('2026-11-21T00:00:00Z') / 1000;
    expect(client.started).toEqual([
      {
        name: OrchestratorNames.backfill,
        instanceId: `backfill-slackAudit-${oldest}-${latest}-1800`,
        input: { request: { source: 'slackAudit', oldest, latest, windowSeconds: 1800 } },
      },
    ]);
    // The same range again while it runs: 409 with where to look.
    const again = await handleBackfill(post({ from: oldest, to: latest, windowMinutes: 30 }), client, now, single);
    expect(again.status).toBe(409);
    expect(client.started).toHaveLength(1);
  });

  it('is single-flight: another range while one runs gets 409 naming the running one', async () => {
    const client = new FakeClient();
    const single = lease();
    const first = await handleBackfill(
      post({ from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z' }),
      client,
      now,
      single,
    );
    expect(first.status).toBe(202);
    const running = client.started[0]?.instanceId ?? '';
    client.statuses.set(running, 'Running');
    const second = (await handleBackfill(
      post({ from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z' }),
      client,
      now,
      single,
    )) as HttpResponseInit;
    expect(second.status).toBe(409);
    expect(second.jsonBody).toMatchObject({ error: 'already_running', running, id: running });
    expect(client.started).toHaveLength(1);
    // Once it finished (and the lease's start-up grace is over), the next one starts.
    client.statuses.set(running, 'Completed');
    clock += LEASE_GRACE_MS;
    const third = await handleBackfill(
      post({ from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z' }),
      client,
      now,
      single,
    );
    expect(third.status).toBe(202);
    expect(client.started).toHaveLength(2);
  });

  it('two requests racing for a free lease start exactly one backfill', async () => {
    const client = new FakeClient();
    const single = lease();
    const answers = await Promise.all(
      ['2026-10-01', '2026-10-05', '2026-10-09'].map((day) =>
        handleBackfill(post({ from: `${day}T00:00:00Z`, to: `${day}T06:00:00Z` }), client, now, single),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409]);
    expect(client.started).toHaveLength(1);
  });

  it('refuses a body over 1 MB with 413 before reading it', async () => {
    const client = new FakeClient();
    const big = new HttpRequest({
      method: 'POST',
      url: 'https://x/api/ops/backfill',
      headers: { 'content-length': String(2 * 1024 * 1024) },
      body: { string: '{}' },
    });
    expect((await handleBackfill(big, client, now, lease())).status).toBe(413);
    expect(client.started).toEqual([]);
  });

  it('clamps the end to now and refuses bad ranges with 400', async () => {
    const client = new FakeClient();
    await handleBackfill(post({ from: '2026-11-23T00:00:00Z', to: '2027-01-01T00:00:00Z' }), client, now, lease());
    expect(client.started[0]?.input).toMatchObject({ request: { latest: now / 1000 } });
    for (const body of [
      'nope',
      {},
      { from: 'yesterday', to: 'today' },
      { from: now / 1000, to: now / 1000 - 10 },
      { from: '2026-01-01T00:00:00Z', to: '2026-11-01T00:00:00Z' },
      { from: 1, to: 2, rows: [] },
    ]) {
      const response = await handleBackfill(post(body), client, now, lease());
      expect(response.status).toBe(400);
    }
    expect(client.started).toHaveLength(1);
  });
});

describe('planBackfill and planCycle', () => {
  it('splits a range into consecutive windows, a slice at a time', () => {
    const input = { oldest: 1_800_000_000, latest: 1_800_000_000 + 10 * 3600 - 1, windowSeconds: 3600 };
    const first = planBackfill({ ...input, from: 0, limit: 4 });
    expect(first.total).toBe(10);
    expect(first.windows).toHaveLength(4);
    expect(first.windows[0]).toEqual({ oldest: 1_800_000_000, latest: 1_800_003_599 });
    const rest = planBackfill({ ...input, from: 8, limit: 4 });
    expect(rest.windows).toEqual([
      { oldest: 1_800_028_800, latest: 1_800_032_399 },
      { oldest: 1_800_032_400, latest: 1_800_035_999 },
    ]);
    expect(planBackfill({ ...input, from: 10, limit: 4 }).windows).toEqual([]);
    expect(() => planBackfill({ ...input, from: 0, limit: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCode.InputInvalid }),
    );
  });

  it('turns configuration into one target per source and org', () => {
    const config = parseConfig({
      ...BASE_TEST_ENV,
      SENTRY_STORAGE_CONNECTION: 'UseDevelopmentStorage=true',
      SENTRY_MERAKI_ORG_IDS: '1,2',
      SENTRY_POLL_INTERVAL_SECONDS: '15',
    });
    expect(planCycle(config)).toEqual({
      targets: [
        { source: 'slackAudit', org: 'slack' },
        { source: 'meraki', org: '1' },
        { source: 'meraki', org: '2' },
      ],
      pollIntervalSeconds: 15,
      minGapSeconds: 15,
    });
    const slackOnly = parseConfig({
      ...BASE_TEST_ENV,
      SENTRY_STORAGE_CONNECTION: 'UseDevelopmentStorage=true',
      SENTRY_SOURCES: 'slackAudit',
    });
    expect(planCycle(slackOnly).targets).toEqual([{ source: 'slackAudit', org: 'slack' }]);
  });
});
