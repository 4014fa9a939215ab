/**
 * One invocation from the host front (HTTP, timers, admin), logged like the Functions host:
 * "Executing 'Functions.X' (Reason=…)" then "Executed 'Functions.X' (Succeeded|Failed, Duration=…)",
 * both carrying the invocation id; a failure is logged with its stack here, never sent to a client.
 */
import { randomUUID } from 'node:crypto';

import type { HostLogger, Invoker, InvokeOptions, InvokeResult, LogFields } from './invoker';
import { describeError } from './logger';

export interface ExecuteOptions extends InvokeOptions {
  /** Why the function runs, for the "Executing" line. Must not contain secrets (no query strings). */
  reason: string;
}

export async function executeFunction(
  invoker: Invoker,
  logger: HostLogger,
  name: string,
  options: ExecuteOptions,
): Promise<InvokeResult> {
  const functionName = invoker.get(name).name;
  const invocationId = options.invocationId ?? randomUUID();
  const fields: LogFields = { functionName, invocationId, instanceId: options.instanceId };
  const started = performance.now();
  logger('information', `Executing 'Functions.${functionName}' (Reason='${options.reason}')`, fields);
  try {
    const result = await invoker.invoke(name, { ...options, invocationId });
    logger(
      'information',
      `Executed 'Functions.${functionName}' (Succeeded, Duration=${Math.round(performance.now() - started)}ms)`,
      fields,
    );
    return result;
  } catch (error) {
    logger(
      'error',
      `Executed 'Functions.${functionName}' (Failed, Duration=${Math.round(performance.now() - started)}ms): ${describeError(error)}`,
      fields,
    );
    throw error;
  }
}
