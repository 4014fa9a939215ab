import { HttpRequest, HttpResponse } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseConfig, resetConfigForTests } from '../config';
import { DETECTIONS } from '../detections/registry';
import { gatherOpsStatus, type InstanceLike, type OpsDurableClient, type OpsReaders, redactDeep } from './gather';
import { type CycleRunClient, handleOpsStatus, handleRunCycle } from './handlers';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const SECRET = 'xoxp-ops-test-audit-token-000000';
const ENV: Record<string, string> = {
  SENTRY_INGESTION_ENDPOINT: 'https://ingestion.invalid',
  SENTRY_DCR_IMMUTABLE_ID: 'dcr-00000000000000000000000000000000',
  SENTRY_STORAGE_CONNECTION: 'UseDevelopmentStorage=true',
  SENTRY_SLACK_AUDIT_TOKEN: SECRET,
  SENTRY_SLACK_AUDIT_ORG: 'E1',
  SENTRY_MERAKI_API_KEY: 'meraki-ops-test-key-00000000000000000000',
  SENTRY_MERAKI_ORG_IDS: '111,222',
};

const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const [key, value] of Object.entries(ENV)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  resetConfigForTests();
});
afterAll(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = value;
  }
  resetConfigForTests();
});

function readers(over: Partial<OpsReaders> = {}): OpsReaders {
  return {
    cycles: () => Promise.resolve([]),
    checkpoints: () => Promise.resolve([]),
    hours: () => Promise.resolve([]),
    incidents: () => Promise.resolve([]),
    findings: () => Promise.resolve([]),
    coverage: () => Promise.resolve(new Map()),
    ...over,
  };
}

function inst(name: string, instanceId: string, runtimeStatus: string, input: unknown = null): InstanceLike {
  return {
    name,
    instanceId,
    runtimeStatus,
    createdTime: new Date(NOW.getTime() - 1000),
    lastUpdatedTime: NOW,
    customStatus: null,
    input,
  };
}

