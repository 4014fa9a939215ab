/**
 * A minimal stand-in for the host front, used by this folder's tests and the crash runner: installs
 * the core shim, loads a fixture app once, and serves the durable management API on a plain
 * node:http server so the real DurableClient talks to the extension over real HTTP.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

import { installCoreModule } from '../core-shim';
import { type HostLogger, Invoker, type LogFields, type LogLevel } from '../invoker';
import { createDurableExtension, type LocalDurableExtension, type LocalDurableExtensionOptions } from './index';

export interface LogEntry {
  level: LogLevel;
  message: string;
  fields?: LogFields;
}

export interface Harness {
  invoker: Invoker;
  extension: LocalDurableExtension;
  server: Server;
  port: number;
  baseUrl: string;
  logs: LogEntry[];
  close(): Promise<void>;
}

const loadedApps = new Set<string>();

export interface HarnessOptions extends Partial<Omit<LocalDurableExtensionOptions, 'invoker' | 'logger' | 'baseUrl'>> {
  appPath: string;
  port?: number;
  echoLogs?: boolean;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const registry = installCoreModule();
  if (!loadedApps.has(options.appPath)) {
    createRequire(__filename)(options.appPath);
    loadedApps.add(options.appPath);
  }
  const logs: LogEntry[] = [];
  const logger: HostLogger = (level, message, fields) => {
    logs.push({ level, message, fields });
    if (options.echoLogs === true || level === 'critical')
      process.stderr.write(`[${level}] ${message} ${JSON.stringify(fields ?? {})}\n`);
  };
  const invoker = new Invoker(registry, logger);
  const ref: { extension?: LocalDurableExtension } = {};
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const handled =
        ref.extension === undefined
          ? Promise.resolve(false)
          : ref.extension.handleHttp(request, response, Buffer.concat(chunks));
      handled
        .then((served) => {
          if (!served) {
            response.writeHead(404);
            response.end();
          }
        })
        .catch((error: unknown) => {
          response.writeHead(500);
          response.end(String(error));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://localhost:${port}`;
  // durable-functions rewrites client URLs to localhost:7071 unless WEBSITE_HOSTNAME is set.
  process.env.WEBSITE_HOSTNAME = `localhost:${port}`;
  const bound = createDurableExtension({
    invoker,
    logger,
    baseUrl,
    dataDir: options.dataDir,
    systemKey: options.systemKey ?? 'local-system-key',
    settings: {
      hubName: 'TestHub',
      maxConcurrentActivityFunctions: 10,
      maxConcurrentOrchestratorFunctions: 10,
      maxConcurrentEntityFunctions: 10,
      ...options.settings,
    },
    ...(options.maximumShortTimerDuration === undefined
      ? {}
      : { maximumShortTimerDuration: options.maximumShortTimerDuration }),
    ...(options.longRunningTimerIntervalDuration === undefined
      ? {}
      : { longRunningTimerIntervalDuration: options.longRunningTimerIntervalDuration }),
    ...(options.store === undefined ? {} : { store: options.store }),
  });
  ref.extension = bound;
  invoker.extraInputProvider = (binding) =>
    binding.type === 'durableClient' || binding.type === 'orchestrationClient'
      ? bound.clientBindingTypedData()
      : undefined;
  await bound.start();
  return {
    invoker,
    extension: bound,
    server,
    port,
    baseUrl,
    logs,
    async close() {
      await bound.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

/** Polls the engine until the instance reaches one of the statuses (or throws after `timeoutMs`). */
export async function waitForStatus(
  extension: LocalDurableExtension,
  instanceId: string,
  statuses: string[] = ['Completed', 'Failed', 'Terminated'],
  timeoutMs = 10_000,
): Promise<NonNullable<ReturnType<LocalDurableExtension['engine']['getOrchestration']>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = extension.engine.getOrchestration(instanceId);
    if (doc !== undefined && statuses.includes(doc.runtimeStatus)) return doc;
    if (Date.now() > deadline)
      throw new Error(
        `Instance ${instanceId} did not reach ${statuses.join('/')} (now ${doc?.runtimeStatus ?? 'missing'}).`,
      );
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
