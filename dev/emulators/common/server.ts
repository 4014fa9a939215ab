/**
 * A small HTTP(S) server base for the emulators: a route table with `{param}` segments, body
 * reading, JSON helpers, request logging for tests, and the generic fault kinds of faults.ts.
 * Every emulator listens on 127.0.0.1, on port 0 unless told otherwise.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

import { FaultInjector, FaultSpec } from './faults';

export interface EmulatorRequest {
  method: string;
  /** Path without the query string, percent-decoded per segment by the router. */
  path: string;
  url: URL;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  params: Record<string, string>;
  body: Buffer;
  raw: IncomingMessage;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  /** A string or Buffer is sent as is; anything else as JSON. `undefined` sends no body. */
  body?: unknown;
}

export type RouteHandler = (request: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: RouteHandler;
}

export class Router {
  private readonly routes: Route[] = [];

  /** `path` like `/organizations/{organizationId}/networks`; `{rest*}` matches the remainder. */
  on(method: string, path: string, handler: RouteHandler): this {
    const names: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        const param = /^\{(\w+)(\*)?\}$/.exec(segment);
        if (param === null) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        names.push(param[1] ?? '');
        return param[2] === '*' ? '(.*)' : '([^/]+)';
      })
      .join('/');
    this.routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${source}/?$`), names, handler });
    return this;
  }

  /** Finds the route; `undefined` when no path matches, `'method'` when only the method is wrong. */
  match(method: string, path: string): { handler: RouteHandler; params: Record<string, string> } | 'method' | undefined {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (m === null) continue;
      pathMatched = true;
      if (route.method !== method.toUpperCase() && route.method !== '*') continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, index) => {
        params[name] = decodeURIComponent(m[index + 1] ?? '');
      });
      return { handler: route.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingMessage['headers'];
  status: number;
  at: number;
}

export interface StartedServer {
  url: string;
  port: number;
  server: Server;
  faults: FaultInjector;
  /** Requests answered so far (most recent last); tests assert on paging, auth and retries with it. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface StartOptions {
  name: string;
  router: Router;
  port?: number;
  host?: string;
  tls?: { key: string | Buffer; cert: string | Buffer };
  faults?: FaultInjector;
  /** Keep at most this many recorded requests (default 10,000). */
  recordLimit?: number;
}

export function json(status: number, body: unknown, headers: Record<string, string | string[]> = {}): EmulatorResponse {
  return { status, body, headers };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function encode(response: EmulatorResponse): { body: Buffer | undefined; contentType: string | undefined } {
  if (response.body === undefined) return { body: undefined, contentType: undefined };
  if (Buffer.isBuffer(response.body)) return { body: response.body, contentType: 'application/octet-stream' };
  if (typeof response.body === 'string') return { body: Buffer.from(response.body), contentType: 'text/plain; charset=utf-8' };
  return { body: Buffer.from(JSON.stringify(response.body)), contentType: 'application/json; charset=utf-8' };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startEmulatorServer(options: StartOptions): Promise<StartedServer> {
  const faults = options.faults ?? new FaultInjector();
  const requests: RecordedRequest[] = [];
  const recordLimit = options.recordLimit ?? 10_000;
  const sockets = new Set<Socket>();
  const base = `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1`;

  // Control routes every emulator shares: switch faults at runtime from another process.
  options.router
    .on('GET', '/_faults', () => json(200, faults.list()))
    .on('POST', '/_faults', (req) => json(200, { id: faults.add(FaultSpec.parse(JSON.parse(req.body.toString('utf8')))) }))
    .on('DELETE', '/_faults', () => {
      faults.clear();
      return { status: 204 };
    });

  const listener = async (raw: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(raw.url ?? '/', base);
    const method = (raw.method ?? 'GET').toUpperCase();
    const record = (status: number) => {
      requests.push({ method, path: url.pathname, query: url.search, headers: raw.headers, status, at: Date.now() });
      if (requests.length > recordLimit) requests.splice(0, requests.length - recordLimit);
    };
    const isControl = url.pathname === '/_faults';
    try {
      const body = await readBody(raw);
      if (!isControl) {
        const drop = faults.take('drop', raw);
        if (drop !== undefined) {
          record(0);
          raw.socket.destroy();
          return;
        }
        const latency = faults.take('latency', raw);
        if (latency !== undefined) await sleep(latency.ms ?? 1000);
        const status = faults.take('status', raw);
        if (status !== undefined) {
          const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
          if (status.retryAfterSec !== undefined) headers['retry-after'] = String(status.retryAfterSec);
          res.writeHead(status.status ?? 500, headers);
          res.end(status.body ?? JSON.stringify({ error: 'injected_fault' }));
          record(status.status ?? 500);
          return;
        }
      }
      const found = options.router.match(method, url.pathname);
      let response: EmulatorResponse;
      if (found === undefined) response = json(404, { error: 'not_found', path: url.pathname });
      else if (found === 'method') response = json(405, { error: 'method_not_allowed' });
      else {
        response = await found.handler({
          method,
          path: url.pathname,
          url,
          query: url.searchParams,
          headers: raw.headers,
          params: found.params,
          body,
          raw,
        });
      }
      const encoded = encode(response);
      const contentType = encoded.contentType;
      let payload = encoded.body;
      if (!isControl && payload !== undefined && faults.take('malformed', raw) !== undefined) {
        payload = payload.subarray(0, Math.floor(payload.length / 2));
      }
      const headers: Record<string, string | string[]> = { ...(response.headers ?? {}) };
      if (contentType !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['content-type'] = contentType;
      }
      res.writeHead(response.status, headers);
      res.end(payload);
      record(response.status);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'emulator_error', message, emulator: options.name }));
      record(500);
    }
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void listener(req, res);
  };
  const server = options.tls === undefined ? createHttpServer(handler) : createHttpsServer(options.tls, handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${base}:${port}`,
    port,
    server,
    faults,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
