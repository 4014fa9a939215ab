/**
 * DTFx history events as the Durable extension serializes them to the JS SDK (Newtonsoft defaults:
 * PascalCase properties, enums as integers). The JS replay engine reads only a handful of fields
 * (TaskScheduledId, TimerId, Result, Reason, Details, FailureDetails, Name, Input, Timestamp); the rest
 * is kept for the status API's history projection and for humans reading the store.
 */

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
  ExecutionRewound: 21,
} as const;
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

export const EventTypeName: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([name, value]) => [value, name]),
);

export function eventName(event: HistoryEvent): string {
  return EventTypeName[event.EventType] ?? `EventType${event.EventType}`;
}

/** DTFx OrchestrationStatus (what ExecutionCompleted.OrchestrationStatus carries). */
export const OrchestrationStatus = {
  Running: 0,
  Completed: 1,
  ContinuedAsNew: 2,
  Failed: 3,
  Canceled: 4,
  Terminated: 5,
  Pending: 6,
  Suspended: 7,
} as const;

export type RuntimeStatus = keyof typeof OrchestrationStatus;
export const RUNTIME_STATUSES = Object.keys(OrchestrationStatus) as RuntimeStatus[];

export function isTerminal(status: RuntimeStatus): boolean {
  return status === 'Completed' || status === 'Failed' || status === 'Terminated' || status === 'Canceled';
}

export interface FailureDetailsDto {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable: boolean;
  Properties?: Record<string, unknown>;
  InnerFailure?: FailureDetailsDto;
}

export interface HistoryEvent {
  EventType: EventTypeValue;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

function base(type: EventTypeValue, timestamp: string, eventId = -1): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: timestamp };
}

export const events = {
  orchestratorStarted: (ts: string): HistoryEvent => base(EventType.OrchestratorStarted, ts),
  orchestratorCompleted: (ts: string): HistoryEvent => base(EventType.OrchestratorCompleted, ts),
  executionStarted: (
    ts: string,
    fields: {
      name: string;
      version: string | null;
      input: string | null;
      instanceId: string;
      executionId: string;
      parent: ParentInstanceDto | null;
    },
  ): HistoryEvent => ({
    ...base(EventType.ExecutionStarted, ts),
    OrchestrationInstance: { InstanceId: fields.instanceId, ExecutionId: fields.executionId },
    ParentInstance: fields.parent,
    Name: fields.name,
    Version: fields.version,
    Input: fields.input,
    Tags: null,
  }),
  executionCompleted: (
    ts: string,
    status: number,
    result: string | null,
    failureDetails?: FailureDetailsDto,
  ): HistoryEvent => ({
    ...base(EventType.ExecutionCompleted, ts),
    OrchestrationStatus: status,
    Result: result,
    ...(failureDetails === undefined ? {} : { FailureDetails: failureDetails }),
  }),
  executionTerminated: (ts: string, reason: string | null): HistoryEvent => ({
    ...base(EventType.ExecutionTerminated, ts),
    Input: reason,
  }),
  executionSuspended: (ts: string, reason: string | null): HistoryEvent => ({
    ...base(EventType.ExecutionSuspended, ts),
    Reason: reason,
  }),
  executionResumed: (ts: string, reason: string | null): HistoryEvent => ({
    ...base(EventType.ExecutionResumed, ts),
    Reason: reason,
  }),
  taskScheduled: (ts: string, seq: number, name: string, input: string): HistoryEvent => ({
    ...base(EventType.TaskScheduled, ts, seq),
    Name: name,
    Version: '',
    Input: input,
  }),
  taskCompleted: (ts: string, taskScheduledId: number, result: string): HistoryEvent => ({
    ...base(EventType.TaskCompleted, ts),
    TaskScheduledId: taskScheduledId,
    Result: result,
  }),
  taskFailed: (
    ts: string,
    taskScheduledId: number,
    reason: string,
    details: string,
    failureDetails?: FailureDetailsDto,
  ): HistoryEvent => ({
    ...base(EventType.TaskFailed, ts),
    TaskScheduledId: taskScheduledId,
    Reason: reason,
    Details: details,
    ...(failureDetails === undefined ? {} : { FailureDetails: failureDetails }),
  }),
  subOrchestrationCreated: (
    ts: string,
    seq: number,
    name: string,
    instanceId: string,
    input: string | null,
  ): HistoryEvent => ({
    ...base(EventType.SubOrchestrationInstanceCreated, ts, seq),
    Name: name,
    Version: '',
    InstanceId: instanceId,
    Input: input,
  }),
  subOrchestrationCompleted: (ts: string, taskScheduledId: number, result: string | null): HistoryEvent => ({
    ...base(EventType.SubOrchestrationInstanceCompleted, ts),
    TaskScheduledId: taskScheduledId,
    Result: result ?? 'null',
  }),
  subOrchestrationFailed: (
    ts: string,
    taskScheduledId: number,
    reason: string,
    details: string,
    failureDetails?: FailureDetailsDto,
  ): HistoryEvent => ({
    ...base(EventType.SubOrchestrationInstanceFailed, ts),
    TaskScheduledId: taskScheduledId,
    Reason: reason,
    Details: details,
    ...(failureDetails === undefined ? {} : { FailureDetails: failureDetails }),
  }),
  timerCreated: (ts: string, seq: number, fireAt: string): HistoryEvent => ({
    ...base(EventType.TimerCreated, ts, seq),
    FireAt: fireAt,
  }),
  timerFired: (ts: string, timerId: number, fireAt: string): HistoryEvent => ({
    ...base(EventType.TimerFired, ts),
    TimerId: timerId,
    FireAt: fireAt,
  }),
  eventSent: (ts: string, seq: number, targetInstanceId: string, name: string, input: string): HistoryEvent => ({
    ...base(EventType.EventSent, ts, seq),
    InstanceId: targetInstanceId,
    Name: name,
    Input: input,
  }),
  eventRaised: (ts: string, name: string, input: string | null): HistoryEvent => ({
    ...base(EventType.EventRaised, ts),
    Name: name,
    Input: input,
  }),
};

export interface ParentInstanceDto {
  Name: string;
  Version: string;
  TaskScheduleId: number;
  OrchestrationInstance: { InstanceId: string; ExecutionId: string };
}

/** Completion events and the id field that ties them to a scheduled task. */
export function completionKey(event: HistoryEvent): number | undefined {
  switch (event.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return typeof event.TaskScheduledId === 'number' ? event.TaskScheduledId : undefined;
    case EventType.TimerFired:
      return typeof event.TimerId === 'number' ? event.TimerId : undefined;
    default:
      return undefined;
  }
}

/**
 * A compact one-line rendering of a history, used by conformance tests and diagnostics:
 * `12 0 4#0 13 12 5->0 13` (scheduling events carry `#EventId`, completions `->TaskScheduledId`).
 */
export function describeHistory(history: readonly HistoryEvent[]): string {
  return history
    .map((event) => {
      const key = completionKey(event);
      if (key !== undefined) return `${event.EventType}->${key}`;
      if (event.EventId >= 0) return `${event.EventType}#${event.EventId}`;
      if (event.EventType === EventType.EventRaised) return `15:${String(event.Name)}`;
      return String(event.EventType);
    })
    .join(' ');
}
