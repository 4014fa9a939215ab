/**
 * The retrying HTTP core shared by the collector clients. One call = one logical request: each
 * attempt first reserves a slot in the org's RequestBudget, runs under its own timeout, and is
 * retried (up to `maxRetries` extra attempts in total, whatever the cause) on 429 (waiting exactly
 * `Retry-After`, bounded by `maxRetryAfterSec`), 5xx/408, network failures, timeouts and bodies that
 * do not parse. Any other status fails at once with a coded, non-retriable error. Secrets are never
 * part of a URL here (they travel in headers) and are scrubbed from every message we build.
 */
import { AppError, ErrorCode, HttpStatusError, RateLimitedError } from '../errors';
import type { RequestBudget } from './budget';

/** The subset of `fetch` the clients use; the global `fetch` satisfies it. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryInfo {
  attempt: number;
  reason: 'rate_limited' | 'server_error' | 'network_error' | 'timeout' | 'malformed';
  status?: number;
  waitMs: number;
}

export interface TransportConfig {
  /** Human name used in error messages ('Slack Audit Logs', 'Meraki'). */
  service: string;
  fetch: FetchLike;
  sleep: Sleep;
  now: () => number;
  random: () => number;
  timeoutMs: number;
  maxRetries: number;
  maxRetryAfterSec: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Strings that must never appear in an error message (tokens, API keys). */
  secrets: readonly string[];
  onRetry?: ((info: RetryInfo) => void) | undefined;
}

export interface TransportDefaults {
  fetch?: FetchLike | undefined;
  sleep?: Sleep | undefined;
  now?: (() => number) | undefined;
  random?: (() => number) | undefined;
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
  maxRetryAfterSec?: number | undefined;
  backoffBaseMs?: number | undefined;
  backoffMaxMs?: number | undefined;
  onRetry?: ((info: RetryInfo) => void) | undefined;
}

export function transportConfig(
  service: string,
  secrets: readonly string[],
  options: TransportDefaults,
): TransportConfig {
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  return {
    service,
    fetch: fetchImpl,
    sleep: options.sleep ?? realSleep,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    timeoutMs: options.timeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 4,
    maxRetryAfterSec: options.maxRetryAfterSec ?? 120,
    backoffBaseMs: options.backoffBaseMs ?? 1_000,
    backoffMaxMs: options.backoffMaxMs ?? 30_000,
    secrets: secrets.filter((secret) => secret.length > 0),
    onRetry: options.onRetry,
  };
}

export interface OutgoingRequest {
  method: 'GET' | 'PUT' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  budget?: RequestBudget | undefined;
  /** Called once per HTTP attempt, before it is sent (call accounting). */
  onAttempt?: () => void;
  /** Extracts a short, secret-free reason from an error body ('invalid_auth', Meraki's errors[0]). */
  errorDetail?: (text: string) => string | undefined;
}

export interface ReceivedResponse {
  status: number;
  headers: Headers;
  /** The body decoded (on first read: a multi-megabyte page read from `body` is never decoded whole). */
  readonly text: string;
  /** The body's bytes. */
  readonly body: Buffer;
  /** UTF-8 size of the body, for perf accounting. */
  bytes: number;
  /** HTTP attempts this logical request took (1 = no retry). */
  attempts: number;
  rateLimitedWaits: number;
}

/** Thrown by a body parser when a 2xx body is not what the API documents; retried as transient. */
export class MalformedBodyError extends Error {}

