import { afterEach, describe, expect, it } from 'vitest';

import { json, Router, startEmulatorServer, type StartedServer } from './server';

let server: StartedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<StartedServer> {
  const router = new Router().on('GET', '/items/{id}', (req) => json(200, { id: req.params.id, q: req.query.get('q') }));
  server = await startEmulatorServer({ name: 'test', router });
  return server;
}

describe('emulator server', () => {
  it('routes with params and records requests', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/items/a%20b?q=1`);
    expect(await res.json()).toEqual({ id: 'a b', q: '1' });
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
    expect((await fetch(`${s.url}/items/x`, { method: 'POST' })).status).toBe(405);
    expect(s.requests.map((r) => r.status)).toEqual([200, 404, 405]);
  });

  it('applies counted status faults, then recovers', async () => {
    const s = await start();
    s.faults.add({ kind: 'status', status: 429, retryAfterSec: 7, count: 2, match: { path: '/items' } });
    const first = await fetch(`${s.url}/items/1`);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect((await fetch(`${s.url}/items/1`)).status).toBe(429);
    expect((await fetch(`${s.url}/items/1`)).status).toBe(200);
  });

  it('switches faults from another process over /_faults, and truncates bodies when malformed', async () => {
    const s = await start();
    await fetch(`${s.url}/_faults`, { method: 'POST', body: JSON.stringify({ kind: 'malformed', count: 1 }) });
    const text = await (await fetch(`${s.url}/items/123456`)).text();
    expect(() => JSON.parse(text) as unknown).toThrow();
    expect(await (await fetch(`${s.url}/items/1`)).json()).toEqual({ id: '1', q: null });
  });

  it('drops connections when asked', async () => {
    const s = await start();
    s.faults.add({ kind: 'drop', count: 1 });
    await expect(fetch(`${s.url}/items/1`)).rejects.toThrow();
    expect((await fetch(`${s.url}/items/1`)).status).toBe(200);
  });
});
