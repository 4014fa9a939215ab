/**
 * The real DurableClient (df.getClient in an HTTP function, binding data from clientBindingData())
 * drives every management API method over real HTTP against handleHttp; raw HTTP checks pin the
 * routes, status codes and JSON the client does not expose.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type { DurableClient } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Harness, startHarness, waitForStatus } from './harness';

const df = createRequire(__filename)('durable-functions') as typeof import('durable-functions');
let h: Harness;
let client: DurableClient;
const systemKey = 'test-system-key';
const orchestratorConcurrency = { active: 0, peak: 0 };
const perInstance = new Map<string, { active: number; peak: number }>();

interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

async function callFunction(
  name: string,
  path: string,
  init: { method?: string; params?: Record<string, string>; body?: string } = {},
): Promise<HttpResult> {
  const url = new URL(path, h.baseUrl);
  const result = await h.invoker.invoke(name, {
    trigger: {
      http: {
        method: init.method ?? 'POST',
        url: url.href,
        headers: { 'content-type': 'application/json' },
        query: Object.fromEntries(url.searchParams),
        params: init.params ?? {},
        ...(init.body === undefined ? {} : { body: { bytes: Buffer.from(init.body) } }),
      },
    },
  });
  const http = result.returnValue?.http as {
    statusCode: string;
    headers: Record<string, string>;
    body?: { bytes?: Uint8Array };
  };
  const text = http.body?.bytes === undefined ? '' : Buffer.from(http.body.bytes).toString('utf8');
  return {
    status: Number(http.statusCode),
    headers: http.headers,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  };
}

async function raw(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const response = await fetch(new URL(path, `http://127.0.0.1:${h.port}`), {
    method,
    body: init.body,
    headers: init.headers,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  };
}

beforeAll(async () => {
  h = await startHarness({
    appPath: join(__dirname, 'fixtures/durable-app/index.js'),
    systemKey,
    settings: {
      hubName: 'ClientHub',
      maxConcurrentActivityFunctions: 2,
      maxConcurrentOrchestratorFunctions: 2,
      maxConcurrentEntityFunctions: 2,
    },
  });
  // Observe orchestrator invocations: at most `maxConcurrentOrchestratorFunctions` overall, one per instance.
  const invoke = h.invoker.invoke.bind(h.invoker);
  h.invoker.invoke = async (name, options) => {
    const orchestrator = h.invoker.get(name).trigger.type === 'orchestrationTrigger';
    const key = options.instanceId ?? '';
    const mine = perInstance.get(key) ?? { active: 0, peak: 0 };
    perInstance.set(key, mine);
    if (orchestrator) {
      orchestratorConcurrency.active += 1;
      orchestratorConcurrency.peak = Math.max(orchestratorConcurrency.peak, orchestratorConcurrency.active);
      mine.active += 1;
      mine.peak = Math.max(mine.peak, mine.active);
    }
    try {
      return await invoke(name, options);
    } finally {
      if (orchestrator) {
        orchestratorConcurrency.active -= 1;
        mine.active -= 1;
      }
    }
  };
  await callFunction('ClientHolder', '/api/client', { method: 'GET' });
  client = (globalThis as unknown as { __durableClient: DurableClient }).__durableClient;
});

afterAll(async () => {
  await h.close();
});

describe('client binding', () => {
  it('carries the extension binding JSON with webhook URLs, the system key and rpcBaseUrl', () => {
    const data = h.extension.clientBindingData() as Record<string, Record<string, string> | string>;
    expect(data.taskHubName).toBe('ClientHub');
    expect(data.rpcBaseUrl).toBe(`http://127.0.0.1:${h.port}/durabletask/`);
    expect(data.baseUrl).toBe(`${h.baseUrl}/runtime/webhooks/durabletask`);
    expect(data.requiredQueryStringParameters).toBe(`code=${systemKey}`);
    expect(data.creationUrls).toEqual({
      createNewInstancePostUri: `${h.baseUrl}/runtime/webhooks/durabletask/orchestrators/{functionName}[/{instanceId}]?code=${systemKey}`,
      createAndWaitOnNewInstancePostUri: `${h.baseUrl}/runtime/webhooks/durabletask/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${systemKey}`,
    });
    const urls = data.managementUrls as Record<string, string>;
    expect(urls.id).toBe('INSTANCEID');
    expect(urls.statusQueryGetUri).toBe(
      `${h.baseUrl}/runtime/webhooks/durabletask/instances/INSTANCEID?taskHub=ClientHub&connection=Storage&code=${systemKey}`,
    );
    expect(urls.terminatePostUri).toBe(
      `${h.baseUrl}/runtime/webhooks/durabletask/instances/INSTANCEID/terminate?reason={text}&taskHub=ClientHub&connection=Storage&code=${systemKey}`,
    );
    expect(Object.keys(urls).sort()).toEqual(
      [
        'id',
        'statusQueryGetUri',
        'sendEventPostUri',
        'terminatePostUri',
        'rewindPostUri',
        'purgeHistoryDeleteUri',
        'restartPostUri',
        'suspendPostUri',
        'resumePostUri',
      ].sort(),
    );
  });
});

describe('DurableClient', () => {
  it('startNew + getStatus through a completed orchestration', async () => {
    const id = await client.startNew('FanOut', { input: [1, 2, 3] });
    await waitForStatus(h.extension, id);
    const status = await client.getStatus(id);
    expect(status).toMatchObject({
      name: 'FanOut',
      instanceId: id,
      runtimeStatus: 'Completed',
      input: [1, 2, 3],
      output: { results: [1, 4, 9], sum: 14 },
    });
    expect(status.createdTime).toBeInstanceOf(Date);
  });

  it('startNew with an explicit id, without input (""), and 409 for a running id', async () => {
    const id = await client.startNew('Waiter', { instanceId: 'client-fixed-id' });
    expect(id).toBe('client-fixed-id');
    await waitForStatus(h.extension, id, ['Running']);
    expect((await client.getStatus(id)).input).toBe('');
    await expect(client.startNew('Waiter', { instanceId: id })).rejects.toThrow(/409/);
    await expect(client.startNew('NoSuchOrchestrator')).rejects.toThrow(/400/);
    await client.terminate(id, 'cleanup');
    await waitForStatus(h.extension, id, ['Terminated']);
    // A terminal instance may be replaced.
    expect(await client.startNew('Eternal', { instanceId: id, input: 3 })).toBe(id);
    expect((await waitForStatus(h.extension, id)).runtimeStatus).toBe('Completed');
  });

  it('getStatus of an unknown instance rejects with the 404 message', async () => {
    await expect(client.getStatus('does-not-exist')).rejects.toThrow(/HTTP 404/);
  });

  it('raiseEvent: 202 delivers, 404 rejects, 410 resolves', async () => {
    const id = await client.startNew('Approval');
    await waitForStatus(h.extension, id, ['Running']);
    await client.raiseEvent(id, 'Approve', { ok: true });
    expect((await waitForStatus(h.extension, id)).output).toBe('{"ok":true}');
    await expect(client.raiseEvent('nobody', 'Approve', 1)).rejects.toThrow("No instance with ID 'nobody' found.");
    await expect(client.raiseEvent(id, 'Approve', 1)).resolves.toBeUndefined();
  });

  it('terminate records the reason as output; terminating twice is 410', async () => {
    const id = await client.startNew('Waiter');
    await waitForStatus(h.extension, id, ['Running']);
    await client.terminate(id, 'operator said so');
    const status = await waitForStatus(h.extension, id, ['Terminated']);
    expect((await client.getStatus(id)).output).toBe('operator said so');
    expect(status.history.map((e) => e.EventType).slice(-4)).toEqual([12, 3, 1, 13]);
    await expect(client.terminate(id, 'again')).resolves.toBeUndefined();
    await expect(client.terminate('nobody', 'x')).rejects.toThrow(/No instance/);
  });

  it('suspend holds events until resume', async () => {
    const id = await client.startNew('Approval');
    await waitForStatus(h.extension, id, ['Running']);
    await client.suspend(id, 'pause');
    await waitForStatus(h.extension, id, ['Suspended']);
    expect((await client.getStatus(id)).runtimeStatus).toBe('Suspended');
    await client.raiseEvent(id, 'Approve', 'while suspended');
    await h.extension.engine.whenIdle();
    expect((await client.getStatus(id)).runtimeStatus).toBe('Suspended');
    await client.resume(id, 'go on');
    const done = await waitForStatus(h.extension, id);
    expect(done.output).toBe('"while suspended"');
    expect(done.history.map((e) => e.EventType)).toEqual(expect.arrayContaining([19, 20]));
  });

  it('rewind rejects with 412 for a running instance and 501 for a failed one', async () => {
    const running = await client.startNew('Waiter');
    await waitForStatus(h.extension, running, ['Running']);
    await expect(client.rewind(running, 'r')).rejects.toThrow(/only orchestrations in the "Failed" state/);
    const failed = await client.startNew('Failing');
    await waitForStatus(h.extension, failed, ['Failed']);
    await expect(client.rewind(failed, 'r')).rejects.toThrow();
    expect((await raw('POST', `/durabletask/instances/${failed}/rewind?reason=r`)).status).toBe(501);
    await client.terminate(running, 'done');
  });

  it('purgeInstanceHistory removes a terminal instance; 404 gives 0; running is refused', async () => {
    const id = await client.startNew('Eternal', { input: 3 });
    await waitForStatus(h.extension, id);
    expect(await client.purgeInstanceHistory(id)).toEqual({ instancesDeleted: 1 });
    await expect(client.getStatus(id)).rejects.toThrow(/404/);
    expect(await client.purgeInstanceHistory(id)).toEqual({ instancesDeleted: 0 });
    const running = await client.startNew('Waiter');
    await waitForStatus(h.extension, running, ['Running']);
    await expect(client.purgeInstanceHistory(running)).rejects.toThrow(/412/);
    await client.terminate(running, 'done');
  });

  it('getStatusAll / getStatusBy filter by time and status, and follow continuation tokens', async () => {
    const from = new Date(Date.now() - 1000);
    const ids: string[] = [];
    for (let i = 0; i < 105; i++)
      ids.push(await client.startNew('Eternal', { instanceId: `page-${String(i).padStart(3, '0')}`, input: 3 }));
    await h.extension.engine.whenIdle();
    const all = await client.getStatusAll();
    expect(all.length).toBeGreaterThan(105);
    expect(ids.every((id) => all.some((s) => s.instanceId === id))).toBe(true);
    const completed = await client.getStatusBy({
      createdTimeFrom: from,
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed],
    });
    expect(completed.length).toBeGreaterThanOrEqual(105);
    expect(completed.every((s) => s.runtimeStatus === df.OrchestrationRuntimeStatus.Completed)).toBe(true);
    const none = await client.getStatusBy({ createdTimeFrom: new Date(Date.now() + 60_000) });
    expect(none).toEqual([]);

    const first = await raw('GET', '/durabletask/instances/?instanceIdPrefix=page-&top=50');
    expect((first.body as unknown[]).length).toBe(50);
    const token = first.headers['x-ms-continuation-token'] ?? '';
    expect(token.length).toBeGreaterThan(0);
    const second = await raw('GET', '/durabletask/instances/?instanceIdPrefix=page-&top=50', {
      headers: { 'x-ms-continuation-token': token },
    });
    expect((second.body as { instanceId: string }[])[0]?.instanceId).toBe('page-050');

    const purged = await client.purgeInstanceHistoryBy({
      createdTimeFrom: from,
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed],
    });
    expect(purged.instancesDeleted).toBeGreaterThanOrEqual(105);
    expect((await raw('GET', '/durabletask/instances/?instanceIdPrefix=page-')).body).toEqual([]);
    expect((await raw('DELETE', '/durabletask/instances/')).status).toBe(400);
  });

  it('signalEntity and readEntityState', async () => {
    const entity = new df.EntityId('Counter', 'client');
    await client.signalEntity(entity, 'add', 3);
    await client.signalEntity(entity, 'add', 4);
    await h.extension.engine.whenIdle();
    expect(await client.readEntityState(entity)).toEqual({ entityExists: true, entityState: 7 });
    expect(await client.readEntityState(new df.EntityId('Counter', 'never-touched'))).toEqual({ entityExists: false });
    const listed = await raw('GET', '/durabletask/entities/counter?fetchState=true');
    expect(listed.body).toEqual(
      expect.arrayContaining([
        { entityId: { name: 'counter', key: 'client' }, lastOperationTime: expect.any(String) as unknown, state: 7 },
      ]),
    );
  });
});

describe('HTTP functions using the client', () => {
  it('createCheckStatusResponse returns 202 with links rebased on the request origin', async () => {
    const response = await callFunction('StartAndWait', '/api/start/Waiter?wait=false', { params: { name: 'Waiter' } });
    expect(response.status).toBe(202);
    const body = response.body as Record<string, string>;
    expect(body.statusQueryGetUri).toBe(
      `${h.baseUrl}/runtime/webhooks/durabletask/instances/${body.id}?taskHub=ClientHub&connection=Storage&code=${systemKey}`,
    );
    expect(response.headers.location ?? response.headers.Location).toBe(body.statusQueryGetUri);
    const status = await fetch(body.statusQueryGetUri ?? '');
    expect(status.status).toBe(202);
    expect(status.headers.get('retry-after')).toBe('5');
    await client.terminate(body.id ?? '', 'done');
  });

  it('waitForCompletionOrCreateCheckStatusResponse: 200 output, 500 failure, 202 on timeout', async () => {
    const ok = await callFunction('StartAndWait', '/api/start/FanOut', { params: { name: 'FanOut' }, body: '[5]' });
    expect(ok).toMatchObject({ status: 200, body: { results: [25], sum: 25 } });
    const failed = await callFunction('StartAndWait', '/api/start/Failing', { params: { name: 'Failing' } });
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ runtimeStatus: 'Failed', name: 'Failing' });
    const slow = await callFunction('StartAndWait', '/api/start/Waiter?timeout=200', { params: { name: 'Waiter' } });
    expect(slow.status).toBe(202);
    await client.terminate((slow.body as { id: string }).id, 'done');
  });
});

describe('management routes', () => {
  it('public webhook routes require the system key; the rpc route serves loopback callers', async () => {
    expect((await raw('GET', '/runtime/webhooks/durabletask/instances/')).status).toBe(401);
    expect((await raw('GET', '/runtime/webhooks/durabletask/instances/?code=wrong')).status).toBe(401);
    expect((await raw('GET', `/runtime/webhooks/durabletask/instances/?code=${systemKey}`)).status).toBe(200);
    expect((await raw('GET', '/durabletask/instances/')).status).toBe(200);
    expect((await raw('GET', '/api/not-durable')).status).toBe(404);
  });

  it('createAndWaitOnNewInstancePostUri waits and answers with the output', async () => {
    const response = await raw(
      'POST',
      `/runtime/webhooks/durabletask/orchestrators/FanOut?timeout=5&pollingInterval=0.05&code=${systemKey}`,
      {
        body: '[6]',
        headers: { 'content-type': 'application/json' },
      },
    );
    expect(response).toMatchObject({ status: 200, body: { results: [36], sum: 36 } });
    expect((await raw('POST', '/durabletask/orchestrators/FanOut', { body: '{not json' })).status).toBe(400);
    expect((await raw('GET', '/durabletask/orchestrators/FanOut')).status).toBe(404);
  });

  it('getStatus projects historyEvents like the extension', async () => {
    const id = await client.startNew('Sequence');
    await waitForStatus(h.extension, id);
    const plain = await raw('GET', `/durabletask/instances/${id}?showHistory=true`);
    const events = (plain.body as { historyEvents: Record<string, unknown>[] }).historyEvents;
    expect(events.map((e) => e.EventType)).toEqual([
      'ExecutionStarted',
      'TaskCompleted',
      'TaskCompleted',
      'TaskCompleted',
      'TaskCompleted',
      'ExecutionCompleted',
    ]);
    expect(events[0]).toMatchObject({ FunctionName: 'Sequence' });
    expect(events[1]).toMatchObject({
      FunctionName: 'Hello',
      ScheduledTime: expect.any(String) as unknown,
      Input: '["\\"Tokyo\\""]',
    });
    expect(events[1]).not.toHaveProperty('Result');
    expect(events[1]).not.toHaveProperty('TaskScheduledId');
    expect(events[5]).toMatchObject({ OrchestrationStatus: 'Completed' });
    const withOutput = await raw(
      'GET',
      `/durabletask/instances/${id}?showHistory=true&showHistoryOutput=true&showInput=false`,
    );
    const body = withOutput.body as { input: unknown; historyEvents: Record<string, unknown>[] };
    expect(body.input).toBeNull();
    expect(body.historyEvents[1]).toMatchObject({ Result: 'Hello, Tokyo!' });
    expect(body.historyEvents[1]).not.toHaveProperty('Input');
    expect(body.historyEvents[5]?.Result).toEqual(['Hello, Tokyo!', 'Hello, Seattle!', 'null', 'string']);
  });

  it('raiseEvent requires JSON content; restart starts a new instance from the same input', async () => {
    const id = await client.startNew('Approval');
    await waitForStatus(h.extension, id, ['Running']);
    expect(
      (
        await raw('POST', `/durabletask/instances/${id}/raiseEvent/Approve`, {
          body: 'x',
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await raw('POST', `/durabletask/instances/${id}/raiseEvent/Approve`, {
          body: '"yes"',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(202);
    await waitForStatus(h.extension, id);
    const restarted = await raw('POST', `/durabletask/instances/${id}/restart`);
    expect(restarted.status).toBe(202);
    const newId = (restarted.body as { id: string }).id;
    expect(newId).not.toBe(id);
    expect((await waitForStatus(h.extension, newId, ['Running'])).name).toBe('Approval');
    await client.terminate(newId, 'done');
  });
});

describe('concurrency limits', () => {
  it('honours maxConcurrentActivityFunctions, maxConcurrentOrchestratorFunctions and one episode per instance', async () => {
    const fixture = (globalThis as unknown as { __durableFixture: { slowPeak?: number } }).__durableFixture;
    fixture.slowPeak = 0;
    const ids = await Promise.all([1, 2, 3].map(() => client.startNew('SlowFanOut', { input: [60, 60, 60, 60] })));
    for (const id of ids) expect((await waitForStatus(h.extension, id)).output).toBe('[60,60,60,60]');
    expect(fixture.slowPeak).toBe(2);
    expect(orchestratorConcurrency.peak).toBeLessThanOrEqual(2);
    expect(Math.max(...[...perInstance.values()].map((v) => v.peak))).toBe(1);
  });
});
