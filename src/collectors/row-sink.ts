/**
 * The streaming half every collector activity shares: a transformed record either becomes a row
 * (observed by detections, then queued on its stream's uploader) or a quarantine row with its
 * reason (never dropped). `flush()` is the window boundary: it uploads every queued row, quarantines
 * what the service refused row by row, then persists the observations. Only after it returns may a
 * caller advance a checkpoint; if it throws, nothing of the window counts as landed.
 *
 * Dimension values (the Slack user agent) leave the row after the observer saw it: the row lands
 * with the value's key, and the value lands in the dimension stream in the same flush, ahead of the
 * rows, the first time this process meets the key in the row's UTC day (see transforms/dimensions).
 * The keys count as landed only once the whole flush succeeded.
 */
import type { RowObserver } from '../detections/observer';
import { type IngestionClientLike, StreamUploader, type UploadSummary } from '../ingestion/uploader';
import { DimensionBatch, DimensionLedger } from '../transforms/dimensions';
import { toQuarantineRow } from '../transforms/quarantine';
import type { TransformResult } from '../transforms/row-builder';
import { type DimensionRow, type RowsByStream, type StreamKey, streams } from '../transforms/streams';

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
  /** Dimension keys landed so far; default the process-wide ledger (tests pass their own). */
  dimensions?: DimensionLedger;
}

/** Dimension keys this process has landed, per UTC day (bounded; shared by every sink). */
export const processDimensions = new DimensionLedger();

export interface SinkSummary {
  /** Rows landed per stream (quarantine and dimension rows excluded). */
  rows: Partial<Record<StreamKey, number>>;
  /** Dimension rows landed (values the rows reference by key). */
  dimensions: number;
  /** Quarantine rows landed: invalid records plus rows the service refused. */
  quarantined: number;
  /** Rows the service refused one by one (landed in quarantine instead). */
  rejected: number;
  /** Uncompressed JSON bytes landed (every stream). */
  bytes: number;
  requests: number;
  retries: number;
}

/** Streams records land in (quarantine and dimension rows are the sink's own). */
export type DataStream = Exclude<StreamKey, 'quarantine' | 'dimension'>;

export class RowSink {
  private readonly uploaders = new Map<DataStream, StreamUploader>();
  private dimensionUploader: StreamUploader | undefined;
  private quarantineUploader: StreamUploader | undefined;
  private readonly dimensions: DimensionBatch;
  private flushed = false;

  constructor(private readonly options: RowSinkOptions) {
    this.dimensions = new DimensionBatch(options.dimensions ?? processDimensions, options.sourceOrg);
  }

  /** A transform result: the row, or the raw record into quarantine with the reason. True for a row. */
  async accept<K extends DataStream>(
    stream: K,
    result: TransformResult<RowsByStream[K]>,
    raw: unknown,
  ): Promise<boolean> {
    await this.offer(stream, result, raw);
    return result.ok;
  }

  /**
   * `accept` for a hot loop: returns a promise only when the caller must wait for room (an upload
   * window is full), so most rows cost no promise at all.
   */
  offer<K extends DataStream>(
    stream: K,
    result: TransformResult<RowsByStream[K]>,
    raw: unknown,
  ): Promise<void> | undefined {
    return result.ok ? this.push(stream, result.row) : this.quarantine(stream, raw, result.reason);
  }

  async row<K extends DataStream>(stream: K, row: RowsByStream[K]): Promise<void> {
    await this.push(stream, row);
  }

  private push<K extends DataStream>(stream: K, row: RowsByStream[K]): Promise<void> | undefined {
    // Detections see the full row; what lands carries dimension keys instead of the values.
    this.options.observer.observe(stream, row);
    const split = this.dimensions.split(stream, row);
    if (split.dimensions.length === 0) return this.uploader(stream).push(split.row);
    return this.pushWithDimensions(stream, split.row, split.dimensions);
  }

  private async pushWithDimensions<K extends DataStream>(
    stream: K,
    row: RowsByStream[K],
    dimensions: readonly DimensionRow[],
  ): Promise<void> {
    for (const dimension of dimensions) await this.dimensionStream().push(dimension);
    await this.uploader(stream).push(row);
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
    // Dimension values before the rows that reference them; data streams before quarantine: their
    // refused rows are queued on the quarantine stream while they flush.
    const dimensions = this.dimensionUploader === undefined ? undefined : await this.dimensionUploader.flush();
    for (const uploader of this.uploaders.values()) summaries.push(await uploader.flush());
    const quarantine = this.quarantineUploader === undefined ? undefined : await this.quarantineUploader.flush();
    await this.options.observer.flush();
    // Everything landed: from now on this process need not land these values again today.
    this.dimensions.commit();

    const rows: Partial<Record<StreamKey, number>> = {};
    for (const [stream, uploader] of this.uploaders) {
      const summary = summaries[[...this.uploaders.values()].indexOf(uploader)];
      if (summary !== undefined) rows[stream] = summary.rows;
    }
    const data = dimensions === undefined ? summaries : [dimensions, ...summaries];
    const all = quarantine === undefined ? data : [...data, quarantine];
    return {
      rows,
      dimensions: dimensions?.rows ?? 0,
      quarantined: quarantine?.rows ?? 0,
      rejected: data.reduce((sum, s) => sum + s.rejected, 0),
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

  private dimensionStream(): StreamUploader {
    this.dimensionUploader ??= new StreamUploader({
      ...this.common(),
      stream: streams.dimension.stream,
      onRejected: async (row, reason) => {
        // Refused values go to quarantine and stay unlanded: the next flush that needs them tries again.
        this.dimensions.reject(row);
        await this.quarantine('dimension', row, reason);
      },
    });
    return this.dimensionUploader;
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
