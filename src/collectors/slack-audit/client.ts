/**
 * Slack Audit Logs API transport (`GET {base}/logs`). No Slack SDK implements this API, so it is
 * plain fetch. Vendor quirks handled here:
 * - the token is an org owner's user token (`xoxp-…`) sent as `Authorization: Bearer`;
 * - the rate limit (Tier 3, ~50/min) is org-wide, shared with every other consumer of the org, so
 *   every client for one org draws from one process-wide RequestBudget;
 * - an invalid token gets HTTP 401 with an empty body; `next_cursor` is "" on the last page;
 * - `limit` is at most 9999. Entries stay unparsed until read (see `entries.ts`): validating them is
 *   the transform's job.
 */
import { createHash } from 'node:crypto';

import { AppError, ErrorCode } from '../../errors';
import { RequestBudget, sharedBudget } from '../budget';
import { scanLogsBody, SlackAuditEntries } from './entries';
import {
  type FetchLike,
  type ReceivedResponse,
  type RetryInfo,
  type Sleep,
  type TransportConfig,
  MalformedBodyError,
  isRecord,
  parseJsonBody,
  sendWithRetry,
  transportConfig,
} from '../http';

export const SLACK_AUDIT_MAX_LIMIT = 9999;
export const SLACK_AUDIT_DEFAULT_PER_MINUTE = 50;

export interface SlackAuditBudgetOptions {
  /** Budget key: the Enterprise org id (E…). Defaults to a hash of the token (one token = one org). */
  org?: string;
  perMinute?: number;
  /** Calls allowed back to back before pacing starts. */
  burst?: number;
  /** A call that would wait longer than this for the budget fails with a retriable RateLimitedError. */
  maxWaitMs?: number;
}

export interface SlackAuditClientOptions {
  /** `https://api.slack.com/audit/v1/` in production; an emulator locally. */
  baseUrl: string;
  token: string;
  fetch?: FetchLike;
  sleep?: Sleep;
  /** Milliseconds clock (budget refill, HTTP-date Retry-After). */
  now?: () => number;
  /** Jitter source for backoff, in [0, 1). */
  random?: () => number;
  timeoutMs?: number;
  /** Extra attempts per request after the first, across 429/5xx/network/malformed. */
  maxRetries?: number;
  /** A Retry-After longer than this is not slept through: the call fails with RateLimitedError. */
  maxRetryAfterSec?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A ready RequestBudget, or options for the shared per-org one. */
  budget?: RequestBudget | SlackAuditBudgetOptions;
  onRetry?: (info: RetryInfo) => void;
}

export interface SlackAuditQuery {
  /** Unix seconds, inclusive. */
  oldest: number;
  /** Unix seconds, inclusive. */
  latest: number;
  limit: number;
  cursor?: string | null;
  /** One action or a list (joined with commas; Slack accepts up to 30). */
  action?: string | readonly string[];
  actor?: string;
  entity?: string;
}

export interface SlackAuditLogsPage {
  /** Parsed one at a time when read; an entry that is not JSON reads as its text and the reason. */
  entries: SlackAuditEntries;
  /** null on the last page (Slack sends ""). */
  nextCursor: string | null;
  rawBytes: number;
  /** HTTP attempts this page took (1 = no retry). */
  attempts: number;
}

/** The process-wide Audit Logs budget for one Enterprise org. */
export function slackAuditBudget(org: string, options: Omit<SlackAuditBudgetOptions, 'org'> = {}, now?: () => number) {
  const perMinute = options.perMinute ?? SLACK_AUDIT_DEFAULT_PER_MINUTE;
  return sharedBudget(`slack-audit:${org}`, {
    ratePerSec: perMinute / 60,
    capacity: options.burst ?? 5,
    maxWaitMs: options.maxWaitMs ?? 120_000,
    label: `Slack Audit Logs budget for ${org}`,
    ...(now === undefined ? {} : { now }),
  });
}

export class SlackAuditClient {
  readonly budget: RequestBudget;
  private readonly transport: TransportConfig;
  private readonly logsUrl: URL;
  private readonly token: string;
  private calls = 0;

