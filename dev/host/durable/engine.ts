/**
 * The orchestration engine: keeps each instance's history and drives the real durable-functions
 * replay engine (through the Invoker) one episode at a time, in sequence-number lockstep with it.
 *
 * This file wires the parts together around one shared EngineContext (context.ts): the per-instance
 * drain loop (scheduler.ts) runs orchestration episodes (replay.ts, with the sequence numbering in
 * lockstep.ts) and entity batches (entities.ts); activities run in dispatch.ts; outboxes, inboxes
 * and durable timers are messaging.ts; the client operations are management.ts.
 */
import { EngineContext, type EngineOptions } from './context';
import { dispatchActivity } from './dispatch';
import { runEntityBatch } from './entities';
import { isTerminal, type RuntimeStatus } from './history';
import * as management from './management';
import type { InstanceQuery, OperationOutcome } from './management';
import { armTimer, flushOutbox, inboxHasCompletion } from './messaging';
import type { EntityDoc, OrchestrationDoc } from './model';
import { runEpisode } from './replay';
import { kick, whenIdle } from './scheduler';

export { LARGE_PAYLOAD_BYTES, type EngineOptions, type EngineTuning } from './context';
export { schedulerId } from './entities';
export { DurableApiError, type InstanceQuery, type OperationOutcome } from './management';

export class DurableEngine {
  private readonly ctx: EngineContext;

  constructor(options: EngineOptions) {
    const ctx: EngineContext = new EngineContext(options, async (instanceId, generation): Promise<boolean> => {
      const orchestration = ctx.orchestrations.get(instanceId);
      const entity = ctx.entities.get(instanceId);
      if (orchestration !== undefined) return runEpisode(ctx, orchestration, generation);
      if (entity !== undefined) return runEntityBatch(ctx, entity, generation);
      return false;
    });
    this.ctx = ctx;
  }

  get timerSettings(): { maximumShortTimerDuration: string; longRunningTimerIntervalDuration: string } {
    return this.ctx.timerSettings;
  }

  /** Loads the store and resumes: outboxes are delivered, activities re-dispatched, timers re-armed. */
  async start(): Promise<void> {
    const ctx = this.ctx;
    if (ctx.started) return;
    ctx.orchestrations.clear();
    ctx.entities.clear();
    for (const doc of ctx.options.store.loadAll()) {
      if (doc.kind === 'entity') ctx.entities.set(doc.instanceId, doc);
      else ctx.orchestrations.set(doc.instanceId, doc);
    }
    ctx.generation += 1;
    ctx.started = true;
    for (const doc of [...ctx.orchestrations.values(), ...ctx.entities.values()]) {
      if (doc.outbox.length > 0) flushOutbox(ctx, doc);
    }
    let redispatched = 0;
    for (const doc of ctx.orchestrations.values()) {
      if (isTerminal(doc.runtimeStatus)) continue;
      for (const [key, task] of Object.entries(doc.scheduled)) {
        const seq = Number(key);
        if (task.done === true || inboxHasCompletion(doc, seq)) continue;
        if (task.kind === 'activity') {
          dispatchActivity(ctx, doc, seq, task.name, task.input);
          redispatched += 1;
        } else if (task.kind === 'timer' || task.kind === 'retryTimer') {
          armTimer(ctx, doc, seq, task.fireAt);
        }
      }
      if (doc.inbox.length > 0) kick(ctx, doc.instanceId);
    }
    for (const doc of ctx.entities.values()) if (doc.queue.length > 0) kick(ctx, doc.instanceId);
    ctx.log(
      'information',
      `Durable engine started on ${ctx.options.store.description}: ${ctx.orchestrations.size} orchestration(s), ${ctx.entities.size} entit(ies), ${redispatched} activit(ies) re-dispatched.`,
    );
    await Promise.resolve();
  }

  /** Stops dispatching. In-flight work is abandoned; nothing it produces is written. */
  async stop(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx.started) return;
    ctx.started = false;
    ctx.generation += 1;
    for (const handle of ctx.timers.values()) clearTimeout(handle);
    ctx.timers.clear();
    await Promise.allSettled([...ctx.draining.values()]);
  }

  /** Resolves when no episode, entity batch or activity is running and no inbox holds work. */
  whenIdle(): Promise<void> {
    return whenIdle(this.ctx);
  }

  // ---------------------------------------------------------------------------------------------
  // Client operations (the management API calls these)

  startNew(
    name: string,
    instanceId: string | undefined,
    input: string | null,
    version: string | null = null,
    executionId?: string,
  ): string {
    return management.startNew(this.ctx, name, instanceId, input, version, executionId);
  }

  raiseEvent(instanceId: string, eventName: string, data: string | null): OperationOutcome {
    return management.raiseEvent(this.ctx, instanceId, eventName, data);
  }

  terminate(instanceId: string, reason: string | null): OperationOutcome {
    return management.terminate(this.ctx, instanceId, reason);
  }

  suspend(instanceId: string, reason: string | null): OperationOutcome {
    return management.suspend(this.ctx, instanceId, reason);
  }

  resume(instanceId: string, reason: string | null): OperationOutcome {
    return management.resume(this.ctx, instanceId, reason);
  }

  rewind(instanceId: string): 'notFound' | 'notFailed' | 'notImplemented' {
    return management.rewind(this.ctx, instanceId);
  }

  restart(instanceId: string, withNewInstanceId: boolean): string {
    return management.restart(this.ctx, instanceId, withNewInstanceId);
  }

  purge(instanceId: string): 'notFound' | 'notTerminal' | 'purged' {
    return management.purge(this.ctx, instanceId);
  }

  purgeBy(from: Date, to: Date, statuses: RuntimeStatus[] | undefined): number {
    return management.purgeBy(this.ctx, from, to, statuses);
  }

  getOrchestration(instanceId: string): OrchestrationDoc | undefined {
    return management.getOrchestration(this.ctx, instanceId);
  }

  listOrchestrations(query: InstanceQuery): { items: OrchestrationDoc[]; continuationToken: string | null } {
    return management.listOrchestrations(this.ctx, query);
  }

  signalEntity(name: string, key: string, operation: string, input: string | null): void {
    management.signalEntity(this.ctx, name, key, operation, input);
  }

  readEntity(name: string, key: string): { exists: boolean; state: string | null } {
    return management.readEntity(this.ctx, name, key);
  }

  listEntities(name: string | undefined): EntityDoc[] {
    return management.listEntities(this.ctx, name);
  }
}
