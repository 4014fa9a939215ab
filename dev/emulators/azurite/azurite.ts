/**
 * Azurite (Blobs, Queues, Tables) as a child process, so its work never blocks the caller's event
 * loop. Ports default to 0: Azurite binds free ports and prints
 * "Azurite <Service> service is successfully listening at http://host:port", which is how readiness
 * and the actual ports are learned. Telemetry is off (Azurite collects it by default, and this
 * machine has no internet); data lives under `location`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** The well-known development account (public, documented by Microsoft; not a secret). */
export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Workspace folder (`--location`); created if missing. */
  location: string;
  host?: string;
  /** 0 (default) lets Azurite pick a free port. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** Accept any x-ms-version (default true: SDKs newer than this Azurite release still work). */
  skipApiVersionCheck?: boolean;
  /** Ignore unsupported headers and parameters (default true). */
  loose?: boolean;
  /** Keep data in memory only (`--inMemoryPersistence`). */
  inMemory?: boolean;
  /** Azurite's debug log file (`--debug`). */
  debugLog?: string;
  startTimeoutMs?: number;
  /** Node binary to run Azurite with (default: the current one). */
  nodePath?: string;
  /** Every line Azurite prints (startup banners, errors), for diagnostics. */
  onOutput?: (line: string) => void;
}

export interface AzuriteInstance {
  connectionString: string;
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  ports: { blob: number; queue: number; table: number };
  accountName: string;
  accountKey: string;
  pid: number;
  location: string;
  /** Stops Azurite (SIGTERM, then SIGKILL after `graceMs`, default 5 s); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

type Service = 'blob' | 'queue' | 'table';
const READY = /Azurite (Blob|Queue|Table) service is successfully listening at (https?):\/\/([^\s]+):(\d+)/;

/** Path of Azurite's CLI entry inside node_modules. */
export function azuriteEntry(): string {
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
}

export function azuriteConnectionString(endpoints: { blob: string; queue: string; table: string }): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT_NAME}`,
    `AccountKey=${DEV_ACCOUNT_KEY}`,
    `BlobEndpoint=${endpoints.blob}`,
    `QueueEndpoint=${endpoints.queue}`,
    `TableEndpoint=${endpoints.table}`,
    '',
  ].join(';');
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
}

/** Starts Azurite and resolves once Blob, Queue and Table all listen. */
export async function startAzurite(options: AzuriteOptions): Promise<AzuriteInstance> {
  const host = options.host ?? '127.0.0.1';
  await mkdir(options.location, { recursive: true });
  const args = [
    azuriteEntry(),
    // Azurite refuses --location together with --inMemoryPersistence; the folder stays its working directory.
    ...(options.inMemory === true ? [] : ['--location', options.location]),
    '--blobHost',
    host,
    '--queueHost',
    host,
    '--tableHost',
    host,
    '--blobPort',
    String(options.blobPort ?? 0),
    '--queuePort',
    String(options.queuePort ?? 0),
    '--tablePort',
    String(options.tablePort ?? 0),
    '--silent',
    '--disableTelemetry',
  ];
  if (options.loose ?? true) args.push('--loose');
  if (options.skipApiVersionCheck ?? true) args.push('--skipApiVersionCheck');
  if (options.inMemory === true) args.push('--inMemoryPersistence');
  if (options.debugLog !== undefined) args.push('--debug', options.debugLog);

  // AZURITE_ACCOUNTS would replace devstoreaccount1 and break the connection string returned here.
  const env = { ...process.env };
  delete env.AZURITE_ACCOUNTS;
  const child = spawn(options.nodePath ?? process.execPath, args, {
    cwd: options.location,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  // An Azurite left running by a crashed test run would hold its ports and folder.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const output: string[] = [];
  const ports: Partial<Record<Service, number>> = {};
  const ready = new Promise<void>((resolve, reject) => {
    const onLine = (line: string) => {
      output.push(line);
      if (output.length > 50) output.shift();
      options.onOutput?.(line);
      const m = READY.exec(line);
      if (m !== null) {
        ports[(m[1] ?? '').toLowerCase() as Service] = Number(m[4]);
        if (ports.blob !== undefined && ports.queue !== undefined && ports.table !== undefined) resolve();
      }
    };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', onLine);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      reject(
        new Error(
          `Azurite exited before it was ready (code ${String(code)}, signal ${String(signal)}):\n${output.join('\n')}`,
        ),
      );
    });
  });
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`Azurite was not ready within ${timeoutMs} ms:\n${output.join('\n')}`));
    }, timeoutMs);
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (error) {
    child.kill('SIGKILL');
    await exited(child);
    process.removeListener('exit', killOnExit);
    throw error;
  } finally {
    clearTimeout(timer);
  }

  const base = (port: number | undefined) =>
    `http://${host.includes(':') ? `[${host}]` : host}:${String(port)}/${DEV_ACCOUNT_NAME}`;
  const endpoints = { blob: base(ports.blob), queue: base(ports.queue), table: base(ports.table) };
  return {
    connectionString: azuriteConnectionString(endpoints),
    blobEndpoint: endpoints.blob,
    queueEndpoint: endpoints.queue,
    tableEndpoint: endpoints.table,
    ports: { blob: ports.blob ?? 0, queue: ports.queue ?? 0, table: ports.table ?? 0 },
    accountName: DEV_ACCOUNT_NAME,
    accountKey: DEV_ACCOUNT_KEY,
    pid: child.pid ?? -1,
    location: options.location,
    stop: async (graceMs = 5_000) => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = exited(child);
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(force);
    },
  };
}
