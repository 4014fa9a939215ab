/**
 * Client operations, which the management API (http-api.ts) calls: start, raise, terminate,
 * suspend, resume, rewind, restart, purge and query orchestrations; signal and read entities.
 */
import { randomUUID } from 'node:crypto';

import type { EngineContext } from './context';
import { schedulerId } from './entities';
import { events, type HistoryEvent, isTerminal, type RuntimeStatus } from './history';
import { appendInbox, cancelTimers, deliverEntityOperation, newOrchestration } from './messaging';
import type { EntityDoc, OrchestrationDoc } from './model';
import { kick } from './scheduler';
import { newGuidN } from './util';

export class DurableApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type OperationOutcome = 'accepted' | 'notFound' | 'gone';

export interface InstanceQuery {
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  runtimeStatus?: RuntimeStatus[];
  instanceIdPrefix?: string;
  pageSize?: number;
  continuationToken?: string;
}

export function startNew(
  ctx: EngineContext,
  name: string,
  instanceId: string | undefined,
  input: string | null,
  version: string | null = null,
  executionId: string = randomUUID(),
): string {
  assertStarted(ctx);
  if (ctx.findFunction(name, 'orchestrationTrigger') === undefined) {
    throw new DurableApiError(
      400,
      `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
    );
  }
  const id = instanceId !== undefined && instanceId.length > 0 ? instanceId : newGuidN();
  if (id.startsWith('@')) throw new DurableApiError(400, 'Orchestration instance ids must not start with @.');
  const existing = ctx.orchestrations.get(id);
  if (
    existing !== undefined &&
    ['Running', 'ContinuedAsNew', 'Pending', 'Suspended'].includes(existing.runtimeStatus)
  ) {
    throw new DurableApiError(
      409,
      `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`,
    );
  }
  if (existing !== undefined) cancelTimers(ctx, existing);
  const doc = newOrchestration(ctx, { instanceId: id, executionId, name, version, input, parent: null });
  ctx.warnIfLarge('orchestration input', input, name, id);
  ctx.save(doc);
  ctx.log('information', `Started orchestration ${name} (${id}).`, { functionName: name, instanceId: id });
  kick(ctx, id);
  return id;
}

export function raiseEvent(
  ctx: EngineContext,
  instanceId: string,
  eventName: string,
  data: string | null,
): OperationOutcome {
  const doc = ctx.orchestrations.get(instanceId);
  if (doc === undefined) return 'notFound';
  if (isTerminal(doc.runtimeStatus)) return 'gone';
  appendInbox(ctx, doc, { id: randomUUID(), event: events.eventRaised(ctx.iso(), eventName, data) });
  return 'accepted';
}

export function terminate(ctx: EngineContext, instanceId: string, reason: string | null): OperationOutcome {
  return control(ctx, instanceId, events.executionTerminated(ctx.iso(), reason));
}

export function suspend(ctx: EngineContext, instanceId: string, reason: string | null): OperationOutcome {
  return control(ctx, instanceId, events.executionSuspended(ctx.iso(), reason));
}

export function resume(ctx: EngineContext, instanceId: string, reason: string | null): OperationOutcome {
  return control(ctx, instanceId, events.executionResumed(ctx.iso(), reason));
}

function control(ctx: EngineContext, instanceId: string, event: HistoryEvent): OperationOutcome {
  const doc = ctx.orchestrations.get(instanceId);
  if (doc === undefined) return 'notFound';
  if (isTerminal(doc.runtimeStatus)) return 'gone';
  appendInbox(ctx, doc, { id: randomUUID(), event });
  return 'accepted';
}

export function rewind(ctx: EngineContext, instanceId: string): 'notFound' | 'notFailed' | 'notImplemented' {
  const doc = ctx.orchestrations.get(instanceId);
  if (doc === undefined) return 'notFound';
  return doc.runtimeStatus === 'Failed' ? 'notImplemented' : 'notFailed';
}

export function restart(ctx: EngineContext, instanceId: string, withNewInstanceId: boolean): string {
  const doc = ctx.orchestrations.get(instanceId);
  if (doc === undefined) throw new DurableApiError(400, 'InstanceId does not match a valid orchestration instance.');
  return startNew(ctx, doc.name, withNewInstanceId ? undefined : instanceId, doc.input, doc.version);
}

export function purge(ctx: EngineContext, instanceId: string): 'notFound' | 'notTerminal' | 'purged' {
  if (instanceId.startsWith('@')) {
    if (!ctx.entities.has(instanceId)) return 'notFound';
    ctx.entities.delete(instanceId);
    ctx.options.store.remove(instanceId);
    return 'purged';
  }
  const doc = ctx.orchestrations.get(instanceId);
  if (doc === undefined) return 'notFound';
  if (!isTerminal(doc.runtimeStatus)) return 'notTerminal';
  removeOrchestration(ctx, doc);
  return 'purged';
}

export function purgeBy(ctx: EngineContext, from: Date, to: Date, statuses: RuntimeStatus[] | undefined): number {
  let deleted = 0;
  for (const doc of [...ctx.orchestrations.values()]) {
    const created = Date.parse(doc.createdTime);
    if (created < from.getTime() || created > to.getTime()) continue;
    if (statuses !== undefined && statuses.length > 0 && !statuses.includes(doc.runtimeStatus)) continue;
    removeOrchestration(ctx, doc);
    deleted += 1;
  }
  return deleted;
}

function removeOrchestration(ctx: EngineContext, doc: OrchestrationDoc): void {
  cancelTimers(ctx, doc);
  ctx.orchestrations.delete(doc.instanceId);
  ctx.options.store.remove(doc.instanceId);
}

export function getOrchestration(ctx: EngineContext, instanceId: string): OrchestrationDoc | undefined {
  const doc = ctx.orchestrations.get(instanceId);
  return doc === undefined ? undefined : structuredClone(doc);
}

export function listOrchestrations(
  ctx: EngineContext,
  query: InstanceQuery,
): { items: OrchestrationDoc[]; continuationToken: string | null } {
  const from = query.createdTimeFrom?.getTime() ?? Number.NEGATIVE_INFINITY;
  const to = query.createdTimeTo?.getTime() ?? Number.POSITIVE_INFINITY;
  const after =
    query.continuationToken === undefined
      ? undefined
      : Buffer.from(query.continuationToken, 'base64url').toString('utf8');
  // Azure Storage returns instances in PartitionKey (= instance id) order.
  const matching = [...ctx.orchestrations.values()]
    .filter((doc) => {
      const created = Date.parse(doc.createdTime);
      if (created < from || created > to) return false;
      if (
        query.runtimeStatus !== undefined &&
        query.runtimeStatus.length > 0 &&
        !query.runtimeStatus.includes(doc.runtimeStatus)
      )
        return false;
      if (query.instanceIdPrefix !== undefined && !doc.instanceId.startsWith(query.instanceIdPrefix)) return false;
      return after === undefined || doc.instanceId > after;
    })
    .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  const pageSize = query.pageSize !== undefined && query.pageSize > 0 ? query.pageSize : 100;
  const items = matching.slice(0, pageSize);
  const last = items[items.length - 1];
  const continuationToken =
    matching.length > pageSize && last !== undefined
      ? Buffer.from(last.instanceId, 'utf8').toString('base64url')
      : null;
  return { items: items.map((doc) => structuredClone(doc)), continuationToken };
}

export function signalEntity(
  ctx: EngineContext,
  name: string,
  key: string,
  operation: string,
  input: string | null,
): void {
  assertStarted(ctx);
  const entityId = schedulerId(name, key);
  deliverEntityOperation(ctx, entityId, { id: randomUUID(), op: operation, input, signal: true, time: ctx.iso() });
}

export function readEntity(ctx: EngineContext, name: string, key: string): { exists: boolean; state: string | null } {
  const doc = ctx.entities.get(schedulerId(name, key));
  return !doc?.exists ? { exists: false, state: null } : { exists: true, state: doc.state };
}

export function listEntities(ctx: EngineContext, name: string | undefined): EntityDoc[] {
  return [...ctx.entities.values()]
    .filter((doc) => doc.exists && (name === undefined || name.length === 0 || doc.name === name.toLowerCase()))
    .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1))
    .map((doc) => structuredClone(doc));
}

function assertStarted(ctx: EngineContext): void {
  if (!ctx.started) throw new DurableApiError(503, 'The durable engine is not running.');
}
