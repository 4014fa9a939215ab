/**
 * Activity `recordResponse`: lands one response row (`SentryResponse_CL`). The row is validated with
 * the stream's strict schema first, so a bad row fails here with the column named, not at the API.
 */
import { parseActivityInput } from '../contracts';
import { incidentDeps, type IncidentDeps } from './incident-deps';

export async function recordResponse(
  raw: unknown,
  deps: IncidentDeps = incidentDeps(),
): Promise<{ rows: number; eventId: string }> {
  const { row } = parseActivityInput('recordResponse', raw);
  await deps.landResponses([row]);
  return { rows: 1, eventId: row.EventId };
}

export const recordResponseActivity = (raw: unknown): Promise<{ rows: number; eventId: string }> => recordResponse(raw);
