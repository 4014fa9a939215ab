/**
 * The host's HTTP front: `/<routePrefix>/…` HTTP triggers, the admin API, and the durable webhooks.
 * Requests and responses cross the function boundary as the worker protocol's RpcHttpData, so the
 * library builds the real HttpRequest and encodes the real response. Differences from Core Tools:
 * auth levels are enforced when keys are configured (Core Tools ignores them), and wrong methods
 * answer 405 with Allow. As in the real host, a function without a response answers 200 empty, a
 * failing one answers 500 with no body (the error and stack go to the log only), and cookies are
 * written the ASP.NET Core way (value percent-encoded, `path=/` by default, lowercase attributes).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { DurableExtension } from './contracts';
import type { RegisteredFunction } from './core-shim';
import { executeFunction } from './execute';
import type { HostLogger, Invoker, InvokeResult, RpcTypedData } from './invoker';
import { type CompiledRoute, compareRoutes, compileRoute, type RouteParams } from './routes';
import type { TimerScheduler } from './timers';

export interface HostKeys {
  /** Admin level and everything else (the `_master` host key). */
  master: string;
  /** Function level (the `default` host key). */
  function: string;
  /** The durabletask extension's system key, for `/runtime/webhooks/durabletask/*`. */
  system: string;
}

/** Known to tests and local tooling; these are not secrets. */
export const DEFAULT_HOST_KEYS: Readonly<HostKeys> = Object.freeze({
  master: 'local-master-key',
  function: 'local-function-key',
  system: 'local-durabletask-key',
});

/**
 * Keys come from the option, else SENTRY_HOST_{MASTER,FUNCTION,SYSTEM}_KEY, else the defaults.
 * `false` (or SENTRY_HOST_AUTH=off) turns enforcement off, as Core Tools does.
 */
export function resolveHostKeys(
  option: Partial<HostKeys> | false | undefined,
  env: Record<string, string | undefined>,
): HostKeys | undefined {
  if (option === false || (option === undefined && env.SENTRY_HOST_AUTH?.toLowerCase() === 'off')) return undefined;
  const pick = (name: keyof HostKeys, envName: string): string => {
    const value = option?.[name] ?? env[envName] ?? DEFAULT_HOST_KEYS[name];
    if (value === '') throw new Error(`The ${name} key must not be empty.`);
    return value;
  };
  return {
    master: pick('master', 'SENTRY_HOST_MASTER_KEY'),
    function: pick('function', 'SENTRY_HOST_FUNCTION_KEY'),
    system: pick('system', 'SENTRY_HOST_SYSTEM_KEY'),
  };
}

export type AuthLevel = 'anonymous' | 'function' | 'admin' | 'system';

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether the request carries a key good enough for `level` (`?code=` or `x-functions-key`). */
export function isAuthorized(
  level: AuthLevel,
  keys: HostKeys | undefined,
  url: URL,
  headers: IncomingMessage['headers'],
): boolean {
  if (keys === undefined || level === 'anonymous') return true;
  const header = headers['x-functions-key'];
  const given = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? '';
  if (given === '') return false;
  if (sameKey(given, keys.master)) return true;
  if (level === 'function') return sameKey(given, keys.function);
  if (level === 'system') return sameKey(given, keys.system);
  return false;
}

export class FireRejectedError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'FireRejectedError';
  }
}

/** What the admin API may fire directly: non-HTTP functions that need no extension payload. */
export function prepareFire(
  deps: { invoker: Invoker; logger: HostLogger; timers: TimerScheduler | undefined },
  name: string,
  input: string | undefined,
): () => Promise<InvokeResult> {
  let fn: RegisteredFunction;
  try {
    fn = deps.invoker.get(name);
  } catch {
    throw new FireRejectedError(404, `Function "${name}" is not registered.`);
  }
  const type = fn.trigger.type.toLowerCase();
  if (type === 'httptrigger') {
    throw new FireRejectedError(400, `"${fn.name}" is an HTTP function: call its route instead.`);
  }
  if (type === 'orchestrationtrigger' || type === 'entitytrigger') {
    throw new FireRejectedError(400, `"${fn.name}" is a ${fn.trigger.type}: start it through the durable client.`);
  }
  if (type === 'timertrigger') {
    const timers = deps.timers;
    if (timers?.has(fn.name) !== true) throw new FireRejectedError(400, `Timer "${fn.name}" is not armed (disabled?).`);
    return () => timers.fire(fn.name);
  }
  return () =>
    executeFunction(deps.invoker, deps.logger, fn.name, {
      trigger: { string: input ?? '' },
      reason: 'This function was programmatically called via the host APIs.',
    });
}

