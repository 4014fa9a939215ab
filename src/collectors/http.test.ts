import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors';
import { parseJsonBody, parseRetryAfter, redact, sendWithRetry, transportConfig } from './http';
import { fakeClock, scriptedFetch } from './testkit';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores junk', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    expect(parseRetryAfter('66', now)).toBe(66);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1.5);
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 01 May 2024 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('sendWithRetry', () => {
  it('falls back to jittered backoff when a 429 has no Retry-After', async () => {
    const clock = fakeClock();
    const script = scriptedFetch([() => new Response('', { status: 429 }), () => new Response('{"ok":true}')]);
    const config = transportConfig('Test', [], {
      fetch: script.fetch,
      sleep: clock.sleep,
      now: clock.now,
      random: () => 0,
      backoffBaseMs: 400,
    });
    const { value } = await sendWithRetry(
      config,
      { method: 'GET', url: new URL('https://x.test/a'), headers: {} },
      parseJsonBody,
    );
    expect(value).toEqual({ ok: true });
    expect(clock.sleeps).toEqual([200]);
  });

  it('reports a network failure that outlasts the retries as retriable, with the cause kept', async () => {
    const clock = fakeClock();
    const boom = new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND x.test') });
    const script = scriptedFetch([
      () => {
        throw boom;
      },
      () => {
        throw boom;
      },
    ]);
    const config = transportConfig('Test', [], {
      fetch: script.fetch,
      sleep: clock.sleep,
      maxRetries: 1,
      random: () => 0,
    });
    await expect(
      sendWithRetry(config, { method: 'GET', url: new URL('https://x.test/a'), headers: {} }, parseJsonBody),
    ).rejects.toMatchObject({
      code: ErrorCode.CollectorHttpError,
      retriable: true,
      message: expect.stringContaining('ENOTFOUND') as unknown,
    });
  });

  it('treats an empty 200 body as malformed', async () => {
    const script = scriptedFetch([() => new Response('', { status: 200 })]);
    const config = transportConfig('Test', [], { fetch: script.fetch, maxRetries: 0 });
    await expect(
      sendWithRetry(config, { method: 'GET', url: new URL('https://x.test/a'), headers: {} }, parseJsonBody),
    ).rejects.toMatchObject({ code: ErrorCode.CollectorMalformed, retriable: true });
  });
});

describe('redact', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redact('a SECRET b SECRET c KEY', ['SECRET', 'KEY'])).toBe('a [redacted] b [redacted] c [redacted]');
  });
});
