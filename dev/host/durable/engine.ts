/**
 * The orchestration engine: keeps each instance's history and drives the real durable-functions
 * replay engine (through the Invoker) one episode at a time, in sequence-number lockstep with it.
 *
 * Lockstep (local-host.md §2.5): the JS SDK numbers every yielded atomic task itself and matches
 * completions by that number; it never reads TaskScheduled/TimerCreated. The extension keeps the same
 * numbering by replaying the JS action list against DTFx. We do the same: after every episode the
 * id-consuming actions past `actionSeqs.length` get the next numbers, in flattened order. Retries
 * and long timers take hidden numbers while their triggering event is processed (JS allocates a
 * NoOpTask / next timer child at that same moment), so each episode delivers exactly one new event:
 * hidden ids are then always allocated before the episode's new actions.
 */
import { randomUUID } from 'node:crypto';

import type { RegisteredFunction } from '../core-shim';
import type { DurableSettings } from '../contracts';
import {
  decodeTypedData,
  type HostLogger,
  type Invoker,
  type LogFields,
  type LogLevel,
  type RpcTypedData,
} from '../invoker';
import {
  ActionType,
  consumesSequence,
  flattenActions,
  isOrchestratorState,
  type OrchestratorAction,
  type OrchestratorStateDto,
  parseOutOfProcData,
} from './actions';
import {
  completionKey,
  EventType,
  events,
  type FailureDetailsDto,
  type HistoryEvent,
  isTerminal,
  OrchestrationStatus,
  type RuntimeStatus,
} from './history';
import type {
  EntityDoc,
  EntityRequest,
  InboxItem,
  OrchestrationDoc,
  OutboxMessage,
  ParentLink,
  RetryState,
  ScheduledTask,
} from './model';
import type { DurableStore } from './store';
import {
  deterministicGuid,
  errorMessage,
  isoNow,
  jsonText,
  newGuidN,
  parseTimeSpan,
  Semaphore,
  utf8Length,
} from './util';

/** Azure Storage moves queue messages over 45 KB to blobs (MessageManager.MaxStorageQueuePayloadSizeInBytes). */
export const LARGE_PAYLOAD_BYTES = 45 * 1024;
const DEFAULT_MAX_RETRY_INTERVAL_MS = 6 * 86_400_000;
const RECENT_REQUEST_IDS = 500;

export interface EngineTuning {
  /** Azure Storage: "6.00:00:00". Timers further out are split by the SDK (schema V3). */
  maximumShortTimerDuration?: string;
  /** Azure Storage: "3.00:00:00". */
  longRunningTimerIntervalDuration?: string;
  maxEntityOperationBatchSize?: number;
  now?: () => number;
}

export interface EngineOptions extends EngineTuning {
  invoker: Invoker;
  logger: HostLogger;
  settings: DurableSettings;
  store: DurableStore;
}

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

interface EpisodeWork {
  nextSeq: number;
  actionSeqs: number[];
  scheduled: Record<string, ScheduledTask>;
  retries: Record<string, RetryState>;
  produced: HistoryEvent[];
  activities: number[];
  timers: number[];
  outbox: OutboxMessage[];
  inbox: InboxItem[];
}

interface EntityBatchResult {
  results: { isError: boolean; result?: string }[];
  signals?: { target: { name: string; key: string }; name: string; input?: string }[];
  entityExists: boolean;
  entityState?: string | null;
}

