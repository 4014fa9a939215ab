/**
 * Dimension values: a long value that many rows repeat lands once per key and UTC day in
 * `SentryDimension_CL`, and the row keeps a 12-character key in its place. The user agent is the
 * case that pays: about 135 billed bytes on almost every Slack audit row, a few dozen distinct
 * values a day. The `SentrySlackAudit` parser function joins the value back, so KQL reads
 * `UserAgent` as before.
 *
 * Invariants:
 * - The key is content-addressed (base64url of the first 9 bytes of the value's SHA-256), so the
 *   same value always gets the same key, in every process: landing a dimension row twice is harmless.
 * - For every (UTC day, key) a landed row references, a dimension row with a `TimeGenerated` in that
 *   same day lands in the same flush as the row (Sentinel scopes every table of a rule's query to the
 *   rule's lookback, so the value must sit close to the rows that use it; a rule reading `UserAgent`
 *   looks back at least a day more than its own window). Known edge: Log Analytics restamps a
 *   TimeGenerated over two days old with the time received, so when one flush carries rows of a day
 *   on both sides of that line (a catch-up or backfill), the value's row (from the day's first, oldest
 *   row) moves to the receive time while the day's younger rows keep theirs. The lookup itself is not
 *   time-bound; only a query whose time range holds those younger rows but not the receive time
 *   misses their user agent. Live collection (minutes behind) never meets it.
 * - A (day, key) counts as landed only after the flush that carried its dimension row succeeded;
 *   a failed flush forgets nothing it has not committed, so the retry lands the value again.
 * - Detections see the full row: splitting happens after the observer, and never mutates the row.
 *
 * Pure: no I/O and no clock. `DimensionLedger` is the in-process memory of landed keys (bounded).
 */
import { createHash } from 'node:crypto';

import { type DimensionRow, type RowsByStream, type StreamKey, streams } from './streams';

export type DimensionKind = 'userAgent';

export interface DimensionColumn {
  /** The row column whose value moves to the dimension table. */
  column: string;
  /** The row column that keeps its key. */
  keyColumn: string;
  kind: DimensionKind;
  /**
   * Shorter values stay in the row: a 12-character key plus a dimension row (~55 bytes + the value)
   * would save too little per row to pay for itself within a few events a day.
   */
  minLength: number;
}

/** Which columns of which stream land as dimensions. */
export const DIMENSION_COLUMNS: Readonly<Partial<Record<StreamKey, readonly DimensionColumn[]>>> = {
  slackAudit: [{ column: 'UserAgent', keyColumn: 'UserAgentKey', kind: 'userAgent', minLength: 32 }],
};

/** Bytes of the SHA-256 kept in a key: 72 bits, 12 base64url characters; collisions need ~2^36 values. */
export const KEY_BYTES = 9;

/** The content-addressed key of a value: base64url of the first 9 bytes of its UTF-8 SHA-256. */
export function dimensionKey(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest().subarray(0, KEY_BYTES).toString('base64url');
}

/** Distinct values remembered per kind by the split; a day has a few dozen user agents. */
const KEYED_CACHE_MAX = 4096;

/** A value's key and its ledger id (`kind:key`), built once per value and reused as the same string objects. */
interface Keyed {
  key: string;
  id: string;
}

const keyedCache = new Map<DimensionKind, Map<string, Keyed>>();

function keyed(kind: DimensionKind, value: string): Keyed {
  let cache = keyedCache.get(kind);
  if (cache === undefined) keyedCache.set(kind, (cache = new Map<string, Keyed>()));
  let entry = cache.get(value);
  if (entry === undefined) {
    const key = dimensionKey(value);
    entry = { key, id: `${kind}:${key}` };
    if (cache.size >= KEYED_CACHE_MAX) cache.clear();
    cache.set(value, entry);
  }
  return entry;
}

/** UTC day (`YYYY-MM-DD`) of an ISO-8601 time; the transforms write `…Z`, anything else is parsed. */
export function utcDay(time: string): string {
  if (time.length >= 20 && time.endsWith('Z')) return time.slice(0, 10);
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString().slice(0, 10);
}

export interface DimensionLedgerOptions {
  /** Days remembered (least recently used forgotten first). Default 4: today, yesterday, a backfill. */
  maxDays?: number;
  /** Keys remembered per day; beyond it values land again with every flush (harmless, just bytes). Default 20,000. */
  maxKeysPerDay?: number;
}

/** What this process has landed: per UTC day, the `kind:key` ids whose dimension row is in Log Analytics. */
export class DimensionLedger {
  private readonly days = new Map<string, Set<string>>();
  private readonly maxDays: number;
  private readonly maxKeysPerDay: number;

  constructor(options: DimensionLedgerOptions = {}) {
    this.maxDays = Math.max(1, options.maxDays ?? 4);
    this.maxKeysPerDay = Math.max(0, options.maxKeysPerDay ?? 20_000);
  }

  has(day: string, id: string): boolean {
    return this.days.get(day)?.has(id) ?? false;
  }

  /** Records ids of one day as landed. */
  remember(day: string, ids: Iterable<string>): void {
    let set = this.days.get(day);
    if (set === undefined) {
      set = new Set();
      while (this.days.size >= this.maxDays) {
        const oldest = this.days.keys().next().value;
        if (oldest === undefined) break;
        this.days.delete(oldest);
      }
    } else this.days.delete(day); // re-inserted below: most recently used last
    this.days.set(day, set);
    for (const id of ids) {
      if (set.size >= this.maxKeysPerDay) break;
      set.add(id);
    }
  }