export interface HttpRoute {
  fn: RegisteredFunction;
  route: CompiledRoute;
  /** Uppercase; empty = any method. */
  methods: string[];
  authLevel: AuthLevel;
}

export function buildHttpRoutes(functions: RegisteredFunction[]): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const fn of functions) {
    if (fn.trigger.type.toLowerCase() !== 'httptrigger') continue;
    const template = typeof fn.trigger.route === 'string' && fn.trigger.route !== '' ? fn.trigger.route : fn.name;
    const methods = Array.isArray(fn.trigger.methods) ? fn.trigger.methods.map((m) => String(m).toUpperCase()) : [];
    const declared = fn.trigger.authLevel ?? 'anonymous';
    const level = typeof declared === 'string' ? declared.toLowerCase() : '';
    if (!['anonymous', 'function', 'admin', 'system'].includes(level)) {
      throw new Error(`Function "${fn.name}" has an unknown authLevel ${JSON.stringify(declared)}.`);
    }
    let route: CompiledRoute;
    try {
      route = compileRoute(template);
    } catch (error) {
      throw new Error(`Function "${fn.name}": ${(error as Error).message}`, { cause: error });
    }
    routes.push({ fn, route, methods, authLevel: level as AuthLevel });
  }
  return routes.sort((a, b) => compareRoutes(a.route, b.route));
}

/** Pairs of functions whose templates are the same and whose methods overlap (ASP.NET: ambiguous match). */
export function findAmbiguousRoutes(routes: HttpRoute[]): [string, string][] {
  const normalize = (template: string): string =>
    template
      .replace(/^~?\/+|\/+$/g, '')
      .toLowerCase()
      .replace(/\{[^}]*\}/g, '{}');
  const pairs: [string, string][] = [];
  routes.forEach((a, i) => {
    for (const b of routes.slice(i + 1)) {
      if (normalize(a.route.template) !== normalize(b.route.template)) continue;
      const overlap = a.methods.length === 0 || b.methods.length === 0 || a.methods.some((m) => b.methods.includes(m));
      if (overlap) pairs.push([a.fn.name, b.fn.name]);
    }
  });
  return pairs;
}

export interface HttpFrontOptions {
  invoker: Invoker;
  logger: HostLogger;
  routePrefix: string;
  keys: HostKeys | undefined;
  durable: DurableExtension | undefined;
  timers: TimerScheduler | undefined;
  /** http://localhost:<port> */
  origin: () => string;
  isDisabled: (name: string) => boolean;
  /** Extra fields for GET /admin/host/status. */
  hostStatus?: () => Record<string, unknown>;
  /** Request bodies above this are refused with 413 (the host's default limit is 100 MB). */
  maxBodyBytes?: number;
  /** Browser origins allowed by CORS (local.settings.json Host.CORS); '*' allows any. */
  cors?: { origins: string[]; credentials: boolean };
}

const DEFAULT_MAX_BODY = 100 * 1024 * 1024;
const DURABLE_WEBHOOK_PREFIX = '/runtime/webhooks/durabletask/';
const DURABLE_RPC_PREFIX = '/durabletask/';

