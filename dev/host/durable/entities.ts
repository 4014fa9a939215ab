/**
 * Entities: runs a batch of an entity's queued operations through the Invoker, answers the calling
 * orchestrations, forwards the signals the entity sent, and keeps its state.
 */
import { randomUUID } from 'node:crypto';

import { decodeTypedData, type LogFields } from '../invoker';
import type { EngineContext } from './context';
import { events } from './history';
import { flushOutbox } from './messaging';
import type { EntityDoc } from './model';
import { errorMessage } from './util';

const RECENT_REQUEST_IDS = 500;

interface EntityBatchResult {
  results: { isError: boolean; result?: string }[];
  signals?: { target: { name: string; key: string }; name: string; input?: string }[];
  entityExists: boolean;
  entityState?: string | null;
}

export function schedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

export async function runEntityBatch(ctx: EngineContext, doc: EntityDoc, generation: number): Promise<boolean> {
  if (doc.queue.length === 0) return false;
  const batch = doc.queue.slice(0, ctx.options.maxEntityOperationBatchSize ?? 50);
  const fields: LogFields = { functionName: doc.name, instanceId: doc.instanceId };
  const payload = {
    self: { name: doc.name, key: doc.key },
    exists: doc.exists,
    state: doc.state,
    batch: batch.map((request) => ({
      id: request.id,
      name: request.op,
      ...(request.input === null ? {} : { input: request.input }),
      isSignal: request.signal,
    })),
  };
  let result: EntityBatchResult | undefined;
  let failure: string | undefined;
  let invocationId: string | undefined;
  const fn = ctx.findFunction(doc.name, 'entityTrigger');
  if (fn === undefined) {
    failure = `The function '${doc.name}' doesn't exist, is disabled, or is not an entity function.`;
  } else {
    await ctx.entitySlots.acquire();
    try {
      if (!ctx.started || generation !== ctx.generation) return false;
      const response = await ctx.options.invoker.invoke(fn.name, {
        trigger: { string: JSON.stringify(payload) },
        instanceId: doc.instanceId,
      });
      invocationId = response.invocationId;
      const decoded = decodeTypedData(response.returnValue) as Partial<EntityBatchResult> | undefined;
      const count = Array.isArray(decoded?.results) ? decoded.results.length : undefined;
      if (count !== batch.length)
        failure = `The entity function returned ${count ?? 'no'} result(s) for a batch of ${batch.length}.`;
      else result = decoded as EntityBatchResult;
    } catch (error) {
      failure = errorMessage(error);
    } finally {
      ctx.entitySlots.release();
    }
  }
  if (!ctx.started || generation !== ctx.generation) return false;
  const ts = ctx.iso();
  if (failure !== undefined)
    ctx.log('error', `Entity batch of ${batch.length} operation(s) failed: ${failure}`, { ...fields, invocationId });
  batch.forEach((request, index) => {
    const outcome = result?.results[index];
    if (!request.signal && request.parentInstanceId !== undefined) {
      const response =
        outcome === undefined
          ? { result: JSON.stringify(failure ?? 'entity operation failed'), exceptionType: 'Error' }
          : outcome.isError
            ? { result: outcome.result ?? null, exceptionType: 'Error' }
            : { result: outcome.result ?? null };
      doc.outbox.push({
        kind: 'orchestrationEvent',
        id: randomUUID(),
        instanceId: request.parentInstanceId,
        executionId: request.parentExecutionId,
        event: events.eventRaised(ts, request.id, JSON.stringify(response)),
      });
    }
  });
  if (result !== undefined) {
    doc.exists = result.entityExists;
    doc.state = result.entityExists ? (result.entityState ?? null) : null;
    ctx.warnIfLarge('entity state', doc.state, doc.name, doc.instanceId, invocationId);
    for (const signal of result.signals ?? []) {
      doc.outbox.push({
        kind: 'entityOperation',
        id: randomUUID(),
        entityId: schedulerId(signal.target.name, signal.target.key),
        request: {
          id: randomUUID(),
          op: signal.name,
          input: signal.input === undefined || signal.input === '' ? null : signal.input,
          signal: true,
          time: ts,
        },
      });
    }
  }
  const processed = new Set(batch.map((request) => request.id));
  doc.queue = doc.queue.filter((request) => !processed.has(request.id));
  doc.recentRequestIds = [...doc.recentRequestIds, ...processed].slice(-RECENT_REQUEST_IDS);
  doc.lastOperationTime = ts;
  ctx.save(doc);
  ctx.log('debug', `Entity batch of ${batch.length} operation(s) done.`, { ...fields, invocationId });
  if (doc.outbox.length > 0) flushOutbox(ctx, doc);
  return true;
}