describe('gatherOpsStatus', () => {
  it('targets come from the configuration, and one Durable query per kind merges running and recent instances', async () => {
    const filters: unknown[] = [];
    const durable: OpsDurableClient = {
      getStatus: (id) => Promise.resolve(inst('cycle', id, 'Running')),
      getStatusBy: (filter) => {
        filters.push(filter);
        return Promise.resolve(
          filter.runtimeStatus === undefined
            ? [inst('backfill', 'backfill-1', 'Completed'), inst('backfill', 'backfill-2', 'Running')]
            : [inst('backfill', 'backfill-2', 'Running'), inst('cycle', 'sentry-cycle', 'Running')],
        );
      },
    };
    const status = await gatherOpsStatus({
      config: parseConfig(ENV),
      readers: readers(),
      durable,
      now: NOW,
      version: 'v',
    });
    expect(status.sources.map((s) => `${s.source}/${s.org}`)).toEqual(['slackAudit/E1', 'meraki/111', 'meraki/222']);
    expect(status.orchestrations.backfills?.map((b) => b.instanceId).sort()).toEqual(['backfill-1', 'backfill-2']);
    expect(status.orchestrations.cycle).toMatchObject({ instanceId: 'sentry-cycle', runtimeStatus: 'Running' });
    expect(filters).toEqual([
      { runtimeStatus: ['Running', 'Pending', 'Suspended', 'ContinuedAsNew'] },
      { createdTimeFrom: new Date(NOW.getTime() - 7 * 86_400_000) },
    ]);
    expect(status.problems).toEqual([]);
  });

  it('says which detections need configuration, are learning (and until when) or are disabled', async () => {
    const durable: OpsDurableClient = {
      getStatus: () => Promise.resolve(inst('cycle', 'sentry-cycle', 'Running')),
      getStatusBy: () => Promise.resolve([]),
    };
    const threeDaysAgo = Math.floor(NOW.getTime() / 1000) - 3 * 86_400;
    const status = await gatherOpsStatus({
      config: parseConfig({
        ...ENV,
        SENTRY_DETECTIONS_CONFIG: JSON.stringify({ 'slack.audit.org-created': { enabled: false } }),
      }),
      readers: readers({ coverage: () => Promise.resolve(new Map([['slackAudit', threeDaysAgo]])) }),
      durable,
      now: NOW,
      version: 'v',
    });
    const byId = new Map(status.detections?.list.map((d) => [d.id, d]));
    expect(byId.get('slack.audit.sensitive-file-downloads')).toMatchObject({ state: 'needs-configuration' });
    expect(byId.get('slack.audit.sensitive-file-downloads')?.note).toContain('sensitiveChannelIds');
    expect(byId.get('slack.audit.org-created')).toMatchObject({ state: 'disabled' });
    expect(byId.get('slack.audit.mass-download')).toMatchObject({
      state: 'learning',
      learningUntil: new Date((threeDaysAgo + 7 * 86_400) * 1000).toISOString(),
    });
    expect(byId.get('slack.audit.blocked-mfa-login')).toMatchObject({ state: 'active' });
    expect(byId.get('slack.audit.blocked-mfa-login')?.assumes).toContain('mfaFailureReasons');
    // No Meraki data yet: a Meraki rule without a baseline simply judges; nothing active is listed.
    expect(byId.has('slack.audit.privilege-escalation')).toBe(false);
    expect(status.detections?.byState['needs-configuration']).toBe(1);
    const counts = Object.values(status.detections?.byState ?? {});
    expect(status.detections?.total).toBe(DETECTIONS.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(DETECTIONS.length);
  });

  it('a part that fails becomes a redacted problem; an absent cycle instance is null, not a problem', async () => {
    const durable: OpsDurableClient = {
      getStatus: () =>
        Promise.reject(new Error('DurableClient error: Durable Functions extension replied with HTTP 404 response.')),
      getStatusBy: () => Promise.reject(new Error('connect ECONNREFUSED')),
    };
    const status = await gatherOpsStatus({
      config: parseConfig(ENV),
      readers: readers({ checkpoints: () => Promise.reject(new Error(`Table Storage failed with token ${SECRET}`)) }),
      durable,
      now: NOW,
      version: 'v',
    });
    expect(status.problems).toEqual([
      'checkpoints: Table Storage failed with token [SENTRY_SLACK_AUDIT_TOKEN]',
      'orchestrations: connect ECONNREFUSED',
    ]);
    expect(status.orchestrations.cycle).toBeNull();
    expect(status.attention[0]).toMatch(/does not exist yet/);
    expect(JSON.stringify(status)).not.toContain(SECRET);
  });

  it('redactDeep replaces secrets in nested strings and leaves other values alone', () => {
    const value = { a: [`x ${SECRET}`, 3, null], b: { c: SECRET, d: true } };
    expect(redactDeep(value)).toEqual({
      a: ['x [SENTRY_SLACK_AUDIT_TOKEN]', 3, null],
      b: { c: '[SENTRY_SLACK_AUDIT_TOKEN]', d: true },
    });
  });
});

describe('handleOpsStatus', () => {
  it('answers 200 with the status, never a secret even when a stored message carries one', async () => {
    const durable: OpsDurableClient = {
      getStatus: (id) => Promise.resolve(inst('cycle', id, 'Running')),
      getStatusBy: () => Promise.resolve([]),
    };
    const logged: string[] = [];
    const response = await handleOpsStatus({
      durable,
      now: NOW,
      log: (m) => logged.push(m),
      readers: readers({
        cycles: () =>
          Promise.resolve([
            {
              source: 'slackAudit',
              org: 'E1',
              lastCycleId: 'c#1',
              lastAttemptAt: NOW.toISOString(),
              lastOk: false,
              lastSuccessCycleId: undefined,
              lastSuccessAt: undefined,
              last: undefined,
              totals: { rows: 0, quarantined: 0, apiCalls: 0, bytes: 0, cycles: 1, failures: 1 },
              lastErrorCode: 'collector_auth_failed',
              lastErrorMessage: `Slack refused ${SECRET}`,
              details: undefined,
            },
          ]),
        findings: () => Promise.reject(new Error('findings table down')),
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'cache-control': 'no-store' });
    const body = JSON.stringify(response.jsonBody);
    expect(body).not.toContain(SECRET);
    expect(body).toContain('Slack refused [SENTRY_SLACK_AUDIT_TOKEN]');
    expect(logged).toEqual(['ops status is partial: findings: findings table down']);
  });
});

class FakeCycleClient implements CycleRunClient {
  readonly calls: string[] = [];
  constructor(
    private status: string | undefined,
    private readonly startFails?: Error,
  ) {}

  getStatus(id: string): Promise<{ runtimeStatus: string }> {
    this.calls.push(`getStatus ${id}`);
    if (this.status === undefined)
      return Promise.reject(
        new Error('DurableClient error: Durable Functions extension replied with HTTP 404 response.'),
      );
    return Promise.resolve({ runtimeStatus: this.status });
  }

  startNew(name: string, options: { instanceId: string; input?: unknown }): Promise<string> {
    this.calls.push(`startNew ${name} ${options.instanceId} ${JSON.stringify(options.input)}`);
    if (this.startFails !== undefined) return Promise.reject(this.startFails);
    this.status = 'Pending';
    return Promise.resolve(options.instanceId);
  }

  raiseEvent(id: string, event: string, data: unknown): Promise<void> {
    this.calls.push(`raiseEvent ${id} ${event} ${JSON.stringify(data)}`);
    return Promise.resolve();
  }

  createCheckStatusResponse(_request: HttpRequest | undefined, id: string): HttpResponse {
    return new HttpResponse({
      status: 202,
      jsonBody: { id, statusQueryGetUri: `http://host/runtime/webhooks/durabletask/instances/${id}` },
    });
  }

  createHttpManagementPayload(id: string): object {
    return { id, resumePostUri: `http://host/runtime/webhooks/durabletask/instances/${id}/resume` };
  }
}

const request = () => new HttpRequest({ method: 'POST', url: 'http://localhost/api/ops/cycle' });

describe('handleRunCycle', () => {
  it('expedites a running cycle and answers with the check-status response', async () => {
    const client = new FakeCycleClient('Running');
    const response = (await handleRunCycle(request(), client, NOW)) as HttpResponse;
    expect(response.status).toBe(202);
    expect(response.headers.get('x-sentry-cycle-action')).toBe('expedited');
    expect(await response.json()).toMatchObject({ id: 'sentry-cycle' });
    expect(client.calls).toEqual([
      'getStatus sentry-cycle',
      `raiseEvent sentry-cycle expedite {"reason":"ops","at":"${NOW.toISOString()}"}`,
    ]);
  });

  it.each([[undefined], ['Completed'], ['Failed'], ['Terminated']])(
    'starts the cycle when it is %s',
    async (previous) => {
      const client = new FakeCycleClient(previous);
      const response = (await handleRunCycle(request(), client, NOW)) as HttpResponse;
      expect(response.status).toBe(202);
      expect(response.headers.get('x-sentry-cycle-action')).toBe('started');
      expect(client.calls).toEqual(['getStatus sentry-cycle', 'startNew cycle sentry-cycle {"cycle":0}']);
    },
  );

  it('expedites the winner when the watchdog started the cycle first', async () => {
    const client = new FakeCycleClient(undefined, new Error('An instance with ID sentry-cycle already exists (409)'));
    const response = (await handleRunCycle(request(), client, NOW)) as HttpResponse;
    expect(response.headers.get('x-sentry-cycle-action')).toBe('expedited');
    expect(client.calls.at(-1)).toMatch(/^raiseEvent sentry-cycle expedite/);
  });

  it('refuses with 409 and the management links while the cycle is suspended; other failures propagate', async () => {
    const client = new FakeCycleClient('Suspended');
    const response = await handleRunCycle(request(), client, NOW);
    expect(response.status).toBe(409);
    const body = (response as { jsonBody: { error?: string; resumePostUri?: string } }).jsonBody;
    expect(body.error).toBe('suspended');
    expect(body.resumePostUri).toMatch(/\/resume$/);
    expect(client.calls).toEqual(['getStatus sentry-cycle']);

    await expect(
      handleRunCycle(request(), new FakeCycleClient(undefined, new Error('HTTP 500 from the extension')), NOW),
    ).rejects.toThrow(/500/);
  });
});