export class DurableEngine {
  private readonly orchestrations = new Map<string, OrchestrationDoc>();
  private readonly entities = new Map<string, EntityDoc>();
  /** Instances with a drain loop running (at most one episode or entity batch in flight each). */
  private readonly draining = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  private readonly activeActivities = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly orchestratorSlots: Semaphore;
  private readonly activitySlots: Semaphore;
  private readonly entitySlots: Semaphore;
  private readonly maxShortTimerMs: number;
  private readonly longTimerIntervalMs: number;
  private readonly now: () => number;
  private started = false;
  /** Bumped by start/stop, so work begun under an older generation never writes. */
  private generation = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly options: EngineOptions) {
    this.orchestratorSlots = new Semaphore(options.settings.maxConcurrentOrchestratorFunctions);
    this.activitySlots = new Semaphore(options.settings.maxConcurrentActivityFunctions);
    this.entitySlots = new Semaphore(options.settings.maxConcurrentEntityFunctions);
    this.maxShortTimerMs = parseTimeSpan(options.maximumShortTimerDuration ?? '6.00:00:00');
    this.longTimerIntervalMs = parseTimeSpan(options.longRunningTimerIntervalDuration ?? '3.00:00:00');
    this.now = options.now ?? Date.now;
  }

  get timerSettings(): { maximumShortTimerDuration: string; longRunningTimerIntervalDuration: string } {
    return {
      maximumShortTimerDuration: this.options.maximumShortTimerDuration ?? '6.00:00:00',
      longRunningTimerIntervalDuration: this.options.longRunningTimerIntervalDuration ?? '3.00:00:00',
    };
  }

  /** Loads the store and resumes: outboxes are delivered, activities re-dispatched, timers re-armed. */
  async start(): Promise<void> {
    if (this.started) return;
    this.orchestrations.clear();
    this.entities.clear();
    for (const doc of this.options.store.loadAll()) {
      if (doc.kind === 'entity') this.entities.set(doc.instanceId, doc);
      else this.orchestrations.set(doc.instanceId, doc);
    }
    this.generation += 1;
    this.started = true;
    for (const doc of [...this.orchestrations.values(), ...this.entities.values()]) {
      if (doc.outbox.length > 0) this.flushOutbox(doc);
    }
    let redispatched = 0;
    for (const doc of this.orchestrations.values()) {
      if (isTerminal(doc.runtimeStatus)) continue;
      for (const [key, task] of Object.entries(doc.scheduled)) {
        const seq = Number(key);
        if (task.done === true || this.inboxHasCompletion(doc, seq)) continue;
        if (task.kind === 'activity') {
          this.dispatchActivity(doc, seq, task.name, task.input);
          redispatched += 1;
        } else if (task.kind === 'timer' || task.kind === 'retryTimer') {
          this.armTimer(doc, seq, task.fireAt);
        }
      }
      if (doc.inbox.length > 0) this.kick(doc.instanceId);
    }
    for (const doc of this.entities.values()) if (doc.queue.length > 0) this.kick(doc.instanceId);
    this.log(
      'information',
      `Durable engine started on ${this.options.store.description}: ${this.orchestrations.size} orchestration(s), ${this.entities.size} entit(ies), ${redispatched} activit(ies) re-dispatched.`,
    );
    await Promise.resolve();
  }

  /** Stops dispatching. In-flight work is abandoned; nothing it produces is written. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.generation += 1;
    for (const handle of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
    await Promise.allSettled([...this.draining.values()]);
  }

  /** Resolves when no episode, entity batch or activity is running and no inbox holds work. */
  async whenIdle(): Promise<void> {
    while (!this.isIdle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  // ---------------------------------------------------------------------------------------------
  // Client operations (the management API calls these)

  startNew(
    name: string,
    instanceId: string | undefined,
    input: string | null,
    version: string | null = null,
    executionId = randomUUID(),
  ): string {
    this.assertStarted();
    if (this.findFunction(name, 'orchestrationTrigger') === undefined) {
      throw new DurableApiError(
        400,
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      );
    }
    const id = instanceId !== undefined && instanceId.length > 0 ? instanceId : newGuidN();
    if (id.startsWith('@')) throw new DurableApiError(400, 'Orchestration instance ids must not start with @.');
    const existing = this.orchestrations.get(id);
    if (
      existing !== undefined &&
      ['Running', 'ContinuedAsNew', 'Pending', 'Suspended'].includes(existing.runtimeStatus)
    ) {
      throw new DurableApiError(
        409,
        `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`,
      );
    }
    if (existing !== undefined) this.cancelTimers(existing);
    const doc = this.newOrchestration({ instanceId: id, executionId, name, version, input, parent: null });
    this.warnIfLarge('orchestration input', input, name, id);
    this.save(doc);
    this.log('information', `Started orchestration ${name} (${id}).`, { functionName: name, instanceId: id });
    this.kick(id);
    return id;
  }

  raiseEvent(instanceId: string, eventName: string, data: string | null): OperationOutcome {
    const doc = this.orchestrations.get(instanceId);
    if (doc === undefined) return 'notFound';
    if (isTerminal(doc.runtimeStatus)) return 'gone';
    this.appendInbox(doc, { id: randomUUID(), event: events.eventRaised(this.iso(), eventName, data) });
    return 'accepted';
  }

  terminate(instanceId: string, reason: string | null): OperationOutcome {
    return this.control(instanceId, events.executionTerminated(this.iso(), reason));
  }

  suspend(instanceId: string, reason: string | null): OperationOutcome {
    return this.control(instanceId, events.executionSuspended(this.iso(), reason));
  }

  resume(instanceId: string, reason: string | null): OperationOutcome {
    return this.control(instanceId, events.executionResumed(this.iso(), reason));
  }

  rewind(instanceId: string): 'notFound' | 'notFailed' | 'notImplemented' {
    const doc = this.orchestrations.get(instanceId);
    if (doc === undefined) return 'notFound';
    return doc.runtimeStatus === 'Failed' ? 'notImplemented' : 'notFailed';
  }

  restart(instanceId: string, withNewInstanceId: boolean): string {
    const doc = this.orchestrations.get(instanceId);
    if (doc === undefined) throw new DurableApiError(400, 'InstanceId does not match a valid orchestration instance.');
    return this.startNew(doc.name, withNewInstanceId ? undefined : instanceId, doc.input, doc.version);
  }

  purge(instanceId: string): 'notFound' | 'notTerminal' | 'purged' {
    if (instanceId.startsWith('@')) {
      if (!this.entities.has(instanceId)) return 'notFound';
      this.entities.delete(instanceId);
      this.options.store.remove(instanceId);
      return 'purged';
    }
    const doc = this.orchestrations.get(instanceId);
    if (doc === undefined) return 'notFound';
    if (!isTerminal(doc.runtimeStatus)) return 'notTerminal';
    this.removeOrchestration(doc);
    return 'purged';
  }

  purgeBy(from: Date, to: Date, statuses: RuntimeStatus[] | undefined): number {
    let deleted = 0;
    for (const doc of [...this.orchestrations.values()]) {
      const created = Date.parse(doc.createdTime);
      if (created < from.getTime() || created > to.getTime()) continue;
      if (statuses !== undefined && statuses.length > 0 && !statuses.includes(doc.runtimeStatus)) continue;
      this.removeOrchestration(doc);
      deleted += 1;
    }
    return deleted;
  }

  getOrchestration(instanceId: string): OrchestrationDoc | undefined {
    const doc = this.orchestrations.get(instanceId);
    return doc === undefined ? undefined : structuredClone(doc);
  }

  listOrchestrations(query: InstanceQuery): { items: OrchestrationDoc[]; continuationToken: string | null } {
    const from = query.createdTimeFrom?.getTime() ?? Number.NEGATIVE_INFINITY;
    const to = query.createdTimeTo?.getTime() ?? Number.POSITIVE_INFINITY;
    const after =
      query.continuationToken === undefined
        ? undefined
        : Buffer.from(query.continuationToken, 'base64url').toString('utf8');
    // Azure Storage returns instances in PartitionKey (= instance id) order.
    const matching = [...this.orchestrations.values()]
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

  signalEntity(name: string, key: string, operation: string, input: string | null): void {
    this.assertStarted();
    const entityId = schedulerId(name, key);
    this.deliverEntityOperation(entityId, { id: randomUUID(), op: operation, input, signal: true, time: this.iso() });
  }

  readEntity(name: string, key: string): { exists: boolean; state: string | null } {
    const doc = this.entities.get(schedulerId(name, key));
    return !doc?.exists ? { exists: false, state: null } : { exists: true, state: doc.state };
  }

  listEntities(name: string | undefined): EntityDoc[] {
    return [...this.entities.values()]
      .filter((doc) => doc.exists && (name === undefined || name.length === 0 || doc.name === name.toLowerCase()))
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1))
      .map((doc) => structuredClone(doc));
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduling of instance work

  private kick(instanceId: string): void {
    if (!this.started) return;
    if (this.draining.has(instanceId)) {
      this.rerun.add(instanceId);
      return;
    }
    const run = this.drain(instanceId).finally(() => {
      this.draining.delete(instanceId);
      if (this.rerun.has(instanceId)) this.kick(instanceId);
      this.notifyIdle();
    });
    this.draining.set(instanceId, run);
  }

  private async drain(instanceId: string): Promise<void> {
    const generation = this.generation;
    await Promise.resolve();
    for (;;) {
      this.rerun.delete(instanceId);
      if (!this.started || generation !== this.generation) return;
      let progressed = false;
      try {
        const orchestration = this.orchestrations.get(instanceId);
        const entity = this.entities.get(instanceId);
        if (orchestration !== undefined) progressed = await this.runEpisode(orchestration, generation);
        else if (entity !== undefined) progressed = await this.runEntityBatch(entity, generation);
      } catch (error) {
        this.log('error', `Durable engine failed while processing ${instanceId}: ${errorMessage(error)}`, {
          instanceId,
        });
        return;
      }
      if (!progressed && !this.rerun.has(instanceId)) return;
    }
  }

  private isIdle(): boolean {
    if (this.draining.size > 0 || this.activeActivities.size > 0) return false;
    for (const doc of this.orchestrations.values())
      if (this.pickInboxItem(doc) !== undefined && !isTerminal(doc.runtimeStatus)) return false;
    for (const doc of this.entities.values()) if (doc.queue.length > 0) return false;
    return true;
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0) return;
    setImmediate(() => {
      if (!this.isIdle()) return;
      for (const waiter of this.idleWaiters.splice(0)) waiter();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Orchestration episodes

  private pickInboxItem(doc: OrchestrationDoc): InboxItem | undefined {
    const terminate = doc.inbox.find((item) => item.event.EventType === EventType.ExecutionTerminated);
    if (terminate !== undefined) return terminate;
    if (doc.runtimeStatus === 'Suspended')
      return doc.inbox.find((item) => item.event.EventType === EventType.ExecutionResumed);
    return doc.inbox[0];
  }

  private async runEpisode(doc: OrchestrationDoc, generation: number): Promise<boolean> {
    const item = this.pickInboxItem(doc);
    if (item === undefined) return false;
    const fields: LogFields = { functionName: doc.name, instanceId: doc.instanceId };
    const stale = item.executionId !== undefined && item.executionId !== doc.executionId;
    if (stale || isTerminal(doc.runtimeStatus)) {
      this.log(
        'debug',
        `Dropped ${eventName(item.event)} for ${stale ? 'an earlier execution' : `a ${doc.runtimeStatus} instance`}.`,
        fields,
      );
      this.removeInboxItem(doc, item);
      this.save(doc);
      return true;
    }
    const ts = this.episodeTime(doc);
    switch (item.event.EventType) {
      case EventType.ExecutionTerminated:
        this.terminateNow(doc, item, ts);
        return true;
      case EventType.ExecutionSuspended:
      case EventType.ExecutionResumed: {
        const suspend = item.event.EventType === EventType.ExecutionSuspended;
        this.removeInboxItem(doc, item);
        if (suspend !== (doc.runtimeStatus === 'Suspended')) {
          doc.history.push({ ...item.event, Timestamp: ts });
          doc.runtimeStatus = suspend ? 'Suspended' : 'Running';
          doc.lastUpdatedTime = ts;
          this.log('information', `Orchestration ${suspend ? 'suspended' : 'resumed'}.`, fields);
        }
        this.save(doc);
        return true;
      }
      default:
        return this.replay(doc, item, ts, generation);
    }
  }

  private async replay(doc: OrchestrationDoc, item: InboxItem, ts: string, generation: number): Promise<boolean> {
    const fields: LogFields = { functionName: doc.name, instanceId: doc.instanceId };
    const event: HistoryEvent = { ...item.event, IsPlayed: false };
    const work: EpisodeWork = {
      nextSeq: doc.nextSeq,
      actionSeqs: [...doc.actionSeqs],
      scheduled: structuredClone(doc.scheduled),
      retries: structuredClone(doc.retries),
      produced: [],
      activities: [],
      timers: [],
      outbox: [],
      inbox: [],
    };
    if (this.preProcess(doc, work, event, ts) === 'drop') {
      this.removeInboxItem(doc, item);
      this.save(doc);
      return true;
    }

    const started = events.orchestratorStarted(ts);
    let state: OrchestratorStateDto | undefined;
    let failure: string | undefined;
    let invocationId: string | undefined;
    const fn = this.findFunction(doc.name, 'orchestrationTrigger');
    if (fn === undefined) {
      failure = `The function '${doc.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    } else {
      const payload = {
        history: [...doc.history.map((e) => ({ ...e, IsPlayed: true })), started, event],
        input: parseJsonOrNull(doc.input),
        instanceId: doc.instanceId,
        isReplaying: doc.history.length > 0,
        parentInstanceId: doc.parent?.instanceId ?? null,
        upperSchemaVersion: 1,
        upperSchemaVersionNew: 2,
        longRunningTimerIntervalDuration: this.timerSettings.longRunningTimerIntervalDuration,
        maximumShortTimerDuration: this.timerSettings.maximumShortTimerDuration,
        defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
      };
      await this.orchestratorSlots.acquire();
      try {
        if (!this.started || generation !== this.generation) return false;
        const result = await this.options.invoker.invoke(fn.name, {
          trigger: { string: JSON.stringify(payload) },
          instanceId: doc.instanceId,
        });
        invocationId = result.invocationId;
        const decoded = decodeTypedData(result.returnValue);
        if (isOrchestratorState(decoded)) state = decoded;
        else failure = `The orchestrator returned an unexpected value: ${jsonText(decoded) ?? 'undefined'}`;
      } catch (error) {
        state = parseOutOfProcData(error);
        failure = state?.error ?? errorMessage(error);
      } finally {
        this.orchestratorSlots.release();
      }
    }
    // Abandoned by stop() (the inbox item stays, so the episode is replayed at the next start), or
    // the instance was purged meanwhile.
    if (!this.started || generation !== this.generation || this.orchestrations.get(doc.instanceId) !== doc)
      return false;

    let continueAsNew: OrchestratorAction | undefined;
    if (state !== undefined) {
      if (state.actions.length !== 1) {
        failure ??= `With OOProc schema V3, expected actions array to be of length 1 in outer layer but got size: ${state.actions.length}`;
      } else {
        const flat = flattenActions(state.actions[0] ?? []);
        this.scheduleActions(doc, work, flat, ts, fields);
        continueAsNew = flat.find((a) => a.actionType === ActionType.ContinueAsNew);
      }
      if (Object.prototype.hasOwnProperty.call(state, 'customStatus'))
        doc.customStatus = JSON.stringify(state.customStatus ?? null);
    }

    const wasPending = doc.runtimeStatus === 'Pending' || doc.runtimeStatus === 'ContinuedAsNew';
    let completion: HistoryEvent | undefined;
    if (failure !== undefined) {
      completion = this.failOrchestration(doc, work, failure, state?.failureDetails, ts);
    } else if (state?.isDone === true && continueAsNew !== undefined) {
      completion = events.executionCompleted(
        ts,
        OrchestrationStatus.ContinuedAsNew,
        stringifyOrNull(continueAsNew.input),
      );
    } else if (state?.isDone === true) {
      const output = stringifyOrNull(state.output);
      completion = events.executionCompleted(ts, OrchestrationStatus.Completed, output);
      doc.output = output;
      doc.runtimeStatus = 'Completed';
      this.warnIfLarge('orchestration output', output, doc.name, doc.instanceId);
      if (doc.parent !== null) {
        work.outbox.push(
          this.parentEvent(doc.parent, events.subOrchestrationCompleted(ts, doc.parent.taskScheduledId, output)),
        );
      }
    } else if (wasPending) {
      doc.runtimeStatus = 'Running';
    }

    // Commit: history, sequence state and outgoing messages in one document write.
    doc.history.push(started, event, ...work.produced);
    if (completion !== undefined) doc.history.push(completion);
    doc.history.push(events.orchestratorCompleted(ts));
    doc.nextSeq = work.nextSeq;
    doc.actionSeqs = work.actionSeqs;
    doc.scheduled = work.scheduled;
    doc.retries = work.retries;
    doc.outbox.push(...work.outbox);
    this.removeInboxItem(doc, item);
    doc.inbox.push(...work.inbox);
    doc.lastUpdatedTime = ts;
    if (continueAsNew !== undefined && failure === undefined && state?.isDone === true)
      this.continueAsNew(doc, continueAsNew, ts);
    this.save(doc);

    const outcome = failure !== undefined ? 'Failed' : doc.runtimeStatus;
    this.log(
      failure !== undefined ? 'error' : 'debug',
      `Episode ${eventName(event)} -> ${outcome}${failure !== undefined ? `: ${failure}` : ''} (${work.produced.length} new event(s)).`,
      { ...fields, invocationId },
    );

    if (isTerminal(doc.runtimeStatus)) this.cancelTimers(doc);
    if (continueAsNew === undefined || failure !== undefined) {
      for (const seq of work.activities) {
        const task = doc.scheduled[String(seq)];
        if (task?.kind === 'activity') this.dispatchActivity(doc, seq, task.name, task.input);
      }
      for (const seq of work.timers) {
        const task = doc.scheduled[String(seq)];
        if (
          task !== undefined &&
          (task.kind === 'timer' || task.kind === 'retryTimer') &&
          !isTerminal(doc.runtimeStatus)
        )
          this.armTimer(doc, seq, task.fireAt);
      }
    }
    if (doc.outbox.length > 0) this.flushOutbox(doc);
    if (doc.inbox.length > 0) this.rerun.add(doc.instanceId);
    return true;
  }

  /**
   * Host bookkeeping for the episode's event before JS sees it: duplicate detection, the lockstep
   * watchdog, and the hidden sequence numbers of retries and long timers.
   */
  private preProcess(doc: OrchestrationDoc, work: EpisodeWork, event: HistoryEvent, ts: string): 'deliver' | 'drop' {
    const fields: LogFields = { functionName: doc.name, instanceId: doc.instanceId };
    if (event.EventType === EventType.EventRaised) {
      const call = Object.values(work.scheduled).find(
        (task) => task.kind === 'entityCall' && task.requestId === event.Name,
      );
      if (call !== undefined) {
        if (call.done === true) return 'drop';
        call.done = true;
      }
      return 'deliver';
    }
    const key = completionKey(event);
    if (key === undefined) return 'deliver';
    const task = work.scheduled[String(key)];
    const expected: Record<number, ScheduledTask['kind'][]> = {
      [EventType.TaskCompleted]: ['activity', 'unsupported'],
      [EventType.TaskFailed]: ['activity', 'unsupported'],
      [EventType.SubOrchestrationInstanceCompleted]: ['subOrchestration'],
      [EventType.SubOrchestrationInstanceFailed]: ['subOrchestration'],
      [EventType.TimerFired]: ['timer', 'retryTimer'],
    };
    if (task === undefined || !(expected[event.EventType] ?? []).includes(task.kind)) {
      // Lockstep watchdog: JS will park this completion in deferredTasks and the waiting task hangs.
      this.log(
        'error',
        `Lockstep watchdog: ${eventName(event)} for TaskScheduledId ${key} matches no scheduled ${(expected[event.EventType] ?? []).join('/')} task ` +
          `(scheduled: ${task === undefined ? 'nothing' : task.kind}). The orchestration will likely hang.`,
        fields,
      );
      return 'deliver';
    }
    if (task.done === true) {
      this.log('warning', `Dropped a duplicate ${eventName(event)} for TaskScheduledId ${key}.`, fields);
      return 'drop';
    }
    task.done = true;
    const failed =
      event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed;
    if (failed && (task.kind === 'activity' || task.kind === 'subOrchestration') && task.retryRoot !== undefined) {
      this.retryAfterFailure(doc, work, task.retryRoot, ts, event.FailureDetails as FailureDetailsDto | undefined);
    } else if (event.EventType === EventType.TimerFired && task.kind === 'retryTimer' && !task.final) {
      this.retryAgain(doc, work, task.retryRoot, ts);
    } else if (
      event.EventType === EventType.TimerFired &&
      task.kind === 'timer' &&
      task.longFinal !== undefined &&
      task.canceled !== true
    ) {
      this.continueLongTimer(work, task.longFinal, ts);
    }
    return 'deliver';
  }

  private scheduleActions(
    doc: OrchestrationDoc,
    work: EpisodeWork,
    flat: OrchestratorAction[],
    ts: string,
    fields: LogFields,
  ): void {
    const consuming = flat.filter(consumesSequence);
    for (const [index, action] of consuming.entries()) {
      const known = work.actionSeqs[index];
      if (known !== undefined) {
        // Already scheduled in an earlier episode. A cancelled timer still fires, as in DTFx (its
        // TimerFired is ignored by the SDK); the extension only stops extending a long timer.
        const task = work.scheduled[String(known)];
        if (action.actionType === ActionType.CreateTimer && action.isCanceled === true && task?.kind === 'timer')
          task.canceled = true;
        continue;
      }
      const seq = work.nextSeq++;
      work.actionSeqs.push(seq);
      this.scheduleAction(doc, work, action, seq, ts);
    }
    if (consuming.length < work.actionSeqs.length) {
      this.log(
        'error',
        `Lockstep watchdog: the orchestrator produced ${consuming.length} scheduling action(s) where an earlier episode produced ${work.actionSeqs.length}; ` +
          'the orchestrator is not deterministic.',
        fields,
      );
    }
  }

  private scheduleAction(
    doc: OrchestrationDoc,
    work: EpisodeWork,
    action: OrchestratorAction,
    seq: number,
    ts: string,
  ): void {
    switch (action.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry: {
        const name = action.functionName ?? '';
        this.scheduleActivity(doc, work, seq, name, action.input, ts);
        if (action.actionType === ActionType.CallActivityWithRetry && action.retryOptions !== undefined) {
          const task = work.scheduled[String(seq)] as ScheduledTask & { kind: 'activity' };
          task.retryRoot = seq;
          work.retries[String(seq)] = {
            kind: 'activity',
            name,
            input: action.input,
            options: action.retryOptions,
            attempt: 1,
            firstAttempt: ts,
          };
        }
        return;
      }
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const name = action.functionName ?? '';
        const explicitId =
          action.instanceId !== undefined && action.instanceId.length > 0 ? action.instanceId : undefined;
        this.scheduleSubOrchestration(doc, work, seq, name, explicitId, action.version ?? null, action.input, ts);
        if (action.actionType === ActionType.CallSubOrchestratorWithRetry && action.retryOptions !== undefined) {
          const task = work.scheduled[String(seq)] as ScheduledTask & { kind: 'subOrchestration' };
          task.retryRoot = seq;
          work.retries[String(seq)] = {
            kind: 'subOrchestration',
            name,
            input: action.input,
            instanceId: explicitId,
            version: action.version,
            options: action.retryOptions,
            attempt: 1,
            firstAttempt: ts,
          };
        }
        return;
      }
      case ActionType.CreateTimer: {
        const finalAt = Date.parse(action.fireAt ?? ts);
        const now = Date.parse(ts);
        // The extension (and the SDK, schema V3) split timers beyond maximumShortTimerDuration.
        const long = finalAt - now > this.maxShortTimerMs;
        const fireAt = isoNow(long ? now + this.longTimerIntervalMs : finalAt);
        work.scheduled[String(seq)] = long
          ? { kind: 'timer', fireAt, longFinal: isoNow(finalAt) }
          : { kind: 'timer', fireAt };
        work.produced.push(events.timerCreated(ts, seq, fireAt));
        work.timers.push(seq);
        return;
      }
      case ActionType.CallEntity:
      case ActionType.SignalEntity: {
        const signal = action.actionType === ActionType.SignalEntity;
        const target = action.instanceId ?? '';
        const request: EntityRequest = {
          id: signal ? randomUUID() : deterministicGuid(`${doc.instanceId}|${doc.executionId}|${seq}`),
          op: action.operation ?? '',
          input: stringifyOrNull(action.input),
          signal,
          parentInstanceId: doc.instanceId,
          parentExecutionId: doc.executionId,
          time: ts,
        };
        work.produced.push(events.eventSent(ts, seq, target, 'op', requestMessageJson(request)));
        work.scheduled[String(seq)] = signal
          ? { kind: 'signal', target, done: true }
          : { kind: 'entityCall', target, requestId: request.id };
        work.outbox.push({ kind: 'entityOperation', id: randomUUID(), entityId: target, request });
        return;
      }
      default: {
        // callHttp (and V4 lock actions, which we never advertise) are not emulated: fail the task so
        // the orchestration sees an error instead of hanging.
        const name =
          action.actionType === ActionType.CallHttp ? 'BuiltIn::HttpActivity' : `ActionType${action.actionType}`;
        work.produced.push(events.taskScheduled(ts, seq, name, '[]'));
        work.scheduled[String(seq)] = { kind: 'unsupported', actionType: action.actionType };
        const reason = `Action type ${action.actionType} (${name}) is not supported by the local durable host.`;
        work.inbox.push({
          id: randomUUID(),
          executionId: doc.executionId,
          event: events.taskFailed(ts, seq, reason, reason),
        });
        this.log('error', reason, { functionName: doc.name, instanceId: doc.instanceId });
      }
    }
  }

  private scheduleActivity(
    doc: OrchestrationDoc,
    work: EpisodeWork,
    seq: number,
    name: string,
    input: unknown,
    ts: string,
  ): void {
    const serialized = stringifyOrNull(input);
    work.produced.push(events.taskScheduled(ts, seq, name, `[${serialized ?? 'null'}]`));
    work.scheduled[String(seq)] = { kind: 'activity', name, input };
    work.activities.push(seq);
    this.warnIfLarge(`input of activity ${name}`, serialized, doc.name, doc.instanceId);
  }

  private scheduleSubOrchestration(
    doc: OrchestrationDoc,
    work: EpisodeWork,
    seq: number,
    name: string,
    explicitId: string | undefined,
    version: string | null,
    input: unknown,
    ts: string,
  ): void {
    // DTFx names unnamed sub-orchestrations `<parent executionId>:<sequence number>`.
    const childId = explicitId ?? `${doc.executionId}:${seq}`;
    const serialized = stringifyOrNull(input);
    work.produced.push(events.subOrchestrationCreated(ts, seq, name, childId, serialized));
    work.scheduled[String(seq)] = { kind: 'subOrchestration', name, childId };
    const parent: ParentLink = {
      instanceId: doc.instanceId,
      executionId: doc.executionId,
      taskScheduledId: seq,
      name: doc.name,
    };
    if (childId === doc.instanceId || childId === doc.parent?.instanceId || childId.startsWith('@')) {
      const reason =
        'The instance ID of a sub-orchestration must be different than the instance ID of a parent orchestration and must not start with @.';
      work.inbox.push({
        id: randomUUID(),
        executionId: doc.executionId,
        event: events.subOrchestrationFailed(ts, seq, reason, reason),
      });
      return;
    }
    this.warnIfLarge(`input of sub-orchestration ${name}`, serialized, doc.name, doc.instanceId);
    work.outbox.push({
      kind: 'startOrchestration',
      id: randomUUID(),
      instanceId: childId,
      name,
      version,
      input: serialized,
      parent,
    });
  }

  /** DTFx RetryInterceptor: a timer after every failed attempt; after the last, a dummy timer due now. */
  private retryAfterFailure(
    doc: OrchestrationDoc,
    work: EpisodeWork,
    root: number,
    ts: string,
    failureDetails: FailureDetailsDto | undefined,
  ): void {
    const retry = work.retries[String(root)];
    if (retry === undefined) return;
    const fields: LogFields = { functionName: doc.name, instanceId: doc.instanceId };
    const options = retry.options;
    const last = retry.attempt >= options.maxNumberOfAttempts;
    let fireAt: number;
    if (last) {
      fireAt = Date.parse(ts);
    } else {
      const now = Date.parse(ts);
      const expired =
        options.retryTimeoutInMilliseconds !== undefined &&
        now >= Date.parse(retry.firstAttempt) + options.retryTimeoutInMilliseconds;
      if (failureDetails?.IsNonRetriable === true || expired) {
        // DTFx gives up without a timer while the JS SDK still waits for one: upstream, this hangs.
        this.log(
          'warning',
          `Retry of ${retry.name} stops (${expired ? 'retry timeout expired' : 'non-retriable failure'}); like the real extension, no retry timer is created and the JS SDK keeps waiting for one.`,
          fields,
        );
        return;
      }
      const delay =
        options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, retry.attempt - 1);
      const max = options.maxRetryIntervalInMilliseconds ?? DEFAULT_MAX_RETRY_INTERVAL_MS;
      fireAt = now + (delay < max ? delay : max);
    }
    const seq = work.nextSeq++;
    const fireAtIso = isoNow(fireAt);
    work.scheduled[String(seq)] = { kind: 'retryTimer', fireAt: fireAtIso, retryRoot: root, final: last };
    work.produced.push(events.timerCreated(ts, seq, fireAtIso));
    work.timers.push(seq);
  }

  private retryAgain(doc: OrchestrationDoc, work: EpisodeWork, root: number, ts: string): void {
    const retry = work.retries[String(root)];
    if (retry === undefined) return;
    retry.attempt += 1;
    const seq = work.nextSeq++;
    if (retry.kind === 'activity') {
      this.scheduleActivity(doc, work, seq, retry.name, retry.input, ts);
    } else {
      this.scheduleSubOrchestration(
        doc,
        work,
        seq,
        retry.name,
        retry.instanceId,
        retry.version ?? null,
        retry.input,
        ts,
      );
    }
    const task = work.scheduled[String(seq)] as ScheduledTask & { retryRoot?: number };
    task.retryRoot = root;
  }

  /** The extension's CreateTimer loop for long timers: next interval, or the final time if closer. */
  private continueLongTimer(work: EpisodeWork, longFinal: string, ts: string): void {
    const finalAt = Date.parse(longFinal);
    const now = Date.parse(ts);
    const remaining = finalAt - now;
    if (remaining <= 0) return;
    const next = remaining < this.longTimerIntervalMs ? finalAt : now + this.longTimerIntervalMs;
    const seq = work.nextSeq++;
    const fireAt = isoNow(next);
    work.scheduled[String(seq)] = { kind: 'timer', fireAt, longFinal };
    work.produced.push(events.timerCreated(ts, seq, fireAt));
    work.timers.push(seq);
  }

  private failOrchestration(
    doc: OrchestrationDoc,
    work: EpisodeWork,
    error: string,
    failureDetails: FailureDetailsDto | undefined,
    ts: string,
  ): HistoryEvent {
    const reason = `Orchestrator function '${doc.name}' failed: ${error}`;
    const details = `Message: ${error}, StackTrace: `;
    doc.runtimeStatus = 'Failed';
    doc.output = reason;
    if (failureDetails !== undefined) doc.failureDetails = failureDetails;
    if (doc.parent !== null) {
      work.outbox.push(
        this.parentEvent(
          doc.parent,
          events.subOrchestrationFailed(ts, doc.parent.taskScheduledId, reason, details, failureDetails),
        ),
      );
    }
    return events.executionCompleted(ts, OrchestrationStatus.Failed, reason, failureDetails);
  }

  private continueAsNew(doc: OrchestrationDoc, action: OrchestratorAction, ts: string): void {
    const previous = doc.executionId;
    // The action input went through processInput (strings JSON-encoded once); the extension
    // serializes it again, so string inputs arrive double-encoded, as upstream.
    const input = stringifyOrNull(action.input);
    doc.executionId = newGuidN();
    doc.history = [];
    doc.nextSeq = 0;
    doc.actionSeqs = [];
    doc.scheduled = {};
    doc.retries = {};
    doc.input = input;
    doc.output = null;
    doc.createdTime = ts;
    doc.runtimeStatus = 'ContinuedAsNew';
    // Events raised but not yet delivered carry over; completions of the old execution do not.
    doc.inbox = doc.inbox.filter((item) => item.executionId === undefined || item.executionId !== previous);
    doc.inbox.unshift({
      id: randomUUID(),
      executionId: doc.executionId,
      event: events.executionStarted(ts, {
        name: doc.name,
        version: doc.version,
        input,
        instanceId: doc.instanceId,
        executionId: doc.executionId,
        parent: parentDto(doc.parent),
      }),
    });
    this.warnIfLarge('orchestration input (continueAsNew)', input, doc.name, doc.instanceId);
    this.cancelTimersByPrefix(`${doc.instanceId}|${previous}|`);
  }

  private terminateNow(doc: OrchestrationDoc, item: InboxItem, ts: string): void {
    const reason = typeof item.event.Input === 'string' ? item.event.Input : null;
    doc.history.push(
      events.orchestratorStarted(ts),
      { ...item.event, IsPlayed: false },
      events.executionCompleted(ts, OrchestrationStatus.Terminated, reason),
      events.orchestratorCompleted(ts),
    );
    doc.runtimeStatus = 'Terminated';
    doc.output = reason;
    doc.inbox = [];
    doc.lastUpdatedTime = ts;
    if (doc.parent !== null)
      doc.outbox.push(
        this.parentEvent(doc.parent, events.subOrchestrationFailed(ts, doc.parent.taskScheduledId, reason ?? '', '')),
      );
    this.save(doc);
    this.cancelTimers(doc);
    this.log('information', `Orchestration terminated${reason === null ? '' : `: ${reason}`}.`, {
      functionName: doc.name,
      instanceId: doc.instanceId,
    });
    if (doc.outbox.length > 0) this.flushOutbox(doc);
  }

  // ---------------------------------------------------------------------------------------------
  // Activities and timers

  private dispatchActivity(doc: OrchestrationDoc, seq: number, name: string, input: unknown): void {
    const key = `${this.generation}|${doc.instanceId}|${doc.executionId}|${seq}`;
    if (this.activeActivities.has(key) || !this.started) return;
    this.activeActivities.add(key);
    void this.runActivity(key, doc.instanceId, doc.executionId, doc.name, seq, name, input);
  }

  private async runActivity(
    key: string,
    instanceId: string,
    executionId: string,
    orchestrator: string,
    seq: number,
    name: string,
    input: unknown,
  ): Promise<void> {
    const generation = this.generation;
    let event: HistoryEvent | undefined;
    await this.activitySlots.acquire();
    try {
      if (!this.started || generation !== this.generation) return;
      const fn = this.findFunction(name, 'activityTrigger');
      if (fn === undefined) {
        const reason = `The function '${name}' doesn't exist, is disabled, or is not an activity function.`;
        event = events.taskFailed(this.iso(), seq, reason, reason);
        this.log('error', reason, { functionName: orchestrator, instanceId });
      } else {
        event = await this.invokeActivity(fn, instanceId, seq, input);
      }
    } finally {
      this.activitySlots.release();
      this.activeActivities.delete(key);
      if (event !== undefined && this.started && generation === this.generation) {
        const doc = this.orchestrations.get(instanceId);
        if (doc !== undefined) this.deliverToInbox(doc, executionId, event);
      }
      this.notifyIdle();
    }
  }

  private async invokeActivity(
    fn: RegisteredFunction,
    instanceId: string,
    seq: number,
    input: unknown,
  ): Promise<HistoryEvent> {
    let invocationId: string | undefined;
    try {
      const result = await this.options.invoker.invoke(fn.name, { trigger: activityTriggerData(input), instanceId });
      invocationId = result.invocationId;
      const value = decodeActivityReturn(result.returnValue);
      const serialized = JSON.stringify(value === undefined ? null : value);
      this.warnIfLarge(`output of activity ${fn.name}`, serialized, fn.name, instanceId, invocationId);
      this.log('debug', `Activity ${fn.name} completed (TaskScheduledId ${seq}).`, {
        functionName: fn.name,
        instanceId,
        invocationId,
      });
      return events.taskCompleted(this.iso(), seq, serialized);
    } catch (error) {
      const failure = activityFailure(fn.name, error);
      this.log('warning', `Activity ${fn.name} failed (TaskScheduledId ${seq}): ${failure.reason}`, {
        functionName: fn.name,
        instanceId,
        invocationId,
      });
      return events.taskFailed(this.iso(), seq, failure.reason, failure.details, failure.failureDetails);
    }
  }

  private armTimer(doc: OrchestrationDoc, seq: number, fireAt: string): void {
    const key = `${doc.instanceId}|${doc.executionId}|${seq}`;
    if (this.timers.has(key) || !this.started) return;
    const { instanceId, executionId } = doc;
    const arm = (): void => {
      const delay = Date.parse(fireAt) - this.now();
      const handle = setTimeout(
        () => {
          if (Date.parse(fireAt) - this.now() > 0) {
            arm();
            return;
          }
          this.timers.delete(key);
          const target = this.orchestrations.get(instanceId);
          if (target !== undefined && this.started)
            this.deliverToInbox(target, executionId, events.timerFired(this.iso(), seq, fireAt));
        },
        Math.max(0, Math.min(delay, 2_147_483_647)),
      );
      this.timers.set(key, handle);
    };
    arm();
  }

  private cancelTimers(doc: OrchestrationDoc): void {
    this.cancelTimersByPrefix(`${doc.instanceId}|`);
  }

  private cancelTimersByPrefix(prefix: string): void {
    for (const [key, handle] of this.timers) {
      if (key.startsWith(prefix)) {
        clearTimeout(handle);
        this.timers.delete(key);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Entities

  private async runEntityBatch(doc: EntityDoc, generation: number): Promise<boolean> {
    if (doc.queue.length === 0) return false;
    const batch = doc.queue.slice(0, this.options.maxEntityOperationBatchSize ?? 50);
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
    const fn = this.findFunction(doc.name, 'entityTrigger');
    if (fn === undefined) {
      failure = `The function '${doc.name}' doesn't exist, is disabled, or is not an entity function.`;
    } else {
      await this.entitySlots.acquire();
      try {
        if (!this.started || generation !== this.generation) return false;
        const response = await this.options.invoker.invoke(fn.name, {
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
        this.entitySlots.release();
      }
    }
    if (!this.started || generation !== this.generation) return false;
    const ts = this.iso();
    if (failure !== undefined)
      this.log('error', `Entity batch of ${batch.length} operation(s) failed: ${failure}`, { ...fields, invocationId });
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
      this.warnIfLarge('entity state', doc.state, doc.name, doc.instanceId, invocationId);
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
    this.save(doc);
    this.log('debug', `Entity batch of ${batch.length} operation(s) done.`, { ...fields, invocationId });
    if (doc.outbox.length > 0) this.flushOutbox(doc);
    return true;
  }

  private deliverEntityOperation(entityId: string, request: EntityRequest): void {
    let doc = this.entities.get(entityId);
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
        createdTime: this.iso(),
        lastOperationTime: null,
      };
      this.entities.set(entityId, doc);
    }
    if (doc.recentRequestIds.includes(request.id) || doc.queue.some((queued) => queued.id === request.id)) return;
    doc.queue.push(request);
    this.save(doc);
    this.kick(entityId);
  }

  // ---------------------------------------------------------------------------------------------
  // Messaging between instances

  private flushOutbox(doc: OrchestrationDoc | EntityDoc): void {
    for (let message = doc.outbox[0]; message !== undefined; message = doc.outbox[0]) {
      try {
        this.deliver(message);
      } catch (error) {
        this.log(
          'error',
          `Could not deliver a ${message.kind} message from ${doc.instanceId}: ${errorMessage(error)}`,
          { instanceId: doc.instanceId },
        );
        break;
      }
      doc.outbox.shift();
    }
    this.save(doc);
  }

  /** Idempotent: a message redelivered after a crash finds its effect already in place. */
  private deliver(message: OutboxMessage): void {
    switch (message.kind) {
      case 'entityOperation':
        this.deliverEntityOperation(message.entityId, message.request);
        return;
      case 'orchestrationEvent': {
        const target = this.orchestrations.get(message.instanceId);
        if (target === undefined) {
          this.log('warning', `Dropped ${eventName(message.event)} for unknown instance ${message.instanceId}.`, {
            instanceId: message.instanceId,
          });
          return;
        }
        if (target.inbox.some((item) => item.id === message.id)) return;
        this.deliverToInbox(target, message.executionId, message.event, message.id);
        return;
      }
      case 'startOrchestration': {
        const existing = this.orchestrations.get(message.instanceId);
        const parent = message.parent;
        if (
          existing?.parent?.instanceId === parent.instanceId &&
          existing.parent.executionId === parent.executionId &&
          existing.parent.taskScheduledId === parent.taskScheduledId
        ) {
          return;
        }
        const parentDoc = this.orchestrations.get(parent.instanceId);
        if (existing !== undefined && !isTerminal(existing.runtimeStatus)) {
          const reason = `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`;
          if (parentDoc !== undefined)
            this.deliverToInbox(
              parentDoc,
              parent.executionId,
              events.subOrchestrationFailed(this.iso(), parent.taskScheduledId, reason, reason),
            );
          return;
        }
        if (this.findFunction(message.name, 'orchestrationTrigger') === undefined) {
          const reason = `The function '${message.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
          if (parentDoc !== undefined)
            this.deliverToInbox(
              parentDoc,
              parent.executionId,
              events.subOrchestrationFailed(this.iso(), parent.taskScheduledId, reason, reason),
            );
          return;
        }
        if (existing !== undefined) this.cancelTimers(existing);
        const child = this.newOrchestration({
          instanceId: message.instanceId,
          executionId: newGuidN(),
          name: message.name,
          version: message.version,
          input: message.input,
          parent,
        });
        this.save(child);
        this.kick(child.instanceId);
      }
    }
  }

  private deliverToInbox(
    doc: OrchestrationDoc,
    executionId: string | undefined,
    event: HistoryEvent,
    id: string = randomUUID(),
  ): void {
    if (executionId !== undefined && executionId !== doc.executionId) return;
    if (isTerminal(doc.runtimeStatus)) return;
    const key = completionKey(event);
    if (key !== undefined && this.inboxHasCompletion(doc, key, event.EventType)) return;
    this.appendInbox(doc, { id, ...(executionId === undefined ? {} : { executionId }), event });
  }

  private appendInbox(doc: OrchestrationDoc, item: InboxItem): void {
    doc.inbox.push(item);
    this.save(doc);
    this.kick(doc.instanceId);
  }

  private control(instanceId: string, event: HistoryEvent): OperationOutcome {
    const doc = this.orchestrations.get(instanceId);
    if (doc === undefined) return 'notFound';
    if (isTerminal(doc.runtimeStatus)) return 'gone';
    this.appendInbox(doc, { id: randomUUID(), event });
    return 'accepted';
  }

  private parentEvent(parent: ParentLink, event: HistoryEvent): OutboxMessage {
    return {
      kind: 'orchestrationEvent',
      id: randomUUID(),
      instanceId: parent.instanceId,
      executionId: parent.executionId,
      event,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private newOrchestration(fields: {
    instanceId: string;
    executionId: string;
    name: string;
    version: string | null;
    input: string | null;
    parent: ParentLink | null;
  }): OrchestrationDoc {
    const ts = this.iso();
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
    this.orchestrations.set(doc.instanceId, doc);
    return doc;
  }

  private removeOrchestration(doc: OrchestrationDoc): void {
    this.cancelTimers(doc);
    this.orchestrations.delete(doc.instanceId);
    this.options.store.remove(doc.instanceId);
  }

  private removeInboxItem(doc: OrchestrationDoc, item: InboxItem): void {
    const index = doc.inbox.indexOf(item);
    if (index >= 0) doc.inbox.splice(index, 1);
  }

  private inboxHasCompletion(doc: OrchestrationDoc, seq: number, type?: number): boolean {
    return doc.inbox.some(
      (item) =>
        completionKey(item.event) === seq &&
        (type === undefined || item.event.EventType === type) &&
        (item.executionId === undefined || item.executionId === doc.executionId),
    );
  }

  /** Episode timestamps never go backwards: they drive the SDK's currentUtcDateTime. */
  private episodeTime(doc: OrchestrationDoc): string {
    let last = 0;
    for (let i = doc.history.length - 1; i >= 0; i--) {
      const event = doc.history[i];
      if (event?.EventType === EventType.OrchestratorStarted) {
        last = Date.parse(event.Timestamp);
        break;
      }
    }
    return isoNow(Math.max(this.now(), last));
  }

  private findFunction(name: string, triggerType: string): RegisteredFunction | undefined {
    try {
      const fn = this.options.invoker.get(name);
      return fn.trigger.type === triggerType ? fn : undefined;
    } catch {
      return undefined;
    }
  }

  private save(doc: OrchestrationDoc | EntityDoc): void {
    this.options.store.save(doc);
  }

  private iso(): string {
    return isoNow(this.now());
  }

  private assertStarted(): void {
    if (!this.started) throw new DurableApiError(503, 'The durable engine is not running.');
  }

  private warnIfLarge(
    what: string,
    text: string | null,
    functionName: string,
    instanceId: string,
    invocationId?: string,
  ): void {
    const bytes = utf8Length(text);
    if (bytes <= LARGE_PAYLOAD_BYTES) return;
    this.log(
      'warning',
      `Large payload: ${what} is ${(bytes / 1024).toFixed(1)} KB, over the 45 KB Azure Storage queue message limit; ` +
        'production offloads it to the <hub>-largemessages blob container (extra I/O, larger histories). Pass a reference instead.',
      { functionName, instanceId, invocationId },
    );
  }

  private log(level: LogLevel, message: string, fields: LogFields = {}): void {
    this.options.logger(level, `[durable] ${message}`, fields);
  }
}

export function schedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

function parentDto(parent: ParentLink | null): import('./history').ParentInstanceDto | null {
  if (parent === null) return null;
  return {
    Name: parent.name,
    Version: '',
    TaskScheduleId: parent.taskScheduledId,
    OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: parent.executionId },
  };
}

function eventName(event: HistoryEvent): string {
  const names: Record<number, string> = Object.fromEntries(
    Object.entries(EventType).map(([name, value]) => [value, name]),
  );
  return names[event.EventType] ?? `EventType${event.EventType}`;
}

function stringifyOrNull(value: unknown): string | null {
  if (value === undefined) return null;
  return jsonText(value) ?? null;
}

function parseJsonOrNull(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function requestMessageJson(request: EntityRequest): string {
  return JSON.stringify({
    id: request.id,
    op: request.op,
    signal: request.signal,
    ...(request.input === null ? {} : { input: request.input }),
    parent: request.parentInstanceId,
    parentExecution: request.parentExecutionId,
  });
}

/** How the extension hands an activity its input: JSON text as {string}, other values as {json}. */
function activityTriggerData(input: unknown): RpcTypedData {
  if (input === undefined) return {};
  if (typeof input === 'string') return { string: input };
  return { json: JSON.stringify(input) };
}

/** An activity's return value as the host sees it: a returned string stays a string. */
function decodeActivityReturn(data: RpcTypedData | null | undefined): unknown {
  if (data === null || data === undefined) return undefined;
  if (data.string !== undefined) return data.string;
  if (data.json !== undefined) return JSON.parse(data.json) as unknown;
  if (data.int !== undefined) return data.int;
  if (data.double !== undefined) return data.double;
  if (data.bytes !== undefined) return Buffer.from(data.bytes).toString('base64');
  return undefined;
}

/**
 * TaskFailed as TaskActivityShim writes it: Reason `Activity function '<name>' failed: <message>` and
 * Details the serialized exception. With `df.setExceptionPropertiesProvider`, durable-functions 3.5
 * puts a FailureDetails JSON in the message; a newer extension lifts it into `FailureDetails`, which
 * the orchestrator then surfaces as a TaskFailedError.
 */
function activityFailure(
  name: string,
  error: unknown,
): { reason: string; details: string; failureDetails?: FailureDetailsDto } {
  const message = errorMessage(error);
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const typeName = error instanceof Error ? error.name : typeof error;
  let failureDetails: FailureDetailsDto | undefined;
  try {
    const parsed: unknown = JSON.parse(message);
    if (isRecord(parsed) && typeof parsed.errorType === 'string' && typeof parsed.errorMessage === 'string') {
      failureDetails = {
        ErrorType: parsed.errorType,
        ErrorMessage: parsed.errorMessage,
        ...(typeof parsed.stackTrace === 'string' ? { StackTrace: parsed.stackTrace } : {}),
        IsNonRetriable: parsed.isNonRetriable === true,
        ...(typeof parsed.properties === 'object' && parsed.properties !== null
          ? { Properties: parsed.properties as Record<string, unknown> }
          : {}),
      };
    }
  } catch {
    // not a FailureDetails payload
  }
  const shown = failureDetails === undefined ? message : `${failureDetails.ErrorType}: ${failureDetails.ErrorMessage}`;
  const details = JSON.stringify({
    $type: 'Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException, Microsoft.Azure.WebJobs.Script',
    Message: `Result: Failure\nException: ${shown}\nStack: ${stack}`,
    RemoteMessage: shown,
    RemoteStackTrace: stack,
    RemoteTypeName: typeName,
  });
  return {
    reason: `Activity function '${name}' failed: ${shown}`,
    details,
    ...(failureDetails === undefined ? {} : { failureDetails }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
