/**
 * Orchestration episodes: one inbox event at a time, the instance's history is replayed through the
 * real durable-functions engine (via the Invoker), the actions it returns are scheduled in lockstep
 * (lockstep.ts), and history, sequence state and outgoing messages are committed in one write.
 */
import { randomUUID } from 'node:crypto';

import { decodeTypedData, type LogFields } from '../invoker';
import {
  ActionType,
  flattenActions,
  isOrchestratorState,
  type OrchestratorAction,
  type OrchestratorStateDto,
  parseOutOfProcData,
} from './actions';
import type { EngineContext } from './context';
import { dispatchActivity } from './dispatch';
import {
  EventType,
  eventName,
  events,
  type FailureDetailsDto,
  type HistoryEvent,
  isTerminal,
  OrchestrationStatus,
} from './history';
import { type EpisodeWork, preProcess, scheduleActions } from './lockstep';
import { armTimer, cancelTimers, cancelTimersByPrefix, flushOutbox, parentDto, parentEvent } from './messaging';
import type { InboxItem, OrchestrationDoc } from './model';
import { pickInboxItem } from './scheduler';
import { errorMessage, isoNow, jsonText, newGuidN, stringifyOrNull } from './util';

export async function runEpisode(ctx: EngineContext, doc: OrchestrationDoc, generation: number): Promise<boolean> {
  const item = pickInboxItem(doc);
  if (item === undefined) return false;
  const fields: LogFields = { functionName: doc.name, instanceId: doc.instanceId };
  const stale = item.executionId !== undefined && item.executionId !== doc.executionId;
  if (stale || isTerminal(doc.runtimeStatus)) {
    ctx.log(
      'debug',
      `Dropped ${eventName(item.event)} for ${stale ? 'an earlier execution' : `a ${doc.runtimeStatus} instance`}.`,
      fields,
    );
    removeInboxItem(doc, item);
    ctx.save(doc);
    return true;
  }
  const ts = episodeTime(ctx, doc);
  switch (item.event.EventType) {
    case EventType.ExecutionTerminated:
      terminateNow(ctx, doc, item, ts);
      return true;
    case EventType.ExecutionSuspended:
    case EventType.ExecutionResumed: {
      const suspend = item.event.EventType === EventType.ExecutionSuspended;
      removeInboxItem(doc, item);
      if (suspend !== (doc.runtimeStatus === 'Suspended')) {
        doc.history.push({ ...item.event, Timestamp: ts });
        doc.runtimeStatus = suspend ? 'Suspended' : 'Running';
        doc.lastUpdatedTime = ts;
        ctx.log('information', `Orchestration ${suspend ? 'suspended' : 'resumed'}.`, fields);
      }
      ctx.save(doc);
      return true;
    }
    default:
      return replay(ctx, doc, item, ts, generation);
  }
}

