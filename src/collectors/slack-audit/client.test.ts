import { afterEach, describe, expect, it } from 'vitest';

import { AppError, ErrorCode, HttpStatusError, RateLimitedError } from '../../errors';
import { resetSharedBudgets } from '../budget';
import {
  fakeClock,
  jsonResponse,
  loadExchange,
  scriptedFetch,
  type SentRequest,
} from '../../../test/helpers/collector-testkit';
import { SlackAuditClient, type SlackAuditClientOptions } from './client';

const TOKEN = 'xoxp-1111-2222-3333-abcdefabcdef';
const BASE = 'https://api.slack.com/audit/v1/';
const WINDOW = { oldest: 1_700_000_000, latest: 1_700_000_600 };

function client(steps: Parameters<typeof scriptedFetch>[0], options: Partial<SlackAuditClientOptions> = {}) {
  const clock = fakeClock();
  const script = scriptedFetch(steps);
  const instance = new SlackAuditClient({
    baseUrl: BASE,
    token: TOKEN,
    fetch: script.fetch,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    budget: { org: `E-test-${Math.random()}`, perMinute: 6000, burst: 100 },
    ...options,
  });
  return { instance, clock, script };
}

async function caught(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

afterEach(() => {
  resetSharedBudgets();
});

describe('SlackAuditClient.getLogs', () => {
  it('sends the bearer token and inclusive window, and reads a single page', async () => {
    const exchange = loadExchange('slack-audit-pages', '001-single-page');
    const { instance, script } = client([exchange]);

    const page = await instance.getLogs({ ...WINDOW, limit: 1000 });

    const [sent] = script.requests as [SentRequest];
    expect(sent.method).toBe('GET');
    expect(sent.url.origin + sent.url.pathname).toBe('https://api.slack.com/audit/v1/logs');
    expect(Object.fromEntries(sent.url.searchParams)).toEqual(exchange.request?.query);
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent.headers.accept).toBe('application/json');
    expect(page.entries).toHaveLength(3);
    expect(page.nextCursor).toBeNull();
    expect(page.rawBytes).toBe(Buffer.byteLength(JSON.stringify(exchange.response.body)));
    expect(page.attempts).toBe(1);
    expect(instance.callsUsed).toBe(1);
  });

  it('returns the cursor of a non-final page and sends it back with the same filters', async () => {
    const { instance, script } = client([
      loadExchange('slack-audit-pages', '002-multi-page-1'),
      loadExchange('slack-audit-pages', '003-multi-page-2'),
    ]);
    const first = await instance.getLogs({
      ...WINDOW,
      limit: 2,
      action: ['file_downloaded', 'anomaly'],
      actor: 'W0AAAA001',
    });
    expect(first.nextCursor).toBe('dXNlcjpXMEFBQUEwMDE6MTcwMDAwMDYwMA==');
    const second = await instance.getLogs({
      ...WINDOW,
      limit: 2,
      cursor: first.nextCursor,
      action: ['file_downloaded', 'anomaly'],
      actor: 'W0AAAA001',
    });
    expect(second.nextCursor).toBeNull();
    const query = script.requests[1]?.url.searchParams;
    expect(query?.get('cursor')).toBe('dXNlcjpXMEFBQUEwMDE6MTcwMDAwMDYwMA==');
    expect(query?.get('action')).toBe('file_downloaded,anomaly');
    expect(query?.get('actor')).toBe('W0AAAA001');
    expect(query?.get('oldest')).toBe(String(WINDOW.oldest));
    expect(script.requests[0]?.url.searchParams.has('cursor')).toBe(false);
  });

  it('reads an empty page as no entries and no cursor', async () => {
    const { instance } = client([loadExchange('slack-audit-pages', '004-empty-page')]);
    const page = await instance.getLogs({ ...WINDOW, limit: 1000 });
    expect(page.entries.toArray()).toEqual([]);
    expect(page.nextCursor).toBeNull();
  });

  it('on 429 waits exactly Retry-After, then retries', async () => {
    const retries: unknown[] = [];
    const { instance, clock, script } = client(
      [loadExchange('slack-audit-pages', '005-rate-limited'), loadExchange('slack-audit-pages', '001-single-page')],
      { onRetry: (info) => retries.push(info) },
    );
    const page = await instance.getLogs({ ...WINDOW, limit: 1000 });
    expect(page.entries).toHaveLength(3);
    expect(clock.sleeps).toEqual([7000]);
    expect(script.requests).toHaveLength(2);
    expect(page.attempts).toBe(2);
    expect(retries).toEqual([{ attempt: 1, reason: 'rate_limited', status: 429, waitMs: 7000 }]);
  });

  it('pauses every caller of the org budget after a 429, not only the refused one', async () => {
    const clock = fakeClock();
    const othersWait: number[] = [];
    let instance: SlackAuditClient | undefined = undefined;
    const sleep = async (ms: number) => {
      // Another caller of the same org arrives while the refused one sleeps.
      if (othersWait.length === 0 && instance !== undefined) othersWait.push(instance.budget.reserve());
      await clock.sleep(ms);
    };
    const script = scriptedFetch([
      loadExchange('slack-audit-pages', '005-rate-limited'),
      loadExchange('slack-audit-pages', '004-empty-page'),
    ]);
    instance = new SlackAuditClient({
      baseUrl: BASE,
      token: TOKEN,
      fetch: script.fetch,
      sleep,
      now: clock.now,
      budget: { org: 'E-pause', perMinute: 6000, burst: 100 },
    });
    await instance.getLogs({ ...WINDOW, limit: 1000 });
    expect(othersWait).toEqual([7000]);
    expect(clock.sleeps).toEqual([7000]);
  });

  it('does not sleep through a Retry-After beyond the bound: fails retriable with the wait', async () => {
    const limited = loadExchange('slack-audit-pages', '005-rate-limited');
    limited.response.headers = { ...limited.response.headers, 'retry-after': '900' };
    const { instance, clock } = client([limited], { maxRetryAfterSec: 120 });
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ retryAfterSec: 900 });
    expect(error.retriable).toBe(true);
    expect(clock.sleeps).toEqual([]);
  });

  it('counts 429 waits against maxRetries', async () => {
    const limited = loadExchange('slack-audit-pages', '005-rate-limited');
    const { instance, clock, script } = client([limited, limited, limited], { maxRetries: 2 });
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error.code).toBe(ErrorCode.CollectorRateLimited);
    expect(script.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([7000, 7000]);
  });

  it('retries a 5xx after a jittered backoff and then succeeds', async () => {
    const { instance, clock } = client(
      [loadExchange('slack-audit-pages', '006-server-error'), loadExchange('slack-audit-pages', '001-single-page')],
      { backoffBaseMs: 1000, random: () => 0.5 },
    );
    const page = await instance.getLogs({ ...WINDOW, limit: 1000 });
    expect(page.entries).toHaveLength(3);
    // ceiling 1000 ms on the first retry; equal jitter: 500 + 0.5 × 500
    expect(clock.sleeps).toEqual([750]);
  });

  it('gives up on persistent 5xx after maxRetries with a retriable error and exponential waits', async () => {
    const failure = loadExchange('slack-audit-pages', '006-server-error');
    const { instance, clock, script } = client([failure, failure, failure, failure], {
      maxRetries: 3,
      backoffBaseMs: 1000,
      backoffMaxMs: 3000,
      random: () => 1,
    });
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error.code).toBe(ErrorCode.CollectorHttpError);
    expect(error.retriable).toBe(true);
    expect(error).toMatchObject({ status: 503 });
    expect(script.requests).toHaveLength(4);
    expect(clock.sleeps).toEqual([1000, 2000, 3000]);
  });

  it('retries network failures', async () => {
    const { instance, clock } = client([
      () => {
        throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
      },
      loadExchange('slack-audit-pages', '004-empty-page'),
    ]);
    const page = await instance.getLogs({ ...WINDOW, limit: 1000 });
    expect(page.entries.toArray()).toEqual([]);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('times out a request that never answers, even if fetch ignores the abort signal', async () => {
    const { instance } = client([() => new Promise<Response>(() => undefined)], { timeoutMs: 20, maxRetries: 0 });
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error.code).toBe(ErrorCode.CollectorTimeout);
    expect(error.retriable).toBe(true);
  });

  it('aborts the fetch signal on timeout', async () => {
    let aborted = false;
    const { instance } = client([], {
      timeoutMs: 20,
      maxRetries: 0,
      fetch: (_url, init) =>
        new Promise<Response>((_, reject) => {
          init.signal?.addEventListener('abort', () => {
            aborted = true;
            reject(new DOMException('aborted', 'AbortError'));
          });
        }),
    });
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error.code).toBe(ErrorCode.CollectorTimeout);
    expect(aborted).toBe(true);
  });

  it('fails 401 with an empty body at once: non-retriable auth error, no token in the message', async () => {
    const { instance, clock, script } = client([loadExchange('slack-audit-pages', '007-invalid-auth')]);
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error.code).toBe(ErrorCode.CollectorAuth);
    expect(error.retriable).toBe(false);
    expect(error).toMatchObject({ status: 401 });
    expect(error.message).toContain('empty body');
    expect(JSON.stringify(error.toJSON())).not.toContain(TOKEN);
    expect(error.message).not.toContain(TOKEN);
    expect(script.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('names the missing scope on 403', async () => {
    const { instance } = client([loadExchange('slack-audit-pages', '010-forbidden-scope')]);
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error.code).toBe(ErrorCode.CollectorAuth);
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('missing_scope (needed auditlogs:read)');
  });

  it('scrubs the token if an error body echoes it', async () => {
    const { instance } = client([() => new Response(`bad token ${TOKEN} rejected`, { status: 400 })]);
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error.code).toBe(ErrorCode.CollectorHttpError);
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain(TOKEN);
  });

  it('turns a truncated JSON page into a retriable CollectorMalformed error', async () => {
    const { instance } = client([loadExchange('slack-audit-pages', '008-malformed-truncated')], { maxRetries: 0 });
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error.code).toBe(ErrorCode.CollectorMalformed);
    expect(error.retriable).toBe(true);
  });

  it('re-fetches a malformed page while retries remain', async () => {
    const { instance, script } = client([
      loadExchange('slack-audit-pages', '008-malformed-truncated'),
      loadExchange('slack-audit-pages', '001-single-page'),
    ]);
    const page = await instance.getLogs({ ...WINDOW, limit: 1000 });
    expect(page.entries).toHaveLength(3);
    expect(script.requests).toHaveLength(2);
  });

  it('rejects a body whose entries is not an array', async () => {
    const { instance } = client([() => jsonResponse(200, { ok: true, entries: { id: 'x' } })], { maxRetries: 0 });
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error.code).toBe(ErrorCode.CollectorMalformed);
  });

  it('rejects a page size above 9999 before calling Slack', async () => {
    const { instance, script } = client([]);
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 10_000 }));
    expect(error.code).toBe(ErrorCode.InputInvalid);
    expect(script.requests).toHaveLength(0);
    await expect(instance.getLogs({ ...WINDOW, limit: 9999 })).rejects.toThrow(/unexpected request/);
  });

  it('refuses an empty token with a config error that names the setting', () => {
    expect(() => new SlackAuditClient({ baseUrl: BASE, token: ' ' })).toThrow(/SENTRY_SLACK_AUDIT_TOKEN/);
  });
});

