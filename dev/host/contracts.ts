/**
 * The seam between the host's front (loader, HTTP, timers) and its Durable extension replacement.
 * The front owns the process, the HTTP server and the function registry; the extension owns
 * orchestration/activity/entity state and the durable management API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { HostLogger, Invoker } from './invoker';

export interface DurableSettings {
  hubName: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  maxConcurrentEntityFunctions: number;
}

export interface DurableExtensionOptions {
  invoker: Invoker;
  logger: HostLogger;
  settings: DurableSettings;
  /** Public origin of the host, e.g. http://localhost:7071 (used in management URLs). */
  baseUrl: string;
  /** Where durable state lives on disk; undefined keeps it in memory. */
  dataDir: string | undefined;
  /** Query-string key required by the public webhook routes (the real host's system key). */
  systemKey: string;
}

export interface DurableExtension {
  /** Restores state from disk and resumes due work (timers, re-dispatch of unfinished activities). */
  start(): Promise<void>;
  /** Stops dispatching; in-flight work is abandoned (recovered at the next start). */
  stop(): Promise<void>;
  /** The durableClient binding JSON the extension sends with an invocation. */
  clientBindingData(): Record<string, unknown>;
  /**
   * Serves `/runtime/webhooks/durabletask/*` and the rpcBaseUrl routes (`/durabletask/*`).
   * Resolves false when the path is not one of its routes.
   */
  handleHttp(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<boolean>;
}

export type CreateDurableExtension = (options: DurableExtensionOptions) => DurableExtension;
