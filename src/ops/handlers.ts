/**
 * The ops HTTP endpoints as functions of (request, client, deps), registered in functions/ops.ts:
 * - `GET /api/ops/status`: the status of collection, incidents and orchestrations (function key);
 * - `POST /api/ops/cycle`: run a cycle now. The eternal cycle waits between cycles on a timer *or*
 *   the `expedite` event, so raising the event starts the next cycle at once (or right after the
 *   running one, never closer than its minimum gap); when the cycle does not exist or has ended, it
 *   is started under its fixed id instead. Either way the answer is Durable's check-status response.
 */
import type { HttpRequest, HttpResponse, HttpResponseInit } from '@azure/functions';

import { configStatus, getConfig } from '../config';
import { ensureError } from '../errors';
import { CYCLE_INSTANCE_ID, EventNames, OrchestratorNames } from '../contracts';
import { APP_VERSION } from '../version';
import { gatherOpsStatus, type OpsDurableClient, type OpsReaders, redactDeep, tableReaders } from './gather';
import { isRunning } from '../domain/durable';

const json = (status: number, body: unknown): HttpResponseInit => ({
  status,
  jsonBody: redactDeep(body),
  headers: { 'cache-control': 'no-store' },
});

export interface StatusDeps {
  durable: OpsDurableClient;
  /** Defaults to the state tables of the configuration. */
  readers?: OpsReaders;
  now?: Date;
  log?: (message: string) => void;
}

export async function handleOpsStatus(deps: StatusDeps): Promise<HttpResponseInit> {
  const loaded = configStatus();
  if (!loaded.loaded) {
    // Setting names and fixes only: configStatus never carries values.
    return json(503, { status: 'degraded', version: APP_VERSION, problems: loaded.problems });
  }
  const config = getConfig();
  const status = await gatherOpsStatus({
    config,
    readers: deps.readers ?? tableReaders(config),
    durable: deps.durable,
    now: deps.now ?? new Date(),
    version: APP_VERSION,
  });
  if (status.problems.length > 0) deps.log?.(`ops status is partial: ${status.problems.join('; ')}`);
  return json(200, status);
}

/** The durable client calls `POST /api/ops/cycle` makes (the real DurableClient satisfies it). */
export interface CycleRunClient {
  getStatus(instanceId: string): Promise<{ runtimeStatus: string }>;
  startNew(name: string, options: { instanceId: string; input?: unknown }): Promise<string>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
  createCheckStatusResponse(request: HttpRequest | undefined, instanceId: string): HttpResponse;
  createHttpManagementPayload(instanceId: string): object;
}

export type CycleRunAction = 'expedited' | 'started';

async function runtimeStatusOf(client: CycleRunClient): Promise<string | undefined> {
  try {
    return (await client.getStatus(CYCLE_INSTANCE_ID)).runtimeStatus;
  } catch (error) {
    // DurableClient.getStatus throws "...replied with HTTP 404 response" for an unknown instance.
    if (/\b404\b/.test(ensureError(error).message)) return undefined;
    throw error;
  }
}

/** Expedites the running cycle or starts it; answers 202 with the check-status payload (409 if suspended). */
export async function handleRunCycle(
  request: HttpRequest,
  client: CycleRunClient,
  now: Date,
  log?: (message: string) => void,
): Promise<HttpResponse | HttpResponseInit> {
  const previous = await runtimeStatusOf(client);
  if (previous === 'Suspended') {
    return json(409, {
      error: 'suspended',
      message: `${CYCLE_INSTANCE_ID} is suspended: resume it (resumePostUri) and it runs at once.`,
      ...client.createHttpManagementPayload(CYCLE_INSTANCE_ID),
    });
  }
  const event = { reason: 'ops', at: now.toISOString() };
  let action: CycleRunAction;
  if (isRunning(previous)) {
    await client.raiseEvent(CYCLE_INSTANCE_ID, EventNames.expedite, event);
    action = 'expedited';
  } else {
    try {
      await client.startNew(OrchestratorNames.cycle, { instanceId: CYCLE_INSTANCE_ID, input: { cycle: 0 } });
      action = 'started';
    } catch (error) {
      // The watchdog started it between our read and our start: expedite the one that won.
      if (!/\b409\b|already exists/i.test(ensureError(error).message)) throw error;
      await client.raiseEvent(CYCLE_INSTANCE_ID, EventNames.expedite, event);
      action = 'expedited';
    }
  }
  log?.(`ops: cycle ${action} on request (was ${previous ?? 'absent'})`);
  const response = client.createCheckStatusResponse(request, CYCLE_INSTANCE_ID);
  response.headers.set('x-sentry-cycle-action', action);
  response.headers.set('cache-control', 'no-store');
  return response;
}