describe('Slack audit request budget', () => {
  it('is shared by every client of the same org', async () => {
    const clock = fakeClock();
    const script = scriptedFetch(Array.from({ length: 4 }, () => loadExchange('slack-audit-pages', '004-empty-page')));
    const options = {
      baseUrl: BASE,
      token: TOKEN,
      fetch: script.fetch,
      sleep: clock.sleep,
      now: clock.now,
      budget: { org: 'E0123ABCD', perMinute: 60, burst: 2 },
    };
    const a = new SlackAuditClient(options);
    const b = new SlackAuditClient({ ...options, token: 'xoxp-another-token-same-org' });

    await a.getLogs({ ...WINDOW, limit: 1000 });
    await b.getLogs({ ...WINDOW, limit: 1000 });
    expect(clock.sleeps).toEqual([]);
    // The burst of 2 is spent org-wide: the third call, from either client, waits one token (1 s at 60/min).
    await a.getLogs({ ...WINDOW, limit: 1000 });
    expect(clock.sleeps).toEqual([1000]);

    expect(a.budget).toBe(b.budget);
    expect(a.budget.used).toBe(3);
    expect(a.callsUsed).toBe(2);
    expect(b.callsUsed).toBe(1);

    const other = new SlackAuditClient({ ...options, budget: { org: 'E9999ZZZZ', perMinute: 60, burst: 2 } });
    await other.getLogs({ ...WINDOW, limit: 1000 });
    expect(clock.sleeps).toEqual([1000]);
    expect(other.budget.used).toBe(1);
  });

  it('defaults the budget key to the token, so two clients with one token share it', () => {
    const a = new SlackAuditClient({ baseUrl: BASE, token: TOKEN });
    const b = new SlackAuditClient({ baseUrl: BASE, token: TOKEN });
    const c = new SlackAuditClient({ baseUrl: BASE, token: `${TOKEN}-other` });
    expect(a.budget).toBe(b.budget);
    expect(a.budget).not.toBe(c.budget);
    expect(a.budget.ratePerSec).toBeCloseTo(50 / 60);
    expect(a.budget.label).not.toContain(TOKEN);
  });

  it('fails retriable instead of queueing longer than maxWaitMs', async () => {
    const clock = fakeClock();
    const script = scriptedFetch([loadExchange('slack-audit-pages', '004-empty-page')]);
    const instance = new SlackAuditClient({
      baseUrl: BASE,
      token: TOKEN,
      fetch: script.fetch,
      sleep: clock.sleep,
      now: clock.now,
      budget: { org: 'E-slow', perMinute: 1, burst: 1, maxWaitMs: 10_000 },
    });
    await instance.getLogs({ ...WINDOW, limit: 1000 });
    const error = await caught(instance.getLogs({ ...WINDOW, limit: 1000 }));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ retryAfterSec: 60 });
    expect(script.requests).toHaveLength(1);
    expect(instance.budget.used).toBe(1);
  });
});
