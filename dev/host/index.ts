/**
 * The local Functions host: loads the unmodified app, serves its HTTP triggers and the admin API,
 * fires its timers, and runs the Durable extension replacement (dev/host/durable) behind the
 * DurableExtension seam. Registrations are process-global (the library keeps the core module), so
 * there is one host per process; tests that need several start the CLI as a child process.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

import type { CreateDurableExtension, DurableExtension, DurableSettings } from './contracts';
import type { CoreRegistry } from './core-shim';
import { HttpFront, type HostKeys, prepareFire, resolveHostKeys } from './http';
import { type HostLogger, Invoker, type InvokeResult } from './invoker';
import { type HostConfig, HostStartupError, loadApp, readLocalHostSettings } from './loader';
import { createConsoleLogger, describeError } from './logger';
import { TimerScheduler } from './timers';

export { DEFAULT_HOST_KEYS, type HostKeys } from './http';
export { HostStartupError } from './loader';
export { createConsoleLogger, createMemoryLogger } from './logger';

export interface StartHostOptions {
  /** The function app directory (holds host.json and package.json). */
  appDir: string;
  /**
   * Default: local.settings.json Host.LocalHttpPort, else 7071. 0 picks a free port (WEBSITE_HOSTNAME
   * and durable URLs carry the real one).
   */
  port?: number;
  /** Listen address; default 127.0.0.1. */
  hostname?: string;
  /** Timer schedule status and durable state live here; undefined keeps both in memory. */
  dataDir?: string;
  /** Set in process.env before the app loads (overriding), ahead of local.settings.json. */
  env?: Record<string, string>;
  /** Keys for authLevel function/admin and the durable webhooks; `false` disables enforcement. */
  keys?: Partial<HostKeys> | false;
  /**
   * The durable extension: a factory (tests pass fakes), `false` for none, or true/undefined to use
   * dev/host/durable when it exists.
   */
  durable?: boolean | CreateDurableExtension;
  logger?: HostLogger;
}

export interface HttpFunctionInfo {
  name: string;
  methods: string[];
  authLevel: string;
  url: string;
}

export interface Host {
  url: string;
  port: number;
  invoker: Invoker;
  durable: DurableExtension | undefined;
  /** Undefined when auth is off. */
  keys: HostKeys | undefined;
  config: HostConfig;
  timers: TimerScheduler;
  httpFunctions: HttpFunctionInfo[];
  /** Runs a non-HTTP function now (timers: after any run in progress) and resolves when it is done. */
  fireFunction(name: string, input?: string): Promise<InvokeResult>;
  /** Stops timers, runs appTerminate hooks, stops the durable extension, closes the server. */
  stop(): Promise<void>;
}

type HostSlot = { state: 'free' } | { state: 'taken'; reason: string };
let slot: HostSlot = { state: 'free' };

async function loadDurableModule(): Promise<CreateDurableExtension | undefined> {
  const dir = join(__dirname, 'durable');
  if (!existsSync(join(dir, 'index.ts')) && !existsSync(join(dir, 'index.js'))) return undefined;
  // Imported lazily so the host front runs while the extension is absent; import() (not require)
  // so vitest and tsx both resolve the TypeScript source.
  const mod = (await import('./durable/index.js')) as { createDurableExtension?: CreateDurableExtension };
  if (typeof mod.createDurableExtension !== 'function') {
    throw new HostStartupError('dev/host/durable/index.ts does not export createDurableExtension().');
  }
  return mod.createDurableExtension;
}

function isDisabledSetting(name: string): boolean {
  // AzureWebJobs.<FunctionName>.Disabled; Linux app settings use "__" for "." in names.
  const value = process.env[`AzureWebJobs.${name}.Disabled`] ?? process.env[`AzureWebJobs__${name}__Disabled`];
  return value !== undefined && /^(true|1)$/i.test(value.trim());
}

