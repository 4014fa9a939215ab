/**
 * Hourly collection totals per source and org (`cyclehours` table, partition = UTC hour
 * `yyyyMMddHH`, row = `<source>|<org>`), so the ops status can show the last 24 hours: the cycle
 * records (cycles.ts) keep only the last cycle and all-time totals, from which no sliding window can
 * be derived. A day is 24 small partitions, read with one range query.
 *
 * Invariants: a cycle counts at most once per bucket (recordCycle is an activity and may run twice;
 * the bucket keeps the ids of the cycles it counted); writes are read-merge-write with the ETag,
 * retried on conflict; buckets older than RETENTION_HOURS are deleted when a new hour starts. Like
 * the cycle records these are statistics: nothing decides anything from them.
 */
import type { Config } from '../config';
import { asStateError, safeKey, stateTable, statusOf } from './tables';

export const RETENTION_HOURS = 24 * 8;
/** Cycle ids remembered per bucket: 15 s apart at the fastest, an hour holds at most 240 cycles. */
const MAX_APPLIED = 300;
const MAX_ATTEMPTS = 5;

export interface HourCounts {
  rows: number;
  quarantined: number;
  apiCalls: number;
  bytes: number;
  cycles: number;
  failures: number;
}

export interface HourBucket extends HourCounts {
  /** Start of the UTC hour, ISO-8601. */
  hour: string;
  source: string;
  org: string;
}

export interface HourOutcome {
  source: string;
  org: string;
  ok: boolean;
  counts: { rows: number; quarantined: number; apiCalls: number; bytes: number };
}

export const ZERO_HOUR_COUNTS: Readonly<HourCounts> = Object.freeze({
  rows: 0,
  quarantined: 0,
  apiCalls: 0,
  bytes: 0,
  cycles: 0,
  failures: 0,
});

/** `yyyyMMddHH` of a UTC time: sorts as time, so a range of hours is a range of partitions. */
export function hourKey(at: Date): string {
  return at.toISOString().slice(0, 13).replace(/[-T]/g, '');
}

function hourOfKey(key: string): string {
  return `${key.slice(0, 4)}-${key.slice(4, 6)}-${key.slice(6, 8)}T${key.slice(8, 10)}:00:00.000Z`;
}

interface HourEntity {
  partitionKey: string;
  rowKey: string;
  Source: string;
  Org: string;
  Rows: number;
  Quarantined: number;
  ApiCalls: number;
  Bytes: number;
  Cycles: number;
  Failures: number;
  /** JSON array of the cycle ids counted, oldest first. */
  Applied: string;
}

const int = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;

