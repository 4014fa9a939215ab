import { createRequire } from 'node:module';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { type CoreRegistry, installCoreModule } from './core-shim';
import { decodeTypedData, Invoker, type LogFields } from './invoker';

const logs: { message: string; fields?: LogFields }[] = [];
let registry: CoreRegistry;
let invoker: Invoker;

beforeAll(() => {
  registry = installCoreModule();
  createRequire(__filename)(join(__dirname, 'fixtures/basic-app/index.js'));
  invoker = new Invoker(registry, (_level, message, fields) => logs.push({ message, fields }));
});

describe('core shim + invoker', () => {
  it('captures registrations with their trigger bindings', () => {
    const byName = Object.fromEntries(invoker.list().map((f) => [f.name, f.trigger.type]));
    expect(byName).toEqual({ hello: 'httpTrigger', Square: 'activityTrigger', SquareAll: 'orchestrationTrigger' });
    expect(registry.hooks.preInvocation).toHaveLength(1);
  });

  it('invokes an HTTP function through the programming model and encodes its response', async () => {
    const result = await invoker.invoke('hello', {
      trigger: {
        http: {
          method: 'POST',
          url: 'http://localhost:7071/api/hello/ada?q=1',
          headers: { 'content-type': 'text/plain' },
          query: { q: '1' },
          params: { name: 'ada' },
          body: { bytes: Buffer.from('hi') },
        },
      },
    });
    const http = result.returnValue?.http as { statusCode: string; body: { bytes: Uint8Array } };
    expect(http.statusCode).toBe('201');
    expect(JSON.parse(Buffer.from(http.body.bytes).toString('utf8'))).toEqual({ name: 'ada', q: '1', body: 'hi' });
    expect(logs.find((l) => l.message === 'hello ada')?.fields).toMatchObject({
      functionName: 'hello',
      invocationId: result.invocationId,
    });
  });

  it('passes activity input as the extension does and returns the raw value', async () => {
    const result = await invoker.invoke('Square', { trigger: { json: '7' } });
    expect(decodeTypedData(result.returnValue)).toBe(49);
  });

  it('runs the real durable-functions orchestrator on a history payload', async () => {
    const now = new Date().toISOString();
    const payload = {
      history: [
        { EventType: 12, EventId: -1, IsPlayed: false, Timestamp: now },
        { EventType: 0, EventId: -1, IsPlayed: false, Timestamp: now, Name: 'SquareAll', Input: '[2,3]' },
      ],
      input: [2, 3],
      instanceId: 'abc',
      isReplaying: false,
      parentInstanceId: null,
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '6.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    const result = await invoker.invoke('SquareAll', {
      trigger: { string: JSON.stringify(payload) },
      instanceId: 'abc',
    });
    const state = decodeTypedData(result.returnValue) as { isDone: boolean; actions: unknown[][] };
    expect(state.isDone).toBe(false);
    expect(state.actions[0]).toEqual([
      {
        actionType: 12,
        compoundActions: [
          { actionType: 0, functionName: 'Square', input: 2 },
          { actionType: 0, functionName: 'Square', input: 3 },
        ],
      },
    ]);
  });

  it('refuses registrations after startup and unknown functions', async () => {
    registry.lock();
    const { app } = createRequire(__filename)('@azure/functions') as typeof import('@azure/functions');
    expect(() => {
      app.http('late', { handler: () => ({}) });
    }).toThrow(/only be registered during app startup/);
    await expect(invoker.invoke('missing', { trigger: { json: '1' } })).rejects.toThrow(/not registered/);
  });
});
