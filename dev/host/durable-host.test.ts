// The host front with the real durable extension (dev/host/durable): the app's DurableClient talks to
// the host over HTTP, exactly as in production. One app load per file (fixtures/durable-http-app).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_HOST_KEYS, type Host, startHost } from './index';
import { createMemoryLogger } from './logger';

const memory = createMemoryLogger();
const dataDir = mkdtempSync(join(tmpdir(), 'sentry-host-durable-'));
let host: Host;

beforeAll(async () => {
  host = await startHost({
    appDir: join(__dirname, 'fixtures/durable-http-app'),
    port: 0,
    dataDir,
    logger: memory.logger,
    env: { FIXTURE_DURABLE_HUB: 'FrontHub' },
  });
});

afterAll(async () => {
  await host.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (name: string, input: unknown, wait: boolean): Promise<Response> =>
  fetch(`${host.url}/api/orchestrators/${name}?code=${DEFAULT_HOST_KEYS.function}${wait ? '&wait=true' : ''}`, {
    method: 'POST',
    body: JSON.stringify(input),
  });

describe('host + durable extension', () => {
  it('loads dev/host/durable by default and runs an orchestration started over HTTP to completion', async () => {
    expect(host.durable).toBeDefined();
    const response = await start('SquareAll', [2, 3, 4], true);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([4, 9, 16]);
  });

  it('returns management URLs on the real port and hub, usable with the system key', async () => {
    const response = await start('WaitForApproval', {}, false);
    expect(response.status).toBe(202);
    const payload = (await response.json()) as { id: string; statusQueryGetUri: string; sendEventPostUri: string };
    expect(payload.statusQueryGetUri).toBe(
      `${host.url}/runtime/webhooks/durabletask/instances/${payload.id}?taskHub=FrontHub&connection=Storage&code=${DEFAULT_HOST_KEYS.system}`,
    );
    const withoutKey = payload.statusQueryGetUri.replace(/&code=[^&]*/, '');
    expect((await fetch(withoutKey)).status).toBe(401);

    const raised = await fetch(payload.sendEventPostUri.replace('{eventName}', 'Approval'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'alice' }),
    });
    expect(raised.status).toBe(202);
    await expect
      .poll(
        async () =>
          (await (await fetch(payload.statusQueryGetUri)).json()) as { runtimeStatus: string; output: unknown },
        { timeout: 10_000 },
      )
      .toMatchObject({ runtimeStatus: 'Completed', output: { approvedBy: 'alice' } });
  });

  it('logs app lines with the function name and invocation id', () => {
    const started = memory.records.find((r) => r.message.startsWith('started '));
    expect(started?.fields).toMatchObject({
      functionName: 'start',
      invocationId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
  });
});
