/**
 * Rows the ingestion emulator accepted, per Log Analytics table: append-only newline-delimited JSON
 * on disk (`<dir>/<table>.ndjson`, one row per line, plus `_TimeReceived` the way Log Analytics
 * adds it) replayed into memory at start, and per-request size records (`<dir>/_requests.ndjson`)
 * for the billing-relevant totals. Without a folder everything stays in memory.
 *
 * A line cut short by a crash is skipped on replay (and counted), never fatal.
 *
 * In memory, an accepted request is kept as one batch: its rows serialized once as a JSON array
 * (the compact form, which also gives the stored bytes) and turned back into row objects only when
 * a query first reads the batch. A throughput run lands hundreds of thousands of rows that nobody
 * queries; holding them as a few large strings instead of millions of small objects keeps the
 * emulator's garbage collector out of the measurement.
 */
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export type Row = Record<string, unknown>;

export interface TableStats {
  table: string;
  rows: number;
  requests: number;
  /** Uncompressed request body bytes (what the 1 MB limit and the 2 GB/min DCR budget count). */
  rawBytes: number;
  /** Bytes on the wire (gzip-compressed when the client compressed). */
  wireBytes: number;
  /** JSON bytes of the rows as stored: the closest local proxy for Log Analytics billed volume. */
  storedBytes: number;
  lastReceivedAt: string | undefined;
}

export interface QueryOptions {
  /** Column equality (values compared as JSON), or a predicate. */
  filter?: Record<string, unknown> | ((row: Row) => boolean);
  /** Rows whose TimeGenerated is at or after this instant. */
  since?: string | Date;
  /** Rows whose TimeGenerated is before this instant. */
  until?: string | Date;
  /** Rows received (`_TimeReceived`) at or after this instant. */
  receivedSince?: string | Date;
  /** Newest first (`desc`) or in arrival order (`asc`, default). */
  order?: 'asc' | 'desc';
  /** Default 1,000. */
  limit?: number;
}

export interface RequestRecord {
  at: string;
  dcr: string;
  stream: string;
  table: string;
  rows: number;
  rawBytes: number;
  wireBytes: number;
}

const REQUESTS_FILE = '_requests.ndjson';
export const RECEIVED_COLUMN = '_TimeReceived';

function toMs(value: string | Date): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`not a date: ${String(value)}`);
  return ms;
}

function matcher(filter: QueryOptions['filter']): (row: Row) => boolean {
  if (filter === undefined) return () => true;
  if (typeof filter === 'function') return filter;
  const wanted = Object.entries(filter).map(([column, value]) => [column, JSON.stringify(value)] as const);
  return (row) => wanted.every(([column, json]) => JSON.stringify(row[column]) === json);
}

async function* lines(path: string): AsyncGenerator<string> {
  const input = createReadStream(path, { encoding: 'utf8' });
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) if (line !== '') yield line;
  } finally {
    input.close();
  }
}

interface Batch {
  /** `_TimeReceived` of every row in the batch. */
  at: string;
  count: number;
  /** The rows as a JSON array, until a query materializes them. */
  text: string | undefined;
  /** The rows with `_TimeReceived`, once materialized. */
  rows: Row[] | undefined;
}

function materialize(batch: Batch): Row[] {
  if (batch.rows === undefined) {
    const rows = JSON.parse(batch.text ?? '[]') as Row[];
    for (const row of rows) row[RECEIVED_COLUMN] = batch.at;
    batch.rows = rows;
    batch.text = undefined;
  }
  return batch.rows;
}

/** A row's ndjson line: its JSON with `_TimeReceived` as the last property (as `{ ...row, _TimeReceived }` would be). */
function storedLine(json: string, row: Row, at: string): string {
  if (Object.hasOwn(row, RECEIVED_COLUMN) || !json.endsWith('}')) {
    return JSON.stringify({ ...row, [RECEIVED_COLUMN]: at });
  }
  return `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"${RECEIVED_COLUMN}":${JSON.stringify(at)}}`;
}

interface TableState {
  batches: Batch[];
  stats: TableStats;
  /** Serializes appends so lines never interleave and stay in arrival order. */
  writing: Promise<void>;
}

