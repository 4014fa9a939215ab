import { createHash, randomUUID } from 'node:crypto';

/** Parses a .NET TimeSpan string (`[d.]hh:mm:ss[.fffffff]`) to milliseconds. */
export function parseTimeSpan(value: string): number {
  const match = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (match === null) throw new RangeError(`"${value}" is not a TimeSpan ([d.]hh:mm:ss[.fff]).`);
  const [, sign, days, hours, minutes, seconds, fraction] = match;
  const ms =
    Number(days ?? 0) * 86_400_000 +
    Number(hours) * 3_600_000 +
    Number(minutes) * 60_000 +
    Number(seconds) * 1000 +
    Math.round(Number(`0.${fraction ?? '0'}`) * 1000);
  return sign === '-' ? -ms : ms;
}

/**
 * The extension's `ParseToJToken` for status payloads: null stays null, blank becomes "", JSON is
 * parsed, and anything else (e.g. a plain terminate reason) is returned as the raw string.
 */
export function parseToJToken(value: string | null | undefined): unknown {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed.length === 0) return '';
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return trimmed;
  }
}

/** `DateTime.ToString("s") + "Z"`: second precision, as the status API formats times. */
export function statusTime(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

export function isoNow(ms: number): string {
  return new Date(ms).toISOString();
}

export function utf8Length(text: string | null | undefined): number {
  return text === null || text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
}

/** `Guid.NewGuid().ToString("N")`: how the extension names new instances and executions. */
export function newGuidN(): string {
  return randomUUID().replace(/-/g, '');
}

/** Name-based (v5-style, SHA-1) GUID: stable request ids for entity calls, so re-runs reuse them. */
export function deterministicGuid(name: string): string {
  const hash = createHash('sha1').update('sentry-local-durable').update(name).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return jsonText(error) ?? String(error);
}

/** JSON.stringify, typed honestly: undefined, functions and symbols serialize to undefined. */
export function jsonText(value: unknown): string | undefined {
  const stringify: (input: unknown) => string | undefined = JSON.stringify;
  return stringify(value);
}

/** JSON text of a value, with undefined (and anything else JSON cannot represent) as null. */
export function stringifyOrNull(value: unknown): string | null {
  if (value === undefined) return null;
  return jsonText(value) ?? null;
}

/** A counting semaphore with FIFO hand-off, used for the concurrency limits. */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    this.available = Math.max(1, limit);
  }

  get inUse(): number {
    return Math.max(1, this.limit) - this.available;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  async acquire(): Promise<void> {
    if (this.available > 0) {
      this.available -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.available += 1;
  }
}
