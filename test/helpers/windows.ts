/** The windows store in memory (ETags simulated), with the Table store's semantics, for tests. */
import {
  type BucketData,
  type BucketExpiries,
  cloneBucket,
  coalesce,
  type DirtyMark,
  earliestLive,
  MAX_DEDUPE_KEY_CHARS,
  mergeBuckets,
  mergeExpiries,
  type StoredBucket,
  toStored,
  touchedOf,
  type WindowIndex,
  type WindowKey,
  type WindowStore,
} from '../../src/detections/buckets';
import { sameBucket, subjectKeyOf } from '../../src/state/windows';
import { T0 } from './detection-testkit';

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
      const key = `${bucket.detectionId}\u0000${subjectKeyOf(bucket.dedupeKey)}~${String(bucket.bucket)}`;
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

/** One day-bucket of alice's mass-download window at T0 (tests of merging and storage). */
export function testBucket(
  items: Record<string, [number, number] | [number, number, string]>,
  extra: Partial<BucketData> = {},
): BucketData {
  return {
    detectionId: 'slack.audit.mass-download',
    dedupeKey: 'W0ALICE|203.0.113.5',
    subject: { type: 'user', id: 'W0ALICE', name: 'alice' },
    bucket: T0,
    bucketSeconds: 86_400,
    expiresAt: T0 + 3 * 86_400,
    items,
    ...extra,
  };
}
