/**
 * The `@azure/functions-core` module, served to the app's `require` the way the real Node worker does
 * (a Module.prototype.require proxy for that exact id). `@azure/functions` caches the module on first
 * use and falls back to "test mode" forever if it is missing, so install() must run before the app
 * or anything else loads `@azure/functions`.
 */
import Module from 'node:module';

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';

export interface RawBinding {
  type: string;
  direction: 'in' | 'out' | 'inout';
  name?: string;
  [property: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, RawBinding>;
  retryOptions?: unknown;
  [property: string]: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookCallback = (context: Record<string, unknown>) => unknown;

export interface RegisteredFunction {
  id: string;
  name: string;
  metadata: CoreFunctionMetadata;
  callback: FunctionCallback;
  /** The binding whose type ends in "Trigger". */
  trigger: RawBinding & { bindingName: string };
}

/** What the library's ProgrammingModel exposes (only the members the host drives). */
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: unknown): InvocationModel | Promise<InvocationModel>;
  getCapabilities?(capabilities: Record<string, string>): Record<string, string> | Promise<Record<string, string>>;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: unknown; outputData?: unknown[] }>;
}

class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const item of items) item.dispose();
    });
  }

  #callOnDispose: (() => unknown) | undefined;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): void {
    const callback = this.#callOnDispose;
    this.#callOnDispose = undefined;
    callback?.();
  }
}

export type CoreLog = (level: string, category: string, message: string) => void;

/** Registry filled by the app at load time. One per process: the library holds the core module globally. */
export class CoreRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks: Record<HookName, HookCallback[]> = {
    appStart: [],
    appTerminate: [],
    preInvocation: [],
    postInvocation: [],
    log: [],
  };
  readonly appHookData: Record<string, unknown> = {};
  /** `hookData` of appStart and appTerminate (the worker's appLevelOnlyHookData): shared by those two only. */
  readonly appLevelOnlyHookData: Record<string, unknown> = {};
  programmingModel: ProgrammingModel | undefined;
  private locked = false;
  systemLog: CoreLog = (level, category, message) => {
    if (level === 'error' || level === 'warning' || level === 'critical') console.error(`[${category}] ${message}`);
  };

  /** After startup, registerFunction throws, as the real worker does once indexing is done. */
  lock(): void {
    this.locked = true;
  }

  /** The object `require('@azure/functions-core')` returns. */
  coreApi(): Record<string, unknown> {
    return {
      version: '3.10.1-sentry-local',
      hostVersion: '4.1037.0',
      registerFunction: (metadata: CoreFunctionMetadata, callback: FunctionCallback) =>
        this.registerFunction(metadata, callback),
      registerHook: (name: HookName, callback: HookCallback) => this.registerHook(name, callback),
      setProgrammingModel: (model: ProgrammingModel) => {
        this.programmingModel = model;
      },
      getProgrammingModel: () => this.programmingModel,
      log: (level: string, category: string, message: string) => {
        this.systemLog(level, category, message);
      },
      Disposable,
    };
  }

  private registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable {
    if (this.locked) throw new Error('A function can only be registered during app startup.');
    const id = metadata.functionId ?? metadata.name;
    if (this.functions.has(id)) throw new Error(`A function with id "${id}" has already been registered.`);
    const entry = Object.entries(metadata.bindings).find(([, binding]) => /trigger$/i.test(binding.type));
    if (entry === undefined) throw new Error(`Function "${metadata.name}" has no trigger binding.`);
    const [bindingName, binding] = entry;
    this.functions.set(id, { id, name: metadata.name, metadata, callback, trigger: { ...binding, bindingName } });
    return new Disposable(() => this.functions.delete(id));
  }

  private registerHook(name: HookName, callback: HookCallback): Disposable {
    const list = this.hooks[name];
    if (!Array.isArray(list)) throw new RangeError(`Unrecognized hook "${name}"`);
    list.push(callback);
    return new Disposable(() => {
      const index = list.indexOf(callback);
      if (index >= 0) list.splice(index, 1);
    });
  }
}

let installed: CoreRegistry | undefined;

/** Installs the require proxy once per process and returns the registry the app will fill. */
export function installCoreModule(): CoreRegistry {
  if (installed !== undefined) return installed;
  const registry = new CoreRegistry();
  const api = registry.coreApi();
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg, args: unknown[]) {
      if (args[0] === '@azure/functions-core') return api;
      return Reflect.apply(target, thisArg, args) as unknown;
    },
  });
  installed = registry;
  return registry;
}
