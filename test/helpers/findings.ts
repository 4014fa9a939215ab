/** The findings store in memory, with the Table store's conditional-write semantics, for tests. */
import type { FindingRecord } from '../../src/detections/evaluate';
import { type FindingStore, keysOf, type StoredFinding } from '../../src/state/findings';
import { asStateError } from '../../src/state/tables';

export class MemoryFindingStore implements FindingStore {
  readonly records = new Map<string, { record: FindingRecord; etag: number }>();

  list(): Promise<StoredFinding[]> {
    return Promise.resolve(
      [...this.records.values()].map((r) => ({ record: structuredClone(r.record), etag: String(r.etag) })),
    );
  }

  save(record: FindingRecord, etag: string | undefined): Promise<void> {
    const { partitionKey, rowKey } = keysOf(record);
    const key = `${partitionKey}|${rowKey}`;
    const existing = this.records.get(key);
    if ((etag === undefined && existing !== undefined) || (etag !== undefined && String(existing?.etag) !== etag)) {
      return Promise.reject(
        asStateError({ statusCode: etag === undefined ? 409 : 412 }, `saving finding ${record.findingId}`),
      );
    }
    this.records.set(key, { record: structuredClone(record), etag: (existing?.etag ?? 0) + 1 });
    return Promise.resolve();
  }

  purgeExpired(now: number): Promise<number> {
    let deleted = 0;
    for (const [key, r] of this.records) {
      if (r.record.expiresAt < now) {
        this.records.delete(key);
        deleted++;
      }
    }
    return Promise.resolve(deleted);
  }
}
