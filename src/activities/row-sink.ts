/**
 * The streaming half every collector activity shares: a transformed record either becomes a row
 * (observed by detections, then queued on its stream's uploader) or a quarantine row with its
 * reason (never dropped). `flush()` is the window boundary: it uploads every queued row, quarantines
 * what the service refused row by row, then persists the observations. Only after it returns may a
 * caller advance a checkpoint; if it throws, nothing of the window counts as landed.
 */
import type { RowObserver } from '../detections/observer';
import { type IngestionClientLike, StreamUploader, type UploadSummary } from '../ingestion/uploader';
import { toQuarantineRow } from '../transforms/quarantine';
import type { TransformResult } from '../transforms/row-builder';
import { type RowsByStream, type StreamKey, streams } from '../transforms/streams';

export interface RowSinkOptions {
  ingestion: IngestionClientLike;
  dcrImmutableId: string;
  observer: RowObserver;
  /** Configured key of the source org: SourceOrg of quarantine rows. */
  sourceOrg: string;
  /** Quarantine time (the caller's clock). */
  now: () => Date;
  concurrency?: number;
  /** Attempts per chunk on top of the SDK's retries (uploader default 4). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  abortSignal?: AbortSignal;
}

export interface SinkSummary {
  /** Rows landed per stream (quarantine excluded). */
  rows: Partial<Record<StreamKey, number>>;
  /** Quarantine rows landed: invalid records plus rows the service refused. */
  quarantined: number;
  /** Rows the service refused one by one (landed in quarantine instead). */
  rejected: number;
  /** Uncompressed JSON bytes landed (every stream). */
  bytes: number;
  requests: number;
  retries: number;
}

type DataStream = Exclude<StreamKey, 'quarantine'>;

export class RowSink {
  private readonly uploaders = new Map<DataStream, StreamUploader>();
  private quarantineUploader: StreamUploader | undefined;
  private flushed = false;

  constructor(private readonly options: RowSinkOptions) {}

  /** A transform result: the row, or the raw record into quarantine with the reason. */
  async accept<K extends DataStream>(
    stream: K,
    result: TransformResult<RowsByStream[K]>,
    raw: unknown,
  ): Promise<boolean> {
    if (result.ok) {
      await this.row(stream, result.row);
      return true;
    }
    await this.quarantine(stream, raw, result.reason);
    return false;
  }

  async row<K extends DataStream>(stream: K, row: RowsByStream[K]): Promise<void> {
    this.options.observer.observe(stream, row);
    await this.uploader(stream).add(row);
  }

  async quarantine(source: StreamKey, raw: unknown, reason: string): Promise<void> {
    const row = toQuarantineRow(source, raw, reason, {
      sourceOrg: this.options.sourceOrg,
      at: this.options.now().toISOString(),
    });
    await this.quarantineStream().add(row);
  }

  /** Uploads everything, quarantines refused rows, then flushes the observer. Throws if anything did not land. */
  async flush(): Promise<SinkSummary> {
    if (this.flushed) throw new Error('RowSink.flush() called twice');
    this.flushed = true;
    const summaries: UploadSummary[] = [];
    // Data streams first: their refused rows are queued on the quarantine stream while they flush.
    for (const uploader of this.uploaders.values()) summaries.push(await uploader.flush());
    const quarantine = this.quarantineUploader === undefined ? undefined : await this.quarantineUploader.flush();
    await this.options.observer.flush();

    const rows: Partial<Record<StreamKey, number>> = {};
    for (const [stream, uploader] of this.uploaders) {
      const summary = summaries[[...this.uploaders.values()].indexOf(uploader)];
      if (summary !== undefined) rows[stream] = summary.rows;
    }
    const all = quarantine === undefined ? summaries : [...summaries, quarantine];
    return {
      rows,
      quarantined: quarantine?.rows ?? 0,
      rejected: summaries.reduce((sum, s) => sum + s.rejected, 0),
      bytes: all.reduce((sum, s) => sum + s.bytes, 0),
      requests: all.reduce((sum, s) => sum + s.requests, 0),
      retries: all.reduce((sum, s) => sum + s.retries, 0),
    };
  }

  private uploader(stream: DataStream): StreamUploader {
    let uploader = this.uploaders.get(stream);
    if (uploader === undefined) {
      uploader = new StreamUploader({
        ...this.common(),
        stream: streams[stream].stream,
        onRejected: async (row, reason) => {
          await this.quarantine(stream, row, reason);
        },
      });
      this.uploaders.set(stream, uploader);
    }
    return uploader;
  }

  private quarantineStream(): StreamUploader {
    // A quarantine row the service refuses has nowhere else to go: the uploader throws (no onRejected).
    this.quarantineUploader ??= new StreamUploader({ ...this.common(), stream: streams.quarantine.stream });
    return this.quarantineUploader;
  }

  private common() {
    return {
      client: this.options.ingestion,
      dcrImmutableId: this.options.dcrImmutableId,
      ...(this.options.concurrency === undefined ? {} : { concurrency: this.options.concurrency }),
      ...(this.options.maxAttempts === undefined ? {} : { maxAttempts: this.options.maxAttempts }),
      ...(this.options.sleep === undefined ? {} : { sleep: this.options.sleep }),
      ...(this.options.abortSignal === undefined ? {} : { abortSignal: this.options.abortSignal }),
    };
  }
}

/** Sum of rows over streams. */
export function totalRows(summary: SinkSummary): number {
  return Object.values(summary.rows).reduce((sum, n) => sum + n, 0);
}
