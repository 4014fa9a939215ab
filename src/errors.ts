/**
 * Coded errors. Every error the app raises on purpose carries a namespaced code and says whether
 * retrying the same work can succeed; Durable's retry policy and the orchestrators branch on that.
 */
export const ErrorCode = {
  ConfigInvalid: 'config_invalid',
  CollectorRateLimited: 'collector_rate_limited',
  CollectorHttpError: 'collector_http_error',
  CollectorTimeout: 'collector_timeout',
  CollectorAuth: 'collector_auth_failed',
  CollectorMalformed: 'collector_malformed_response',
  IngestionFailed: 'ingestion_failed',
  IngestionRejected: 'ingestion_rejected',
  StateConflict: 'state_conflict',
  StateUnavailable: 'state_unavailable',
  SlackApiError: 'slack_api_error',
  SlackSignatureInvalid: 'slack_signature_invalid',
  WebhookSecretInvalid: 'webhook_secret_invalid',
  InputInvalid: 'input_invalid',
  ResponseActionFailed: 'response_action_failed',
  Unknown: 'unknown',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface AppErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  /** Small, secret-free facts for logs (ids, counts, status codes). */
  context?: Record<string, string | number | boolean | null | undefined>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: Record<string, string | number | boolean | null | undefined>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }

  /** JSON-safe view for activity results and structured logs. */
  toJSON(): { name: string; code: ErrorCode; message: string; retriable: boolean; context: AppError['context'] } {
    return { name: this.name, code: this.code, message: this.message, retriable: this.retriable, context: this.context };
  }
}

export class ConfigError extends AppError {
  /** One line per problem, each naming the setting and the fix. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(ErrorCode.ConfigInvalid, `Configuration is invalid:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}

export class RateLimitedError extends AppError {
  readonly retryAfterSec: number;

  constructor(service: string, retryAfterSec: number, options: AppErrorOptions = {}) {
    super(ErrorCode.CollectorRateLimited, `${service} rate limited the request; retry after ${retryAfterSec}s`, {
      ...options,
      retriable: true,
    });
    this.retryAfterSec = retryAfterSec;
  }
}

export class HttpStatusError extends AppError {
  readonly status: number;

  constructor(service: string, status: number, detail: string, options: AppErrorOptions = {}) {
    const code = status === 401 || status === 403 ? ErrorCode.CollectorAuth : ErrorCode.CollectorHttpError;
    super(code, `${service} answered HTTP ${status}: ${detail}`, {
      ...options,
      retriable: options.retriable ?? (status >= 500 || status === 408 || status === 429),
    });
    this.status = status;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Normalizes anything thrown into an Error without losing the original. */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  let text: string;
  try {
    // JSON.stringify answers undefined (not a string) for undefined, functions and symbols.
    text =
      typeof value === 'undefined' || typeof value === 'function' || typeof value === 'symbol'
        ? String(value)
        : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return new AppError(ErrorCode.Unknown, `Non-error thrown: ${text}`);
}

/** Whether repeating the same work may succeed: coded errors say so; unknown failures are assumed transient. */
export function isRetriable(value: unknown): boolean {
  return isAppError(value) ? value.retriable : true;
}
