/**
 * The local replacement for the Durable Functions extension (docs/reference/local-host.md, "What
 * the local host replaces"): an orchestration, activity and entity engine driving the real
 * durable-functions replay engine, a crash-safe store, and the extension's management API for the
 * real DurableClient.
 */
import { join } from 'node:path';

import type { DurableExtension, DurableExtensionOptions } from '../contracts';
import type { RpcTypedData } from '../invoker';
import { DurableEngine, type EngineTuning } from './engine';
import { handleDurableHttp, managementUrls, RPC_PREFIX, WEBHOOK_PREFIX } from './http-api';
import { type DurableStore, FileStore, MemoryStore } from './store';

export { DurableEngine, DurableApiError, LARGE_PAYLOAD_BYTES } from './engine';
export type { EngineTuning, InstanceQuery } from './engine';
export { describeHistory, EventType, type HistoryEvent } from './history';
export { FileStore, MemoryStore, type DurableStore } from './store';

export interface LocalDurableExtensionOptions extends DurableExtensionOptions, EngineTuning {
  /** Override the rpcBaseUrl (default: the baseUrl's port on 127.0.0.1, path /durabletask/). */
  rpcBaseUrl?: string;
  /** Connection name shown in management URLs (the extension's default is "Storage"). */
  connectionName?: string;
  /** Use this store instead of one derived from `dataDir`. */
  store?: DurableStore;
}

export interface LocalDurableExtension extends DurableExtension {
  readonly engine: DurableEngine;
  /** `{string: <binding JSON>}`: the typed data a durableClient input binding receives. */
  clientBindingTypedData(): RpcTypedData;
}

export function createDurableExtension(options: LocalDurableExtensionOptions): LocalDurableExtension {
  const hubName = options.settings.hubName;
  const store =
    options.store ??
    (options.dataDir === undefined
      ? new MemoryStore()
      : new FileStore(join(options.dataDir, sanitizeHubName(hubName)), (file, error) => {
          options.logger('error', `[durable] Skipped unreadable state file ${file}: ${String(error)}`);
        }));
  const engine = new DurableEngine({ ...options, store });
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const rpcBaseUrl = options.rpcBaseUrl ?? defaultRpcBaseUrl(baseUrl);
  const connectionName = options.connectionName ?? 'Storage';
  const urlOptions = { hubName, systemKey: options.systemKey, connectionName };

  const clientBindingData = (): Record<string, unknown> => {
    const webhookBase = `${baseUrl}${WEBHOOK_PREFIX}`;
    return {
      taskHubName: hubName,
      creationUrls: {
        createNewInstancePostUri: `${webhookBase}/orchestrators/{functionName}[/{instanceId}]?code=${options.systemKey}`,
        createAndWaitOnNewInstancePostUri: `${webhookBase}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${options.systemKey}`,
      },
      managementUrls: managementUrls(baseUrl, 'INSTANCEID', urlOptions),
      baseUrl: webhookBase,
      requiredQueryStringParameters: `code=${options.systemKey}`,
      rpcBaseUrl,
    };
  };

  return {
    engine,
    start: () => engine.start(),
    stop: () => engine.stop(),
    clientBindingData,
    clientBindingTypedData: () => ({ string: JSON.stringify(clientBindingData()) }),
    handleHttp: (request, response, body) => handleDurableHttp({ engine, ...urlOptions }, request, response, body),
  };
}

function defaultRpcBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  const port = url.port.length > 0 ? url.port : url.protocol === 'https:' ? '443' : '80';
  return `http://127.0.0.1:${port}${RPC_PREFIX}/`;
}

function sanitizeHubName(hubName: string): string {
  return hubName.replace(/[^A-Za-z0-9_-]/g, '_') || 'TestHubName';
}