export class RowStore {
  private readonly tables = new Map<string, TableState>();
  /** Lines skipped on replay because they were not valid JSON (a write cut short). */
  skippedLines = 0;
  private requestLog: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string | undefined,
    private readonly visibilityDelayMs: number,
    private readonly now: () => number,
  ) {}

  /** Opens (and replays) the store; `dir` absent keeps rows in memory only. */
  static async open(options: { dir?: string; visibilityDelayMs?: number; now?: () => number } = {}): Promise<RowStore> {
    const store = new RowStore(options.dir, options.visibilityDelayMs ?? 0, options.now ?? Date.now);
    if (options.dir !== undefined) {
      await mkdir(options.dir, { recursive: true });
      await store.replay(options.dir);
    }
    return store;
  }

  private table(name: string): TableState {
    let state = this.tables.get(name);
    if (state === undefined) {
      state = {
        batches: [],
        stats: {
          table: name,
          rows: 0,
          requests: 0,
          rawBytes: 0,
          wireBytes: 0,
          storedBytes: 0,
          lastReceivedAt: undefined,
        },
        writing: Promise.resolve(),
      };
      this.tables.set(name, state);
    }
    return state;
  }

  private async replay(dir: string): Promise<void> {
    const entries = await readdir(dir);
    for (const file of entries.filter((f) => f.endsWith('.ndjson') && f !== REQUESTS_FILE)) {
      const state = this.table(file.slice(0, -'.ndjson'.length));
      const replayed: Row[] = [];
      state.batches.push({ at: '', count: 0, text: undefined, rows: replayed });
      for await (const line of lines(join(dir, file))) {
        try {
          const row = JSON.parse(line) as Row;
          replayed.push(row);
          state.stats.rows += 1;
          state.stats.storedBytes += storedSize(row);
          const received = row[RECEIVED_COLUMN];
          if (typeof received === 'string') state.stats.lastReceivedAt = received;
        } catch {
          this.skippedLines += 1;
        }
      }
    }
    if (!entries.includes(REQUESTS_FILE)) return;
    for await (const line of lines(join(dir, REQUESTS_FILE))) {
      try {
        const record = JSON.parse(line) as RequestRecord;
        const stats = this.table(record.table).stats;
        stats.requests += 1;
        stats.rawBytes += record.rawBytes;
        stats.wireBytes += record.wireBytes;
      } catch {
        this.skippedLines += 1;
      }
    }
  }

  /**
   * Appends one accepted request's rows (serialized now: later changes to the objects do not
   * reach the store); resolves once they are on disk. `serialized`: the caller's
   * `JSON.stringify(rows)` and its UTF-8 size, when it has them already.
   */
  async append(
    record: Omit<RequestRecord, 'rows'>,
    rows: readonly Row[],
    serialized?: { text: string; bytes: number },
  ): Promise<void> {
    const state = this.table(record.table);
    let text: string;
    let storedBytes: number;
    let fileText: string | undefined;
    if (this.dir === undefined) {
      text = serialized?.text ?? JSON.stringify(rows);
      const bytes = serialized?.bytes ?? Buffer.byteLength(text, 'utf8');
      // The array's brackets and commas are not row bytes.
      storedBytes = bytes - 2 - Math.max(0, rows.length - 1);
    } else {
      const json = rows.map((row) => JSON.stringify(row));
      text = `[${json.join(',')}]`;
      storedBytes = json.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8'), 0);
      fileText = json.map((line, i) => `${storedLine(line, rows[i] ?? {}, record.at)}\n`).join('');
    }
    const dir = this.dir;
    const write = state.writing.then(async () => {
      if (dir === undefined || fileText === undefined) return;
      await appendFile(join(dir, `${record.table}.ndjson`), fileText);
    });
    state.writing = write.catch(() => undefined);
    await write;
    const full: RequestRecord = { ...record, rows: rows.length };
    const log = this.requestLog.then(async () => {
      if (this.dir !== undefined) await appendFile(join(this.dir, REQUESTS_FILE), `${JSON.stringify(full)}\n`);
    });
    this.requestLog = log.catch(() => undefined);
    await log;
    if (rows.length > 0) state.batches.push({ at: record.at, count: rows.length, text, rows: undefined });
    state.stats.rows += rows.length;
    state.stats.requests += 1;
    state.stats.rawBytes += record.rawBytes;
    state.stats.wireBytes += record.wireBytes;
    state.stats.storedBytes += storedBytes;
    state.stats.lastReceivedAt = record.at;
  }

  query(table: string, options: QueryOptions = {}): Row[] {
    const batches = this.tables.get(table)?.batches ?? [];
    const match = matcher(options.filter);
    const since = options.since === undefined ? undefined : toMs(options.since);
    const until = options.until === undefined ? undefined : toMs(options.until);
    const receivedSince = options.receivedSince === undefined ? undefined : toMs(options.receivedSince);
    const visibleBefore = this.now() - this.visibilityDelayMs;
    const limit = options.limit ?? 1000;
    const out: Row[] = [];
    const desc = options.order === 'desc';
    const ordered = function* (): Generator<Row> {
      for (let b = 0; b < batches.length; b += 1) {
        const batch = batches[desc ? batches.length - 1 - b : b];
        if (batch === undefined) continue;
        const rows = materialize(batch);
        for (let i = 0; i < rows.length; i += 1) {
          const row = rows[desc ? rows.length - 1 - i : i];
          if (row !== undefined) yield row;
        }
      }
    };
    for (const row of ordered()) {
      if (out.length >= limit) break;
      const received = Date.parse(String(row[RECEIVED_COLUMN]));
      if (this.visibilityDelayMs > 0 && received > visibleBefore) continue;
      if (receivedSince !== undefined && received < receivedSince) continue;
      if (since !== undefined || until !== undefined) {
        const generated = Date.parse(String(row.TimeGenerated));
        if (since !== undefined && !(generated >= since)) continue;
        if (until !== undefined && !(generated < until)) continue;
      }
      if (match(row)) out.push(row);
    }
    return out;
  }

  count(table: string, filter?: QueryOptions['filter']): number {
    return this.query(table, { limit: Number.POSITIVE_INFINITY, ...(filter === undefined ? {} : { filter }) }).length;
  }

  /** Stats of every table that has received rows, plus any `known` table names (e.g. declared streams). */
  stats(known: readonly string[] = []): TableStats[] {
    for (const name of known) this.table(name);
    return [...this.tables.values()].map((t) => ({ ...t.stats })).sort((a, b) => a.table.localeCompare(b.table));
  }

  tableStats(table: string): TableStats | undefined {
    const state = this.tables.get(table);
    return state === undefined ? undefined : { ...state.stats };
  }
}

function storedSize(row: Row): number {
  const { [RECEIVED_COLUMN]: _received, ...columns } = row;
  return Buffer.byteLength(JSON.stringify(columns), 'utf8');
}
