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

import type { TableClient, TransactionAction } from '@azure/data-tables';

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
const MAX_PARTIES_CHARS = 8192;
const MAX_DEDUPE_KEY_CHARS = 1024;

export interface WindowSubject {
  type: string;
  id: string;
  name?: string;
}

/** [first seen, last seen, label?] */
export type ItemTimes = [number, number] | [number, number, string];

/** Display data of a party, with short keys (it is stored in every bucket the party appears in). */
export interface PartyDetails {
  /** name */
  n?: string;
  /** email */
  e?: string;
  /** Slack session ids, newest last */
  s?: string[];
  /** Meraki organization, network id, network name */
  o?: string;
  w?: string;
  wn?: string;
}

/** [first seen, last seen, details] of a party (`<role>|<id>`) in a bucket. */
export type PartyTimes = [number, number, PartyDetails];

/**
 * Parties a bucket keeps: the most recently seen ones (then the smallest keys), so merging stays
 * commutative whatever order observations arrive in.
 */
export const MAX_PARTIES = 16;
const MAX_PARTY_SESSIONS = 3;

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
  /** Who took part (actor, affected user, source IP, device, client), by `<role>|<id>`. */
  parties?: Record<string, PartyTimes>;
}

export interface StoredBucket extends BucketData {
  /** Estimated number of items in the overflow bitmap. */
  overflowEstimate: number;
}

/** A (detection, dedupe key) window touched since an evaluation last cleared it. */
export interface DirtyMark {
  detectionId: string;
  dedupeKey: string;
  /** Version of the mark as read: clearing is conditional on it, so a window touched again stays dirty. */
  etag: string;
}

export interface WindowIndex {
  marks: DirtyMark[];
  /** Per detection, the start of the oldest bucket not expired at `now` (what `readAll` would return). */
  earliest: Map<string, number>;
}

export interface WindowKey {
  detectionId: string;
  dedupeKey: string;
}