  /** Ids remembered over all days (for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (const set of this.days.values()) n += set.size;
    return n;
  }
}

/** A row as it lands, and the dimension rows that must land in the same flush. */
export interface DimensionSplit<Row> {
  row: Row;
  dimensions: DimensionRow[];
}

const NONE: DimensionRow[] = [];

type Bag = Record<string, unknown>;

interface SplitPlan {
  columns: readonly DimensionColumn[];
  /** The row with each keyed value replaced by its key (`keys[i]` for `columns[i]`, undefined = keep the value). */
  copy: (source: Readonly<Bag>, keys: readonly (string | undefined)[]) => Bag;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const plans = new Map<StreamKey, SplitPlan | undefined>();

/**
 * Landed rows keep the declaration order and one hidden class per stream, as RowBuilder makes them.
 * So the copy is generated once per stream from its declared column names (identifiers only, never
 * data): one named store per column, the key in the value's place (the key column is declared right
 * after). Kept because `npm run bench` needs it: as an ordinary closure over the column list it cost
 * ~2.1 µs more per row and, in runs interleaved with the generated one, took the ratio to ceiling
 * from 0.56–0.61 to 0.54–0.57 and the CPU ratio from 0.68–0.72 to 0.63–0.66 (targets ≥ 0.6;
 * docs/reference/performance.md, "Speed tricks the bench keeps").
 */
function planOf(stream: StreamKey): SplitPlan | undefined {
  if (plans.has(stream)) return plans.get(stream);
  const columns = DIMENSION_COLUMNS[stream];
  let plan: SplitPlan | undefined;
  if (columns !== undefined && columns.length > 0) {
    const names = streams[stream].columns.map((c) => c.name);
    for (const c of columns) {
      if (!names.includes(c.column) || !names.includes(c.keyColumn)) {
        throw new Error(`${streams[stream].table} does not declare ${c.column} and ${c.keyColumn}`);
      }
    }
    if (!names.every((n) => IDENTIFIER.test(n)))
      throw new Error(`${streams[stream].table}: column names must be identifiers`);
    const body = names
      .map((name) => {
        const asValue = columns.findIndex((c) => c.column === name);
        if (asValue >= 0) {
          const keyColumn = columns[asValue]?.keyColumn ?? '';
          return `if (k[${asValue}] !== undefined) r.${keyColumn} = k[${asValue}]; else if (s.${name} !== undefined) r.${name} = s.${name};`;
        }
        const asKey = columns.findIndex((c) => c.keyColumn === name);
        if (asKey >= 0) return `if (k[${asKey}] === undefined && s.${name} !== undefined) r.${name} = s.${name};`;
        return `if (s.${name} !== undefined) r.${name} = s.${name};`;
      })
      .join('\n');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the stream's declared column names, checked to be identifiers above
    const copy = new Function('s', 'k', `'use strict';\nconst r = {};\n${body}\nreturn r;`) as SplitPlan['copy'];
    plan = { columns, copy };
  }
  plans.set(stream, plan);
  return plan;
}

/**
 * One flush's worth of dimension bookkeeping (a RowSink holds one): replaces dimension values by
 * their keys and yields a dimension row for each (day, key) neither landed by this process nor
 * already queued in this batch. `commit()` once the flush succeeded; a failed flush just drops the
 * batch, so the next one lands its values again.
 */
export class DimensionBatch {
  /** day → ids queued in this batch (committed together). */
  private readonly pending = new Map<string, Set<string>>();
  private queued = 0;

  constructor(
    private readonly ledger: DimensionLedger,
    private readonly sourceOrg: string,
  ) {}

  /** Dimension rows queued so far (rejections excluded). */
  get size(): number {
    return this.queued;
  }

  /** The row with its dimension values replaced by keys (a new object; the input is untouched). */
  split<K extends StreamKey>(stream: K, row: RowsByStream[K]): DimensionSplit<RowsByStream[K]> {
    const plan = planOf(stream);
    if (plan === undefined) return { row, dimensions: NONE };
    const source = row as Readonly<Record<string, unknown>>;
    let keys: (string | undefined)[] | undefined;
    let dimensions = NONE;
    let time = '';
    let day = '';
    for (let i = 0; i < plan.columns.length; i += 1) {
      const c = plan.columns[i];
      if (c === undefined) continue;
      const value = source[c.column];
      if (typeof value !== 'string' || value.length < c.minLength) continue;
      if (keys === undefined) {
        keys = new Array<string | undefined>(plan.columns.length);
        time = String(source.TimeGenerated);
        day = utcDay(time);
      }
      const { key, id } = keyed(c.kind, value);
      keys[i] = key;
      // Most rows repeat a value this process has landed today: one lookup of a string whose hash V8 has cached.
      if (this.ledger.has(day, id)) continue;
      let queued = this.pending.get(day);
      if (queued === undefined) this.pending.set(day, (queued = new Set()));
      if (queued.has(id)) continue;
      queued.add(id);
      this.queued += 1;
      if (dimensions === NONE) dimensions = [];
      dimensions.push({ TimeGenerated: time, EventId: key, SourceOrg: this.sourceOrg, Kind: c.kind, Value: value });
    }
    if (keys === undefined) return { row, dimensions: NONE };
    return { row: plan.copy(source, keys) as RowsByStream[K], dimensions };
  }

  /** The service refused this dimension row (it went to quarantine): do not count its key as landed. */
  reject(row: Readonly<Record<string, unknown>>): void {
    const day = utcDay(String(row.TimeGenerated));
    if (this.pending.get(day)?.delete(`${String(row.Kind)}:${String(row.EventId)}`) === true) this.queued -= 1;
  }

  /** The flush that carried this batch succeeded: its (day, key) pairs count as landed from now on. */
  commit(): void {
    for (const [day, ids] of this.pending) this.ledger.remember(day, ids);
    this.pending.clear();
    this.queued = 0;
  }
}
