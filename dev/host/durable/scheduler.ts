/**
 * Scheduling of instance work: one drain loop per instance with pending work, so at most one
 * episode or entity batch runs per instance at a time, and the idle detection `whenIdle` waits on.
 */
import type { EngineContext } from './context';
import { EventType, isTerminal } from './history';
import type { InboxItem, OrchestrationDoc } from './model';
import { errorMessage } from './util';

export function kick(ctx: EngineContext, instanceId: string): void {
  if (!ctx.started) return;
  if (ctx.draining.has(instanceId)) {
    ctx.rerun.add(instanceId);
    return;
  }
  const run = drain(ctx, instanceId).finally(() => {
    ctx.draining.delete(instanceId);
    if (ctx.rerun.has(instanceId)) kick(ctx, instanceId);
    notifyIdle(ctx);
  });
  ctx.draining.set(instanceId, run);
}

async function drain(ctx: EngineContext, instanceId: string): Promise<void> {
  const generation = ctx.generation;
  await Promise.resolve();
  for (;;) {
    ctx.rerun.delete(instanceId);
    if (!ctx.started || generation !== ctx.generation) return;
    let progressed = false;
    try {
      progressed = await ctx.step(instanceId, generation);
    } catch (error) {
      ctx.log('error', `Durable engine failed while processing ${instanceId}: ${errorMessage(error)}`, {
        instanceId,
      });
      return;
    }
    if (!progressed && !ctx.rerun.has(instanceId)) return;
  }
}

/** Resolves when no episode, entity batch or activity is running and no inbox holds work. */
export async function whenIdle(ctx: EngineContext): Promise<void> {
  while (!isIdle(ctx)) await new Promise<void>((resolve) => ctx.idleWaiters.push(resolve));
}

function isIdle(ctx: EngineContext): boolean {
  if (ctx.draining.size > 0 || ctx.activeActivities.size > 0) return false;
  for (const doc of ctx.orchestrations.values())
    if (pickInboxItem(doc) !== undefined && !isTerminal(doc.runtimeStatus)) return false;
  for (const doc of ctx.entities.values()) if (doc.queue.length > 0) return false;
  return true;
}

export function notifyIdle(ctx: EngineContext): void {
  if (ctx.idleWaiters.length === 0) return;
  setImmediate(() => {
    if (!isIdle(ctx)) return;
    for (const waiter of ctx.idleWaiters.splice(0)) waiter();
  });
}

/** The inbox item the next episode processes: a terminate first; while suspended, only a resume. */
export function pickInboxItem(doc: OrchestrationDoc): InboxItem | undefined {
  const terminate = doc.inbox.find((item) => item.event.EventType === EventType.ExecutionTerminated);
  if (terminate !== undefined) return terminate;
  if (doc.runtimeStatus === 'Suspended')
    return doc.inbox.find((item) => item.event.EventType === EventType.ExecutionResumed);
  return doc.inbox[0];
}
