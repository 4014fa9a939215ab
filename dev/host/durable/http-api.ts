/**
 * The Durable extension's management API (HttpApiHandler.HandleRequestAsync): the same routes,
 * status codes and JSON, served under the public webhook prefix `/runtime/webhooks/durabletask/`
 * (which requires `code=<system key>`, like the real host) and under the loopback rpcBaseUrl
 * `/durabletask/` that the JS DurableClient actually calls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { DurableApiError, type DurableEngine, type OperationOutcome } from './engine';
import { isTerminal, RUNTIME_STATUSES, type RuntimeStatus } from './history';
import { statusPayload } from './status';
import { errorMessage } from './util';

export const WEBHOOK_PREFIX = '/runtime/webhooks/durabletask';
export const RPC_PREFIX = '/durabletask';

export interface ManagementUrlOptions {
  hubName: string;
  systemKey: string;
  connectionName: string;
}

export interface HttpApiContext extends ManagementUrlOptions {
  engine: DurableEngine;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function handleDurableHttp(
  context: HttpApiContext,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
): Promise<boolean> {
  const url = new URL(request.url ?? '/', `http://${request.headers.host ?? 'localhost'}`);
  const lowerPath = url.pathname.toLowerCase();
  let rest: string;
  if (lowerPath === WEBHOOK_PREFIX || lowerPath.startsWith(`${WEBHOOK_PREFIX}/`)) {
    if (url.searchParams.get('code') !== context.systemKey) {
      send(response, { status: 401 });
      return true;
    }
    rest = url.pathname.slice(WEBHOOK_PREFIX.length);
  } else if (lowerPath === RPC_PREFIX || lowerPath.startsWith(`${RPC_PREFIX}/`)) {
    if (!isLoopback(request.socket.remoteAddress)) {
      send(response, { status: 403, body: { Message: 'The durable RPC endpoint only accepts loopback callers.' } });
      return true;
    }
    rest = url.pathname.slice(RPC_PREFIX.length);
  } else {
    return false;
  }
  let reply: Reply;
  try {
    reply = await route(context, request, url, decodeURIComponent(rest), body);
  } catch (error) {
    if (error instanceof DurableApiError) reply = { status: error.status, body: { Message: error.message } };
    else
      reply = {
        status: 500,
        body: { Message: 'Something went wrong while processing your request', ExceptionMessage: errorMessage(error) },
      };
  }
  send(response, reply);
  return true;
}

async function route(
  context: HttpApiContext,
  request: IncomingMessage,
  url: URL,
  path: string,
  body: Buffer,
): Promise<Reply> {
  const segments = path.split('/').filter((segment) => segment.length > 0);
  const method = (request.method ?? 'GET').toUpperCase();
  const head = segments[0]?.toLowerCase();
  const { engine } = context;
  const query = url.searchParams;

  if (head === 'orchestrators' && (segments.length === 2 || segments.length === 3)) {
    if (method !== 'POST') return { status: 404 };
    return startOrchestration(context, request, url, segments[1] ?? '', segments[2], body);
  }

  if (head === 'entities' && segments.length <= 3) {
    const name = segments[1] ?? '';
    const key = segments[2] ?? '';
    if (method === 'GET') {
      if (key.length > 0) {
        const state = engine.readEntity(name, key === '$' ? '' : key);
        return state.exists ? { status: 200, body: rawJson(state.state ?? 'null') } : { status: 404 };
      }
      const entities = engine.listEntities(name).map((doc) => ({
        entityId: { name: doc.name, key: doc.key },
        lastOperationTime: doc.lastOperationTime,
        ...(query.get('fetchState')?.toLowerCase() === 'true'
          ? { state: doc.state === null ? null : rawJson(doc.state) }
          : {}),
      }));
      return { status: 200, body: entities, headers: { 'x-ms-continuation-token': '' } };
    }
    if (method === 'POST' || method === 'DELETE') {
      if (name.length === 0 || key.length === 0)
        throw new DurableApiError(400, 'The entity name and key must be non-empty.');
      const operation = method === 'DELETE' ? 'delete' : (query.get('op') ?? '');
      let input: string | null = null;
      if (body.length > 0) {
        const text = body.toString('utf8');
        if (isJsonContent(request)) {
          try {
            input = JSON.stringify(JSON.parse(text));
          } catch (error) {
            throw new DurableApiError(400, `Could not parse JSON content: ${errorMessage(error)}`);
          }
        } else {
          input = JSON.stringify(text);
        }
      }
      engine.signalEntity(name, key, operation, input);
      return { status: 202 };
    }
    return { status: 404 };
  }

  if (head === 'instances' && segments.length <= 3) {
    const instanceId = segments[1];
    const operation = segments[2]?.toLowerCase();
    if (instanceId === undefined) {
      if (method === 'GET') return listInstances(context, request, query);
      if (method === 'DELETE') return purgeByFilter(context, query);
      return { status: 404 };
    }
    if (operation === undefined) {
      if (method === 'GET') return getStatus(context, request, url, instanceId);
      if (method === 'DELETE') return purgeOne(context, instanceId);
      return { status: 404 };
    }
    if (method !== 'POST') return { status: 404 };
    const reason = query.get('reason');
    switch (operation) {
      case 'terminate':
        return outcome(engine.terminate(instanceId, reason));
      case 'suspend':
        return outcome(engine.suspend(instanceId, reason));
      case 'resume':
        return outcome(engine.resume(instanceId, reason));
      case 'rewind': {
        const result = engine.rewind(instanceId);
        if (result === 'notFound')
          return { status: 404, body: `No orchestration with instance ID "$${instanceId}" found.` };
        if (result === 'notFailed') {
          const status = engine.getOrchestration(instanceId)?.runtimeStatus ?? 'Unknown';
          return {
            status: 412,
            body: `This orchestration has status ${status}, but only orchestrations in the "Failed" state can be rewound.`,
          };
        }
        return {
          status: 501,
          body: {
            Message: 'Rewind is not supported by the underlying storage provider.',
            ExceptionMessage: 'The local durable host does not implement rewind.',
          },
        };
      }
      case 'restart': {
        const newId = query.get('restartWithNewInstanceId')?.toLowerCase() !== 'false';
        const id = engine.restart(instanceId, newId);
        return checkStatusReply(context, request, id);
      }
      default:
        return { status: 404 };
    }
  }

  if (head === 'instances' && segments.length === 4 && segments[2]?.toLowerCase() === 'raiseevent') {
    if (method !== 'POST') return { status: 404 };
    return raiseEvent(context, request, segments[1] ?? '', segments[3] ?? '', body);
  }

  if (head === 'makeprimary' && segments.length === 1) return { status: 200 };
  return { status: 404 };
}

async function startOrchestration(
  context: HttpApiContext,
  request: IncomingMessage,
  url: URL,
  functionName: string,
  instanceId: string | undefined,
  body: Buffer,
): Promise<Reply> {
  let input: string | null = null;
  if (body.length > 0) {
    input = body.toString('utf8');
    try {
      JSON.parse(input);
    } catch {
      throw new DurableApiError(400, 'Invalid JSON content');
    }
  }
  const id = context.engine.startNew(functionName, instanceId, input, url.searchParams.get('version'));
  const timeout = seconds(url.searchParams.get('timeout'));
  const interval = seconds(url.searchParams.get('pollingInterval'));
  if (timeout !== undefined && interval !== undefined)
    return waitForCompletion(context, request, url, id, timeout, interval);
  return checkStatusReply(context, request, id);
}

async function waitForCompletion(
  context: HttpApiContext,
  request: IncomingMessage,
  url: URL,
  instanceId: string,
  timeoutMs: number,
  intervalMs: number,
): Promise<Reply> {
  if (intervalMs > timeoutMs)
    throw new DurableApiError(
      400,
      `Total timeout ${timeoutMs / 1000} should be bigger than retry timeout ${intervalMs / 1000}`,
    );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = context.engine.getOrchestration(instanceId);
    if (doc?.runtimeStatus === 'Completed') return { status: 200, body: statusPayload(doc).output };
    if (doc !== undefined && isTerminal(doc.runtimeStatus)) return getStatus(context, request, url, instanceId);
    const remaining = deadline - Date.now();
    if (remaining <= 0) return checkStatusReply(context, request, instanceId);
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, remaining)));
  }
}

function getStatus(context: HttpApiContext, request: IncomingMessage, url: URL, instanceId: string): Reply {
  const query = url.searchParams;
  const doc = context.engine.getOrchestration(instanceId);
  if (doc === undefined) return { status: 404 };
  const payload = statusPayload(doc, {
    showHistory: bool(query.get('showHistory')) ?? false,
    showHistoryOutput: bool(query.get('showHistoryOutput')) ?? false,
    showInput: bool(query.get('showInput')) ?? true,
  });
  switch (doc.runtimeStatus) {
    case 'Running':
    case 'Pending':
    case 'ContinuedAsNew':
    case 'Suspended':
      return { status: 202, body: payload, headers: { Location: absoluteUrl(request, url), 'Retry-After': '5' } };
    case 'Failed':
      return { status: bool(query.get('returnInternalServerErrorOnFailure')) === true ? 500 : 200, body: payload };
    default:
      return { status: 200, body: payload };
  }
}

function listInstances(context: HttpApiContext, request: IncomingMessage, query: URLSearchParams): Reply {
  const token = request.headers['x-ms-continuation-token'];
  const result = context.engine.listOrchestrations({
    createdTimeFrom: date(query.get('createdTimeFrom')),
    createdTimeTo: date(query.get('createdTimeTo')),
    runtimeStatus: statuses(query.getAll('runtimeStatus')),
    instanceIdPrefix: query.get('instanceIdPrefix') ?? undefined,
    pageSize: integer(query.get('top')),
    continuationToken: typeof token === 'string' && token.length > 0 ? token : undefined,
  });
  const showInput = bool(query.get('showInput')) ?? true;
  return {
    status: 200,
    body: result.items.map((doc) => statusPayload(doc, { showInput })),
    // The extension always adds the header; an empty value ends the client's paging loop.
    headers: { 'x-ms-continuation-token': result.continuationToken ?? '' },
  };
}

function purgeOne(context: HttpApiContext, instanceId: string): Reply {
  const result = context.engine.purge(instanceId);
  if (result === 'notFound') return { status: 404 };
  if (result === 'notTerminal') {
    const status = context.engine.getOrchestration(instanceId)?.runtimeStatus ?? 'Unknown';
    return {
      status: 412,
      body: `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${instanceId} has status ${status}`,
    };
  }
  return { status: 200, body: { instancesDeleted: 1 } };
}

function purgeByFilter(context: HttpApiContext, query: URLSearchParams): Reply {
  const from = date(query.get('createdTimeFrom'));
  if (from === undefined) return { status: 400, body: "Please provide value for 'createdTimeFrom' parameter." };
  const to = date(query.get('createdTimeTo')) ?? new Date();
  const deleted = context.engine.purgeBy(from, to, statuses(query.getAll('runtimeStatus')));
  if (deleted === 0) return { status: 404 };
  return { status: 200, body: { instancesDeleted: deleted } };
}

function raiseEvent(
  context: HttpApiContext,
  request: IncomingMessage,
  instanceId: string,
  eventName: string,
  body: Buffer,
): Reply {
  const doc = context.engine.getOrchestration(instanceId);
  if (doc === undefined) return { status: 404 };
  if (isTerminal(doc.runtimeStatus)) return { status: 410 };
  if (!isJsonContent(request))
    return { status: 400, body: { Message: 'Only application/json request content is supported' } };
  const text = body.toString('utf8');
  let data: string;
  try {
    data = JSON.stringify(JSON.parse(text));
  } catch {
    return { status: 400, body: { Message: 'Invalid JSON content' } };
  }
  return outcome(context.engine.raiseEvent(instanceId, eventName, data));
}

function outcome(result: OperationOutcome): Reply {
  return { status: result === 'accepted' ? 202 : result === 'gone' ? 410 : 404 };
}

/** HttpApiHandler.CreateCheckStatusResponseMessage: 202 + Location + Retry-After: 10. */
function checkStatusReply(context: HttpApiContext, request: IncomingMessage, instanceId: string): Reply {
  const origin = `http://${request.headers.host ?? 'localhost'}`;
  const urls = managementUrls(origin, instanceId, context);
  return {
    status: 202,
    body: {
      id: instanceId,
      statusQueryGetUri: urls.statusQueryGetUri,
      sendEventPostUri: urls.sendEventPostUri,
      terminatePostUri: urls.terminatePostUri,
      purgeHistoryDeleteUri: urls.purgeHistoryDeleteUri,
      restartPostUri: urls.restartPostUri,
      suspendPostUri: urls.suspendPostUri,
      resumePostUri: urls.resumePostUri,
    },
    headers: { Location: urls.statusQueryGetUri, 'Retry-After': '10' },
  };
}

