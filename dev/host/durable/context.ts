/**
 * The state every part of the engine shares, passed explicitly to each of them: the instance
 * documents, the in-flight work, the concurrency limits, and the host services (store, invoker,
 * logger, clock) they all use.
 */
import type { RegisteredFunction } from '../core-shim';
import type { DurableSettings } from '../contracts';
import type { HostLogger, Invoker, LogFields, LogLevel } from '../invoker';
import type { EntityDoc, OrchestrationDoc } from './model';
import type { DurableStore } from './store';
import { isoNow, parseTimeSpan, Semaphore, utf8Length } from './util';

/** Azure Storage moves queue messages over 45 KB to blobs (MessageManager.MaxStorageQueuePayloadSizeInBytes). */
export const LARGE_PAYLOAD_BYTES = 45 * 1024;

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

/** One step of an instance's drain loop (an episode or an entity batch): whether it progressed. */
export type InstanceStep = (instanceId: string, generation: number) => Promise<boolean>;

export class EngineContext {
  readonly orchestrations = new Map<string, OrchestrationDoc>();
  readonly entities = new Map<string, EntityDoc>();
  /** Instances with a drain loop running (at most one episode or entity batch in flight each). */
  readonly draining = new Map<string, Promise<void>>();
  readonly rerun = new Set<string>();
  readonly activeActivities = new Set<string>();
  readonly timers = new Map<string, NodeJS.Timeout>();
  readonly orchestratorSlots: Semaphore;
  readonly activitySlots: Semaphore;
  readonly entitySlots: Semaphore;
  readonly maxShortTimerMs: number;
  readonly longTimerIntervalMs: number;
  readonly now: () => number;
  started = false;
  /** Bumped by start/stop, so work begun under an older generation never writes. */
  generation = 0;
  readonly idleWaiters: (() => void)[] = [];

  /** `step` is supplied by the engine, which knows both kinds of instance, so this file needs neither. */
  constructor(
    readonly options: EngineOptions,
    readonly step: InstanceStep,
  ) {
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

  findFunction(name: string, triggerType: string): RegisteredFunction | undefined {
    try {
      const fn = this.options.invoker.get(name);
      return fn.trigger.type === triggerType ? fn : undefined;
    } catch {
      return undefined;
    }
  }

  save(doc: OrchestrationDoc | EntityDoc): void {
    this.options.store.save(doc);
  }

  iso(): string {
    return isoNow(this.now());
  }

  warnIfLarge(
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

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    this.options.logger(level, `[durable] ${message}`, fields);
  }
}
