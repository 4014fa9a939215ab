/**
 * Streams rows into the Logs Ingestion API through the real LogsIngestionClient.
 *
 * Invariants:
 * - Rows are packed into chunks just under the SDK's own 1,000,000-byte split point (it counts each
 *   row's JSON, not brackets or commas), so every `upload()` call is exactly one HTTP request of at
 *   most ~1 MB; chunks fill across pages, because one `upload()` per small page caps throughput.
 * - At most `concurrency` chunks are in flight; `add()` (and `push()`, its promise-free form) waits
 *   when the window is full (backpressure keeps memory bounded during a backfill).
 * - A chunk the service refuses as too large (413) or malformed (400) is split in half until the
 *   offending rows stand alone; a single row still refused goes to `onRejected` (the caller
 *   quarantines it), so nothing is silently dropped.
 * - Throttling and server errors are retried (the SDK pipeline already retries 3 times, honouring
 *   Retry-After); when retries are exhausted `flush()` throws a retriable error and the caller must
 *   not advance its checkpoint. An aborted upload is never reported as success.
 */
import { isAggregateLogsUploadError } from '@azure/monitor-ingestion';

import { AppError, ensureError, ErrorCode } from '../errors';

/** The part of LogsIngestionClient the uploader uses (the real client satisfies it). */
export interface IngestionClientLike {
  upload(
    ruleId: string,
    streamName: string,
    logs: Record<string, unknown>[],
    options?: { maxConcurrency?: number; abortSignal?: AbortSignal },
  ): Promise<void>;
  /**
   * Optional (`ingestionClient()` has it): one chunk sent as the JSON array text the uploader already
   * built, so rows are serialized once instead of three times (our sizing, the SDK's, the body).
   */
  uploadJson?(
    ruleId: string,
    streamName: string,
    body: string | Buffer,
    options?: { abortSignal?: AbortSignal | undefined },
  ): Promise<void>;
}

export interface UploaderOptions {
  client: IngestionClientLike;
  dcrImmutableId: string;
  stream: string;
  /** Chunks in flight at once (default 4; the collectors pass SENTRY_INGESTION_CONCURRENCY, default 8). */
  concurrency?: number;
  /** Serialized row bytes per chunk; must stay under the SDK's 1,000,000 split point. */
  maxChunkBytes?: number;
  /** Attempts per chunk on top of the SDK's own retries, for throttling and 5xx (default 4). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  abortSignal?: AbortSignal;
  /** Called for a row the service refuses on its own; the caller lands it in quarantine. */
  onRejected?: (row: Record<string, unknown>, reason: string) => void | Promise<void>;
}

export interface UploadSummary {
  stream: string;
  rows: number;
  /** Uncompressed JSON bytes of the accepted rows. */
  bytes: number;
  requests: number;
  rejected: number;
  retries: number;
}

/**
 * A chunk's rows written straight into one Buffer as the request body `[row,row,…]`, remembering
 * where each row starts. The body lives outside the V8 heap and is freed with its chunk: no 1 MB
 * joined string per request (strings that size go to V8's large-object space and pile up there
 * until a full GC, which is what drove a backfill's RSS), and no per-row strings kept alive while
 * the chunk waits for its upload.
 */
class JsonArrayBody {
  private buffer: Buffer;
  private end = 1;
  private readonly starts: number[] = [];

  /** `reuse`: a buffer of a body already sent (at least `capacity` bytes), written over from the start. */
  constructor(capacity: number, reuse?: Buffer) {
    this.buffer = reuse !== undefined && reuse.length >= capacity ? reuse : Buffer.allocUnsafe(Math.max(16, capacity));
    this.buffer[0] = 0x5b; // [
  }

  /** The underlying buffer, for reuse once the request that carried it is over. */
  release(): Buffer {
    return this.buffer;
  }

  get count(): number {
    return this.starts.length;
  }

  /**
   * Appends one row's JSON and returns its UTF-8 length. `size`, when the caller measured it;
   * otherwise the row is written straight in and measured by the write.
   */
  push(text: string, size?: number): number {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit: room for that is room enough.
    let bound = size ?? text.length * 3;
    if (this.end + bound + 2 > this.buffer.length && size === undefined) bound = Buffer.byteLength(text, 'utf8');
    const needed = this.end + bound + 2;
    if (needed > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(bigger, 0, 0, this.end);
      this.buffer = bigger;
    }
    if (this.starts.length > 0) this.buffer[this.end++] = 0x2c; // ,
    this.starts.push(this.end);
    const written = this.buffer.write(text, this.end, 'utf8');
    this.end += written;
    return written;
  }

  /** The finished array (call once, after the last push). */
  body(): Buffer {
    this.buffer[this.end] = 0x5d; // ]
    return this.buffer.subarray(0, this.end + 1);
  }