export interface ManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

/** HttpApiHandler.GetClientResponseLinks (the id is URL-encoded into the path). */
export function managementUrls(origin: string, instanceId: string, options: ManagementUrlOptions): ManagementUrls {
  const prefix = `${origin}${WEBHOOK_PREFIX}/instances/${instanceId === 'INSTANCEID' ? instanceId : encodeURIComponent(instanceId)}`;
  const suffix = `taskHub=${encodeURIComponent(options.hubName)}&connection=${encodeURIComponent(options.connectionName)}&code=${options.systemKey}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${prefix}?${suffix}`,
    sendEventPostUri: `${prefix}/raiseEvent/{eventName}?${suffix}`,
    terminatePostUri: `${prefix}/terminate?reason={text}&${suffix}`,
    rewindPostUri: `${prefix}/rewind?reason={text}&${suffix}`,
    purgeHistoryDeleteUri: `${prefix}?${suffix}`,
    restartPostUri: `${prefix}/restart?${suffix}`,
    suspendPostUri: `${prefix}/suspend?reason={text}&${suffix}`,
    resumePostUri: `${prefix}/resume?reason={text}&${suffix}`,
  };
}

function send(response: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload: string | undefined;
  if (reply.body !== undefined) {
    payload = reply.body instanceof RawJson ? reply.body.text : JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  headers['Content-Length'] = String(payload === undefined ? 0 : Buffer.byteLength(payload));
  response.writeHead(reply.status, headers);
  response.end(payload);
}

class RawJson {
  constructor(readonly text: string) {}
  toJSON(): unknown {
    return JSON.parse(this.text) as unknown;
  }
}

function rawJson(text: string): RawJson {
  return new RawJson(text);
}

function isJsonContent(request: IncomingMessage): boolean {
  const type = request.headers['content-type'];
  return typeof type === 'string' && type.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function isLoopback(address: string | undefined): boolean {
  return (
    address === '127.0.0.1' ||
    address === '::1' ||
    address === '::ffff:127.0.0.1' ||
    (address?.startsWith('127.') ?? false)
  );
}

function absoluteUrl(request: IncomingMessage, url: URL): string {
  return `http://${request.headers.host ?? 'localhost'}${url.pathname}${url.search}`;
}

function bool(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  const lower = value.trim().toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

function integer(value: string | null): number | undefined {
  if (value === null || !/^-?\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

function seconds(value: string | null): number | undefined {
  if (value === null || value.trim() === '' || Number.isNaN(Number(value))) return undefined;
  return Number(value) * 1000;
}

function date(value: string | null): Date | undefined {
  if (value === null || value.trim() === '') return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** Comma-separated, case-sensitive enum names; unknown names are ignored (Enum.TryParse). */
function statuses(values: string[]): RuntimeStatus[] | undefined {
  const parsed = values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value): value is RuntimeStatus => (RUNTIME_STATUSES as string[]).includes(value));
  return parsed.length > 0 ? parsed : undefined;
}
