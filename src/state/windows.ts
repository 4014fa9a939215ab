/**
 * Windowed detection state in Table Storage (table `windows`): one entity per detection, dedupe key
 * and time bucket (partition = detection id, row = dedupe key + bucket start). What a bucket is and
 * how buckets merge: detections/buckets.ts.
 *
 * Invariants:
 * - Unchanged merges are not written: an entity's signature (its persisted encoding) decides.
 * - Writes are read-merge-write guarded by the entity's ETag (create-if-absent for new buckets);
 *   a concurrent writer makes the loser re-read and re-merge.
 * - Every bucket carries ExpiresAt (bucket end + the detection's retention, and at least a few
 *   hours after it was last written so a backfilled bucket is evaluated before it goes);
 *   `purgeExpired` deletes what has expired (Table Storage has no TTL).
 */
import { createHash } from 'node:crypto';

import type { TableClient, TransactionAction } from '@azure/data-tables';

import type { Config } from '../config';
import {
  type BucketData,
  type BucketExpiries,
  coalesce,
  type DirtyMark,
  earliestLive,
  type ItemTimes,
  MAX_DEDUPE_KEY_CHARS,
  mergeBuckets,
  mergeExpiries,
  type PartyTimes,
  type StoredBucket,
  toStored,
  touchedOf,
  type WindowIndex,
  type WindowKey,
  type WindowStore,
  type WindowSubject,
} from '../detections/buckets';
import { AppError, ErrorCode } from '../errors';
import { asStateError, type Entity, safeKey, stateTable, statusOf } from './tables';

const MAX_FACTS_CHARS = 2048;
const MAX_PARTIES_CHARS = 8192;

/** Whether merging changed anything that is persisted (expiry moving later alone counts). */
export function sameBucket(a: BucketData, b: BucketData): boolean {
  return encodeEntity(a).signature === encodeEntity(b).signature;
}

