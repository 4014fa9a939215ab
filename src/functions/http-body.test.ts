import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';

import { MAX_BODY_BYTES, readBody } from './http-body';

function post(body: string, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ method: 'POST', url: 'https://sentry.example/api/x', headers, body: { string: body } });
}

/** A request whose body streams without a declared length (what HTTP streaming hands a trigger). */
function chunked(body: ReadableStream<Uint8Array>): HttpRequest {
  return { headers: new Headers(), body } as unknown as HttpRequest;
}

describe('readBody', () => {
  it('reads a body under the cap', async () => {
    expect(await readBody(post('{"a":1}'))).toEqual({ ok: true, text: '{"a":1}' });
  });

  it('refuses a declared length over the cap with 413 without reading a byte', async () => {
    const request = post('x', { 'content-length': String(MAX_BODY_BYTES + 1) });
    const result = await readBody(request);
    expect(result.ok || result.response.status).toBe(413);
    expect(request.bodyUsed).toBe(false);
    const bad = await readBody(post('x', { 'content-length': 'lots' }));
    expect(bad.ok || bad.response.status).toBe(400);
  });

  it('stops reading an undeclared (chunked) body as soon as it passes the cap', async () => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(chunk);
      },
    });
    const result = await readBody(chunked(endless), 256 * 1024);
    expect(result.ok || result.response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });
});

describe('every HTTP trigger', () => {
  it('reads request bodies only through readBody (so every one is capped)', () => {
    const dir = join(__dirname);
    const files = [
      ...readdirSync(dir).map((f) => join(dir, f)),
      ...readdirSync(join(dir, 'handlers')).map((f) => join(dir, 'handlers', f)),
    ].filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('http-body.ts'));
    const readers = files.filter((f) =>
      /\b(request|req)\.(text|json|arrayBuffer|formData|blob)\(/.test(readFileSync(f, 'utf8')),
    );
    expect(readers).toEqual([]);
  });
});
