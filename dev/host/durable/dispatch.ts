/**
 * Activity dispatch: runs a scheduled activity through the Invoker, within the activity
 * concurrency limit, and delivers its TaskCompleted or TaskFailed to the orchestration's inbox.
 */
import type { RegisteredFunction } from '../core-shim';
import type { RpcTypedData } from '../invoker';
import type { EngineContext } from './context';
import { events, type FailureDetailsDto, type HistoryEvent } from './history';
import { deliverToInbox } from './messaging';
import type { OrchestrationDoc } from './model';
import { notifyIdle } from './scheduler';
import { errorMessage } from './util';

export function dispatchActivity(
  ctx: EngineContext,
  doc: OrchestrationDoc,
  seq: number,
  name: string,
  input: unknown,
): void {
  const key = `${ctx.generation}|${doc.instanceId}|${doc.executionId}|${seq}`;
  if (ctx.activeActivities.has(key) || !ctx.started) return;
  ctx.activeActivities.add(key);
  void runActivity(ctx, key, doc.instanceId, doc.executionId, doc.name, seq, name, input);
}

async function runActivity(
  ctx: EngineContext,
  key: string,
  instanceId: string,
  executionId: string,
  orchestrator: string,
  seq: number,
  name: string,
  input: unknown,
): Promise<void> {
  const generation = ctx.generation;
  let event: HistoryEvent | undefined;
  await ctx.activitySlots.acquire();
  try {
    if (!ctx.started || generation !== ctx.generation) return;
    const fn = ctx.findFunction(name, 'activityTrigger');
    if (fn === undefined) {
      const reason = `The function '${name}' doesn't exist, is disabled, or is not an activity function.`;
      event = events.taskFailed(ctx.iso(), seq, reason, reason);
      ctx.log('error', reason, { functionName: orchestrator, instanceId });
    } else {
      event = await invokeActivity(ctx, fn, instanceId, seq, input);
    }
  } finally {
    ctx.activitySlots.release();
    ctx.activeActivities.delete(key);
    if (event !== undefined && ctx.started && generation === ctx.generation) {
      const doc = ctx.orchestrations.get(instanceId);
      if (doc !== undefined) deliverToInbox(ctx, doc, executionId, event);
    }
    notifyIdle(ctx);
  }
}

async function invokeActivity(
  ctx: EngineContext,
  fn: RegisteredFunction,
  instanceId: string,
  seq: number,
  input: unknown,
): Promise<HistoryEvent> {
  let invocationId: string | undefined;
  try {
    const result = await ctx.options.invoker.invoke(fn.name, { trigger: activityTriggerData(input), instanceId });
    invocationId = result.invocationId;
    const value = decodeActivityReturn(result.returnValue);
    const serialized = JSON.stringify(value === undefined ? null : value);
    ctx.warnIfLarge(`output of activity ${fn.name}`, serialized, fn.name, instanceId, invocationId);
    ctx.log('debug', `Activity ${fn.name} completed (TaskScheduledId ${seq}).`, {
      functionName: fn.name,
      instanceId,
      invocationId,
    });
    return events.taskCompleted(ctx.iso(), seq, serialized);
  } catch (error) {
    const failure = activityFailure(fn.name, error);
    ctx.log('warning', `Activity ${fn.name} failed (TaskScheduledId ${seq}): ${failure.reason}`, {
      functionName: fn.name,
      instanceId,
      invocationId,
    });
    return events.taskFailed(ctx.iso(), seq, failure.reason, failure.details, failure.failureDetails);
  }
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
