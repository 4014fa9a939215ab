/**
 * Windowed detection state in Table Storage (table `windows`): one entity per detection, dedupe key
 * and time bucket (partition = detection id, row = dedupe key + bucket start).
 *
 * Invariants:
 * - A bucket holds a *set*: items (event ids or distinct values) with their first/last time, so
 *   applying the same observations twice changes nothing (and is not even written).
 * - Bounded: a bucket keeps items one by one while their serialization stays under 28 K characters
 *   (and 1000 items; item ≤ 128 chars, label ≤ 64), under the 64 KiB string-property limit (32 K
 *   UTF-16 characters) and far under the 1 MiB entity limit; beyond that, items only set bits in a fixed
 *   8192-bit linear-counting bitmap (1 KiB), which is still idempotent and gives an estimated count.
 * - Writes are read-merge-write guarded by the entity's ETag (create-if-absent for new buckets);
 *   a concurrent writer makes the loser re-read and re-merge. Merging is a commutative union, so
 *   racing activities end with the same state in any order.
 * - Every bucket carries ExpiresAt (bucket end + the detection's retention, and at least a few
 *   hours after it was last written so a backfilled bucket is evaluated before it goes);
 *   `purgeExpired` deletes what has expired (Table Storage has no TTL).
 */
import { createHash } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import type { Config } from '../config';
import { AppError, ErrorCode } from '../errors';
import { asStateError, type Entity, safeKey, stateTable, statusOf } from './tables';

export const MAX_ITEMS = 1000;
/** Budget for the serialized items: a string property holds 64 KiB, i.e. 32 K UTF-16 characters. */
export const MAX_ITEMS_CHARS = 28_000;
export const MAX_ITEM_CHARS = 128;
export const MAX_LABEL_CHARS = 64;
export const OVERFLOW_BITS = 8192;
const MAX_FACTS_CHARS = 2048;
const MAX_DEDUPE_KEY_CHARS = 1024;

export interface WindowSubject {
  type: string;
  id: string;
  name?: string;
}

/** [first seen, last seen, label?] */
export type ItemTimes = [number, number] | [number, number, string];

export interface BucketData {
  detectionId: string;
  dedupeKey: string;
  subject: WindowSubject;
  /** Bucket start, Unix seconds. */
  bucket: number;
  bucketSeconds: number;
  /** Unix seconds. */
  expiresAt: number;
  items: Record<string, ItemTimes>;
  /** Base64 linear-counting bitmap of items that did not fit. */
  overflow?: string;
  facts?: { t: number; values: Record<string, string> };
}

export interface StoredBucket extends BucketData {
  /** Estimated number of items in the overflow bitmap. */
  overflowEstimate: number;
}

export interface WindowStore {
  /** Merges each bucket into state; returns how many entities changed (0 on a replay). */
  apply(buckets: readonly BucketData[]): Promise<{ updates: number }>;
  /** Every bucket not yet expired at `now` (Unix seconds). */
  readAll(now: number): Promise<StoredBucket[]>;
  /** Deletes up to `limit` expired buckets; returns how many were deleted. */
  purgeExpired(now: number, limit?: number): Promise<number>;
}

/** Caps an item id: long values keep a readable prefix plus a hash, so distinct values stay distinct. */
export function capItem(item: string): string {
  if (item.length <= MAX_ITEM_CHARS) return item;
  return `${item.slice(0, MAX_ITEM_CHARS - 34)}~${createHash('sha256').update(item).digest('hex').slice(0, 32)}`;
}

export function capLabel(label: string): string {
  return label.length <= MAX_LABEL_CHARS ? label : `${label.slice(0, MAX_LABEL_CHARS - 1)}…`;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // murmur3's finalizer: FNV alone leaves the low bits of near-identical ids (uuids) correlated.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function setBit(bits: Uint8Array, item: string): void {
  const bit = fnv1a(item) % OVERFLOW_BITS;
  bits[bit >> 3] = (bits[bit >> 3] ?? 0) | (1 << (bit & 7));
}

function decodeBits(encoded: string | undefined): Uint8Array {
  const bits = new Uint8Array(OVERFLOW_BITS / 8);
  if (encoded !== undefined) bits.set(Buffer.from(encoded, 'base64').subarray(0, bits.length));
  return bits;
}

