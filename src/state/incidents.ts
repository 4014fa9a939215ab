/**
 * Incident records in the `incidents` table (partition = incident id):
 * - row `summary`: the incident as the message shows it (status, message ts, count), written by the
 *   alert activity so dispatch can tell an unchanged repeat from growth without asking Durable;
 * - rows `action|<key>`: the action ledger that makes response actions idempotent across activity
 *   retries: an action already recorded as done is not performed again.
 * Keys longer than Table Storage allows (1 KiB) are replaced by their SHA-256.
 */
import { createHash } from 'node:crypto';

import type { Config } from '../config';
import { asStateError, safeKey, stateTable, statusOf } from './tables';

export function tableKey(value: string): string {
  const safe = safeKey(value);
  return safe.length <= 400 ? safe : `h-${createHash('sha256').update(value).digest('hex')}`;
}

export interface IncidentSummary {
  incidentId: string;
  detectionId: string;
  status: string;
  count: number;
  lastSeen: string;
  channel?: string | undefined;
  messageTs?: string | undefined;
  updatedAt: string;
}

export interface LedgerEntry {
  key: string;
  status: 'started' | 'succeeded' | 'failed' | 'skipped' | 'refused';
  summary: string;
  details?: Record<string, string | number | boolean> | undefined;
  attempts: number;
  updatedAt: string;
}

/** What the idempotency layer needs from storage (the store below; a Map in tests). */
export interface ActionLedger {
  get(incidentId: string, key: string): Promise<LedgerEntry | undefined>;
  put(incidentId: string, entry: LedgerEntry): Promise<void>;
}

export class IncidentStore implements ActionLedger {
  constructor(private readonly config: Config) {}

  async saveSummary(summary: IncidentSummary): Promise<void> {
    const table = await stateTable(this.config, 'incidents');
    try {
      await table.upsertEntity(
        {
          partitionKey: tableKey(summary.incidentId),
          rowKey: 'summary',
          IncidentId: summary.incidentId,
          DetectionId: summary.detectionId,
          Status: summary.status,
          Count: summary.count,
          LastSeen: summary.lastSeen,
          Channel: summary.channel ?? '',
          MessageTs: summary.messageTs ?? '',
          UpdatedAt: summary.updatedAt,
        },
        'Replace',
      );
    } catch (error) {
      throw asStateError(error, `saving incident ${summary.incidentId}`);
    }
  }

  async getSummary(incidentId: string): Promise<IncidentSummary | undefined> {
    const table = await stateTable(this.config, 'incidents');
    try {
      const e = await table.getEntity<Record<string, string | number>>(tableKey(incidentId), 'summary');
      return {
        incidentId,
        detectionId: String(e.DetectionId ?? ''),
        status: String(e.Status ?? ''),
        count: Number(e.Count ?? 0),
        lastSeen: String(e.LastSeen ?? ''),
        channel: e.Channel === '' ? undefined : String(e.Channel),
        messageTs: e.MessageTs === '' ? undefined : String(e.MessageTs),
        updatedAt: String(e.UpdatedAt ?? ''),
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw asStateError(error, `reading incident ${incidentId}`);
    }
  }

  async get(incidentId: string, key: string): Promise<LedgerEntry | undefined> {
    const table = await stateTable(this.config, 'incidents');
    try {
      const e = await table.getEntity<Record<string, string | number>>(tableKey(incidentId), `action|${tableKey(key)}`);
      return {
        key,
        status: String(e.Status) as LedgerEntry['status'],
        summary: String(e.Summary ?? ''),
        details:
          e.Details === undefined || e.Details === ''
            ? undefined
            : (JSON.parse(String(e.Details)) as LedgerEntry['details']),
        attempts: Number(e.Attempts ?? 0),
        updatedAt: String(e.UpdatedAt ?? ''),
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw asStateError(error, `reading the action ledger of ${incidentId}`);
    }
  }

  async put(incidentId: string, entry: LedgerEntry): Promise<void> {
    const table = await stateTable(this.config, 'incidents');
    try {
      await table.upsertEntity(
        {
          partitionKey: tableKey(incidentId),
          rowKey: `action|${tableKey(entry.key)}`,
          Key: entry.key,
          Status: entry.status,
          Summary: entry.summary.slice(0, 4000),
          Details: entry.details === undefined ? '' : JSON.stringify(entry.details).slice(0, 30_000),
          Attempts: entry.attempts,
          UpdatedAt: entry.updatedAt,
        },
        'Replace',
      );
    } catch (error) {
      throw asStateError(error, `writing the action ledger of ${incidentId}`);
    }
  }
}
