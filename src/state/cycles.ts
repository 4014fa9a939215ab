/**
 * Cycle records (`cycles` table): one entity per source and org (partition = source, row = org)
 * holding the last attempt, the last successful cycle and its counts, and running totals; plus
 * `cycle/latest` for the collection cycle as a whole. Operators read them to see, per source, when
 * data last arrived and what it cost (API calls, bytes); nothing reads them to make decisions, so a
 * lost update only loses a statistic. Writes are read-merge-write with the ETag, retried on conflict.
 */
import type { Config } from '../config';
import { asStateError, safeKey, stateTable, statusOf } from './tables';

export interface CycleCounts {
  rows: number;
  quarantined: number;
  apiCalls: number;
  bytes: number;
}

export interface CycleOutcome {
  source: string;
  org: string;
  ok: boolean;
  counts: CycleCounts;
  /** Secret-free error code and message when it failed. */
  error?: { code: string; message: string } | undefined;
  /** Source-specific small facts (new checkpoint time, failovers…). */
  details?: Record<string, string | number | boolean | null> | undefined;
}

export interface CycleRecord {
  source: string;
  org: string;
  lastCycleId: string;
  lastAttemptAt: string;
  lastOk: boolean;
  lastSuccessCycleId: string | undefined;
  lastSuccessAt: string | undefined;
  last: CycleCounts | undefined;
  totals: CycleCounts & { cycles: number; failures: number };
  lastErrorCode: string | undefined;
  lastErrorMessage: string | undefined;
  details: Record<string, unknown> | undefined;
}

const ZERO: CycleCounts = { rows: 0, quarantined: 0, apiCalls: 0, bytes: 0 };

interface CycleEntity {
  partitionKey: string;
  rowKey: string;
  Source: string;
  Org: string;
  LastCycleId: string;
  LastAttemptAt: string;
  LastOk: boolean;
  LastSuccessCycleId?: string;
  LastSuccessAt?: string;
  LastCounts?: string;
  Totals: string;
  LastErrorCode?: string;
  LastErrorMessage?: string;
  Details?: string;
}

function parse<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toRecord(entity: CycleEntity): CycleRecord {
  const totals = parse(entity.Totals, { ...ZERO, cycles: 0, failures: 0 });
  return {
    source: entity.Source,
    org: entity.Org,
    lastCycleId: entity.LastCycleId,
    lastAttemptAt: entity.LastAttemptAt,
    lastOk: entity.LastOk,
    lastSuccessCycleId: entity.LastSuccessCycleId,
    lastSuccessAt: entity.LastSuccessAt,
    last: parse<CycleCounts | undefined>(entity.LastCounts, undefined),
    totals,
    lastErrorCode: entity.LastErrorCode,
    lastErrorMessage: entity.LastErrorMessage,
    details: parse<Record<string, unknown> | undefined>(entity.Details, undefined),
  };
}

export class CycleStore {
  constructor(private readonly config: Config) {}

  /** Merges one outcome into its source/org record. */
  async record(cycleId: string, at: Date, outcome: CycleOutcome): Promise<CycleRecord> {
    const table = await stateTable(this.config, 'cycles');
    const partitionKey = safeKey(outcome.source);
    const rowKey = safeKey(outcome.org);
    for (let attempt = 1; ; attempt += 1) {
      let existing: (CycleEntity & { etag: string }) | undefined;
      try {
        existing = await table.getEntity<CycleEntity>(partitionKey, rowKey);
      } catch (error) {
        if (statusOf(error) !== 404)
          throw asStateError(error, `reading the ${outcome.source}/${outcome.org} cycle record`);
      }
      const before = existing === undefined ? undefined : toRecord(existing);
      // recordCycle is an activity and may run twice for one cycle: count each cycle once.
      if (before?.lastCycleId === cycleId) return before;
      const totals = before?.totals ?? { ...ZERO, cycles: 0, failures: 0 };
      const entity: CycleEntity = {
        partitionKey,
        rowKey,
        Source: outcome.source,
        Org: outcome.org,
        LastCycleId: cycleId,
        LastAttemptAt: at.toISOString(),
        LastOk: outcome.ok,
        Totals: JSON.stringify({
          rows: totals.rows + outcome.counts.rows,
          quarantined: totals.quarantined + outcome.counts.quarantined,
          apiCalls: totals.apiCalls + outcome.counts.apiCalls,
          bytes: totals.bytes + outcome.counts.bytes,
          cycles: totals.cycles + 1,
          failures: totals.failures + (outcome.ok ? 0 : 1),
        }),
      };
      const success = outcome.ok ? { id: cycleId, at: at.toISOString() } : undefined;
      const lastSuccessCycleId = success?.id ?? before?.lastSuccessCycleId;
      const lastSuccessAt = success?.at ?? before?.lastSuccessAt;
      if (lastSuccessCycleId !== undefined) entity.LastSuccessCycleId = lastSuccessCycleId;
      if (lastSuccessAt !== undefined) entity.LastSuccessAt = lastSuccessAt;
      const counts = outcome.ok ? outcome.counts : before?.last;
      if (counts !== undefined) entity.LastCounts = JSON.stringify(counts);
      if (outcome.error !== undefined) {
        entity.LastErrorCode = outcome.error.code.slice(0, 256);
        entity.LastErrorMessage = outcome.error.message.slice(0, 4000);
      }
      if (outcome.details !== undefined) entity.Details = JSON.stringify(outcome.details).slice(0, 16_000);
      try {
        if (existing === undefined) await table.createEntity(entity);
        else await table.updateEntity(entity, 'Replace', { etag: existing.etag });
        return toRecord(entity);
      } catch (error) {
        const status = statusOf(error);
        if ((status === 409 || status === 412) && attempt < 5) continue;
        throw asStateError(error, `saving the ${outcome.source}/${outcome.org} cycle record`);
      }
    }
  }

  async get(source: string, org: string): Promise<CycleRecord | undefined> {
    const table = await stateTable(this.config, 'cycles');
    try {
      return toRecord(await table.getEntity<CycleEntity>(safeKey(source), safeKey(org)));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw asStateError(error, `reading the ${source}/${org} cycle record`);
    }
  }

  async list(): Promise<CycleRecord[]> {
    const table = await stateTable(this.config, 'cycles');
    const out: CycleRecord[] = [];
    try {
      for await (const entity of table.listEntities<CycleEntity>()) out.push(toRecord(entity));
    } catch (error) {
      throw asStateError(error, 'listing cycle records');
    }
    return out;
  }
}