  /** Each row's JSON again (the rare split/refusal path). */
  texts(): string[] {
    return this.starts.map((start, i) => this.buffer.toString('utf8', start, (this.starts[i + 1] ?? this.end + 1) - 1));
  }
}

interface Chunk {
  /** The body being built, for a client with `uploadJson`. */
  json: JsonArrayBody | undefined;
  /** The row objects, for a client without `uploadJson` (the rare refused row is parsed back from `json`). */
  rows: Record<string, unknown>[] | undefined;
  count: number;
  /** Sum of the rows' JSON bytes (what the SDK's 1,000,000-byte split counts). */
  bytes: number;
}

/** Where the SDK's `upload()` starts a new request: the running sum of its rows' JSON reaches it (pinned by client.test.ts). */
export const SDK_SPLIT_BYTES = 1_000_000;

interface Failure {
  status: number | undefined;
  code: string | undefined;
  message: string;
}

function describeFailure(error: unknown): Failure {
  if (isAggregateLogsUploadError(error)) {
    const cause = error.errors[0]?.cause as { statusCode?: number; code?: string; message?: string } | undefined;
    return { status: cause?.statusCode, code: cause?.code, message: cause?.message ?? error.message };
  }
  const candidate = error as { statusCode?: number; code?: string; message?: string };
  return { status: candidate.statusCode, code: candidate.code, message: candidate.message ?? String(error) };
}

function isRetriableStatus(status: number | undefined): boolean {
  return (
    status === undefined || status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)
  );
}

export class StreamUploader {
  private readonly client: IngestionClientLike;
  private readonly concurrency: number;
  private readonly maxChunkBytes: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private current: Chunk;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly spareBodies: Buffer[] = [];
  private firstError: unknown;
  private readonly summary: UploadSummary;

  constructor(private readonly options: UploaderOptions) {
    this.client = options.client;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.maxChunkBytes = Math.min(options.maxChunkBytes ?? SDK_SPLIT_BYTES - 1_000, SDK_SPLIT_BYTES - 1);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.summary = { stream: options.stream, rows: 0, bytes: 0, requests: 0, rejected: 0, retries: 0 };
    this.current = this.emptyChunk();
  }

  private emptyChunk(): Chunk {
    return this.client.uploadJson === undefined
      ? { json: undefined, rows: [], count: 0, bytes: 0 }
      : { json: new JsonArrayBody(this.bodyCapacity(), this.spareBodies.pop()), rows: undefined, count: 0, bytes: 0 };
  }

  private bodyCapacity(): number {
    return this.maxChunkBytes + 16_384;
  }

  /** A sent chunk's body buffer goes back for the next chunk: a backfill reuses a handful instead of one per request. */
  private recycle(chunk: Chunk): void {
    const buffer = chunk.json?.release();
    if (buffer?.length === this.bodyCapacity() && this.spareBodies.length <= this.concurrency) {
      this.spareBodies.push(buffer);
    }
  }

  /** Queues a row; resolves once there is room for more (never before a failed chunk is reported). */
  async add(row: Record<string, unknown>): Promise<void> {
    await this.push(row);
  }

  /**
   * `add` for a hot loop: queues the row and returns a promise only when the caller must wait (a
   * full chunk is going out); otherwise undefined, so a row costs no promise and no microtask.
   * Throws at once when an earlier chunk failed.
   */
  push(row: Record<string, unknown>): Promise<void> | undefined {
    this.throwIfFailed();
    const text = JSON.stringify(row);
    const chunk = this.current;
    // Far from the split point a row fits whatever its UTF-8 size (at most 3 bytes per UTF-16 code
    // unit), so it is written without being measured first; only the last few rows of a chunk are.
    if (chunk.count > 0 && chunk.bytes + text.length * 3 >= this.maxChunkBytes) {
      const size = Buffer.byteLength(text, 'utf8');
      if (chunk.bytes + size >= this.maxChunkBytes) {
        return this.dispatch().then(() => {
          this.append(this.current, row, text, size);
        });
      }
      this.append(chunk, row, text, size);
      return undefined;
    }
    this.append(chunk, row, text, undefined);
    return undefined;
  }

  private append(chunk: Chunk, row: Record<string, unknown>, text: string, measured: number | undefined): void {
    let size = measured;
    if (chunk.json !== undefined) {
      size = chunk.json.push(text, size);
    } else {
      size ??= Buffer.byteLength(text, 'utf8');
      chunk.rows?.push(row);
    }
    chunk.count += 1;
    chunk.bytes += size;
  }

  async addAll(rows: Iterable<Record<string, unknown>>): Promise<void> {
    for (const row of rows) await this.add(row);
  }

