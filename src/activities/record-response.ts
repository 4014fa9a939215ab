/**
 * Activity `recordResponse`: lands one response row (`SentryResponse_CL`). The row is validated with
 * the stream's strict schema first, so a bad row fails here with the column named, not at the API.
 */
import { z } from 'zod';

import { AppError, ErrorCode } from '../errors';
import { streams } from '../transforms/streams';
import { incidentDeps, type IncidentDeps } from './incident-deps';

export const RecordResponseInput = z.object({ row: z.unknown() });

export async function recordResponse(
  raw: unknown,
  deps: IncidentDeps = incidentDeps(),
): Promise<{ rows: number; eventId: string }> {
  const parsed = RecordResponseInput.safeParse(raw);
  const row = parsed.success ? streams.response.schema.safeParse(parsed.data.row) : undefined;
  if (!row?.success) {
    const detail = row === undefined ? 'missing row' : z.prettifyError(row.error);
    throw new AppError(ErrorCode.InputInvalid, `recordResponse row is invalid: ${detail}`, { retriable: false });
  }
  await deps.landResponses([row.data]);
  return { rows: 1, eventId: row.data.EventId };
}

export const recordResponseActivity = (raw: unknown): Promise<{ rows: number; eventId: string }> => recordResponse(raw);