  constructor(options: SlackAuditClientOptions) {
    if (options.token.trim() === '') {
      throw new AppError(ErrorCode.ConfigInvalid, 'SlackAuditClient: token is empty (set SENTRY_SLACK_AUDIT_TOKEN)');
    }
    this.token = options.token;
    this.logsUrl = new URL('logs', options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.transport = transportConfig('Slack Audit Logs', [options.token], options);
    this.budget =
      options.budget instanceof RequestBudget
        ? options.budget
        : slackAuditBudget(options.budget?.org ?? tokenFingerprint(options.token), options.budget ?? {}, options.now);
  }

  /** HTTP requests this client has sent (retries included). The org-wide count is `budget.used`. */
  get callsUsed(): number {
    return this.calls;
  }

  /** One page of `GET /logs`; retries transient failures, throws coded errors otherwise. */
  async getLogs(query: SlackAuditQuery): Promise<SlackAuditLogsPage> {
    const url = new URL(this.logsUrl);
    for (const [name, value] of queryParams(query)) url.searchParams.set(name, value);
    const { value, response } = await sendWithRetry(
      this.transport,
      {
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
        budget: this.budget,
        onAttempt: () => {
          this.calls += 1;
        },
        errorDetail: slackErrorDetail,
      },
      parseLogsPage,
    );
    return { ...value, rawBytes: response.bytes, attempts: response.attempts };
  }
}

function queryParams(query: SlackAuditQuery): [string, string][] {
  const { oldest, latest, limit } = query;
  if (!Number.isInteger(oldest) || !Number.isInteger(latest) || oldest < 0 || latest < oldest) {
    throw new AppError(ErrorCode.InputInvalid, `Slack Audit Logs: invalid window oldest=${oldest} latest=${latest}`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > SLACK_AUDIT_MAX_LIMIT) {
    throw new AppError(
      ErrorCode.InputInvalid,
      `Slack Audit Logs: limit must be 1..${SLACK_AUDIT_MAX_LIMIT}, got ${limit}`,
    );
  }
  const params: [string, string][] = [
    ['oldest', String(oldest)],
    ['latest', String(latest)],
    ['limit', String(limit)],
  ];
  if (query.cursor !== undefined && query.cursor !== null && query.cursor !== '') params.push(['cursor', query.cursor]);
  if (query.action !== undefined) {
    const actions = typeof query.action === 'string' ? [query.action] : [...query.action];
    if (actions.length > 0) params.push(['action', actions.join(',')]);
  }
  if (query.actor !== undefined) params.push(['actor', query.actor]);
  if (query.entity !== undefined) params.push(['entity', query.entity]);
  return params;
}

/** The page with its entries left unparsed, or, where the byte scan gives up, parsed whole as any JSON body. */
function parseLogsPage(received: ReceivedResponse): { entries: SlackAuditEntries; nextCursor: string | null } {
  const scanned = scanLogsBody(received.body);
  if (scanned !== null) return { entries: scanned.entries, nextCursor: parseLogsBody(scanned.envelope).nextCursor };
  const { entries, nextCursor } = parseLogsBody(parseJsonBody(received));
  return { entries: SlackAuditEntries.fromValues(entries), nextCursor };
}

function parseLogsBody(body: unknown): { entries: unknown[]; nextCursor: string | null } {
  if (!isRecord(body)) throw new MalformedBodyError('body is not a JSON object');
  if (body.ok === false) {
    // Slack uses real status codes, so a 200 with ok:false is not expected; do not retry it blindly.
    const code = typeof body.error === 'string' ? body.error : 'unknown_error';
    throw new AppError(ErrorCode.CollectorHttpError, `Slack Audit Logs answered ok:false (${code})`, {
      context: { error: code },
    });
  }
  const entries = body.entries ?? [];
  if (!Array.isArray(entries)) throw new MalformedBodyError('entries is not an array');
  const metadata = body.response_metadata;
  let cursor: unknown = undefined;
  if (metadata !== undefined) {
    if (!isRecord(metadata)) throw new MalformedBodyError('response_metadata is not an object');
    cursor = metadata.next_cursor;
  }
  if (cursor !== undefined && cursor !== null && typeof cursor !== 'string') {
    throw new MalformedBodyError('response_metadata.next_cursor is not a string');
  }
  // Slack sends next_cursor: "" on the last page.
  return { entries: entries as unknown[], nextCursor: typeof cursor === 'string' && cursor !== '' ? cursor : null };
}

function slackErrorDetail(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (isRecord(body) && typeof body.error === 'string') {
      return typeof body.needed === 'string' ? `${body.error} (needed ${body.needed})` : body.error;
    }
  } catch {
    // not JSON: fall back to the raw (truncated, redacted) text
  }
  return undefined;
}

function tokenFingerprint(token: string): string {
  return `token-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}