  /** Uploads what is left and waits for every chunk; throws if any row could not be landed. */
  async flush(): Promise<UploadSummary> {
    if (this.current.count > 0) await this.dispatch();
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    this.throwIfFailed();
    if (this.aborted()) {
      throw new AppError(
        ErrorCode.IngestionFailed,
        `Upload to ${this.options.stream} was aborted before every row was sent`,
        {
          retriable: true,
        },
      );
    }
    return { ...this.summary };
  }

  private aborted(): boolean {
    return this.options.abortSignal?.aborted === true;
  }

  private throwIfFailed(): void {
    if (this.firstError !== undefined) throw ensureError(this.firstError);
  }

  private async dispatch(): Promise<void> {
    const chunk = this.current;
    this.current = this.emptyChunk();
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const task: Promise<void> = this.send(chunk)
      .catch((error: unknown) => {
        this.firstError ??= error;
      })
      .finally(() => {
        this.inFlight.delete(task);
        this.recycle(chunk);
      });
    this.inFlight.add(task);
  }

  private async send(chunk: Chunk): Promise<void> {
    let body: Buffer | undefined;
    for (let attempt = 1; ; attempt += 1) {
      if (this.aborted()) {
        throw new AppError(ErrorCode.IngestionFailed, `Upload to ${this.options.stream} was aborted`, {
          retriable: true,
        });
      }
      try {
        this.summary.requests += 1;
        if (chunk.json !== undefined && this.client.uploadJson !== undefined) {
          body ??= chunk.json.body();
          await this.client.uploadJson(this.options.dcrImmutableId, this.options.stream, body, {
            abortSignal: this.options.abortSignal,
          });
        } else {
          await this.client.upload(this.options.dcrImmutableId, this.options.stream, this.rowsOf(chunk), {
            maxConcurrency: 1,
            abortSignal: this.options.abortSignal,
          });
        }
        // The SDK returns without throwing when aborted between chunks; a chunk is one request, but
        // check anyway so an abort can never pass for a landed chunk.
        if (this.aborted()) continue;
        this.summary.rows += chunk.count;
        this.summary.bytes += chunk.bytes;
        return;
      } catch (error) {
        const failure = describeFailure(error);
        if (failure.status === 413 || failure.status === 400) {
          await this.splitOrReject(chunk, failure);
          return;
        }
        if (failure.status === 401 || failure.status === 403) {
          throw new AppError(
            ErrorCode.IngestionRejected,
            `Logs Ingestion refused the credential for ${this.options.stream} (HTTP ${failure.status}): grant the app's identity "Monitoring Metrics Publisher" on the DCR`,
            { retriable: false, cause: error, context: { status: failure.status, code: failure.code } },
          );
        }
        if (!isRetriableStatus(failure.status) || attempt >= this.maxAttempts) {
          throw new AppError(
            ErrorCode.IngestionFailed,
            `Upload of ${chunk.count} rows to ${this.options.stream} failed after ${attempt} attempts: ${failure.message}`,
            {
              retriable: isRetriableStatus(failure.status),
              cause: error,
              context: { status: failure.status, code: failure.code },
            },
          );
        }
        this.summary.retries += 1;
        await this.sleep(Math.min(30_000, 1_000 * 2 ** (attempt - 1)));
      }
    }
  }

  private async splitOrReject(chunk: Chunk, failure: Failure): Promise<void> {
    if (chunk.count === 1) {
      const [only] = this.rowsOf(chunk);
      this.summary.rejected += 1;
      const reason =
        `Logs Ingestion refused the row (HTTP ${failure.status ?? '?'} ${failure.code ?? ''}): ${failure.message}`.slice(
          0,
          1_000,
        );
      if (this.options.onRejected === undefined) {
        throw new AppError(ErrorCode.IngestionRejected, reason, { retriable: false });
      }
      await this.options.onRejected(only ?? {}, reason);
      return;
    }
    const middle = Math.ceil(chunk.count / 2);
    const texts = chunk.json?.texts();
    for (const [from, to] of [
      [0, middle],
      [middle, chunk.count],
    ] as const) {
      if (texts === undefined) {
        const rows = chunk.rows?.slice(from, to) ?? [];
        const bytes = rows.reduce((sum, row) => sum + Buffer.byteLength(JSON.stringify(row), 'utf8'), 0);
        await this.send({ json: undefined, rows, count: rows.length, bytes });
      } else {
        const half = texts.slice(from, to);
        const sizes = half.map((text) => Buffer.byteLength(text, 'utf8'));
        const bytes = sizes.reduce((sum, size) => sum + size, 0);
        const json = new JsonArrayBody(bytes + half.length + 2);
        half.forEach((text, i) => {
          json.push(text, sizes[i] ?? 0);
        });
        await this.send({ json, rows: undefined, count: half.length, bytes });
      }
    }
  }

  private rowsOf(chunk: Chunk): Record<string, unknown>[] {
    return chunk.rows ?? (chunk.json?.texts() ?? []).map((text) => JSON.parse(text) as Record<string, unknown>);
  }
}
