/**
 * Sequence-number lockstep with the JS replay engine, and the tasks an episode schedules.
 *
 * Lockstep (docs/reference/local-host.md, "Sequence numbers"): the JS SDK numbers every yielded
 * atomic task itself and matches completions by that number; it never reads
 * TaskScheduled/TimerCreated. The extension keeps the same numbering by replaying the JS action list
 * against DTFx. We do the same: after every episode the
 * id-consuming actions past `actionSeqs.length` get the next numbers, in flattened order. Retries
 * and long timers take hidden numbers while their triggering event is processed (JS allocates a
 * NoOpTask / next timer child at that same moment), so each episode delivers exactly one new event:
 * hidden ids are then always allocated before the episode's new actions.
 */
import { randomUUID } from 'node:crypto';

import type { LogFields } from '../invoker';
import { ActionType, consumesSequence, type OrchestratorAction } from './actions';
import type { EngineContext } from './context';
import { completionKey, EventType, eventName, events, type FailureDetailsDto, type HistoryEvent } from './history';
import type {
  EntityRequest,
  InboxItem,
  OrchestrationDoc,
  OutboxMessage,
  ParentLink,
  RetryState,
  ScheduledTask,
} from './model';
import { deterministicGuid, isoNow, stringifyOrNull } from './util';

const DEFAULT_MAX_RETRY_INTERVAL_MS = 6 * 86_400_000;

/** What an episode produces, committed to the instance document only when the episode succeeds. */
export interface EpisodeWork {
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

/**
 * Host bookkeeping for the episode's event before JS sees it: duplicate detection, the lockstep
 * watchdog, and the hidden sequence numbers of retries and long timers.
 */
export function preProcess(
  ctx: EngineContext,
  doc: OrchestrationDoc,
  work: EpisodeWork,
  event: HistoryEvent,
  ts: string,
): 'deliver' | 'drop' {
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
    ctx.log(
      'error',
      `Lockstep watchdog: ${eventName(event)} for TaskScheduledId ${key} matches no scheduled ${(expected[event.EventType] ?? []).join('/')} task ` +
        `(scheduled: ${task === undefined ? 'nothing' : task.kind}). The orchestration will likely hang.`,
      fields,
    );
    return 'deliver';
  }
  if (task.done === true) {
    ctx.log('warning', `Dropped a duplicate ${eventName(event)} for TaskScheduledId ${key}.`, fields);
    return 'drop';
  }
  task.done = true;
  const failed =
    event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed;
  if (failed && (task.kind === 'activity' || task.kind === 'subOrchestration') && task.retryRoot !== undefined) {
    retryAfterFailure(ctx, doc, work, task.retryRoot, ts, event.FailureDetails as FailureDetailsDto | undefined);
  } else if (event.EventType === EventType.TimerFired && task.kind === 'retryTimer' && !task.final) {
    retryAgain(ctx, doc, work, task.retryRoot, ts);
  } else if (
    event.EventType === EventType.TimerFired &&
    task.kind === 'timer' &&
    task.longFinal !== undefined &&
    task.canceled !== true
  ) {
    continueLongTimer(ctx, work, task.longFinal, ts);
  }
  return 'deliver';
}

export function scheduleActions(
  ctx: EngineContext,
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
    scheduleAction(ctx, doc, work, action, seq, ts);
  }
  if (consuming.length < work.actionSeqs.length) {
    ctx.log(
      'error',
      `Lockstep watchdog: the orchestrator produced ${consuming.length} scheduling action(s) where an earlier episode produced ${work.actionSeqs.length}; ` +
        'the orchestrator is not deterministic.',
      fields,
    );
  }
}

function scheduleAction(
  ctx: EngineContext,
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
      scheduleActivity(ctx, doc, work, seq, name, action.input, ts);
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
      scheduleSubOrchestration(ctx, doc, work, seq, name, explicitId, action.version ?? null, action.input, ts);
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
      const long = finalAt - now > ctx.maxShortTimerMs;
      const fireAt = isoNow(long ? now + ctx.longTimerIntervalMs : finalAt);
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
      ctx.log('error', reason, { functionName: doc.name, instanceId: doc.instanceId });
    }
  }
}

function scheduleActivity(
  ctx: EngineContext,
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
  ctx.warnIfLarge(`input of activity ${name}`, serialized, doc.name, doc.instanceId);
}

function scheduleSubOrchestration(
  ctx: EngineContext,
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
  ctx.warnIfLarge(`input of sub-orchestration ${name}`, serialized, doc.name, doc.instanceId);
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
function retryAfterFailure(
  ctx: EngineContext,
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
      ctx.log(
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

function retryAgain(ctx: EngineContext, doc: OrchestrationDoc, work: EpisodeWork, root: number, ts: string): void {
  const retry = work.retries[String(root)];
  if (retry === undefined) return;
  retry.attempt += 1;
  const seq = work.nextSeq++;
  if (retry.kind === 'activity') {
    scheduleActivity(ctx, doc, work, seq, retry.name, retry.input, ts);
  } else {
    scheduleSubOrchestration(ctx, doc, work, seq, retry.name, retry.instanceId, retry.version ?? null, retry.input, ts);
  }
  const task = work.scheduled[String(seq)] as ScheduledTask & { retryRoot?: number };
  task.retryRoot = root;
}

/** The extension's CreateTimer loop for long timers: next interval, or the final time if closer. */
function continueLongTimer(ctx: EngineContext, work: EpisodeWork, longFinal: string, ts: string): void {
  const finalAt = Date.parse(longFinal);
  const now = Date.parse(ts);
  const remaining = finalAt - now;
  if (remaining <= 0) return;
  const next = remaining < ctx.longTimerIntervalMs ? finalAt : now + ctx.longTimerIntervalMs;
  const seq = work.nextSeq++;
  const fireAt = isoNow(next);
  work.scheduled[String(seq)] = { kind: 'timer', fireAt, longFinal };
  work.produced.push(events.timerCreated(ts, seq, fireAt));
  work.timers.push(seq);
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