export interface WindowStore {
  /**
   * Merges each bucket into state, then marks every (detection, dedupe key) it touched as dirty
   * (even when nothing changed: a retried flush re-marks what a crash may have left unmarked).
   * Returns how many bucket entities changed (0 on a replay).
   */
  apply(buckets: readonly BucketData[]): Promise<{ updates: number }>;
  /** Every bucket not yet expired at `now` (Unix seconds). */
  readAll(now: number): Promise<StoredBucket[]>;
  /** The dirty marks and each detection's oldest live bucket: one small query. */
  readIndex(now: number): Promise<WindowIndex>;
  /** The buckets (not expired at `now`) of the given windows only. */
  readWindows(keys: readonly WindowKey[], now: number): Promise<StoredBucket[]>;
  /** Clears marks read by `readIndex`; a mark rewritten since then is kept (returns how many cleared). */
  clearMarks(marks: readonly DirtyMark[]): Promise<number>;
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

/** Adds one party sighting to a bucket in memory (the bucket keeps the most recent `MAX_PARTIES`). */
export function addParty(data: BucketData, key: string, t: number, tMax: number, details: PartyDetails): void {
  const parties = (data.parties ??= {});
  const seen = parties[key];
  if (seen === undefined) parties[key] = [t, tMax, details];
  else {
    // Display data of the latest sighting wins (ties: the larger serialization), sessions accumulate.
    const newer =
      tMax > seen[1] || (tMax === seen[1] && JSON.stringify(details) > JSON.stringify(seen[2])) ? details : seen[2];
    const sessions = [...new Set([...(seen[2].s ?? []), ...(details.s ?? [])])].sort().slice(-MAX_PARTY_SESSIONS);
    const merged: PartyDetails = { ...(newer === details ? seen[2] : details), ...newer };
    if (sessions.length > 0) merged.s = sessions;
    else delete merged.s;
    parties[key] = [Math.min(seen[0], t), Math.max(seen[1], tMax), merged];
  }
  const keys = Object.keys(parties);
  if (keys.length <= MAX_PARTIES) return;
  const keep = keys
    .sort((a, b) => (parties[b]?.[1] ?? 0) - (parties[a]?.[1] ?? 0) || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_PARTIES);
  const kept: Record<string, PartyTimes> = {};
  for (const k of keep.sort()) {
    const times = parties[k];
    if (times !== undefined) kept[k] = times;
  }
  data.parties = kept;
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
  for (const [key, times] of Object.entries(incoming.parties ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    addParty(out, key, times[0], times[1], times[2]);
  }
  return out;
}

function cloneBucket(b: BucketData): BucketData {
  const out: BucketData = {
    ...b,
    subject: { ...b.subject },
    items: Object.fromEntries(Object.entries(b.items).map(([k, v]) => [k, [...v]])),
  };
  if (b.facts !== undefined) out.facts = { t: b.facts.t, values: { ...b.facts.values } };
  if (b.parties !== undefined)
    out.parties = Object.fromEntries(
      Object.entries(b.parties).map(([k, v]) => [k, [v[0], v[1], { ...v[2], ...(v[2].s ? { s: [...v[2].s] } : {}) }]]),
    );
  return out;
}

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

/** Per bucket start, the latest ExpiresAt written there (Unix seconds). */
type BucketExpiries = Record<string, number>;

/**
 * Union (max per bucket) that forgets bucket starts expired before the newest bucket start it
 * knows: events are not from the future, so those are expired for any evaluation. Commutative.
 */
export function mergeExpiries(a: BucketExpiries, b: BucketExpiries): BucketExpiries {
  const out: BucketExpiries = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? -Infinity, v);
  const newest = Math.max(...Object.keys(out).map(Number));
  return Object.fromEntries(
    Object.entries(out)
      .filter(([, v]) => v >= newest)
      .sort(([x], [y]) => Number(x) - Number(y)),
  );
}

function earliestLive(expiries: BucketExpiries, now: number): number | undefined {
  let earliest: number | undefined;
  for (const [k, v] of Object.entries(expiries)) {
    const bucket = Number(k);
    if (v >= now && (earliest === undefined || bucket < earliest)) earliest = bucket;
  }
  return earliest;
}

/** Per detection: the touched dedupe keys and the expiry of each bucket start written. */
function touchedOf(buckets: readonly BucketData[]): Map<string, { keys: Set<string>; expiries: BucketExpiries }> {
  const out = new Map<string, { keys: Set<string>; expiries: BucketExpiries }>();
  for (const b of buckets) {
    let t = out.get(b.detectionId);
    if (t === undefined) {
      t = { keys: new Set(), expiries: {} };
      out.set(b.detectionId, t);
    }
    t.keys.add(b.dedupeKey.slice(0, MAX_DEDUPE_KEY_CHARS));
    t.expiries[String(b.bucket)] = Math.max(t.expiries[String(b.bucket)] ?? -Infinity, b.expiresAt);
  }
  return out;
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

function toStored(b: BucketData): StoredBucket {
  return { ...b, overflowEstimate: overflowEstimate(b.overflow) };
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

/** The same semantics in memory (ETags simulated), for tests and dry runs. */
export class MemoryWindowStore implements WindowStore {
  readonly entities = new Map<string, { data: BucketData; etag: number }>();
  readonly marks = new Map<string, { detectionId: string; dedupeKey: string; etag: number }>();
  readonly expiries = new Map<string, BucketExpiries>();
  writes = 0;
  /** `readWindows` calls, for tests of how evaluation batches its reads. */
  windowReads = 0;
  private version = 0;

  apply(buckets: readonly BucketData[]): Promise<{ updates: number }> {
    let updates = 0;
    const merged = coalesce(buckets);
    for (const bucket of merged) {
      const key = `${bucket.detectionId}\u0000${rowKeyOf(bucket.dedupeKey, bucket.bucket)}`;
      const existing = this.entities.get(key);
      const merged = mergeBuckets(existing?.data, bucket);
      if (existing !== undefined && sameBucket(existing.data, merged)) continue;
      this.entities.set(key, { data: merged, etag: (existing?.etag ?? 0) + 1 });
      this.writes++;
      updates++;
    }
    for (const [detectionId, touched] of touchedOf(merged)) {
      this.expiries.set(detectionId, mergeExpiries(this.expiries.get(detectionId) ?? {}, touched.expiries));
      for (const dedupeKey of touched.keys)
        this.marks.set(`${detectionId}\u0000${dedupeKey}`, { detectionId, dedupeKey, etag: ++this.version });
    }
    return Promise.resolve({ updates });
  }

  readIndex(now: number): Promise<WindowIndex> {
    const earliest = new Map<string, number>();
    for (const [detectionId, expiries] of this.expiries) {
      const first = earliestLive(expiries, now);
      if (first !== undefined) earliest.set(detectionId, first);
    }
    const marks = [...this.marks.values()].map((m) => ({ ...m, etag: String(m.etag) }));
    return Promise.resolve({ marks, earliest });
  }

  readWindows(keys: readonly WindowKey[], now: number): Promise<StoredBucket[]> {
    this.windowReads++;
    const wanted = new Set(keys.map((k) => `${k.detectionId}\u0000${k.dedupeKey.slice(0, MAX_DEDUPE_KEY_CHARS)}`));
    return Promise.resolve(
      [...this.entities.values()]
        .filter(
          (e) =>
            e.data.expiresAt >= now &&
            wanted.has(`${e.data.detectionId}\u0000${e.data.dedupeKey.slice(0, MAX_DEDUPE_KEY_CHARS)}`),
        )
        .map((e) => toStored(cloneBucket(e.data))),
    );
  }

  clearMarks(marks: readonly DirtyMark[]): Promise<number> {
    let cleared = 0;
    for (const m of marks) {
      const key = `${m.detectionId}\u0000${m.dedupeKey}`;
      if (String(this.marks.get(key)?.etag) === m.etag) {
        this.marks.delete(key);
        cleared++;
      }
    }
    return Promise.resolve(cleared);
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