/** Linear counting: n ≈ -m ln(zeros / m). */
export function overflowEstimate(encoded: string | undefined): number {
  if (encoded === undefined) return 0;
  const bits = decodeBits(encoded);
  let ones = 0;
  for (const byte of bits) {
    let b = byte;
    while (b !== 0) {
      ones += b & 1;
      b >>= 1;
    }
  }
  const zeros = OVERFLOW_BITS - ones;
  if (zeros === 0) return Math.round(OVERFLOW_BITS * Math.log(OVERFLOW_BITS));
  return Math.round(-OVERFLOW_BITS * Math.log(zeros / OVERFLOW_BITS));
}

/** Serialized characters an item costs in `Items` (key, label, two times, punctuation). */
function itemCost(key: string, label: string | undefined): number {
  return key.length + (label === undefined ? 0 : Math.min(label.length, MAX_LABEL_CHARS) + 3) + 28;
}

const sizes = new WeakMap<BucketData, { count: number; chars: number }>();

function sizeOf(data: BucketData): { count: number; chars: number } {
  let size = sizes.get(data);
  if (size === undefined) {
    size = { count: 0, chars: 2 };
    for (const [key, times] of Object.entries(data.items)) {
      size.count += 1;
      size.chars += itemCost(key, times[2]);
    }
    sizes.set(data, size);
  }
  return size;
}

/** Adds one item to a bucket in memory (cap and overflow included). */
export function addItem(data: BucketData, item: string, t: number, tMax: number, label: string | undefined): void {
  const key = capItem(item);
  const seen = data.items[key];
  if (seen !== undefined) {
    const first = Math.min(seen[0], t);
    const last = Math.max(seen[1], tMax);
    // The label of the earliest sighting wins (ties: the smaller), so arrival order does not matter.
    const incoming = label === undefined ? undefined : capLabel(label);
    let keep = seen[2];
    if (t < seen[0]) keep = incoming;
    else if (t === seen[0] && incoming !== undefined && (keep === undefined || incoming < keep)) keep = incoming;
    data.items[key] = keep === undefined ? [first, last] : [first, last, keep];
    return;
  }
  const cost = itemCost(key, label);
  const size = sizeOf(data);
  if (size.count >= MAX_ITEMS || size.chars + cost > MAX_ITEMS_CHARS) {
    const bits = decodeBits(data.overflow);
    setBit(bits, key);
    data.overflow = Buffer.from(bits).toString('base64');
    return;
  }
  data.items[key] = label === undefined ? [t, tMax] : [t, tMax, capLabel(label)];
  size.count += 1;
  size.chars += cost;
}

function mergeFacts(a: BucketData['facts'], b: BucketData['facts']): BucketData['facts'] {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (b.t > a.t) return b;
  if (b.t < a.t) return a;
  // Same time: a deterministic pick so concurrent writers converge.
  return JSON.stringify(b.values) > JSON.stringify(a.values) ? b : a;
}

/** Union of two versions of the same bucket; commutative and idempotent. */
export function mergeBuckets(existing: BucketData | undefined, incoming: BucketData): BucketData {
  if (existing === undefined) return cloneBucket(incoming);
  const out = cloneBucket(existing);
  out.expiresAt = Math.max(existing.expiresAt, incoming.expiresAt);
  out.subject =
    incoming.subject.name !== undefined || existing.subject.name === undefined ? incoming.subject : existing.subject;
  for (const [item, times] of Object.entries(incoming.items).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    addItem(out, item, times[0], times[1], times[2]);
  }
  if (incoming.overflow !== undefined) {
    const bits = decodeBits(out.overflow);
    const more = decodeBits(incoming.overflow);
    for (let i = 0; i < bits.length; i++) bits[i] = (bits[i] ?? 0) | (more[i] ?? 0);
    out.overflow = Buffer.from(bits).toString('base64');
  }
  const facts = mergeFacts(existing.facts, incoming.facts);
  if (facts !== undefined) out.facts = facts;
  return out;
}

