/**
 * Reading the incident summary rows (`incidents`, row `summary`, written by the alert activity
 * through IncidentStore) across incidents, for the ops status. The table also holds action ledgers
 * and findings, so the query filters on the row key; closed incidents are filtered out by the
 * service, so the answer stays as small as the number of incidents still open.
 */
import type { Config } from '../config';
import type { IncidentSummary } from './incidents';
import { asStateError, stateTable } from './tables';

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? `${value}` : '';
}

/** Summaries of incidents whose status is not `closed` (at most `limit`, in table order). */
export async function listOpenIncidentSummaries(config: Config, limit = 500): Promise<IncidentSummary[]> {
  const table = await stateTable(config, 'incidents');
  const out: IncidentSummary[] = [];
  try {
    for await (const e of table.listEntities({
      queryOptions: { filter: "RowKey eq 'summary' and Status ne 'closed'" },
    })) {
      out.push({
        incidentId: text(e.IncidentId),
        detectionId: text(e.DetectionId),
        status: text(e.Status),
        count: Number(e.Count ?? 0),
        lastSeen: text(e.LastSeen),
        channel: text(e.Channel) === '' ? undefined : text(e.Channel),
        messageTs: text(e.MessageTs) === '' ? undefined : text(e.MessageTs),
        updatedAt: text(e.UpdatedAt),
      });
      if (out.length >= limit) break;
    }
  } catch (error) {
    throw asStateError(error, 'listing open incidents');
  }
  return out;
}
