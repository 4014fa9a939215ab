/**
 * Findings, in the `incidents` table under partitions `finding~<detection id>`, one row per finding
 * (row = hash of the dedupe key + `~` + hash of the finding id), so a dedupe key keeps each of its
 * separate incidents and evaluation can merge repeats into the right one. Rows written before that
 * (row = hash of the dedupe key alone, one finding per key) are still read and updated in place. Writes are conditional on the ETag read by the same evaluation (create-if-absent for a
 * first finding): two evaluations racing make the loser fail with a retriable conflict and re-run,
 * instead of both creating "new" findings.
 */
import { createHash } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import type { Config } from '../config';
import type { FindingRecord } from '../detections/evaluate';
import { asStateError, type Entity, safeKey, stateTable, statusOf } from './tables';

export const FINDING_PARTITION_PREFIX = 'finding~';

export interface StoredFinding {
  record: FindingRecord;
  etag: string | undefined;
}

export interface FindingStore {
  list(): Promise<StoredFinding[]>;
  /** Saves a record; `etag` undefined means it must not exist yet. Throws a retriable conflict otherwise. */
  save(record: FindingRecord, etag: string | undefined): Promise<void>;
  /** Deletes records past their expiry; returns how many. */
  purgeExpired(now: number, limit?: number): Promise<number>;
}

function sha256(text: string, chars: number): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, chars);
}

export function keysOf(record: Pick<FindingRecord, 'detectionId' | 'dedupeKey' | 'findingId'>): {
  partitionKey: string;
  rowKey: string;
  legacyRowKey: string;
} {
  const key = sha256(record.dedupeKey, 40);
  return {
    partitionKey: `${FINDING_PARTITION_PREFIX}${safeKey(record.detectionId)}`,
    rowKey: `${key}~${sha256(record.findingId, 24)}`,
    legacyRowKey: key,
  };
}

interface FindingEntity {
  partitionKey: string;
  rowKey: string;
  DetectionId: string;
  Record: string;
  ExpiresAt: Date;
}

export class TableFindingStore implements FindingStore {
  constructor(private readonly config: Config) {}

  private table(): Promise<TableClient> {
    return stateTable(this.config, 'incidents');
  }

  async list(): Promise<StoredFinding[]> {
    const table = await this.table();
    const filter = `PartitionKey ge '${FINDING_PARTITION_PREFIX}' and PartitionKey lt 'finding\u007f'`;
    const out: StoredFinding[] = [];
    try {
      for await (const e of table.listEntities<Partial<FindingEntity>>({ queryOptions: { filter } })) {
        if (typeof e.Record === 'string') out.push({ record: JSON.parse(e.Record) as FindingRecord, etag: e.etag });
      }
    } catch (error) {
      throw asStateError(error, 'reading open findings');
    }
    return out;
  }

  async save(record: FindingRecord, etag: string | undefined): Promise<void> {
    const table = await this.table();
    const { partitionKey, rowKey, legacyRowKey } = keysOf(record);
    const entity: FindingEntity = {
      partitionKey,
      rowKey,
      DetectionId: record.detectionId,
      Record: JSON.stringify(record),
      ExpiresAt: new Date(record.expiresAt * 1000),
    };
    try {
      if (etag === undefined) await table.createEntity(entity);
      else {
        try {
          await table.updateEntity(entity, 'Replace', { etag });
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
          // A record from before one row per finding lives under its dedupe key's row.
          await table.updateEntity({ ...entity, rowKey: legacyRowKey }, 'Replace', { etag });
        }
      }
    } catch (error) {
      throw asStateError(error, `saving finding ${record.findingId}`);
    }
  }

  async purgeExpired(now: number, limit = 200): Promise<number> {
    const table = await this.table();
    const filter =
      `PartitionKey ge '${FINDING_PARTITION_PREFIX}' and PartitionKey lt 'finding\u007f' and ` +
      `ExpiresAt lt datetime'${new Date(now * 1000).toISOString()}'`;
    const expired: Entity[] = [];
    try {
      for await (const e of table.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
        expired.push(e);
        if (expired.length >= limit) break;
      }
      let deleted = 0;
      for (const e of expired) {
        try {
          await table.deleteEntity(e.partitionKey ?? '', e.rowKey ?? '', { etag: e.etag });
          deleted++;
        } catch (error) {
          const status = statusOf(error);
          if (status !== 404 && status !== 412) throw error;
        }
      }
      return deleted;
    } catch (error) {
      throw asStateError(error, 'deleting expired findings');
    }
  }
}
