/**
 * Invokes a registered function exactly as the Node worker's InvocationHandler does: the library's
 * ProgrammingModel builds the InvocationModel, which decodes `inputData` into real objects
 * (HttpRequest, timer info, durable payloads) and an InvocationContext; preInvocation hooks may
 * replace inputs and callback; postInvocation hooks see the result or error; getResponse encodes the
 * return value (HTTP `$return`, or the raw return value Durable uses to pass orchestrator state back).
 */
import { randomUUID } from 'node:crypto';

import type { CoreRegistry, HookName, RawBinding, RegisteredFunction } from './core-shim';

/** The worker protocol's typed data (the subset the host produces or reads). */
export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number;
  double?: number;
  http?: Record<string, unknown>;
}

export type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

export interface LogFields {
  functionName?: string;
  invocationId?: string;
  instanceId?: string;
  [key: string]: string | number | boolean | undefined;
}

export type HostLogger = (level: LogLevel, message: string, fields?: LogFields) => void;

export interface InvokeOptions {
  /** The trigger's data as the host would send it. */
  trigger: RpcTypedData;
  triggerMetadata?: Record<string, RpcTypedData>;
  /** Durable instance id, only for log correlation. */
  instanceId?: string;
  retryContext?: { retryCount: number; maxRetryCount: number };
  /** Lets the caller log about the invocation (e.g. its failure) under the same id; generated when absent. */
  invocationId?: string;
}

export interface InvokeResult {
  invocationId: string;
  returnValue: RpcTypedData | null | undefined;
  outputData: { name: string; data: RpcTypedData | null | undefined }[];
}

/** Provides data for non-trigger input bindings (e.g. the durable client binding). */
export type ExtraInputProvider = (binding: RawBinding, fn: RegisteredFunction) => RpcTypedData | undefined;

export class FunctionNotFoundError extends Error {
  constructor(name: string) {
    super(`Function "${name}" is not registered.`);
  }
}

export function decodeTypedData(data: RpcTypedData | null | undefined): unknown {
  if (data === null || data === undefined) return undefined;
  if (data.string !== undefined) {
    try {
      return JSON.parse(data.string) as unknown;
    } catch {
      return data.string;
    }
  }
  if (data.json !== undefined) return JSON.parse(data.json) as unknown;
  if (data.bytes !== undefined) return Buffer.from(data.bytes);
  if (data.int !== undefined) return data.int;
  if (data.double !== undefined) return data.double;
  if (data.http !== undefined) return data.http;
  return undefined;
}

export class Invoker {
  extraInputProvider: ExtraInputProvider = () => undefined;

  constructor(
    private readonly registry: CoreRegistry,
    private readonly logger: HostLogger,
  ) {}

  get(name: string): RegisteredFunction {
    const fn =
      this.registry.functions.get(name) ??
      [...this.registry.functions.values()].find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (fn === undefined) throw new FunctionNotFoundError(name);
    return fn;
  }

  list(): RegisteredFunction[] {
    return [...this.registry.functions.values()];
  }

  async runHooks(name: HookName, context: Record<string, unknown>): Promise<void> {
    for (const hook of [...this.registry.hooks[name]]) {
      await hook(context);
    }
  }

  /** Invokes and returns the encoded response; throws the function's own error when it fails. */
  async invoke(name: string, options: InvokeOptions): Promise<InvokeResult> {
    const fn = this.get(name);
    const model = this.registry.programmingModel;
    if (model === undefined) throw new Error('The app never set a programming model: did it import @azure/functions?');
    const invocationId = options.invocationId ?? randomUUID();
    const fields: LogFields = { functionName: fn.name, invocationId, instanceId: options.instanceId };

    const inputData: { name: string; data: RpcTypedData }[] = [{ name: fn.trigger.bindingName, data: options.trigger }];
    for (const [bindingName, binding] of Object.entries(fn.metadata.bindings)) {
      if (bindingName === fn.trigger.bindingName || binding.direction !== 'in') continue;
      const data = this.extraInputProvider(binding, fn);
      if (data !== undefined) inputData.push({ name: bindingName, data });
    }

    const coreContext: Record<string, unknown> = {
      invocationId,
      request: {
        invocationId,
        functionId: fn.id,
        inputData,
        triggerMetadata: options.triggerMetadata ?? {},
        retryContext: options.retryContext,
      },
      metadata: { name: fn.name, bindings: fn.metadata.bindings, functionId: fn.id },
      state: undefined,
      log: (level: string, category: string, message: string) => {
        this.emitLog(level, category, message, fields);
      },
    };

    const invocationModel = await model.getInvocationModel(coreContext);
    const args = await invocationModel.getArguments();
    let inputs = args.inputs;
    let callback = fn.callback;
    const hookData: Record<string, unknown> = {};
    const preContext = {
      hookData,
      appHookData: this.registry.appHookData,
      invocationContext: args.context,
      functionCallback: callback,
      inputs,
    };
    coreContext.state = 'preInvocationHooks';
    try {
      await this.runHooks('preInvocation', preContext);
    } finally {
      coreContext.state = undefined;
    }
    inputs = preContext.inputs;
    callback = preContext.functionCallback;

    const postContext: Record<string, unknown> = {
      hookData,
      appHookData: this.registry.appHookData,
      invocationContext: args.context,
      inputs,
      result: null,
      error: null,
    };
    coreContext.state = 'invocation';
    try {
      postContext.result = await invocationModel.invokeFunction(args.context, inputs, callback);
    } catch (error) {
      postContext.error = error;
    } finally {
      coreContext.state = undefined;
    }
    coreContext.state = 'postInvocationHooks';
    try {
      await this.runHooks('postInvocation', postContext);
    } finally {
      coreContext.state = undefined;
    }
    if (postContext.error !== null && postContext.error !== undefined) throw postContext.error as Error;

    const response = await invocationModel.getResponse(args.context, postContext.result);
    return {
      invocationId,
      returnValue: response.returnValue as RpcTypedData | null | undefined,
      outputData: (response.outputData ?? []) as InvokeResult['outputData'],
    };
  }

  private emitLog(level: string, category: string, message: string, fields: LogFields): void {
    const normalized = normalizeLevel(level);
    if (category === 'system' && (normalized === 'debug' || normalized === 'trace')) return;
    this.logger(normalized, message, fields);
    if (this.registry.hooks.log.length > 0 && category === 'user') {
      const context = {
        hookData: {},
        appHookData: this.registry.appHookData,
        level,
        category,
        message,
        invocationContext: undefined,
      };
      for (const hook of this.registry.hooks.log) {
        try {
          void hook(context);
        } catch {
          // A failing log hook must not fail the invocation, as in the worker.
        }
      }
    }
  }
}

function normalizeLevel(level: string): LogLevel {
  const lower = level.toLowerCase();
  if (lower === 'info') return 'information';
  if (lower === 'warn') return 'warning';
  const known: LogLevel[] = ['trace', 'debug', 'information', 'warning', 'error', 'critical', 'none'];
  return known.includes(lower as LogLevel) ? (lower as LogLevel) : 'information';
}
