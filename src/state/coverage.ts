/**
 * How far back the pipeline's data reaches, per detection stream: the oldest event time any collector
 * (a backfill included) has fed to the detections, in the `snapshots` table (partition `coverage`,
 * one row per stream). A learned baseline is trusted only once its stream's coverage reaches back
 * its learning period, so a rule never judges "new" against history it never saw (docs/detections.md).
 *
 * Only ever moves back: an extend keeps the older of the stored and the given time, so collectors
 * and backfills saving in any order end the same.
 */
import type { TableClient } from '@azure/data-tables';

import type { Config } from '../config';
import type { DetectionStream } from '../detections/define';
import { asStateError, stateTable, statusOf } from './tables';

const PARTITION = 'coverage';

export interface CoverageStore {
  /** Per stream, the oldest event time seen (Unix seconds). */
  read(): Promise<Map<DetectionStream, number>>;
  /** Records that `stream` has data from `since` (Unix seconds) on. */
  extend(stream: DetectionStream, since: number): Promise<void>;
}

const STREAMS: ReadonlySet<string> = new Set<DetectionStream>([
  'slackAudit',
  'merakiUplink',
  'merakiDevice',
  'merakiEvent',
  'merakiSecurity',
]);

interface CoverageEntity {
  partitionKey: string;
  rowKey: string;
  Since: number;
}

export class TableCoverageStore implements CoverageStore {
  constructor(private readonly config: Config) {}

  private table(): Promise<TableClient> {
    return stateTable(this.config, 'snapshots');
  }

  async read(): Promise<Map<DetectionStream, number>> {
    const table = await this.table();
    const out = new Map<DetectionStream, number>();
    try {
      for await (const e of table.listEntities<Partial<CoverageEntity>>({
        queryOptions: { filter: `PartitionKey eq '${PARTITION}'` },
      })) {
        const since = Number(e.Since);
        if (typeof e.rowKey === 'string' && STREAMS.has(e.rowKey) && Number.isFinite(since)) {
          out.set(e.rowKey as DetectionStream, since);
        }
      }
    } catch (error) {
      throw asStateError(error, 'reading the data coverage');
    }
    return out;
  }

  async extend(stream: DetectionStream, since: number): Promise<void> {
    const table = await this.table();
    for (let attempt = 1; ; attempt++) {
      let stored: (Partial<CoverageEntity> & { etag: string }) | undefined;
      try {
        stored = await table.getEntity<Partial<CoverageEntity>>(PARTITION, stream);
      } catch (error) {
        if (statusOf(error) !== 404) throw asStateError(error, `reading the ${stream} coverage`);
      }
      const known = Number(stored?.Since);
      if (stored !== undefined && Number.isFinite(known) && known <= since) return;
      const entity: CoverageEntity = { partitionKey: PARTITION, rowKey: stream, Since: since };
      try {
        if (stored === undefined) await table.createEntity(entity);
        else await table.updateEntity(entity, 'Replace', { etag: stored.etag });
        return;
      } catch (error) {
        const status = statusOf(error);
        if ((status !== 409 && status !== 412) || attempt >= 5)
          throw asStateError(error, `saving the ${stream} coverage`);
      }
    }
  }
}