/** A window's row-key prefix in its detection's partition (its buckets follow as `<prefix>~<bucket>`). */
export function subjectKeyOf(dedupeKey: string): string {
  const safe = safeKey(dedupeKey).replace(/'/g, '%27');
  return safe.length <= 200 ? safe : `h-${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 40)}`;
}

function rowKeyOf(dedupeKey: string, bucket: number): string {
  return `${subjectKeyOf(dedupeKey)}~${String(bucket).padStart(11, '0')}`;
}

/**
 * The dirty index lives beside the buckets, one partition per detection (`~index~<detection id>`,
 * which no detection id can collide with): a mark per touched window (row `m~<subject key>`) and one
 * `meta` row holding, per bucket start, the latest expiry written there, so each detection's oldest
 * live bucket is known without reading its buckets. Index rows carry no ExpiresAt, so the expiry
 * queries over buckets never see them.
 */
const INDEX_PREFIX = '~index~';
const META_ROW = 'meta';

function indexPartition(detectionId: string): string {
  return `${INDEX_PREFIX}${safeKey(detectionId)}`;
}

// A type alias, not an interface: transactions need it assignable to TableEntity's index signature.
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
type WindowEntity = {
  partitionKey: string;
  rowKey: string;
  DetectionId: string;
  DedupeKey: string;
  SubjectType: string;
  SubjectId: string;
  SubjectName?: string;
  Bucket: number;
  BucketSeconds: number;
  ExpiresAt: Date;
  Items: string;
  Overflow?: string;
  Facts?: string;
  Parties?: string;
};

function sortedItems(items: Record<string, ItemTimes>): Record<string, ItemTimes> {
  return Object.fromEntries(Object.entries(items).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function encodeEntity(b: BucketData): { entity: WindowEntity; signature: string } {
  const entity: WindowEntity = {
    partitionKey: safeKey(b.detectionId),
    rowKey: rowKeyOf(b.dedupeKey, b.bucket),
    DetectionId: b.detectionId,
    DedupeKey: b.dedupeKey.slice(0, MAX_DEDUPE_KEY_CHARS),
    SubjectType: b.subject.type,
    SubjectId: b.subject.id.slice(0, 1024),
    Bucket: b.bucket,
    BucketSeconds: b.bucketSeconds,
    ExpiresAt: new Date(b.expiresAt * 1000),
    Items: JSON.stringify(sortedItems(b.items)),
  };
  if (b.subject.name !== undefined) entity.SubjectName = b.subject.name.slice(0, 1024);
  if (b.overflow !== undefined) entity.Overflow = b.overflow;
  if (b.facts !== undefined) {
    const facts = JSON.stringify(b.facts);
    entity.Facts = facts.length <= MAX_FACTS_CHARS ? facts : JSON.stringify({ t: b.facts.t, values: {} });
  }
  if (b.parties !== undefined && Object.keys(b.parties).length > 0) {
    const sorted = Object.fromEntries(Object.entries(b.parties).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
    const parties = JSON.stringify(sorted);
    // Parties are display and targeting data: a bucket whose parties do not fit keeps none rather than fail.
    if (parties.length <= MAX_PARTIES_CHARS) entity.Parties = parties;
  }
  const signature = JSON.stringify([
    entity.Items,
    entity.Overflow ?? '',
    entity.Facts ?? '',
    b.expiresAt,
    entity.SubjectName ?? '',
    entity.Parties ?? '',
  ]);
  return { entity, signature };
}

function decodeEntity(e: Partial<WindowEntity> & Entity): BucketData {
  const subject: WindowSubject = { type: e.SubjectType ?? 'unknown', id: e.SubjectId ?? '' };
  if (typeof e.SubjectName === 'string') subject.name = e.SubjectName;
  const data: BucketData = {
    detectionId: e.DetectionId ?? e.partitionKey ?? '',
    dedupeKey: e.DedupeKey ?? '',
    subject,
    bucket: Number(e.Bucket),
    bucketSeconds: Number(e.BucketSeconds),
    expiresAt: Math.floor(new Date(e.ExpiresAt ?? 0).getTime() / 1000),
    items: JSON.parse(e.Items ?? '{}') as Record<string, ItemTimes>,
  };
  if (typeof e.Overflow === 'string') data.overflow = e.Overflow;
  if (typeof e.Facts === 'string') data.facts = JSON.parse(e.Facts) as BucketData['facts'];
  if (typeof e.Parties === 'string') data.parties = JSON.parse(e.Parties) as Record<string, PartyTimes>;
  return data;
}

const MAX_ATTEMPTS = 8;
/**
 * Windows of one detection from which `readWindows` reads the one row-key range spanning them instead
 * of one query each. The range also returns the unmarked windows between them (skipped before
 * decoding), so a few marks scattered over a large partition are cheaper read one by one.
 */
export const RANGE_READ_FROM = 32;
/** Entity group transactions: at most 100 operations, one partition, a 4 MiB body. */
const TRANSACTION_LIMIT = 100;
const TRANSACTION_CHARS = 2_000_000;

/** Groups items by partition into transaction-sized chunks. */
function chunkByPartition<T>(items: readonly T[], partition: (item: T) => string, cost: (item: T) => number): T[][] {
  const byPartition = new Map<string, T[]>();
  for (const item of items) {
    const key = partition(item);
    byPartition.set(key, [...(byPartition.get(key) ?? []), item]);
  }
  const chunks: T[][] = [];
  for (const list of byPartition.values()) {
    let chunk: T[] = [];
    let chars = 0;
    for (const item of list) {
      if (chunk.length > 0 && (chunk.length >= TRANSACTION_LIMIT || chars + cost(item) > TRANSACTION_CHARS)) {
        chunks.push(chunk);
        chunk = [];
        chars = 0;
      }
      chunk.push(item);
      chars += cost(item);
    }
    if (chunk.length > 0) chunks.push(chunk);
  }
  return chunks;
}

async function mapLimit<T>(list: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, list.length) }, async () => {
    while (next < list.length) {
      const item = list[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

export class TableWindowStore implements WindowStore {
  constructor(
    private readonly config: Config,
    private readonly options: { concurrency?: number } = {},
  ) {}

  private table(): Promise<TableClient> {
    return stateTable(this.config, 'windows');
  }

  async apply(buckets: readonly BucketData[]): Promise<{ updates: number }> {
    const table = await this.table();
    const merged = coalesce(buckets);
    const concurrency = this.options.concurrency ?? 8;
    // Read every target once (point reads), merge, then write each partition's changes in entity
    // group transactions; a transaction that loses a race (409/412) is atomic, so its buckets are
    // simply redone one by one through the re-reading path.
    const reads: { bucket: BucketData; entity: WindowEntity; etag: string | undefined }[] = [];
    await mapLimit(merged, concurrency, async (bucket) => {
      const read = await this.readMerged(table, bucket);
      if (read !== undefined) reads.push({ bucket, entity: read.entity, etag: read.etag });
    });
    const chunks = chunkByPartition(
      reads,
      (r) => r.entity.partitionKey,
      (r) => r.entity.Items.length + (r.entity.Parties?.length ?? 0) + 512,
    );
    let updates = 0;
    await mapLimit(chunks, concurrency, async (chunk) => {
      if (chunk.length > 1) {
        try {
          await table.submitTransaction(
            chunk.map((r): TransactionAction =>
              r.etag === undefined ? ['create', r.entity] : ['update', r.entity, 'Replace', { etag: r.etag }],
            ),
          );
          updates += chunk.length;
          return;
        } catch (error) {
          const status = statusOf(error);
          if (status !== 409 && status !== 412) throw asStateError(error, 'writing detection windows');
        }
      }
      for (const r of chunk) if (await this.applyOne(table, r.bucket)) updates++;
    });
    await this.mark(table, merged);
    return { updates };
  }

  /** Marks the touched windows dirty and records the bucket starts written, per detection. */
  private async mark(table: TableClient, buckets: readonly BucketData[]): Promise<void> {
    await mapLimit([...touchedOf(buckets)], this.options.concurrency ?? 8, async ([detectionId, touched]) => {
      const partitionKey = indexPartition(detectionId);
      const marks = [...touched.keys].map((dedupeKey) => ({
        partitionKey,
        rowKey: `m~${subjectKeyOf(dedupeKey)}`,
        DetectionId: detectionId,
        DedupeKey: dedupeKey,
      }));
      // The meta row goes in the first transaction (read-merge-write on its ETag); marks are blind
      // upserts: writing one again only changes its ETag, which keeps it dirty, as it should be.
      for (let attempt = 1; ; attempt++) {
        let meta: (Entity & { Buckets?: string }) | undefined;
        try {
          meta = await table.getEntity<{ Buckets?: string }>(partitionKey, META_ROW);
        } catch (error) {
          if (statusOf(error) !== 404) throw asStateError(error, `reading the window index of ${detectionId}`);
        }
        const known = JSON.parse(meta?.Buckets ?? '{}') as BucketExpiries;
        const next = mergeExpiries(known, touched.expiries);
        const metaEntity = { partitionKey, rowKey: META_ROW, DetectionId: detectionId, Buckets: JSON.stringify(next) };
        const first = marks.slice(0, TRANSACTION_LIMIT - 1).map((m): TransactionAction => ['upsert', m, 'Replace']);
        const unchanged = meta?.Buckets === metaEntity.Buckets;
        const actions: TransactionAction[] = unchanged
          ? [...first]
          : [
              meta === undefined ? ['create', metaEntity] : ['update', metaEntity, 'Replace', { etag: meta.etag }],
              ...first,
            ];
        try {
          await table.submitTransaction(actions);
          break;
        } catch (error) {
          const status = statusOf(error);
          if ((status !== 409 && status !== 412) || attempt >= MAX_ATTEMPTS)
            throw asStateError(error, `marking windows of ${detectionId}`);
          await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20 * attempt)));
        }
      }
      for (let i = TRANSACTION_LIMIT - 1; i < marks.length; i += TRANSACTION_LIMIT) {
        const chunk = marks.slice(i, i + TRANSACTION_LIMIT).map((m): TransactionAction => ['upsert', m, 'Replace']);
        try {
          await table.submitTransaction(chunk);
        } catch (error) {
          throw asStateError(error, `marking windows of ${detectionId}`);
        }
      }
    });
  }

  async readIndex(now: number): Promise<WindowIndex> {
    const table = await this.table();
    const filter = `PartitionKey ge '${INDEX_PREFIX}' and PartitionKey lt '~index\u007f'`;
    const marks: DirtyMark[] = [];
    const earliest = new Map<string, number>();
    try {
      for await (const e of table.listEntities<{ DetectionId?: string; DedupeKey?: string; Buckets?: string }>({
        queryOptions: { filter },
      })) {
        if (typeof e.DetectionId !== 'string') continue;
        if (e.rowKey === META_ROW) {
          const first = earliestLive(JSON.parse(e.Buckets ?? '{}') as BucketExpiries, now);
          if (first !== undefined) earliest.set(e.DetectionId, first);
        } else if (typeof e.DedupeKey === 'string') {
          marks.push({ detectionId: e.DetectionId, dedupeKey: e.DedupeKey, etag: e.etag });
        }
      }
    } catch (error) {
      throw asStateError(error, 'reading the detection window index');
    }
    return { marks, earliest };
  }

  async readWindows(keys: readonly WindowKey[], now: number): Promise<StoredBucket[]> {
    const table = await this.table();
    const out: StoredBucket[] = [];
    const expiry = `ExpiresAt ge datetime'${new Date(now * 1000).toISOString()}'`;
    const byDetection = new Map<string, Map<string, string>>();
    for (const key of keys) {
      const wanted = byDetection.get(key.detectionId) ?? new Map<string, string>();
      wanted.set(key.dedupeKey.slice(0, MAX_DEDUPE_KEY_CHARS), subjectKeyOf(key.dedupeKey));
      byDetection.set(key.detectionId, wanted);
    }
    // One query per range: a window's buckets are a row-key range of its detection's partition,
    // and many windows of one detection are read as the one range spanning them all, keeping only
    // their rows (a backfill marks thousands: one query each would cost a round trip and a scan
    // apiece). A longer subject key sharing a prefix (`a` and `a~b`) is dropped by its DedupeKey.
    const ranges: { detectionId: string; from: string; to: string; wanted: ReadonlySet<string> }[] = [];
    for (const [detectionId, wanted] of byDetection) {
      const subjects = [...new Set(wanted.values())].sort();
      const dedupeKeys = new Set(wanted.keys());
      if (subjects.length >= RANGE_READ_FROM) {
        ranges.push({
          detectionId,
          from: subjects[0] ?? '',
          to: subjects[subjects.length - 1] ?? '',
          wanted: dedupeKeys,
        });
      } else {
        for (const subject of subjects) ranges.push({ detectionId, from: subject, to: subject, wanted: dedupeKeys });
      }
    }
    await mapLimit(ranges, this.options.concurrency ?? 8, async (range) => {
      const filter =
        `PartitionKey eq '${safeKey(range.detectionId)}' and RowKey ge '${range.from}~' and ` +
        `RowKey lt '${range.to}\u007f' and ${expiry}`;
      try {
        for await (const e of table.listEntities<Partial<WindowEntity>>({ queryOptions: { filter } })) {
          // Decoding parses the items: skip rows of windows nobody asked for first.
          if (typeof e.DedupeKey === 'string' && range.wanted.has(e.DedupeKey)) out.push(toStored(decodeEntity(e)));
        }
      } catch (error) {
        throw asStateError(error, `reading windows ${range.detectionId}/${range.from}..${range.to}`);
      }
    });
    return out;
  }

  async clearMarks(marks: readonly DirtyMark[]): Promise<number> {
    const table = await this.table();
    let cleared = 0;
    // Conditional deletes one by one: a transaction's delete cannot carry an ETag.
    await mapLimit(marks, this.options.concurrency ?? 8, async (m) => {
      try {
        await table.deleteEntity(indexPartition(m.detectionId), `m~${subjectKeyOf(m.dedupeKey)}`, { etag: m.etag });
        cleared++;
      } catch (error) {
        const status = statusOf(error);
        if (status !== 404 && status !== 412) throw asStateError(error, 'clearing a dirty window mark');
      }
    });
    return cleared;
  }

  /**
   * The stored bucket merged with `bucket`, ready to write with the ETag it was read at (undefined
   * ETag: not stored yet); undefined when the merge changes nothing (a replayed batch).
   */
  private async readMerged(
    table: TableClient,
    bucket: BucketData,
  ): Promise<{ entity: WindowEntity; etag: string | undefined } | undefined> {
    const { entity: probe } = encodeEntity(bucket);
    let existing: (Partial<WindowEntity> & Entity) | undefined;
    try {
      existing = await table.getEntity<Partial<WindowEntity>>(probe.partitionKey, probe.rowKey);
    } catch (error) {
      if (statusOf(error) !== 404) throw asStateError(error, `reading window ${bucket.detectionId}/${probe.rowKey}`);
    }
    const before = existing === undefined ? undefined : decodeEntity(existing);
    const after = mergeBuckets(before, bucket);
    if (before !== undefined && sameBucket(before, after)) return undefined;
    return { entity: encodeEntity(after).entity, etag: existing?.etag };
  }

  private async applyOne(table: TableClient, bucket: BucketData): Promise<boolean> {
    const { entity: probe } = encodeEntity(bucket);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const read = await this.readMerged(table, bucket);
      if (read === undefined) return false;
      const { entity, etag } = read;
      try {
        if (etag === undefined) await table.createEntity(entity);
        else await table.updateEntity(entity, 'Replace', { etag });
        return true;
      } catch (error) {
        const status = statusOf(error);
        if (status !== 409 && status !== 412)
          throw asStateError(error, `writing window ${bucket.detectionId}/${probe.rowKey}`);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20 * attempt)));
      }
    }
    throw new AppError(
      ErrorCode.StateConflict,
      `Window ${bucket.detectionId}/${probe.rowKey} kept changing concurrently`,
      {
        retriable: true,
        context: { attempts: MAX_ATTEMPTS },
      },
    );
  }

  async readAll(now: number): Promise<StoredBucket[]> {
    const table = await this.table();
    const out: StoredBucket[] = [];
    const filter = `ExpiresAt ge datetime'${new Date(now * 1000).toISOString()}'`;
    try {
      for await (const entity of table.listEntities<Partial<WindowEntity>>({ queryOptions: { filter } })) {
        out.push(toStored(decodeEntity(entity)));
      }
    } catch (error) {
      throw asStateError(error, 'reading detection windows');
    }
    return out;
  }

  async purgeExpired(now: number, limit = 500): Promise<number> {
    const table = await this.table();
    const filter = `ExpiresAt lt datetime'${new Date(now * 1000).toISOString()}'`;
    const expired: { partitionKey: string; rowKey: string; etag: string }[] = [];
    try {
      for await (const entity of table.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
        if (entity.partitionKey !== undefined && entity.rowKey !== undefined) {
          expired.push({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, etag: entity.etag });
        }
        if (expired.length >= limit) break;
      }
    } catch (error) {
      throw asStateError(error, 'listing expired detection windows');
    }
    let deleted = 0;
    await mapLimit(expired, this.options.concurrency ?? 8, async (e) => {
      try {
        // Conditional: a bucket rewritten since it was listed (new observations) is kept.
        await table.deleteEntity(e.partitionKey, e.rowKey, { etag: e.etag });
        deleted++;
      } catch (error) {
        const status = statusOf(error);
        if (status !== 404 && status !== 412) throw asStateError(error, 'deleting an expired detection window');
      }
    });
    return deleted;
  }
}