async function replay(
  ctx: EngineContext,
  doc: OrchestrationDoc,
  item: InboxItem,
  ts: string,
  generation: number,
): Promise<boolean> {
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
  if (preProcess(ctx, doc, work, event, ts) === 'drop') {
    removeInboxItem(doc, item);
    ctx.save(doc);
    return true;
  }

  const started = events.orchestratorStarted(ts);
  let state: OrchestratorStateDto | undefined;
  let failure: string | undefined;
  let invocationId: string | undefined;
  const fn = ctx.findFunction(doc.name, 'orchestrationTrigger');
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
      longRunningTimerIntervalDuration: ctx.timerSettings.longRunningTimerIntervalDuration,
      maximumShortTimerDuration: ctx.timerSettings.maximumShortTimerDuration,
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    await ctx.orchestratorSlots.acquire();
    try {
      if (!ctx.started || generation !== ctx.generation) return false;
      const result = await ctx.options.invoker.invoke(fn.name, {
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
      ctx.orchestratorSlots.release();
    }
  }
  // Abandoned by stop() (the inbox item stays, so the episode is replayed at the next start), or
  // the instance was purged meanwhile.
  if (!ctx.started || generation !== ctx.generation || ctx.orchestrations.get(doc.instanceId) !== doc) return false;

  let continueAsNew: OrchestratorAction | undefined;
  if (state !== undefined) {
    if (state.actions.length !== 1) {
      failure ??= `With OOProc schema V3, expected actions array to be of length 1 in outer layer but got size: ${state.actions.length}`;
    } else {
      const flat = flattenActions(state.actions[0] ?? []);
      scheduleActions(ctx, doc, work, flat, ts, fields);
      continueAsNew = flat.find((a) => a.actionType === ActionType.ContinueAsNew);
    }
    if (Object.prototype.hasOwnProperty.call(state, 'customStatus'))
      doc.customStatus = JSON.stringify(state.customStatus ?? null);
  }

  const wasPending = doc.runtimeStatus === 'Pending' || doc.runtimeStatus === 'ContinuedAsNew';
  let completion: HistoryEvent | undefined;
  if (failure !== undefined) {
    completion = failOrchestration(doc, work, failure, state?.failureDetails, ts);
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
    ctx.warnIfLarge('orchestration output', output, doc.name, doc.instanceId);
    if (doc.parent !== null) {
      work.outbox.push(
        parentEvent(doc.parent, events.subOrchestrationCompleted(ts, doc.parent.taskScheduledId, output)),
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
  removeInboxItem(doc, item);
  doc.inbox.push(...work.inbox);
  doc.lastUpdatedTime = ts;
  if (continueAsNew !== undefined && failure === undefined && state?.isDone === true)
    continueAsNewNow(ctx, doc, continueAsNew, ts);
  ctx.save(doc);

  const outcome = failure !== undefined ? 'Failed' : doc.runtimeStatus;
  ctx.log(
    failure !== undefined ? 'error' : 'debug',
    `Episode ${eventName(event)} -> ${outcome}${failure !== undefined ? `: ${failure}` : ''} (${work.produced.length} new event(s)).`,
    { ...fields, invocationId },
  );

  if (isTerminal(doc.runtimeStatus)) cancelTimers(ctx, doc);
  if (continueAsNew === undefined || failure !== undefined) {
    for (const seq of work.activities) {
      const task = doc.scheduled[String(seq)];
      if (task?.kind === 'activity') dispatchActivity(ctx, doc, seq, task.name, task.input);
    }
    for (const seq of work.timers) {
      const task = doc.scheduled[String(seq)];
      if (task !== undefined && (task.kind === 'timer' || task.kind === 'retryTimer') && !isTerminal(doc.runtimeStatus))
        armTimer(ctx, doc, seq, task.fireAt);
    }
  }
  if (doc.outbox.length > 0) flushOutbox(ctx, doc);
  if (doc.inbox.length > 0) ctx.rerun.add(doc.instanceId);
  return true;
}

function failOrchestration(
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
      parentEvent(
        doc.parent,
        events.subOrchestrationFailed(ts, doc.parent.taskScheduledId, reason, details, failureDetails),
      ),
    );
  }
  return events.executionCompleted(ts, OrchestrationStatus.Failed, reason, failureDetails);
}

function continueAsNewNow(ctx: EngineContext, doc: OrchestrationDoc, action: OrchestratorAction, ts: string): void {
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
  ctx.warnIfLarge('orchestration input (continueAsNew)', input, doc.name, doc.instanceId);
  cancelTimersByPrefix(ctx, `${doc.instanceId}|${previous}|`);
}

function terminateNow(ctx: EngineContext, doc: OrchestrationDoc, item: InboxItem, ts: string): void {
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
      parentEvent(doc.parent, events.subOrchestrationFailed(ts, doc.parent.taskScheduledId, reason ?? '', '')),
    );
  ctx.save(doc);
  cancelTimers(ctx, doc);
  ctx.log('information', `Orchestration terminated${reason === null ? '' : `: ${reason}`}.`, {
    functionName: doc.name,
    instanceId: doc.instanceId,
  });
  if (doc.outbox.length > 0) flushOutbox(ctx, doc);
}

function removeInboxItem(doc: OrchestrationDoc, item: InboxItem): void {
  const index = doc.inbox.indexOf(item);
  if (index >= 0) doc.inbox.splice(index, 1);
}

/** Episode timestamps never go backwards: they drive the SDK's currentUtcDateTime. */
function episodeTime(ctx: EngineContext, doc: OrchestrationDoc): string {
  let last = 0;
  for (let i = doc.history.length - 1; i >= 0; i--) {
    const event = doc.history[i];
    if (event?.EventType === EventType.OrchestratorStarted) {
      last = Date.parse(event.Timestamp);
      break;
    }
  }
  return isoNow(Math.max(ctx.now(), last));
}

function parseJsonOrNull(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
