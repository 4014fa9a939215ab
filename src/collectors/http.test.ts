import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors';
import { decodeUtf8, parseJsonBody, parseRetryAfter, redact, sendWithRetry, transportConfig } from './http';
import { fakeClock, scriptedFetch } from '../../test/helpers/collector-testkit';

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

describe('response bodies', () => {
  it('decode as Response.text() does: BOM dropped, multi-byte kept, malformed bytes replaced', async () => {
    const samples: Buffer[] = [
      Buffer.from('{"entries":[]}'),
      Buffer.from('\uFEFF{"a":"é 漢字 😀"}'),
      Buffer.from([0xef, 0xbb]), // half a BOM
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), // bytes that are never UTF-8
      Buffer.from([0x22, 0xe6, 0xbc, 0x22]), // a three-byte character cut short
      Buffer.from([0xf0, 0x9f, 0x98]), // a four-byte character cut short at the end
      Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
      Buffer.alloc(0),
    ];
    // And random bytes, biased to the high range where the decoders' rules differ.
    let seed = 7;
    for (let n = 0; n < 200; n += 1) {
      const bytes = Buffer.alloc(1 + (n % 17));
      for (let i = 0; i < bytes.length; i += 1) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        bytes[i] = seed % 3 === 0 ? seed % 128 : 128 + (seed % 128);
      }
      samples.push(bytes);
    }
    for (const bytes of samples) expect(decodeUtf8(bytes)).toBe(await new Response(bytes).text());
  });

  it('report the bytes received, not the length of the decoded text', async () => {
    const body = '{"ok":true,"name":"漢字 😀 é"}';
    const script = scriptedFetch([() => new Response(body)]);
    const config = transportConfig('Test', [], { fetch: script.fetch, maxRetries: 0 });
    const { value, response } = await sendWithRetry(
      config,
      { method: 'GET', url: new URL('https://x.test/a'), headers: {} },
      parseJsonBody,
    );
    expect(value).toEqual({ ok: true, name: '漢字 😀 é' });
    expect(response.bytes).toBe(Buffer.byteLength(body));
    expect(response.bytes).not.toBe(body.length);
  });
});

describe('redact', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redact('a SECRET b SECRET c KEY', ['SECRET', 'KEY'])).toBe('a [redacted] b [redacted] c [redacted]');
  });
});
