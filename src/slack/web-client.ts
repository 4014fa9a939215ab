/**
 * The Slack Web API clients the response activities use. `@slack/web-api` retries any non-200
 * answer for about 30 minutes by default; inside a Durable activity that has its own retry policy
 * that would hold the activity far past Slack's usefulness, so each client retries twice within a
 * few seconds, honours a 429's `Retry-After` once (rate limits pause the client's queue), and times
 * out each request after 10 s. `ok:false` platform errors are never retried by the SDK; they become
 * coded errors here, with the Slack error string kept (`not_an_admin`, `user_not_found`…).
 */
import {
  ErrorCode as SlackErrorCode,
  type FetchFunction,
  LogLevel,
  type RetryOptions,
  WebClient,
} from '@slack/web-api';

import type { Config } from '../config';
import { AppError, ErrorCode } from '../errors';

export const ACTIVITY_RETRY: RetryOptions = {
  retries: 2,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 3_000,
  randomize: true,
};
export const REQUEST_TIMEOUT_MS = 10_000;

/** The part of WebClient the response code calls (tests may pass the real client at an emulator). */
export interface SlackApi {
  apiCall(method: string, options?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

const clients = new Map<string, WebClient>();

export interface SlackClientOptions {
  fetch?: FetchFunction;
  retryConfig?: RetryOptions;
}

/** A WebClient for the bot token (chat, users, usergroups) or the admin user token (admin.users.*). */
export function slackWebClient(config: Config, identity: 'bot' | 'admin', options: SlackClientOptions = {}): WebClient {
  const token = identity === 'bot' ? config.slack.botToken : config.slack.adminToken;
  if (token === undefined) {
    throw new AppError(
      ErrorCode.ConfigInvalid,
      identity === 'bot'
        ? 'SENTRY_SLACK_BOT_TOKEN is not set: the incident workflow posts with the bot token'
        : 'Neither SENTRY_SLACK_ADMIN_TOKEN nor SENTRY_SLACK_AUDIT_TOKEN is set: session actions need an org admin user token with admin.users:write',
    );
  }
  const key = `${identity}|${config.slack.apiUrl}|${token}`;
  const cached = options.fetch === undefined ? clients.get(key) : undefined;
  if (cached !== undefined) return cached;
  const client = new WebClient(token, {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: options.retryConfig ?? ACTIVITY_RETRY,
    rejectRateLimitedCalls: false,
    timeout: REQUEST_TIMEOUT_MS,
    logLevel: LogLevel.ERROR,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  if (options.fetch === undefined) clients.set(key, client);
  return client;
}

/**
 * A WebClient for any of the configured tokens (bot, audit, admin, SCIM), for calls such as
 * `auth.test` that ask who a token belongs to.
 */
export function slackTokenClient(config: Config, token: string): WebClient {
  const key = `token|${config.slack.apiUrl}|${token}`;
  const cached = clients.get(key);
  if (cached !== undefined) return cached;
  const client = new WebClient(token, {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: ACTIVITY_RETRY,
    rejectRateLimitedCalls: false,
    timeout: REQUEST_TIMEOUT_MS,
    logLevel: LogLevel.ERROR,
  });
  clients.set(key, client);
  return client;
}

/** Slack error strings that a later retry can fix. */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
]);

export interface DescribedSlackError {
  /** The Slack error string for platform errors (`not_an_admin`), else the SDK code. */
  code: string;
  message: string;
  retriable: boolean;
  platform: boolean;
}

/** Names what went wrong in a Web API call, without request details (no tokens, no bodies). */
export function describeSlackError(method: string, error: unknown): DescribedSlackError {
  const coded = error as {
    code?: string;
    data?: { error?: string; needed?: string };
    statusCode?: number;
    retryAfter?: number;
    original?: Error;
  };
  if (coded.code === SlackErrorCode.PlatformError) {
    const slackError = coded.data?.error ?? 'unknown_error';
    const needed = coded.data?.needed === undefined ? '' : ` (needs scope ${coded.data.needed})`;
    return {
      code: slackError,
      message: `Slack ${method} answered ${slackError}${needed}`,
      retriable: TRANSIENT_PLATFORM_ERRORS.has(slackError),
      platform: true,
    };
  }
  if (coded.code === SlackErrorCode.RateLimitedError) {
    return {
      code: 'ratelimited',
      message: `Slack ${method} was rate limited (retry after ${coded.retryAfter ?? '?'} s)`,
      retriable: true,
      platform: false,
    };
  }
  if (coded.code === SlackErrorCode.HTTPError) {
    const status = coded.statusCode ?? 0;
    return {
      code: `http_${status}`,
      message: `Slack ${method} answered HTTP ${status}`,
      retriable: status >= 500 || status === 429 || status === 408,
      platform: false,
    };
  }
  if (coded.code === SlackErrorCode.RequestError) {
    return {
      code: 'request_error',
      message: `Slack ${method} could not be reached: ${coded.original?.message ?? 'request failed'}`,
      retriable: true,
      platform: false,
    };
  }
  if (error instanceof AppError)
    return { code: error.code, message: error.message, retriable: error.retriable, platform: false };
  return {
    code: 'unknown',
    message: `Slack ${method} failed: ${error instanceof Error ? error.message : String(error)}`,
    retriable: true,
    platform: false,
  };
}

/** Calls a Web API method; any failure becomes an AppError (`slack_api_error`) that says whether to retry. */
export async function callSlack(
  api: SlackApi,
  method: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  try {
    return await api.apiCall(method, args);
  } catch (error) {
    const described = describeSlackError(method, error);
    throw new AppError(ErrorCode.SlackApiError, described.message, {
      retriable: described.retriable,
      cause: error,
      context: { method, slackError: described.code },
    });
  }
}

/** The Slack error string of an error thrown by `callSlack` (undefined for other errors). */
export function slackErrorOf(error: unknown): string | undefined {
  if (error instanceof AppError && error.code === ErrorCode.SlackApiError) {
    const value = error.context.slackError;
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}
