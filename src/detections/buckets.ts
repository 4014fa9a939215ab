/**
 * Windowed detection state as data: a bucket is one detection's observations of one subject (dedupe
 * key) in one time span, and the rules for merging them. Stores (state/windows.ts, and the in-memory
 * double the tests use) keep buckets; this module is what they agree on.
 *
 * Invariants:
 * - A bucket holds a *set*: items (event ids or distinct values) with their first/last time, so
 *   applying the same observations twice changes nothing.
 * - Bounded: a bucket keeps items one by one while their serialization stays under 28 K characters
 *   (and 1000 items; item ≤ 128 chars, label ≤ 64), under Table Storage's 64 KiB string-property
 *   limit (32 K UTF-16 characters); beyond that, items only set bits in a fixed 8192-bit
 *   linear-counting bitmap (1 KiB), which is still idempotent and gives an estimated count.
 * - Merging is a commutative union, so racing writers end with the same state in any order.
 */
import { createHash } from 'node:crypto';

export const MAX_ITEMS = 1000;
/** Budget for the serialized items: a string property holds 64 KiB, i.e. 32 K UTF-16 characters. */
export const MAX_ITEMS_CHARS = 28_000;
export const MAX_ITEM_CHARS = 128;
export const MAX_LABEL_CHARS = 64;
export const OVERFLOW_BITS = 8192;
export const MAX_DEDUPE_KEY_CHARS = 1024;

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

export function cloneBucket(b: BucketData): BucketData {
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

/** Per bucket start, the latest ExpiresAt written there (Unix seconds). */
export type BucketExpiries = Record<string, number>;

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

export function earliestLive(expiries: BucketExpiries, now: number): number | undefined {
  let earliest: number | undefined;
  for (const [k, v] of Object.entries(expiries)) {
    const bucket = Number(k);
    if (v >= now && (earliest === undefined || bucket < earliest)) earliest = bucket;
  }
  return earliest;
}

/** Per detection: the touched dedupe keys and the expiry of each bucket start written. */
export function touchedOf(buckets: readonly BucketData[]): Map<string, { keys: Set<string>; expiries: BucketExpiries }> {
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

export function toStored(b: BucketData): StoredBucket {
  return { ...b, overflowEstimate: overflowEstimate(b.overflow) };
}

/** Buckets that target the same entity, merged (observations from one flush). */
export function coalesce(buckets: readonly BucketData[]): BucketData[] {
  const byKey = new Map<string, BucketData>();
  for (const b of buckets) {
    const key = `${b.detectionId}\u0000${b.dedupeKey}\u0000${b.bucket}`;
    byKey.set(key, mergeBuckets(byKey.get(key), b));
  }
  return [...byKey.values()];
}

