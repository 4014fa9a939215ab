/**
 * What the durable engine persists. One document per instance (orchestration or entity), always
 * written whole, so a crash leaves either the previous or the next version of a document on disk.
 * Cross-instance effects (start a child, complete a parent, send an entity operation) travel through
 * the sender's `outbox`: the sender is persisted with the message first, the message is then
 * delivered (idempotently) to its target, and only then removed from the outbox.
 */
import type { FailureDetailsDto, HistoryEvent, RuntimeStatus } from './history';

export interface ParentLink {
  instanceId: string;
  executionId: string;
  /** The parent's sequence number for the SubOrchestrationInstanceCreated event. */
  taskScheduledId: number;
  name: string;
}

/** A message waiting to be delivered to an orchestration as exactly one new event of one episode. */
export interface InboxItem {
  id: string;
  /** When set, the item belongs to that execution only (dropped after ContinueAsNew). */
  executionId?: string;
  event: HistoryEvent;
}

/** The retry options the JS SDK sends with CallActivityWithRetry / CallSubOrchestratorWithRetry. */
export interface RetryOptionsDto {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface RetryState {
  kind: 'activity' | 'subOrchestration';
  name: string;
  input: unknown;
  /** Explicit sub-orchestration instance id, reused by every attempt. */
  instanceId?: string;
  version?: string;
  options: RetryOptionsDto;
  /** 1-based number of the attempt currently scheduled or last failed. */
  attempt: number;
  /** Orchestration time when the first attempt was scheduled (RetryInterceptor's `firstAttempt`). */
  firstAttempt: string;
}

/** Everything that consumed a sequence number in the current execution, keyed by that number. */
export type ScheduledTask = { done?: boolean } & (
  | { kind: 'activity'; name: string; input: unknown; retryRoot?: number }
  | { kind: 'subOrchestration'; name: string; childId: string; retryRoot?: number }
  | { kind: 'timer'; fireAt: string; longFinal?: string; canceled?: boolean }
  | { kind: 'retryTimer'; fireAt: string; retryRoot: number; final: boolean }
  | { kind: 'entityCall'; target: string; requestId: string }
  | { kind: 'signal'; target: string }
  | { kind: 'unsupported'; actionType: number }
);

export interface EntityRequest {
  id: string;
  op: string;
  /** JSON text of the operation input, or null. */
  input: string | null;
  signal: boolean;
  parentInstanceId?: string;
  parentExecutionId?: string;
  time: string;
}

export type OutboxMessage =
  | {
      kind: 'startOrchestration';
      id: string;
      instanceId: string;
      name: string;
      version: string | null;
      input: string | null;
      parent: ParentLink;
    }
  | { kind: 'orchestrationEvent'; id: string; instanceId: string; executionId?: string; event: HistoryEvent }
  | { kind: 'entityOperation'; id: string; entityId: string; request: EntityRequest };

export interface OrchestrationDoc {
  kind: 'orchestration';
  instanceId: string;
  executionId: string;
  name: string;
  version: string | null;
  runtimeStatus: RuntimeStatus;
  /** JSON text (ExecutionStarted.Input), output and custom status as the extension stores them. */
  input: string | null;
  output: string | null;
  customStatus: string | null;
  failureDetails?: FailureDetailsDto;
  createdTime: string;
  lastUpdatedTime: string;
  parent: ParentLink | null;
  /** History of the current execution, including the persisted OrchestratorStarted timestamps. */
  history: HistoryEvent[];
  inbox: InboxItem[];
  /** Next DTFx sequence number (what TaskScheduled/TimerCreated/... EventIds are drawn from). */
  nextSeq: number;
  /** Sequence number given to each id-consuming action, by its index in the flattened action list. */
  actionSeqs: number[];
  scheduled: Record<string, ScheduledTask>;
  retries: Record<string, RetryState>;
  outbox: OutboxMessage[];
}

export interface EntityDoc {
  kind: 'entity';
  /** Scheduler id `@<name lowercased>@<key>`. */
  instanceId: string;
  name: string;
  key: string;
  exists: boolean;
  /** JSON text of the entity state. */
  state: string | null;
  queue: EntityRequest[];
  /** Ids of recently processed requests, so a redelivered operation is not applied twice. */
  recentRequestIds: string[];
  outbox: OutboxMessage[];
  createdTime: string;
  lastOperationTime: string | null;
}

export type InstanceDoc = OrchestrationDoc | EntityDoc;