function listen(server: Server, port: number, hostname: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE'
          ? new HostStartupError(`Port ${port} is already in use: stop the other host or pass --port 0.`, {
              cause: error,
            })
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, hostname, () => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

export async function startHost(options: StartHostOptions): Promise<Host> {
  if (slot.state === 'taken') {
    throw new HostStartupError(
      `Only one local host can run per process (${slot.reason}): function registrations are process-global. Start another process (tsx dev/host/cli.ts) for a second host.`,
    );
  }
  slot = { state: 'taken', reason: 'a host was started in this process' };
  const logger = options.logger ?? createConsoleLogger();
  const appDir = resolve(options.appDir);
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  for (const [name, value] of Object.entries(options.env ?? {})) process.env[name] = value;

  let front: HttpFront | undefined;
  const server = createServer((request, response) => {
    if (front === undefined) {
      response.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' });
      response.end('The host is starting.');
      return;
    }
    front.handle(request, response);
  });
  server.keepAliveTimeout = 5_000;

  let port: number;
  let hostname: string;
  try {
    hostname = options.hostname ?? '127.0.0.1';
    port = await listen(server, options.port ?? readLocalHostSettings(appDir).localHttpPort ?? 7071, hostname);
  } catch (error) {
    slot = { state: 'free' };
    throw error;
  }
  const origin = `http://localhost:${port}`;

  let durable: DurableExtension | undefined;
  let timers: TimerScheduler | undefined;
  let invoker: Invoker | undefined;
  try {
    const loaded = await loadApp({ appDir, port, logger });
    const localHost = readLocalHostSettings(appDir);
    invoker = new Invoker(loaded.registry, logger);
    const keys = resolveHostKeys(options.keys, process.env);

    const factory =
      options.durable === false
        ? undefined
        : typeof options.durable === 'function'
          ? options.durable
          : await loadDurableModule();
    if (factory !== undefined) {
      const settings: DurableSettings = loaded.config.durable;
      durable = factory({
        invoker,
        logger,
        settings,
        baseUrl: origin,
        dataDir: dataDir === undefined ? undefined : join(dataDir, 'durable'),
        systemKey: keys?.system ?? 'local-durabletask-key',
      });
      const extension = durable;
      invoker.extraInputProvider = (binding) => {
        const type = binding.type.toLowerCase();
        if (type !== 'durableclient' && type !== 'orchestrationclient') return undefined;
        return { string: JSON.stringify(extension.clientBindingData()) };
      };
      await durable.start();
    } else {
      const needsDurable = invoker
        .list()
        .filter((fn) =>
          Object.values(fn.metadata.bindings).some((b) =>
            /^(durableClient|orchestrationClient|orchestrationTrigger|activityTrigger|entityTrigger)$/i.test(b.type),
          ),
        )
        .map((fn) => fn.name);
      if (needsDurable.length > 0) {
        logger(
          'warning',
          `No durable extension in this host; these functions will not work: ${needsDurable.join(', ')}.`,
        );
      }
    }

    timers = new TimerScheduler({
      invoker,
      logger,
      statusDir: dataDir === undefined ? undefined : join(dataDir, 'timers'),
      env: process.env,
      isDisabled: isDisabledSetting,
    });
    const httpFront = new HttpFront({
      invoker,
      logger,
      routePrefix: loaded.config.routePrefix,
      keys,
      durable,
      timers,
      origin: () => origin,
      isDisabled: isDisabledSetting,
      cors: { origins: localHost.cors, credentials: localHost.corsCredentials },
      hostStatus: () => ({ durable: durable !== undefined, hubName: loaded.config.durable.hubName }),
    });
    timers.start(invoker.list());
    front = httpFront;

    const activeInvoker = invoker;
    const activeTimers = timers;
    let stopping: Promise<void> | undefined;
    const host: Host = {
      url: origin,
      port,
      invoker: activeInvoker,
      durable,
      keys,
      config: loaded.config,
      timers: activeTimers,
      httpFunctions: httpFront.routes.map((r) => ({
        name: r.fn.name,
        methods: r.methods.length === 0 ? ['*'] : r.methods,
        authLevel: r.authLevel,
        url: httpFront.functionUrl(r),
      })),
      fireFunction: (name, input) =>
        prepareFire({ invoker: activeInvoker, logger, timers: activeTimers }, name, input)(),
      stop: () => {
        stopping ??= stopHost({
          server,
          timers: activeTimers,
          durable,
          invoker: activeInvoker,
          registry: loaded.registry,
          logger,
        });
        return stopping;
      },
    };
    logger('information', `Host started on ${origin} with ${activeInvoker.list().length} function(s) from ${appDir}.`);
    return host;
  } catch (error) {
    await timers?.stop().catch(() => undefined);
    await durable?.stop().catch(() => undefined);
    await closeServer(server);
    // Nothing registered yet means nothing leaked: another attempt in this process may succeed.
    if (invoker === undefined || invoker.list().length === 0) slot = { state: 'free' };
    else slot = { state: 'taken', reason: 'an earlier startHost() failed after the app registered its functions' };
    throw error;
  }
}

async function stopHost(parts: {
  server: Server;
  timers: TimerScheduler;
  durable: DurableExtension | undefined;
  invoker: Invoker;
  registry: CoreRegistry;
  logger: HostLogger;
}): Promise<void> {
  const { logger } = parts;
  await parts.timers.stop();
  try {
    await parts.invoker.runHooks('appTerminate', {
      hookData: parts.registry.appLevelOnlyHookData,
      appHookData: parts.registry.appHookData,
    });
  } catch (error) {
    logger('error', `An appTerminate hook failed: ${describeError(error)}`);
  }
  try {
    await parts.durable?.stop();
  } catch (error) {
    logger('error', `The durable extension failed to stop: ${describeError(error)}`);
  }
  await closeServer(parts.server);
  slot = { state: 'taken', reason: 'a host already ran in this process and was stopped' };
  logger('information', 'Host stopped.');
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    if (!server.listening) {
      resolveClose();
      return;
    }
    // Requests in flight get a short grace period; idle keep-alive sockets go at once.
    const force = setTimeout(() => {
      server.closeAllConnections();
    }, 5_000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolveClose();
    });
    server.closeIdleConnections();
  });
}