class BodyTooLargeError extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError());
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const contentType =
    body === undefined
      ? {}
      : { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' };
  response.writeHead(status, { ...contentType, ...headers, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Uri.EscapeDataString, which ASP.NET Core applies to cookie values. */
function escapeDataString(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

interface RpcCookie {
  name?: string;
  value?: string;
  domain?: { value?: string };
  path?: { value?: string };
  expires?: { value?: { seconds?: number | string } };
  secure?: { value?: boolean };
  httpOnly?: { value?: boolean };
  sameSite?: string;
  maxAge?: { value?: number };
}

/** One Set-Cookie value in ASP.NET Core's SetCookieHeaderValue order. */
export function formatSetCookie(cookie: RpcCookie): string {
  const parts = [`${cookie.name ?? ''}=${escapeDataString(cookie.value ?? '')}`];
  const seconds = cookie.expires?.value?.seconds;
  if (seconds !== undefined) parts.push(`expires=${new Date(Number(seconds) * 1000).toUTCString()}`);
  if (cookie.maxAge?.value !== undefined) parts.push(`max-age=${Math.trunc(cookie.maxAge.value)}`);
  if (cookie.domain?.value !== undefined) parts.push(`domain=${cookie.domain.value}`);
  parts.push(`path=${cookie.path?.value ?? '/'}`);
  if (cookie.secure?.value === true) parts.push('secure');
  // 'none' in the RPC enum means "not set"; 'explicitNone' is SameSite=None.
  const sameSite = { lax: 'lax', strict: 'strict', explicitNone: 'none' }[cookie.sameSite ?? ''];
  if (sameSite !== undefined) parts.push(`samesite=${sameSite}`);
  if (cookie.httpOnly?.value === true) parts.push('httponly');
  return parts.join('; ');
}

function bodyBytes(body: RpcTypedData | undefined | null): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (body.bytes !== undefined) return Buffer.from(body.bytes);
  if (body.string !== undefined) return Buffer.from(body.string);
  if (body.json !== undefined) return Buffer.from(body.json);
  if (body.int !== undefined || body.double !== undefined) return Buffer.from(String(body.int ?? body.double));
  return Buffer.alloc(0);
}

const HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

export class HttpFront {
  readonly routes: HttpRoute[];
  private readonly started = Date.now();

  constructor(private readonly options: HttpFrontOptions) {
    this.routes = buildHttpRoutes(options.invoker.list());
    for (const [a, b] of findAmbiguousRoutes(this.routes)) {
      options.logger(
        'warning',
        `Functions "${a}" and "${b}" have the same route and methods; requests go to "${a}" here, Azure answers 500 (ambiguous match).`,
      );
    }
  }

  /** The public URL of an HTTP function (its template, unexpanded). */
  functionUrl(route: HttpRoute): string {
    const prefix = this.options.routePrefix === '' ? '' : `/${this.options.routePrefix}`;
    const template = route.route.template.replace(/^~?\/+/, '');
    return `${this.options.origin()}${prefix}/${template}`;
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    this.dispatch(request, response).catch((error: unknown) => {
      this.options.logger(
        'error',
        `Unhandled error serving ${request.method ?? '?'} ${pathOnly(request.url)}: ${String(error)}`,
      );
      send(response, 500);
    });
  }

  private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = requestUrl(request, this.options.origin());
    let body: Buffer;
    try {
      body = await readBody(request, this.options.maxBodyBytes ?? DEFAULT_MAX_BODY);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        send(response, 413, { error: 'Request body too large.' });
        return;
      }
      throw error;
    }
    const path = url.pathname;
    const lower = path.toLowerCase();
    if (this.applyCors(request, response)) return;

    if (lower.startsWith(DURABLE_WEBHOOK_PREFIX) || lower.startsWith(DURABLE_RPC_PREFIX)) {
      await this.serveDurable(request, response, url, body);
      return;
    }
    if (lower === '/admin' || lower.startsWith('/admin/')) {
      this.serveAdmin(request, response, url, body);
      return;
    }
    const prefix = this.options.routePrefix.toLowerCase();
    if (prefix === '' || lower === `/${prefix}` || lower.startsWith(`/${prefix}/`)) {
      const relative = prefix === '' ? path.slice(1) : path.slice(prefix.length + 2);
      if (await this.serveFunction(request, response, url, relative, body)) return;
    }
    if (path === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
      send(response, 200, 'Your Functions 4.0 app is up and running (Sentry local host).');
      return;
    }
    send(response, 404);
  }

  /** Adds CORS headers for an allowed Origin; answers a preflight itself (returns true then). */
  private applyCors(request: IncomingMessage, response: ServerResponse): boolean {
    const origin = request.headers.origin;
    const cors = this.options.cors;
    if (origin === undefined || cors === undefined || cors.origins.length === 0) return false;
    const wildcard = cors.origins.includes('*');
    if (!wildcard && !cors.origins.some((o) => o.toLowerCase() === origin.toLowerCase())) return false;
    response.setHeader('access-control-allow-origin', wildcard && !cors.credentials ? '*' : origin);
    if (cors.credentials) response.setHeader('access-control-allow-credentials', 'true');
    if (!(wildcard && !cors.credentials)) response.setHeader('vary', 'Origin');
    const requestedMethod = request.headers['access-control-request-method'];
    if (request.method !== 'OPTIONS' || requestedMethod === undefined) return false;
    response.setHeader('access-control-allow-methods', requestedMethod);
    const requestedHeaders = request.headers['access-control-request-headers'];
    if (requestedHeaders !== undefined) response.setHeader('access-control-allow-headers', requestedHeaders);
    send(response, 204);
    return true;
  }

  private async serveDurable(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    body: Buffer,
  ): Promise<void> {
    const durable = this.options.durable;
    if (durable === undefined) {
      send(response, 404, { error: 'The durable extension is not running in this host.' });
      return;
    }
    // The public webhook needs the system key; the rpcBaseUrl listener is local to the worker and open.
    if (
      url.pathname.toLowerCase().startsWith(DURABLE_WEBHOOK_PREFIX) &&
      !isAuthorized('system', this.options.keys, url, request.headers)
    ) {
      this.options.logger('warning', `401 for ${request.method ?? '?'} ${url.pathname}: missing or wrong system key.`);
      send(response, 401);
      return;
    }
    const handled = await durable.handleHttp(request, response, body);
    if (!handled) send(response, 404);
  }

  private async serveFunction(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    relative: string,
    body: Buffer,
  ): Promise<boolean> {
    const method = (request.method ?? 'GET').toUpperCase();
    const allowed = new Set<string>();
    let matched: { route: HttpRoute; params: RouteParams } | undefined;
    for (const route of this.routes) {
      if (this.options.isDisabled(route.fn.name)) continue;
      const params = route.route.match(relative);
      if (params === undefined) continue;
      if (route.methods.length === 0 || route.methods.includes(method)) {
        matched = { route, params };
        break;
      }
      for (const m of route.methods) allowed.add(m);
    }
    if (matched === undefined) {
      if (allowed.size === 0) return false;
      send(response, 405, undefined, { allow: [...allowed].join(', ') });
      return true;
    }
    const { route, params } = matched;
    if (!isAuthorized(route.authLevel, this.options.keys, url, request.headers)) {
      this.options.logger(
        'warning',
        `401 for ${method} ${url.pathname}: authLevel "${route.authLevel}" needs a valid key (?code= or x-functions-key).`,
        {
          functionName: route.fn.name,
        },
      );
      send(response, 401);
      return true;
    }

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined) continue;
      headers[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
    }
    const query: Record<string, string> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');
    const http: Record<string, unknown> = {
      method,
      url: url.href,
      headers,
      query,
      params,
    };
    // The library drops a GET/HEAD body anyway (fetch's Request forbids one).
    if (method !== 'GET' && method !== 'HEAD')
      http.body = { bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };

    let result: InvokeResult;
    try {
      result = await executeFunction(this.options.invoker, this.options.logger, route.fn.name, {
        trigger: { http },
        reason: `HTTP ${method} ${url.pathname}`,
      });
    } catch {
      // executeFunction logged the error with the invocation id; the client learns nothing more.
      send(response, 500);
      return true;
    }
    this.writeResponse(response, route.fn, result, method === 'HEAD');
    return true;
  }

  private writeResponse(response: ServerResponse, fn: RegisteredFunction, result: InvokeResult, isHead: boolean): void {
    let http = result.returnValue?.http;
    if (http === undefined) {
      // A named http output binding (not `$return`) travels in outputData.
      const outputName = Object.entries(fn.metadata.bindings).find(
        ([, b]) => b.direction === 'out' && b.type.toLowerCase() === 'http',
      )?.[0];
      const output = result.outputData.find((o) => o.name === outputName);
      http = output?.data?.http;
    }
    if (http === undefined) {
      // No response from the function: the host answers 200 with no body (OkResult).
      send(response, 200);
      return;
    }
    const status = Number(http.statusCode ?? 200) || 200;
    const headers = (http.headers ?? {}) as Record<string, string>;
    for (const [name, value] of Object.entries(headers)) {
      if (HOP_BY_HOP.has(name.toLowerCase()) || name.toLowerCase() === 'set-cookie') continue;
      response.setHeader(name, value);
    }
    const cookies = ((http.cookies ?? []) as RpcCookie[]).map(formatSetCookie);
    const headerCookie = Object.entries(headers).find(([name]) => name.toLowerCase() === 'set-cookie')?.[1];
    if (headerCookie !== undefined) cookies.unshift(headerCookie);
    if (cookies.length > 0) response.setHeader('set-cookie', cookies);
    const bytes = status === 204 || status === 304 ? Buffer.alloc(0) : bodyBytes(http.body as RpcTypedData | undefined);
    response.statusCode = status;
    response.setHeader('content-length', bytes.length);
    response.end(isHead ? undefined : bytes);
  }

  private serveAdmin(request: IncomingMessage, response: ServerResponse, url: URL, body: Buffer): void {
    if (!isAuthorized('admin', this.options.keys, url, request.headers)) {
      this.options.logger(
        'warning',
        `401 for ${request.method ?? '?'} ${url.pathname}: the admin API needs the master key.`,
      );
      send(response, 401);
      return;
    }
    const method = request.method ?? 'GET';
    const segments = url.pathname.split('/').filter((s) => s !== '');
    if (segments[1]?.toLowerCase() === 'host' && segments[2]?.toLowerCase() === 'status' && segments.length === 3) {
      if (method !== 'GET') {
        send(response, 405, undefined, { allow: 'GET' });
        return;
      }
      send(response, 200, {
        id: 'sentry-local',
        state: 'Running',
        version: '4.1037.0',
        versionDetails: 'Sentry local host (dev/host), emulating Functions host 4.x',
        processUptime: Date.now() - this.started,
        ...this.options.hostStatus?.(),
      });
      return;
    }
    if (segments[1]?.toLowerCase() !== 'functions' || segments.length > 3) {
      send(response, 404);
      return;
    }
    const name = segments[2] === undefined ? undefined : decodeURIComponent(segments[2]);
    if (name === undefined) {
      if (method !== 'GET') {
        send(response, 405, undefined, { allow: 'GET' });
        return;
      }
      send(
        response,
        200,
        this.options.invoker.list().map((fn) => this.describe(fn)),
      );
      return;
    }
    if (method === 'GET') {
      const fn = this.options.invoker.list().find((f) => f.name.toLowerCase() === name.toLowerCase());
      if (fn === undefined) send(response, 404);
      else send(response, 200, this.describe(fn));
      return;
    }
    if (method !== 'POST') {
      send(response, 405, undefined, { allow: 'GET, POST' });
      return;
    }
    let input: string | undefined;
    if (body.length > 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        send(response, 400, { error: 'The body must be JSON: {"input": "<string>"}.' });
        return;
      }
      const value = (parsed as { input?: unknown } | null)?.input;
      if (value !== undefined && value !== null && typeof value !== 'string') {
        send(response, 400, { error: '"input" must be a string.' });
        return;
      }
      input = value ?? undefined;
    }
    let run: () => Promise<InvokeResult>;
    try {
      run = prepareFire(this.options, name, input);
    } catch (error) {
      if (error instanceof FireRejectedError) {
        send(response, error.status, { error: error.message });
        return;
      }
      throw error;
    }
    // Like the real host: accepted now, runs in the background; failures are in the log.
    run().catch(() => undefined);
    send(response, 202);
  }

  private describe(fn: RegisteredFunction): Record<string, unknown> {
    const route = this.routes.find((r) => r.fn === fn);
    const timerStatus = this.options.timers?.status(fn.name);
    return {
      name: fn.name,
      language: 'node',
      isDisabled: this.options.isDisabled(fn.name),
      trigger: fn.trigger.type,
      href: `${this.options.origin()}/admin/functions/${encodeURIComponent(fn.name)}`,
      invoke_url_template: route === undefined ? null : this.functionUrl(route),
      methods: route?.methods ?? null,
      authLevel: route?.authLevel ?? null,
      schedule: typeof fn.trigger.schedule === 'string' ? fn.trigger.schedule : null,
      scheduleStatus:
        timerStatus === undefined
          ? null
          : {
              last: timerStatus.Last?.toISOString() ?? null,
              next: timerStatus.Next.toISOString(),
              lastUpdated: timerStatus.LastUpdated?.toISOString() ?? null,
            },
      config: { bindings: Object.values(fn.metadata.bindings) },
    };
  }
}

/** The URL as the client addressed it (Host header), as the real host reports it to functions. */
function requestUrl(request: IncomingMessage, fallbackOrigin: string): URL {
  const host = request.headers.host;
  if (host !== undefined && /^[A-Za-z0-9.:[\]-]+$/.test(host)) {
    try {
      return new URL(request.url ?? '/', `http://${host}`);
    } catch {
      // fall through to the host's own origin
    }
  }
  return new URL(request.url ?? '/', fallbackOrigin);
}

/** The path of a request URL without its query (which may carry `code=`). */
function pathOnly(url: string | undefined): string {
  return (url ?? '/').split('?')[0] ?? '/';
}
