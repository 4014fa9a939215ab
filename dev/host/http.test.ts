// One app load per file: registrations are process-global. This file owns fixtures/http-app.
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DurableExtension, DurableExtensionOptions } from './contracts';
import { buildHttpRoutes, findAmbiguousRoutes, formatSetCookie } from './http';
import { DEFAULT_HOST_KEYS, type Host, startHost } from './index';
import { decodeTypedData } from './invoker';
import { createMemoryLogger } from './logger';

const appDir = join(__dirname, 'fixtures/http-app');
const memory = createMemoryLogger();
let host: Host;
let durableOptions: DurableExtensionOptions | undefined;
const durableCalls: string[] = [];

function fakeDurable(options: DurableExtensionOptions): DurableExtension {
  durableOptions = options;
  const base = `${options.baseUrl}/runtime/webhooks/durabletask`;
  const query = `taskHub=${options.settings.hubName}&connection=Storage&code=${options.systemKey}`;
  return {
    start: () => {
      durableCalls.push('start');
      return Promise.resolve();
    },
    stop: () => {
      durableCalls.push('stop');
      return Promise.resolve();
    },
    clientBindingData: () => ({
      taskHubName: options.settings.hubName,
      creationUrls: {
        createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?code=${options.systemKey}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${base}/instances/INSTANCEID?${query}`,
        sendEventPostUri: `${base}/instances/INSTANCEID/raiseEvent/{eventName}?${query}`,
        terminatePostUri: `${base}/instances/INSTANCEID/terminate?reason={text}&${query}`,
        rewindPostUri: `${base}/instances/INSTANCEID/rewind?reason={text}&${query}`,
        purgeHistoryDeleteUri: `${base}/instances/INSTANCEID?${query}`,
        restartPostUri: `${base}/instances/INSTANCEID/restart?${query}`,
        suspendPostUri: `${base}/instances/INSTANCEID/suspend?reason={text}&${query}`,
        resumePostUri: `${base}/instances/INSTANCEID/resume?reason={text}&${query}`,
      },
      baseUrl: base,
      requiredQueryStringParameters: `code=${options.systemKey}`,
      rpcBaseUrl: `${options.baseUrl}/durabletask/`,
    }),
    handleHttp: (request, response, body) => {
      const path = (request.url ?? '').split('?')[0] ?? '';
      if (!path.includes('/instances/')) return Promise.resolve(false);
      durableCalls.push(`${request.method ?? ''} ${path} ${body.toString()}`);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ served: path }));
      return Promise.resolve(true);
    },
  };
}

beforeAll(async () => {
  process.env.FIXTURE_PRESET = 'from-environment';
  host = await startHost({ appDir, port: 0, logger: memory.logger, durable: fakeDurable });
});

afterAll(async () => {
  await host.stop();
});

const api = (path: string): string => `${host.url}/svc/${path}`;
const json = (response: Response): Promise<unknown> => response.json();

describe('loader', () => {
  it('loads every file of a package.json main glob and reads host.json', () => {
    const names = host.invoker.list().map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'cookies', 'nightly', 'Double']));
    expect(host.config.routePrefix).toBe('svc');
    expect(host.config.durable.hubName).toBe('FixtureHub');
    expect(host.config.durable.maxConcurrentActivityFunctions).toBe(3);
  });

  it('applies local.settings.json without overriding the environment and sets host variables', async () => {
    const response = await fetch(api('settings'));
    expect(await json(response)).toEqual({
      greeting: 'from-local-settings',
      preset: 'from-environment',
      websiteHostname: `localhost:${host.port}`,
      environment: 'Development',
      runtime: 'node',
    });
  });

  it('ran appStart once, with app-level hookData', async () => {
    const state = (await json(await fetch(api('hookLog')))) as { events: { hook: string }[] };
    expect(state.events.filter((e) => e.hook === 'appStart')).toEqual([{ hook: 'appStart', hookDataIsObject: true }]);
  });
});

describe('routing', () => {
  it('passes route params, a catch-all, query, headers and the raw body', async () => {
    const response = await fetch(api('echo/a/b%20c?x=1&x=2&y=z'), {
      method: 'POST',
      headers: { 'x-test-header': 'hello', 'content-type': 'text/plain' },
      body: 'raw body',
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      method: 'POST',
      url: `${host.url}/svc/echo/a/b%20c?x=1&x=2&y=z`,
      params: { rest: 'a/b c' },
      query: { x: '1,2', y: 'z' },
      header: 'hello',
      contentType: 'text/plain',
      bodyBase64: Buffer.from('raw body').toString('base64'),
    });
  });

  it('keeps binary bodies byte for byte, both ways', async () => {
    const bytes = Buffer.from([0, 255, 1, 254, 0x80, 0x7f, 0]);
    const response = await fetch(api('binary'), {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([...bytes].reverse()));
  });

  it('gives a GET no body and an empty catch-all no param', async () => {
    const body = (await json(await fetch(api('echo')))) as { params: unknown; bodyBase64: string; method: string };
    expect(body).toMatchObject({ method: 'GET', params: {}, bodyBase64: '' });
  });

  it('prefers literal, then constrained routes, and matches literals case-insensitively', async () => {
    expect(await json(await fetch(api('items/42')))).toEqual({ kind: 'int', id: '42' });
    expect(await json(await fetch(api('items/abc')))).toEqual({ kind: 'alpha', name: 'abc' });
    expect(await json(await fetch(api('items/new')))).toEqual({ kind: 'literal' });
    expect(await json(await fetch(`${host.url}/SVC/ITEMS/NEW`))).toEqual({ kind: 'literal' });
    expect((await fetch(api('items/abc1'))).status).toBe(404);
  });

  it('handles optional parameters and the function name as default route', async () => {
    expect(await json(await fetch(api('orders')))).toEqual({ id: null });
    expect(await json(await fetch(api('orders/7')))).toEqual({ id: '7' });
    const byName = await fetch(api('defaultroute'));
    expect(await byName.text()).toBe('routed by name');
  });

  it('hides a function disabled with AzureWebJobs.<name>.Disabled', async () => {
    process.env['AzureWebJobs.orders.Disabled'] = 'true';
    try {
      expect((await fetch(api('orders'))).status).toBe(404);
    } finally {
      delete process.env['AzureWebJobs.orders.Disabled'];
    }
    expect((await fetch(api('orders'))).status).toBe(200);
  });

  it('answers 404 for unknown routes and 405 with Allow for undeclared methods', async () => {
    expect((await fetch(api('nope'))).status).toBe(404);
    expect((await fetch(`${host.url}/elsewhere/echo`)).status).toBe(404);
    const wrong = await fetch(api('items/5'), { method: 'PATCH' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')?.split(', ').sort()).toEqual(['DELETE', 'GET']);
    const deleted = await fetch(api('items/5'), { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('x-deleted')).toBe('5');
  });
});

describe('CORS (local.settings.json Host.CORS) and request URLs', () => {
  const allowed = 'http://ops.localhost:5173';

  it('answers a preflight from an allowed origin', async () => {
    const response = await fetch(api('echo'), {
      method: 'OPTIONS',
      headers: {
        origin: allowed,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'x-test-header',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(response.headers.get('access-control-allow-methods')).toBe('PUT');
    expect(response.headers.get('access-control-allow-headers')).toBe('x-test-header');
  });

  it('labels responses for allowed origins only', async () => {
    const ok = await fetch(api('orders'), { headers: { origin: allowed } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(allowed);
    const other = await fetch(api('orders'), { headers: { origin: 'http://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('reports the URL the client used (Host header)', async () => {
    const body = (await json(await fetch(`http://127.0.0.1:${host.port}/svc/echo/x`))) as { url: string };
    expect(body.url).toBe(`http://127.0.0.1:${host.port}/svc/echo/x`);
  });
});

describe('responses', () => {
  it('writes status, headers and one Set-Cookie per cookie', async () => {
    const response = await fetch(api('cookies'));
    expect(response.status).toBe(201);
    expect(response.headers.get('x-custom')).toBe('yes');
    expect(await response.text()).toBe('cookies set');
    expect(response.headers.getSetCookie()).toEqual([
      'session=a%20b%3Bc; max-age=3600; path=/; secure; samesite=strict; httponly',
      'theme=dark; expires=Tue, 01 Jan 2030 00:00:00 GMT; domain=localhost; path=/svc',
    ]);
  });

  it('finds same-template routes whose methods overlap', () => {
    const fake = (name: string, route: string, methods: string[]) =>
      ({
        name,
        id: name,
        metadata: { name, bindings: {} },
        callback: () => undefined,
        trigger: { type: 'httpTrigger', direction: 'in', bindingName: 't', route, methods },
      }) as const;
    const routes = buildHttpRoutes([
      fake('a', 'items/{id}', ['GET']),
      fake('b', 'Items/{key}', ['GET', 'POST']),
      fake('c', 'items/{id}', ['DELETE']),
    ]);
    expect(findAmbiguousRoutes(routes)).toEqual([['a', 'b']]);
  });

  it('formats SameSite=None only when set explicitly', () => {
    expect(formatSetCookie({ name: 'a', value: 'b', sameSite: 'none' })).toBe('a=b; path=/');
    expect(formatSetCookie({ name: 'a', value: 'b', sameSite: 'explicitNone', secure: { value: true } })).toBe(
      'a=b; path=/; secure; samesite=none',
    );
  });

  it('answers 200 with no body when the function returns nothing', async () => {
    const response = await fetch(api('noResponse'));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('answers 500 without details when a function throws, and logs the error with its invocation id', async () => {
    const response = await fetch(api('boom'));
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('');
    const failure = memory.records.find((r) => r.level === 'error' && r.fields.functionName === 'boom');
    expect(failure?.message).toMatch(/Executed 'Functions.boom' \(Failed.*kaboom: internal detail/s);
    const executing = memory.records.find((r) => r.message.startsWith("Executing 'Functions.boom'"));
    expect(failure?.fields.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(executing?.fields.invocationId).toBe(failure?.fields.invocationId);
  });
});

describe('auth levels', () => {
  it('refuses function-level routes without a key and accepts ?code= or x-functions-key', async () => {
    expect((await fetch(api('secured'))).status).toBe(401);
    expect((await fetch(api('secured?code=wrong'))).status).toBe(401);
    const byQuery = await fetch(api(`secured?code=${DEFAULT_HOST_KEYS.function}`));
    expect(byQuery.status).toBe(200);
    expect(await byQuery.text()).toBe('function-level ok');
    expect((await fetch(api('secured'), { headers: { 'x-functions-key': DEFAULT_HOST_KEYS.function } })).status).toBe(
      200,
    );
    expect((await fetch(api(`secured?code=${DEFAULT_HOST_KEYS.master}`))).status).toBe(200);
  });

  it('accepts only the master key for admin-level routes', async () => {
    expect((await fetch(api(`adminOnly?code=${DEFAULT_HOST_KEYS.function}`))).status).toBe(401);
    expect((await fetch(api('adminOnly'), { headers: { 'x-functions-key': DEFAULT_HOST_KEYS.master } })).status).toBe(
      200,
    );
  });

  it('never logs the key', () => {
    expect(memory.text()).not.toContain(DEFAULT_HOST_KEYS.function);
    expect(memory.text()).not.toContain(DEFAULT_HOST_KEYS.master);
  });
});

describe('hooks', () => {
  it('lets preInvocation replace the inputs', async () => {
    expect(await json(await fetch(api('hooked')))).toEqual({
      url: 'http://replaced.invalid/by-hook',
      body: 'replaced body',
    });
  });

  it('shows postInvocation the error of a failed invocation', async () => {
    await fetch(api('boom'));
    const state = (await json(await fetch(api('hookLog')))) as { events: { hook: string }[] };
    expect(state.events).toContainEqual({
      hook: 'postInvocation',
      functionName: 'boom',
      error: 'kaboom: internal detail',
    });
  });
});

describe('admin API', () => {
  const admin = (path: string, init?: RequestInit): Promise<Response> =>
    fetch(`${host.url}/admin/${path}`, { ...init, headers: { 'x-functions-key': DEFAULT_HOST_KEYS.master } });

  it('needs the master key', async () => {
    expect((await fetch(`${host.url}/admin/functions`)).status).toBe(401);
  });

  it('fires a timer function with POST /admin/functions/{name} (202)', async () => {
    const response = await admin('functions/nightly', { method: 'POST', body: JSON.stringify({ input: '' }) });
    expect(response.status).toBe(202);
    await expect
      .poll(async () => ((await json(await fetch(api('hookLog')))) as { timerRuns: unknown[] }).timerRuns, {
        timeout: 5000,
      })
      .toEqual([expect.objectContaining({ functionName: 'nightly', isPastDue: false })]);
  });

  it('rejects firing HTTP functions, unknown names and bad bodies', async () => {
    expect((await admin('functions/echo', { method: 'POST', body: '{}' })).status).toBe(400);
    expect((await admin('functions/missing', { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await admin('functions/nightly', { method: 'POST', body: 'not json' })).status).toBe(400);
  });

  it('lists functions with their URLs and triggers, and reports host status', async () => {
    const list = (await json(await admin('functions'))) as {
      name: string;
      trigger: string;
      invoke_url_template: string | null;
    }[];
    expect(list.find((f) => f.name === 'itemById')).toMatchObject({
      trigger: 'httpTrigger',
      invoke_url_template: `${host.url}/svc/items/{id:int}`,
    });
    expect(list.find((f) => f.name === 'nightly')).toMatchObject({
      trigger: 'timerTrigger',
      invoke_url_template: null,
      schedule: '0 0 3 * * *',
    });
    const status = (await json(await admin('host/status'))) as { state: string; hubName: string };
    expect(status).toMatchObject({ state: 'Running', hubName: 'FixtureHub', durable: true });
  });

  it('fireFunction runs a non-HTTP function and returns its result', async () => {
    const result = await host.fireFunction('Double', '21');
    expect(decodeTypedData(result.returnValue)).toBe(42);
  });
});

describe('durable seam', () => {
  it('created the extension with the real port, hub settings and system key, and started it', () => {
    expect(durableOptions?.baseUrl).toBe(`http://localhost:${host.port}`);
    expect(durableOptions?.settings.hubName).toBe('FixtureHub');
    expect(durableOptions?.systemKey).toBe(DEFAULT_HOST_KEYS.system);
    expect(durableCalls[0]).toBe('start');
  });

  it('gives durableClient inputs the extension binding data', async () => {
    const body = (await json(await fetch(api('durableInfo')))) as {
      taskHubName: string;
      payload: { statusQueryGetUri: string };
    };
    expect(body.taskHubName).toBe('FixtureHub');
    expect(body.payload.statusQueryGetUri).toBe(
      `http://localhost:${host.port}/runtime/webhooks/durabletask/instances/inst-1?taskHub=FixtureHub&connection=Storage&code=${DEFAULT_HOST_KEYS.system}`,
    );
  });

  it('delegates webhook routes (with the system key) and rpc routes to the extension', async () => {
    expect((await fetch(`${host.url}/runtime/webhooks/durabletask/instances/x`)).status).toBe(401);
    const webhook = await fetch(
      `${host.url}/runtime/webhooks/durabletask/instances/x?code=${DEFAULT_HOST_KEYS.system}`,
    );
    expect(await json(webhook)).toEqual({ served: '/runtime/webhooks/durabletask/instances/x' });
    const rpc = await fetch(`${host.url}/durabletask/instances/y`, { method: 'POST', body: 'payload' });
    expect(await json(rpc)).toEqual({ served: '/durabletask/instances/y' });
    expect(durableCalls).toContain('POST /durabletask/instances/y payload');
    expect((await fetch(`${host.url}/durabletask/orchestrators/none`)).status).toBe(404);
  });
});

describe('stop', () => {
  it('runs appTerminate (with the appStart hookData), stops the durable extension, closes the server', async () => {
    await host.stop();
    expect((globalThis as { __hostFixtureTerminations?: unknown }).__hostFixtureTerminations).toEqual([
      { startedBy: 'appStart' },
    ]);
    expect(durableCalls.at(-1)).toBe('stop');
    await expect(fetch(api('orders'))).rejects.toThrow();
    await host.stop();
    expect(durableCalls.filter((c) => c === 'stop')).toHaveLength(1);
  });

  it('refuses a second host in the same process', async () => {
    await expect(startHost({ appDir, port: 0, logger: memory.logger, durable: false })).rejects.toThrow(
      /Only one local host can run per process/,
    );
  });
});
