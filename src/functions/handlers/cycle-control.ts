/**
 * Starting orchestrations from triggers: the watchdog that keeps the eternal cycle alive (never two:
 * one fixed instance id, a status check first, and a lost start race is fine), and the backfill
 * endpoint (`POST /api/ops/backfill`, function key) that starts a backfill and answers with the
 * durable check-status payload. Backfills are single-flight: a lease names the running one, and a
 * second request while it is alive gets 409 naming it (two backfills would split the org's Slack
 * budget and double the load on detection for no gain).
 */
import type { HttpRequest, HttpResponse, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';

import { BackfillRequest } from '../../contracts';
import { CYCLE_INSTANCE_ID, OrchestratorNames } from '../../contracts';
import type { Lease } from '../../state/locks';
import { readBody } from '../http-body';
import { isLive } from '../../domain/durable';

/** The parts of DurableClient these handlers use (the real client satisfies it). */
export interface CycleClientLike {
  getStatus(instanceId: string): Promise<{ runtimeStatus: string }>;
  startNew(name: string, options: { instanceId: string; input?: unknown }): Promise<string>;
  createCheckStatusResponse(request: HttpRequest | undefined, instanceId: string): HttpResponse;
  createHttpManagementPayload(instanceId: string): object;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /\b404\b/.test(error.message);
}

function isConflict(error: unknown): boolean {
  return error instanceof Error && /\b409\b|already exists/i.test(error.message);
}

async function statusOf(client: CycleClientLike, instanceId: string): Promise<string | undefined> {
  try {
    return (await client.getStatus(instanceId)).runtimeStatus;
  } catch (error) {
    // DurableClient.getStatus throws for an unknown instance ("...replied with HTTP 404 response").
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export type WatchdogResult = 'running' | 'started' | 'raced';

/** Starts the cycle under its fixed id unless it is alive; a concurrent start winning is not an error. */
export async function ensureCycleRunning(
  client: CycleClientLike,
): Promise<{ result: WatchdogResult; previous: string | undefined }> {
  const previous = await statusOf(client, CYCLE_INSTANCE_ID);
  if (isLive(previous)) return { result: 'running', previous };
  try {
    await client.startNew(OrchestratorNames.cycle, { instanceId: CYCLE_INSTANCE_ID, input: { cycle: 0 } });
    return { result: 'started', previous };
  } catch (error) {
    if (isConflict(error)) return { result: 'raced', previous };
    throw error;
  }
}

const Time = z.union([
  z.number().int().positive(),
  z.iso.datetime({ offset: true }).transform((text) => Math.floor(Date.parse(text) / 1000)),
]);

/** Body of `POST /api/ops/backfill`: `from`/`to` as ISO-8601 or Unix seconds, optional `windowMinutes`. */
export const BackfillBody = z.strictObject({
  source: z.literal('slackAudit').optional(),
  from: Time,
  to: Time,
  windowMinutes: z.number().int().min(1).max(1440).optional(),
});

const json = (status: number, body: unknown): HttpResponseInit => ({
  status,
  jsonBody: body,
  headers: { 'cache-control': 'no-store' },
});

export async function handleBackfill(
  request: HttpRequest,
  client: CycleClientLike,
  nowMs: number,
  lease: Lease,
): Promise<HttpResponseInit | HttpResponse> {
  const body0 = await readBody(request);
  if (!body0.ok) return body0.response;
  let raw: unknown;
  try {
    raw = JSON.parse(body0.text);
  } catch {
    return json(400, {
      error: 'invalid_json',
      message: 'Send { "from": ISO-8601 or Unix seconds, "to": …, "windowMinutes"?: 1..1440 }',
    });
  }
  const body = BackfillBody.safeParse(raw);
  if (!body.success) return json(400, { error: 'invalid_request', message: z.prettifyError(body.error) });
  const latest = Math.min(body.data.to, Math.floor(nowMs / 1000));
  const parsed = BackfillRequest.safeParse({
    source: 'slackAudit',
    oldest: body.data.from,
    latest,
    windowSeconds: (body.data.windowMinutes ?? 60) * 60,
  });
  if (!parsed.success) return json(400, { error: 'invalid_request', message: z.prettifyError(parsed.error) });
  const req = parsed.data;
  const instanceId = `backfill-${req.source}-${req.oldest}-${req.latest}-${req.windowSeconds}`;
  const alive = async (id: string) => {
    const status = await statusOf(client, id);
    return isLive(status);
  };
  const claimed = await lease.take(instanceId, alive);
  if (!claimed.taken) {
    return json(409, {
      error: 'already_running',
      message: `Backfill ${claimed.holder} is still running: one backfill at a time. Wait for it, or terminate it through the Durable management API.`,
      running: claimed.holder,
      ...client.createHttpManagementPayload(claimed.holder),
    });
  }
  const previous = await statusOf(client, instanceId);
  if (isLive(previous)) {
    return json(409, {
      error: 'already_running',
      running: instanceId,
      ...client.createHttpManagementPayload(instanceId),
    });
  }
  try {
    await client.startNew(OrchestratorNames.backfill, { instanceId, input: { request: req } });
  } catch (error) {
    if (isConflict(error))
      return json(409, { error: 'already_running', ...client.createHttpManagementPayload(instanceId) });
    throw error;
  }
  return client.createCheckStatusResponse(request, instanceId);
}