function cloneBucket(b: BucketData): BucketData {
  const out: BucketData = {
    ...b,
    subject: { ...b.subject },
    items: Object.fromEntries(Object.entries(b.items).map(([k, v]) => [k, [...v]])),
  };
  if (b.facts !== undefined) out.facts = { t: b.facts.t, values: { ...b.facts.values } };
  return out;
}

/** Whether merging changed anything that is persisted (expiry moving later alone counts). */
export function sameBucket(a: BucketData, b: BucketData): boolean {
  return encodeEntity(a).signature === encodeEntity(b).signature;
}

function rowKeyOf(dedupeKey: string, bucket: number): string {
  const safe = safeKey(dedupeKey).replace(/'/g, '%27');
  const subject = safe.length <= 200 ? safe : `h-${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 40)}`;
  return `${subject}~${String(bucket).padStart(11, '0')}`;
}

interface WindowEntity {
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
}

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
  const signature = JSON.stringify([
    entity.Items,
    entity.Overflow ?? '',
    entity.Facts ?? '',
    b.expiresAt,
    entity.SubjectName ?? '',
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
  return data;
}

function toStored(b: BucketData): StoredBucket {
  return { ...b, overflowEstimate: overflowEstimate(b.overflow) };
}

const MAX_ATTEMPTS = 8;

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

/** Buckets that target the same entity, merged (observations from one flush). */
function coalesce(buckets: readonly BucketData[]): BucketData[] {
  const byKey = new Map<string, BucketData>();
  for (const b of buckets) {
    const key = `${b.detectionId}\u0000${b.dedupeKey}\u0000${b.bucket}`;
    byKey.set(key, mergeBuckets(byKey.get(key), b));
  }
  return [...byKey.values()];
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
    let updates = 0;
    await mapLimit(coalesce(buckets), this.options.concurrency ?? 8, async (bucket) => {
      if (await this.applyOne(table, bucket)) updates++;
    });
    return { updates };
  }

  private async applyOne(table: TableClient, bucket: BucketData): Promise<boolean> {
    const { entity: probe } = encodeEntity(bucket);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let existing: (Partial<WindowEntity> & Entity) | undefined;
      try {
        existing = await table.getEntity<Partial<WindowEntity>>(probe.partitionKey, probe.rowKey);
      } catch (error) {
        if (statusOf(error) !== 404) throw asStateError(error, `reading window ${bucket.detectionId}/${probe.rowKey}`);
      }
      const before = existing === undefined ? undefined : decodeEntity(existing);
      const merged = mergeBuckets(before, bucket);
      if (before !== undefined && sameBucket(before, merged)) return false;
      const { entity } = encodeEntity(merged);
      try {
        if (existing === undefined) await table.createEntity(entity);
        else await table.updateEntity(entity, 'Replace', { etag: existing.etag });
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

/** The same semantics in memory (ETags simulated), for tests and dry runs. */
export class MemoryWindowStore implements WindowStore {
  readonly entities = new Map<string, { data: BucketData; etag: number }>();
  writes = 0;

  apply(buckets: readonly BucketData[]): Promise<{ updates: number }> {
    let updates = 0;
    for (const bucket of coalesce(buckets)) {
      const key = `${bucket.detectionId}\u0000${rowKeyOf(bucket.dedupeKey, bucket.bucket)}`;
      const existing = this.entities.get(key);
      const merged = mergeBuckets(existing?.data, bucket);
      if (existing !== undefined && sameBucket(existing.data, merged)) continue;
      this.entities.set(key, { data: merged, etag: (existing?.etag ?? 0) + 1 });
      this.writes++;
      updates++;
    }
    return Promise.resolve({ updates });
  }

  readAll(now: number): Promise<StoredBucket[]> {
    return Promise.resolve(
      [...this.entities.values()].filter((e) => e.data.expiresAt >= now).map((e) => toStored(cloneBucket(e.data))),
    );
  }

  purgeExpired(now: number, limit = 500): Promise<number> {
    let deleted = 0;
    for (const [key, e] of this.entities) {
      if (deleted >= limit) break;
      if (e.data.expiresAt < now) {
        this.entities.delete(key);
        deleted++;
      }
    }
    return Promise.resolve(deleted);
  }
}