function appliedOf(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

function toBucket(entity: Partial<HourEntity> & { partitionKey?: string }): HourBucket {
  return {
    hour: hourOfKey(entity.partitionKey ?? ''),
    source: entity.Source ?? '',
    org: entity.Org ?? '',
    rows: int(entity.Rows),
    quarantined: int(entity.Quarantined),
    apiCalls: int(entity.ApiCalls),
    bytes: int(entity.Bytes),
    cycles: int(entity.Cycles),
    failures: int(entity.Failures),
  };
}

/** Adds `b` into `a` (both HourCounts); returns `a`. */
export function addCounts(a: HourCounts, b: HourCounts): HourCounts {
  a.rows += b.rows;
  a.quarantined += b.quarantined;
  a.apiCalls += b.apiCalls;
  a.bytes += b.bytes;
  a.cycles += b.cycles;
  a.failures += b.failures;
  return a;
}

/**
 * Totals per `source|org` of the buckets inside the window: the hour containing `now` and the
 * `hours - 1` before it (so "24 hours" covers between 23 and 24 hours of cycles).
 */
export function sumHours(buckets: readonly HourBucket[], now: Date, hours = 24): Map<string, HourCounts> {
  const newest = hourKey(now);
  const oldest = hourKey(new Date(now.getTime() - (hours - 1) * 3_600_000));
  const out = new Map<string, HourCounts>();
  for (const bucket of buckets) {
    const key = hourKey(new Date(bucket.hour));
    if (key < oldest || key > newest) continue;
    const id = `${bucket.source}|${bucket.org}`;
    out.set(id, addCounts(out.get(id) ?? { ...ZERO_HOUR_COUNTS }, bucket));
  }
  return out;
}

/** Bucket row of the whole cycle (all targets summed). */
export const CYCLE_TOTAL = { source: 'cycle', org: 'all' } as const;

function cycleTotal(outcomes: readonly HourOutcome[]): HourOutcome {
  const sum = (pick: (o: HourOutcome) => number) => outcomes.reduce((total, o) => total + int(pick(o)), 0);
  return {
    ...CYCLE_TOTAL,
    ok: outcomes.every((o) => o.ok),
    counts: {
      rows: sum((o) => o.counts.rows),
      quarantined: sum((o) => o.counts.quarantined),
      apiCalls: sum((o) => o.counts.apiCalls),
      bytes: sum((o) => o.counts.bytes),
    },
  };
}

export class CycleHourStore {
  constructor(private readonly config: Config) {}

  /**
   * Counts one cycle's outcomes into the hour of `startedAt`, plus their sum as `cycle|all` (one
   * cycle, failed if any target failed); a cycle already counted in a bucket is skipped there.
   */
  async add(
    cycleId: string,
    startedAt: Date,
    outcomes: readonly HourOutcome[],
  ): Promise<{ applied: number; skipped: number }> {
    const table = await stateTable(this.config, 'cyclehours');
    const partitionKey = hourKey(startedAt);
    let applied = 0;
    let skipped = 0;
    let createdBucket = false;
    const all = outcomes.length === 0 ? [] : [...outcomes, cycleTotal(outcomes)];
    for (const outcome of all) {
      const rowKey = `${safeKey(outcome.source)}|${safeKey(outcome.org)}`;
      for (let attempt = 1; ; attempt += 1) {
        let existing: (HourEntity & { etag: string }) | undefined;
        try {
          existing = await table.getEntity<HourEntity>(partitionKey, rowKey);
        } catch (error) {
          if (statusOf(error) !== 404)
            throw asStateError(error, `reading the ${outcome.source}/${outcome.org} hourly totals`);
        }
        const ids = appliedOf(existing?.Applied);
        if (ids.includes(cycleId)) {
          skipped += 1;
          break;
        }
        const before = existing === undefined ? { ...ZERO_HOUR_COUNTS } : toBucket(existing);
        const entity: HourEntity = {
          partitionKey,
          rowKey,
          Source: outcome.source,
          Org: outcome.org,
          Rows: before.rows + int(outcome.counts.rows),
          Quarantined: before.quarantined + int(outcome.counts.quarantined),
          ApiCalls: before.apiCalls + int(outcome.counts.apiCalls),
          Bytes: before.bytes + int(outcome.counts.bytes),
          Cycles: before.cycles + 1,
          Failures: before.failures + (outcome.ok ? 0 : 1),
          Applied: JSON.stringify([...ids, cycleId].slice(-MAX_APPLIED)),
        };
        try {
          if (existing === undefined) await table.createEntity(entity);
          else await table.updateEntity(entity, 'Replace', { etag: existing.etag });
          if (existing === undefined) createdBucket = true;
          applied += 1;
          break;
        } catch (error) {
          const status = statusOf(error);
          if ((status === 409 || status === 412) && attempt < MAX_ATTEMPTS) continue;
          throw asStateError(error, `saving the ${outcome.source}/${outcome.org} hourly totals`);
        }
      }
    }
    if (createdBucket) await this.purgeBefore(new Date(startedAt.getTime() - RETENTION_HOURS * 3_600_000));
    return { applied, skipped };
  }

  /** Buckets of the hour containing `from` and every later hour. */
  async since(from: Date): Promise<HourBucket[]> {
    const table = await stateTable(this.config, 'cyclehours');
    const filter = `PartitionKey ge '${hourKey(from)}'`;
    const out: HourBucket[] = [];
    try {
      for await (const entity of table.listEntities<Partial<HourEntity>>({
        queryOptions: {
          filter,
          select: ['PartitionKey', 'Source', 'Org', 'Rows', 'Quarantined', 'ApiCalls', 'Bytes', 'Cycles', 'Failures'],
        },
      })) {
        out.push(toBucket(entity));
      }
    } catch (error) {
      throw asStateError(error, 'reading hourly totals');
    }
    return out;
  }

  /** Deletes up to `limit` buckets older than `cutoff`; a bucket deleted meanwhile is not an error. */
  async purgeBefore(cutoff: Date, limit = 200): Promise<number> {
    const table = await stateTable(this.config, 'cyclehours');
    const filter = `PartitionKey lt '${hourKey(cutoff)}'`;
    let deleted = 0;
    try {
      const old: { partitionKey: string; rowKey: string }[] = [];
      for await (const entity of table.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
        old.push({ partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
        if (old.length >= limit) break;
      }
      for (const { partitionKey, rowKey } of old) {
        try {
          await table.deleteEntity(partitionKey, rowKey);
          deleted += 1;
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
        }
      }
    } catch (error) {
      throw asStateError(error, 'deleting old hourly totals');
    }
    return deleted;
  }
}
