/**
 * The status payload of the management API (HttpApiHandler.ConvertFrom + StatusResponsePayload) and
 * the `historyEvents` projection of DurableClient.GetDurableOrchestrationStatusAsync: event types as
 * names, scheduling events folded into their completions (FunctionName, ScheduledTime), episode
 * markers dropped, inputs/results shown only when asked.
 */
import { EventType, EventTypeName, type HistoryEvent, RUNTIME_STATUSES } from './history';
import type { OrchestrationDoc } from './model';
import { parseToJToken, statusTime } from './util';

export interface StatusOptions {
  showHistory?: boolean;
  showHistoryOutput?: boolean;
  showInput?: boolean;
}

export function statusPayload(doc: OrchestrationDoc, options: StatusOptions = {}): Record<string, unknown> {
  const showInput = options.showInput ?? true;
  const payload: Record<string, unknown> = {
    name: doc.name,
    instanceId: doc.instanceId,
    runtimeStatus: doc.runtimeStatus,
    input: showInput ? parseToJToken(doc.input) : null,
    customStatus: parseToJToken(doc.customStatus),
    output: parseToJToken(doc.output),
    createdTime: statusTime(doc.createdTime),
    lastUpdatedTime: statusTime(doc.lastUpdatedTime),
  };
  if (options.showHistory === true && doc.runtimeStatus !== 'Pending') {
    payload.historyEvents = projectHistory(doc.history, options.showHistoryOutput === true, showInput);
  }
  return payload;
}

const OrchestrationStatusName: Record<number, string> = Object.fromEntries(
  RUNTIME_STATUSES.map((name, index) => [index, name]),
);

interface ScheduledInfo {
  index: number;
  name: unknown;
  timestamp: string;
  input: unknown;
}

export function projectHistory(
  history: readonly HistoryEvent[],
  showHistoryOutput: boolean,
  showInput: boolean,
): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = history.map((event) => ({ ...event }));
  const scheduled = new Map<string, ScheduledInfo>();
  const removed = new Set<number>();

  const aggregate = (item: Record<string, unknown>, prefix: string): void => {
    const info = scheduled.get(`${prefix}_${String(item.TaskScheduledId)}`);
    if (info === undefined) return;
    item.ScheduledTime = info.timestamp;
    item.FunctionName = info.name;
    if (showInput) item.Input = info.input;
    removed.add(info.index);
  };

  items.forEach((item, index) => {
    const type = item.EventType as number;
    item.EventType = EventTypeName[type] ?? String(type);
    switch (type) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(`${EventTypeName[type]}_${String(item.EventId)}`, {
          index,
          name: item.Name,
          timestamp: item.Timestamp as string,
          input: item.Input,
        });
        delete item.Version;
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const task = type === EventType.TaskCompleted || type === EventType.TaskFailed;
        aggregate(item, task ? 'TaskScheduled' : 'SubOrchestrationInstanceCreated');
        delete item.TaskScheduledId;
        const completed = type === EventType.TaskCompleted || type === EventType.SubOrchestrationInstanceCompleted;
        if (!showHistoryOutput && completed) delete item.Result;
        if (showHistoryOutput && completed) item.Result = parseToJToken(item.Result as string | null);
        break;
      }
      case EventType.ExecutionStarted: {
        const name = item.Name;
        delete item.Name;
        item.FunctionName = name;
        delete item.OrchestrationInstance;
        delete item.ParentInstance;
        delete item.Version;
        delete item.Tags;
        break;
      }
      case EventType.ExecutionCompleted:
        item.OrchestrationStatus =
          OrchestrationStatusName[item.OrchestrationStatus as number] ?? item.OrchestrationStatus;
        if (!showHistoryOutput) delete item.Result;
        else item.Result = parseToJToken(item.Result as string | null);
        break;
      case EventType.TimerFired:
        delete item.TimerId;
        break;
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        removed.add(index);
        break;
    }
    if (!showInput) delete item.Input;
    delete item.EventId;
    delete item.IsPlayed;
  });
  return items.filter((_, index) => !removed.has(index));
}