/** Sends `request`, retrying transient failures, and returns the parsed 2xx body. */
export async function sendWithRetry<T>(
  config: TransportConfig,
  request: OutgoingRequest,
  parse: (response: ReceivedResponse) => T,
): Promise<{ value: T; response: ReceivedResponse }> {
  const where = `${request.method} ${request.url.pathname}`;
  let rateLimitedWaits = 0;
  for (let attempt = 0; ; attempt += 1) {
    const exhausted = attempt >= config.maxRetries;
    if (request.budget !== undefined) {
      const wait = request.budget.reserve();
      if (wait > 0) await config.sleep(wait);
    }
    request.onAttempt?.();

    let response: ReceivedResponse;
    try {
      response = await fetchOnce(config, request, attempt + 1, rateLimitedWaits);
    } catch (error) {
      const timedOut = error instanceof TimeoutSignal;
      const message = timedOut
        ? `${config.service}: ${where} timed out after ${config.timeoutMs}ms`
        : `${config.service}: ${where} failed: ${redact(describeNetworkError(error), config.secrets)}`;
      if (exhausted) {
        throw new AppError(timedOut ? ErrorCode.CollectorTimeout : ErrorCode.CollectorHttpError, message, {
          retriable: true,
          cause: timedOut ? undefined : error,
          context: { service: config.service, attempts: attempt + 1 },
        });
      }
      await backoff(config, attempt, timedOut ? 'timeout' : 'network_error', undefined);
      continue;
    }

    const context = {
      service: config.service,
      status: response.status,
      attempts: attempt + 1,
      requestId: requestId(response),
    };
    if (response.status === 429) {
      const retryAfterSec = parseRetryAfter(response.headers.get('retry-after'), config.now());
      const waitSec = retryAfterSec ?? backoffMs(config, attempt) / 1000;
      if (exhausted || waitSec > config.maxRetryAfterSec) {
        throw new RateLimitedError(config.service, Math.ceil(waitSec), { context });
      }
      const waitMs = Math.round(waitSec * 1000);
      request.budget?.pauseFor(waitMs);
      rateLimitedWaits += 1;
      config.onRetry?.({ attempt: attempt + 1, reason: 'rate_limited', status: 429, waitMs });
      await config.sleep(waitMs);
      continue;
    }
    if (response.status >= 500 || response.status === 408) {
      if (exhausted) {
        throw new HttpStatusError(config.service, response.status, `${where} ${detailOf(request, response, config)}`, {
          retriable: true,
          context,
        });
      }
      await backoff(config, attempt, 'server_error', response.status);
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      throw new HttpStatusError(config.service, response.status, `${where} ${detailOf(request, response, config)}`, {
        retriable: false,
        context,
      });
    }

    try {
      return { value: parse(response), response };
    } catch (error) {
      if (!(error instanceof MalformedBodyError)) throw error;
      if (exhausted) {
        throw new AppError(
          ErrorCode.CollectorMalformed,
          `${config.service}: ${where} returned a malformed body (${redact(error.message, config.secrets)})`,
          { retriable: true, context: { ...context, bytes: response.bytes } },
        );
      }
      await backoff(config, attempt, 'malformed', response.status);
    }
  }
}

/** Parses a JSON body, turning a syntax error (truncated page, HTML error page) into MalformedBodyError. */
export function parseJsonBody(response: ReceivedResponse): unknown {
  if (response.text.trim() === '') throw new MalformedBodyError('empty body');
  try {
    return JSON.parse(response.text) as unknown;
  } catch (error) {
    throw new MalformedBodyError(`invalid JSON: ${(error as Error).message}`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Retry-After` as seconds (delta-seconds or an HTTP date), or undefined when absent/unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - nowMs) / 1000);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

class TimeoutSignal extends Error {}

const EMPTY_BODY = Buffer.alloc(0);

/**
 * A body as text, the way `Response.text()` decodes it (UTF-8, a leading byte order mark dropped,
 * malformed bytes as U+FFFD) but about twice as fast on multi-megabyte audit pages, and with the
 * byte count for free instead of re-measuring the decoded string.
 */
export function decodeUtf8(body: Buffer): string {
  const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  return body.toString('utf8', bom ? 3 : 0);
}

async function fetchOnce(
  config: TransportConfig,
  request: OutgoingRequest,
  attempts: number,
  rateLimitedWaits: number,
): Promise<ReceivedResponse> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // Raced rather than trusted: a fetch that ignores its signal must still time out.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new TimeoutSignal());
    }, config.timeoutMs);
  });
  try {
    return await Promise.race([
      (async () => {
        const init: RequestInit = { method: request.method, headers: request.headers, signal: controller.signal };
        if (request.body !== undefined) init.body = request.body;
        const res = await config.fetch(request.url.toString(), init);
        const body = res.status === 204 ? EMPTY_BODY : Buffer.from(await res.arrayBuffer());
        let text: string | undefined;
        return {
          status: res.status,
          headers: res.headers,
          get text() {
            return (text ??= decodeUtf8(body));
          },
          body,
          bytes: body.length,
          attempts,
          rateLimitedWaits,
        };
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function backoffMs(config: TransportConfig, attempt: number): number {
  const ceiling = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (config.random() * ceiling) / 2);
}

async function backoff(
  config: TransportConfig,
  attempt: number,
  reason: RetryInfo['reason'],
  status: number | undefined,
) {
  const waitMs = backoffMs(config, attempt);
  config.onRetry?.({ attempt: attempt + 1, reason, ...(status === undefined ? {} : { status }), waitMs });
  await config.sleep(waitMs);
}

function detailOf(request: OutgoingRequest, response: ReceivedResponse, config: TransportConfig): string {
  if (response.text.trim() === '') return '(empty body)';
  const detail = request.errorDetail?.(response.text) ?? response.text.slice(0, 200);
  return redact(detail, config.secrets);
}

function requestId(response: ReceivedResponse): string | undefined {
  return response.headers.get('x-request-id') ?? response.headers.get('x-slack-req-id') ?? undefined;
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
