/**
 * Checkpoints per source and org (partition = source, row = org). A checkpoint is written only
 * after every row of its window is uploaded; the write is conditional on the ETag read at the start
 * of the window, so two overlapping runs (a retried activity racing a late one) cannot move it
 * backwards or skip a window: the loser gets a retriable conflict and re-reads.
 */
import type { Config } from '../config';
import { asStateError, type Entity, safeKey, stateTable, statusOf } from './tables';

export interface CheckpointRecord<T> {
  source: string;
  org: string;
  value: T;
  etag: string;
  updatedAt: string;
  /** String properties saved beside `Value` (see `save`); absent when there are none. */
  extra?: Record<string, string>;
}

const OWN_PROPERTIES = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'Value', 'UpdatedAt']);

/** The entity's other string properties: large data a checkpoint keeps out of `Value`. */
function extraOf(entity: Record<string, unknown>): Record<string, string> | undefined {
  let extra: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(entity)) {
    if (OWN_PROPERTIES.has(name) || name.startsWith('odata.') || typeof value !== 'string') continue;
    (extra ??= {})[name] = value;
  }
  return extra;
}

export class CheckpointStore {
  constructor(private readonly config: Config) {}

  async get<T>(source: string, org: string): Promise<CheckpointRecord<T> | undefined> {
    const table = await stateTable(this.config, 'checkpoints');
    try {
      const entity = await table.getEntity<{ Value: string; UpdatedAt: string }>(safeKey(source), safeKey(org));
      const extra = extraOf(entity);
      return {
        source,
        org,
        value: JSON.parse(entity.Value) as T,
        etag: entity.etag,
        updatedAt: entity.UpdatedAt,
        ...(extra === undefined ? {} : { extra }),
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw asStateError(error, `reading the ${source}/${org} checkpoint`);
    }
  }

  /**
   * Saves a checkpoint. With `expectedEtag` the write succeeds only if nobody wrote since that read;
   * without it (first checkpoint) it succeeds only if none exists yet. `extra` string properties are
   * written in the same entity (each ≤ 32 K characters), replacing any the entity had before.
   */
  async save(
    source: string,
    org: string,
    value: unknown,
    expectedEtag: string | undefined,
    now: Date,
    extra: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    const table = await stateTable(this.config, 'checkpoints');
    const entity = {
      ...extra,
      partitionKey: safeKey(source),
      rowKey: safeKey(org),
      Value: JSON.stringify(value),
      UpdatedAt: now.toISOString(),
    };
    try {
      const result =
        expectedEtag === undefined
          ? await table.createEntity(entity)
          : await table.updateEntity(entity, 'Replace', { etag: expectedEtag });
      return result.etag ?? '';
    } catch (error) {
      throw asStateError(error, `saving the ${source}/${org} checkpoint`);
    }
  }

  async list<T>(source?: string): Promise<CheckpointRecord<T>[]> {
    const table = await stateTable(this.config, 'checkpoints');
    const out: CheckpointRecord<T>[] = [];
    const filter = source === undefined ? undefined : `PartitionKey eq '${safeKey(source).replace(/'/g, "''")}'`;
    try {
      for await (const entity of table.listEntities<Entity & { Value: string; UpdatedAt: string }>({
        queryOptions: { filter },
      })) {
        const extra = extraOf(entity);
        out.push({
          source: entity.partitionKey ?? '',
          org: entity.rowKey ?? '',
          value: JSON.parse(entity.Value) as T,
          etag: entity.etag,
          updatedAt: entity.UpdatedAt,
          ...(extra === undefined ? {} : { extra }),
        });
      }
    } catch (error) {
      throw asStateError(error, 'listing checkpoints');
    }
    return out;
  }
}
