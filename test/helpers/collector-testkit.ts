/**
 * Test-only helpers for collector tests: a scripted `fetch` that serves recorded vendor exchanges
 * from `test/fixtures/<source>/NNN-<case>.json`, and a fake clock whose `sleep` advances time and
 * records every wait. Lives under test/ so it never compiles into the deployed dist/.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { FetchLike } from '../../src/collectors/http';

export interface RecordedExchange {
  description?: string;
  request?: { method?: string; path?: string; query?: Record<string, string> };
  response: { status: number; headers?: Record<string, string>; body?: unknown; bodyText?: string };
}

const FIXTURES = resolve(__dirname, '../fixtures');

export function loadExchange(source: 'slack-audit-pages' | 'meraki-pages', name: string): RecordedExchange {
  return JSON.parse(readFileSync(resolve(FIXTURES, source, `${name}.json`), 'utf8')) as RecordedExchange;
}

export function toResponse(exchange: RecordedExchange): Response {
  const { status, headers = {}, body, bodyText } = exchange.response;
  const text = bodyText ?? (body === undefined ? '' : JSON.stringify(body));
  return new Response(status === 204 ? null : text, { status, headers });
}

export interface SentRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

type Step = RecordedExchange | ((request: SentRequest) => Response | Promise<Response>);

/** A fetch that answers each call with the next step, recording what was sent; running out fails the test. */
export function scriptedFetch(steps: Step[]): { fetch: FetchLike; requests: SentRequest[]; remaining: () => number } {
  const queue = [...steps];
  const requests: SentRequest[] = [];
  const fetchImpl: FetchLike = async (url, init) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const request: SentRequest = {
      url: new URL(url),
      method: init.method ?? 'GET',
      headers,
      body: typeof init.body === 'string' ? init.body : undefined,
    };
    requests.push(request);
    const step = queue.shift();
    if (step === undefined) throw new Error(`scriptedFetch: unexpected request ${request.method} ${url}`);
    return typeof step === 'function' ? step(request) : toResponse(step);
  };
  return { fetch: fetchImpl, requests, remaining: () => queue.length };
}

/** A millisecond clock that only moves when `sleep` is called; `sleeps` lists every wait. */
export function fakeClock(startMs = 1_700_000_000_000): {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  sleeps: number[];
  advance: (ms: number) => void;
} {
  let current = startMs;
  const sleeps: number[] = [];
  return {
    now: () => current,
    sleep: (ms) => {
      sleeps.push(ms);
      current += ms;
      return Promise.resolve();
    },
    sleeps,
    advance: (ms) => {
      current += ms;
    },
  };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}
