/**
 * Messaging between instances: outboxes delivered to orchestration inboxes and entity queues,
 * orchestrations started by an ExecutionStarted message, and durable timers firing into inboxes.
 */
import { randomUUID } from 'node:crypto';

import type { EngineContext } from './context';
import { completionKey, eventName, events, type HistoryEvent, isTerminal, type ParentInstanceDto } from './history';
import type { EntityDoc, EntityRequest, InboxItem, OrchestrationDoc, OutboxMessage, ParentLink } from './model';
import { kick } from './scheduler';
import { errorMessage, newGuidN } from './util';

export function flushOutbox(ctx: EngineContext, doc: OrchestrationDoc | EntityDoc): void {
  for (let message = doc.outbox[0]; message !== undefined; message = doc.outbox[0]) {
    try {
      deliver(ctx, message);
    } catch (error) {
      ctx.log('error', `Could not deliver a ${message.kind} message from ${doc.instanceId}: ${errorMessage(error)}`, {
        instanceId: doc.instanceId,
      });
      break;
    }
    doc.outbox.shift();
  }
  ctx.save(doc);
}

/** Idempotent: a message redelivered after a crash finds its effect already in place. */
function deliver(ctx: EngineContext, message: OutboxMessage): void {
  switch (message.kind) {
    case 'entityOperation':
      deliverEntityOperation(ctx, message.entityId, message.request);
      return;
    case 'orchestrationEvent': {
      const target = ctx.orchestrations.get(message.instanceId);
      if (target === undefined) {
        ctx.log('warning', `Dropped ${eventName(message.event)} for unknown instance ${message.instanceId}.`, {
          instanceId: message.instanceId,
        });
        return;
      }
      if (target.inbox.some((item) => item.id === message.id)) return;
      deliverToInbox(ctx, target, message.executionId, message.event, message.id);
      return;
    }
    case 'startOrchestration': {
      const existing = ctx.orchestrations.get(message.instanceId);
      const parent = message.parent;
      if (
        existing?.parent?.instanceId === parent.instanceId &&
        existing.parent.executionId === parent.executionId &&
        existing.parent.taskScheduledId === parent.taskScheduledId
      ) {
        return;
      }
      const parentDoc = ctx.orchestrations.get(parent.instanceId);
      if (existing !== undefined && !isTerminal(existing.runtimeStatus)) {
        const reason = `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`;
        if (parentDoc !== undefined)
          deliverToInbox(
            ctx,
            parentDoc,
            parent.executionId,
            events.subOrchestrationFailed(ctx.iso(), parent.taskScheduledId, reason, reason),
          );
        return;
      }
      if (ctx.findFunction(message.name, 'orchestrationTrigger') === undefined) {
        const reason = `The function '${message.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
        if (parentDoc !== undefined)
          deliverToInbox(
            ctx,
            parentDoc,
            parent.executionId,
            events.subOrchestrationFailed(ctx.iso(), parent.taskScheduledId, reason, reason),
          );
        return;
      }
      if (existing !== undefined) cancelTimers(ctx, existing);
      const child = newOrchestration(ctx, {
        instanceId: message.instanceId,
        executionId: newGuidN(),
        name: message.name,
        version: message.version,
        input: message.input,
        parent,
      });
      ctx.save(child);
      kick(ctx, child.instanceId);
    }
  }
}

export function deliverToInbox(
  ctx: EngineContext,
  doc: OrchestrationDoc,
  executionId: string | undefined,
  event: HistoryEvent,
  id: string = randomUUID(),
): void {
  if (executionId !== undefined && executionId !== doc.executionId) return;
  if (isTerminal(doc.runtimeStatus)) return;
  const key = completionKey(event);
  if (key !== undefined && inboxHasCompletion(doc, key, event.EventType)) return;
  appendInbox(ctx, doc, { id, ...(executionId === undefined ? {} : { executionId }), event });
}

export function appendInbox(ctx: EngineContext, doc: OrchestrationDoc, item: InboxItem): void {
  doc.inbox.push(item);
  ctx.save(doc);
  kick(ctx, doc.instanceId);
}

export function inboxHasCompletion(doc: OrchestrationDoc, seq: number, type?: number): boolean {
  return doc.inbox.some(
    (item) =>
      completionKey(item.event) === seq &&
      (type === undefined || item.event.EventType === type) &&
      (item.executionId === undefined || item.executionId === doc.executionId),
  );
}

export function deliverEntityOperation(ctx: EngineContext, entityId: string, request: EntityRequest): void {
  let doc = ctx.entities.get(entityId);
  if (doc === undefined) {
    const at = entityId.indexOf('@', 1);
    doc = {
      kind: 'entity',
      instanceId: entityId,
      name: entityId.slice(1, at),
      key: entityId.slice(at + 1),
      exists: false,
      state: null,
      queue: [],
      recentRequestIds: [],
      outbox: [],
      createdTime: ctx.iso(),
      lastOperationTime: null,
    };
    ctx.entities.set(entityId, doc);
  }
  if (doc.recentRequestIds.includes(request.id) || doc.queue.some((queued) => queued.id === request.id)) return;
  doc.queue.push(request);
  ctx.save(doc);
  kick(ctx, entityId);
}

export function parentEvent(parent: ParentLink, event: HistoryEvent): OutboxMessage {
  return {
    kind: 'orchestrationEvent',
    id: randomUUID(),
    instanceId: parent.instanceId,
    executionId: parent.executionId,
    event,
  };
}

/** A new Pending orchestration whose inbox holds its ExecutionStarted; the caller saves and kicks it. */
export function newOrchestration(
  ctx: EngineContext,
  fields: {
    instanceId: string;
    executionId: string;
    name: string;
    version: string | null;
    input: string | null;
    parent: ParentLink | null;
  },
): OrchestrationDoc {
  const ts = ctx.iso();
  const doc: OrchestrationDoc = {
    kind: 'orchestration',
    instanceId: fields.instanceId,
    executionId: fields.executionId,
    name: fields.name,
    version: fields.version,
    runtimeStatus: 'Pending',
    input: fields.input,
    output: null,
    customStatus: null,
    createdTime: ts,
    lastUpdatedTime: ts,
    parent: fields.parent,
    history: [],
    inbox: [
      {
        id: randomUUID(),
        executionId: fields.executionId,
        event: events.executionStarted(ts, { ...fields, parent: parentDto(fields.parent) }),
      },
    ],
    nextSeq: 0,
    actionSeqs: [],
    scheduled: {},
    retries: {},
    outbox: [],
  };
  ctx.orchestrations.set(doc.instanceId, doc);
  return doc;
}

export function parentDto(parent: ParentLink | null): ParentInstanceDto | null {
  if (parent === null) return null;
  return {
    Name: parent.name,
    Version: '',
    TaskScheduleId: parent.taskScheduledId,
    OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: parent.executionId },
  };
}

// -------------------------------------------------------------------------------------------------
// Durable timers

export function armTimer(ctx: EngineContext, doc: OrchestrationDoc, seq: number, fireAt: string): void {
  const key = `${doc.instanceId}|${doc.executionId}|${seq}`;
  if (ctx.timers.has(key) || !ctx.started) return;
  const { instanceId, executionId } = doc;
  const arm = (): void => {
    const delay = Date.parse(fireAt) - ctx.now();
    const handle = setTimeout(
      () => {
        if (Date.parse(fireAt) - ctx.now() > 0) {
          arm();
          return;
        }
        ctx.timers.delete(key);
        const target = ctx.orchestrations.get(instanceId);
        if (target !== undefined && ctx.started)
          deliverToInbox(ctx, target, executionId, events.timerFired(ctx.iso(), seq, fireAt));
      },
      Math.max(0, Math.min(delay, 2_147_483_647)),
    );
    ctx.timers.set(key, handle);
  };
  arm();
}

export function cancelTimers(ctx: EngineContext, doc: OrchestrationDoc): void {
  cancelTimersByPrefix(ctx, `${doc.instanceId}|`);
}

export function cancelTimersByPrefix(ctx: EngineContext, prefix: string): void {
  for (const [key, handle] of ctx.timers) {
    if (key.startsWith(prefix)) {
      clearTimeout(handle);
      ctx.timers.delete(key);
    }
  }
}
