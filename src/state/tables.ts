/**
 * Table Storage access for the app's own state (not Durable's task hub tables, which share the
 * account). A connection string locally (Azurite over http), the account's table endpoint with the
 * managed identity in Azure. Tables are created on first use, once per process.
 */
import { TableClient, type TableEntityResult } from '@azure/data-tables';

import { azureCredential } from '../azure-credential';
import type { Config } from '../config';
import { AppError, ErrorCode } from '../errors';

export const STATE_TABLES = ['checkpoints', 'snapshots', 'windows', 'incidents', 'signatures', 'cycles', 'cyclehours'] as const;
export type StateTable = (typeof STATE_TABLES)[number];

const clients = new Map<string, TableClient>();
const created = new Map<string, Promise<void>>();

function isHttpConnection(connectionString: string): boolean {
  return /UseDevelopmentStorage=true/i.test(connectionString) || /TableEndpoint=http:\/\//i.test(connectionString) || /DefaultEndpointsProtocol=http;/i.test(connectionString);
}

export function tableClient(config: Config, table: StateTable): TableClient {
  const key = `${config.storage.kind === 'connectionString' ? config.storage.connectionString : config.storage.tableEndpoint}|${table}`;
  let client = clients.get(key);
  if (client === undefined) {
    client =
      config.storage.kind === 'connectionString'
        ? TableClient.fromConnectionString(config.storage.connectionString, table, {
            allowInsecureConnection: isHttpConnection(config.storage.connectionString),
          })
        : new TableClient(config.storage.tableEndpoint, table, azureCredential(config));
    clients.set(key, client);
  }
  return client;
}

/** The client, with its table created if this process has not done so yet. */
export async function stateTable(config: Config, table: StateTable): Promise<TableClient> {
  const client = tableClient(config, table);
  const key = `${client.url}|${table}`;
  let creation = created.get(key);
  if (creation === undefined) {
    creation = client.createTable().catch((error: unknown) => {
      created.delete(key);
      throw asStateError(error, `creating table ${table}`);
    });
    created.set(key, creation);
  }
  await creation;
  return client;
}

/** Table keys may not contain / \ # ? or control characters; ids from vendors can. */
export function safeKey(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what Table keys forbid
  return value.replace(/[/\\#?\u0000-\u001f\u007f-\u009f%]/g, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | undefined)?.statusCode;
}

export function asStateError(error: unknown, doing: string): AppError {
  const status = statusOf(error);
  if (status === 412 || status === 409) {
    return new AppError(ErrorCode.StateConflict, `State changed concurrently while ${doing}`, { retriable: true, cause: error, context: { status } });
  }
  return new AppError(ErrorCode.StateUnavailable, `Table Storage failed while ${doing}${status === undefined ? '' : ` (HTTP ${status})`}`, {
    retriable: status === undefined || status >= 500 || status === 429 || status === 408,
    cause: error,
    context: { status },
  });
}

export type Entity = TableEntityResult<Record<string, unknown>>;
