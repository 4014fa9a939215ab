/**
 * The one loop every collector runs: plan a window → fetch its pages → read each record → row or
 * quarantine → flush → commit the position → next window, until the connector has nothing left or
 * the run's time is spent. A connector says how to fetch and what a record is; the runner owns the
 * ordering guarantees:
 * - every record becomes a row (observed by detections, then uploaded) or a quarantine row with its
 *   reason; nothing is dropped without a count (dropped duplicates are the connector's page counts);
 * - `commit` runs only after the window's flush returned, i.e. every row is uploaded and every
 *   observation persisted; a failure anywhere before it leaves the position where it was, so a retry
 *   re-reads the window (duplicates, never gaps);
 * - the summary adds up what landed, per stream, after each flush.
 */
import type { RowObserver } from '../detections/observer';
import type { TransformResult } from '../transforms/row-builder';
import type { RowsByStream, StreamKey } from '../transforms/streams';
import { type DataStream, RowSink, type RowSinkOptions, type SinkSummary, totalRows } from './row-sink';

/** One record read from a page: its value, or why it is unreadable and what to quarantine. */
export type RecordRead<R> = { ok: true; value: R } | { ok: false; reason: string; raw: unknown };

/** A page's records, read one at a time just before they are transformed. */
export interface RecordSource<R> {
  readonly length: number;
  read(i: number): RecordRead<R>;
}

/** A transform that may give several rows for one record (a device's uplinks). */
export type RowsResult<Row> = TransformResult<Row> | { ok: true; rows: readonly Row[] };

/** What a record is: the stream its rows land in and how it becomes them. */
export interface RecordKind<R, K extends DataStream = DataStream> {
  readonly stream: K;
  toRows(record: R): RowsResult<RowsByStream[K]>;
  /** What lands in quarantine when the transform refuses the record (default: the record). */
  original?(record: R): unknown;
  /** Told of each record that became rows, in page order (e.g. to move a cursor). */
  landed?(record: R): void;
}

/** One fetched page: the records, their kind, and counters the run summary adds up. */
export interface Page<C extends string> {
  readonly kind: RecordKind<unknown>;
  readonly records: RecordSource<unknown>;
  readonly counts: Partial<Record<C, number>> | undefined;
}

/** A page whose records and kind agree. */
export function page<R, K extends DataStream, C extends string = never>(
  kind: RecordKind<R, K>,
  records: RecordSource<R>,
  counts?: Partial<Record<C, number>>,
): Page<C> {
  return { kind: kind, records, counts };
}

/** Records already in memory, every one readable. */
export function recordsOf<R>(values: readonly R[]): RecordSource<R> {
  return { length: values.length, read: (i) => ({ ok: true, value: values[i] as R }) };
}

export interface Connector<W, C extends string> {
  /** The counters its pages report, all zero in an empty run. */
  readonly counters: readonly C[];
  /** The next window to read, or null when nothing is left to read now. Called again after each commit. */
  next(): Promise<W | null>;
  /** Fetches the window, page by page. */
  pages(window: W): AsyncIterable<Page<C>>;
  /**
   * Every row of the window is uploaded and observed: move the position. Returns whether another
   * window may follow in this run (false when the connector is caught up).
   */
  commit(window: W, landed: SinkSummary): Promise<boolean>;
}

export interface RunOptions {
  /** Everything the window's RowSink needs but its observer. */
  sink: Omit<RowSinkOptions, 'observer'>;
  /** A fresh observer per window (its flush is the window's). */
  observer(): RowObserver;
  /** Epoch ms after which no new window starts. */
  deadline: number;
  clock: () => number;
}

/** The sink settings a collector activity runs with: the configured DCR and upload concurrency. */
export function collectorSink(
  ingestion: { dcrImmutableId: string; concurrency: number },
  parts: Pick<RowSinkOptions, 'ingestion' | 'sourceOrg' | 'sleep' | 'dimensions'> & { clock: () => number },
): RunOptions['sink'] {
  const { clock, sleep, dimensions, ...rest } = parts;
  return {
    ...rest,
    dcrImmutableId: ingestion.dcrImmutableId,
    concurrency: ingestion.concurrency,
    now: () => new Date(clock()),
    ...(sleep === undefined ? {} : { sleep }),
    ...(dimensions === undefined ? {} : { dimensions }),
  };
}

export interface RunSummary<C extends string> {
  /** Windows read, landed and committed completely. */
  windows: number;
  /** False when the deadline stopped the run with windows left. */
  caughtUp: boolean;
  counts: Record<C, number>;
  /** Rows landed per stream (quarantine and dimension rows excluded). */
  rows: Partial<Record<StreamKey, number>>;
  totalRows: number;
  quarantined: number;
  rejected: number;
  /** Uncompressed JSON bytes landed. */
  bytes: number;
  uploadRequests: number;
}

export async function runConnector<W, C extends string>(
  connector: Connector<W, C>,
  options: RunOptions,
): Promise<RunSummary<C>> {
  const summary: RunSummary<C> = {
    windows: 0,
    caughtUp: true,
    counts: Object.fromEntries(connector.counters.map((c) => [c, 0])) as Record<C, number>,
    rows: {},
    totalRows: 0,
    quarantined: 0,
    rejected: 0,
    bytes: 0,
    uploadRequests: 0,
  };
  for (let window = await connector.next(); window !== null; window = await connector.next()) {
    const sink = new RowSink({ ...options.sink, observer: options.observer() });
    for await (const fetched of connector.pages(window)) {
      if (fetched.counts !== undefined) addCounts(summary.counts, fetched.counts);
      await land(sink, fetched);
    }
    const landed = await sink.flush();
    addLanded(summary, landed);
    // The window is uploaded and observed: only now may its position move.
    const more = await connector.commit(window, landed);
    summary.windows += 1;
    if (!more) break;
    if (options.clock() >= options.deadline) {
      summary.caughtUp = false;
      break;
    }
  }
  return summary;
}

/** Lands a page's records in order; awaits only when the sink asks the caller to wait for room. */
async function land<C extends string>(sink: RowSink, fetched: Page<C>): Promise<void> {
  const { kind, records } = fetched;
  const { stream } = kind;
  for (let i = 0; i < records.length; i += 1) {
    const read = records.read(i);
    if (!read.ok) {
      await sink.quarantine(stream, read.raw, read.reason);
      continue;
    }
    const result = kind.toRows(read.value);
    let wait: Promise<void> | undefined;
    if (!result.ok) {
      wait = sink.quarantine(
        stream,
        kind.original === undefined ? read.value : kind.original(read.value),
        result.reason,
      );
    } else if ('rows' in result) {
      for (const row of result.rows) await sink.row(stream, row);
    } else {
      wait = sink.offer(stream, result, read.value);
    }
    if (result.ok) kind.landed?.(read.value);
    if (wait !== undefined) await wait;
  }
}

function addCounts<C extends string>(into: Record<C, number>, counts: Partial<Record<C, number>>): void {
  for (const key of Object.keys(counts) as C[]) into[key] += counts[key] ?? 0;
}

function addLanded<C extends string>(summary: RunSummary<C>, landed: SinkSummary): void {
  for (const [stream, rows] of Object.entries(landed.rows) as [StreamKey, number][]) {
    summary.rows[stream] = (summary.rows[stream] ?? 0) + rows;
  }
  summary.totalRows += totalRows(landed);
  summary.quarantined += landed.quarantined;
  summary.rejected += landed.rejected;
  summary.bytes += landed.bytes;
  summary.uploadRequests += landed.requests;
}
