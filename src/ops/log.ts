/**
 * Log lines that say which orchestration and which collection cycle they belong to.
 *
 * The Node worker hands the Functions host one message string per line; the host forwards it to
 * Application Insights (`traces`, with the invocation id and function name in customDimensions) when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set. There is no per-line custom property in this path, so
 * the orchestration instance and the cycle id travel in the message, as one fixed suffix:
 *
 *   `<message> [sentry instanceId=sentry-cycle cycleId=2026-11-23T10:00:00.000Z#42]`
 *
 *   traces | extend instanceId = extract(@"\[sentry [^\]]*instanceId=([^ \]]+)", 1, message),
 *                   cycleId    = extract(@"\[sentry [^\]]*cycleId=([^ \]]+)", 1, message)
 *
 * `registerLogScopeHook()` tags every line of every activity and orchestration from its trigger
 * input (an activity's `cycleId` input field and the instance id the Durable extension puts in the
 * activity trigger metadata; an orchestration's own instance id, its input's `cycleId`, and for the
 * eternal cycle the id it is about to give itself), and redacts configured secrets from every line.
 * `scopedLogger(context, scope)` adds scope a function knows better (source, org, backfill window).
 */
import { format } from 'node:util';

import { app, type InvocationContext } from '@azure/functions';

import { redactSecrets } from '../config';
import { carriedOf } from '../orchestrators/cycle';
import { OrchestratorNames } from '../contracts';

export interface LogScope {
  instanceId?: string | undefined;
  cycleId?: string | undefined;
  source?: string | undefined;
  org?: string | undefined;
}

const SCOPE_KEYS = ['instanceId', 'cycleId', 'source', 'org'] as const;
const LEVELS = ['log', 'trace', 'debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];
type LogMethod = (...args: unknown[]) => void;

/** ` [sentry key=value …]`, or '' for an empty scope; values lose spaces and brackets so the suffix stays parseable. */
export function formatScope(scope: LogScope): string {
  const parts: string[] = [];
  for (const key of SCOPE_KEYS) {
    const value = scope[key];
    if (value !== undefined && value !== '') parts.push(`${key}=${value.replace(/[\s[\]]+/g, '_').slice(0, 200)}`);
  }
  return parts.length === 0 ? '' : ` [sentry ${parts.join(' ')}]`;
}

/** Reads the scope back out of a formatted line (tests, local tooling). */
export function parseScope(line: string): LogScope | undefined {
  const match = /\[sentry ([^\]]*)\]/.exec(line);
  if (match?.[1] === undefined) return undefined;
  const scope: LogScope = {};
  for (const part of match[1].split(' ')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at) as (typeof SCOPE_KEYS)[number];
    if (at > 0 && (SCOPE_KEYS as readonly string[]).includes(key)) scope[key] = part.slice(at + 1);
  }
  return scope;
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const asText = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The cycle id the eternal cycle gives an episode: its first OrchestratorStarted time and the cycle
 * number it was continued with (`${currentUtcDateTime.toISOString()}#${cycle}` in orchestrators/cycle.ts).
 */
export function cycleIdOfPayload(payload: Record<string, unknown>): string | undefined {
  const history = Array.isArray(payload.history) ? (payload.history as unknown[]) : [];
  const started = history.map(asRecord).find((event) => event?.EventType === 12);
  const timestamp = started?.Timestamp;
  const at = timestamp instanceof Date ? timestamp : typeof timestamp === 'string' ? new Date(timestamp) : undefined;
  if (at === undefined || Number.isNaN(at.getTime())) return undefined;
  return `${at.toISOString()}#${carriedOf(payload.input).cycle}`;
}

/** What a durable invocation's trigger says about its scope; empty for other triggers. */
export function scopeOfInvocation(
  triggerType: string,
  functionName: string,
  input: unknown,
  triggerMetadata: Record<string, unknown> | undefined,
): LogScope {
  const type = triggerType.toLowerCase();
  if (type === 'activitytrigger') {
    return { instanceId: asText(triggerMetadata?.instanceId), cycleId: asText(asRecord(input)?.cycleId) };
  }
  if (type === 'orchestrationtrigger') {
    const payload = asRecord(input);
    if (payload === undefined) return {};
    const own = asText(asRecord(payload.input)?.cycleId);
    return {
      instanceId: asText(payload.instanceId),
      cycleId: own ?? (functionName === OrchestratorNames.cycle ? cycleIdOfPayload(payload) : undefined),
    };
  }
  return {};
}

interface Tagged {
  scope: LogScope;
  originals: Record<Level, LogMethod>;
}

const tagged = new WeakMap<InvocationContext, Tagged>();

function originalsOf(context: InvocationContext): Record<Level, LogMethod> {
  const known = tagged.get(context);
  if (known !== undefined) return known.originals;
  const out = {} as Record<Level, LogMethod>;
  for (const level of LEVELS) out[level] = context[level].bind(context) as LogMethod;
  return out;
}

/**
 * From now on every line this invocation logs ends with the scope and has secrets redacted. Calling
 * it again merges the scope (later values win); the originals are kept, so lines are tagged once.
 */
export function tagInvocationLogs(context: InvocationContext, scope: LogScope): void {
  const originals = originalsOf(context);
  const merged: LogScope = { ...tagged.get(context)?.scope };
  for (const key of SCOPE_KEYS) if (scope[key] !== undefined) merged[key] = scope[key];
  tagged.set(context, { scope: merged, originals });
  for (const level of LEVELS) {
    context[level] = (...args: unknown[]) => {
      originals[level](`${redactSecrets(format(...args))}${formatScope(tagged.get(context)?.scope ?? merged)}`);
    };
  }
}

export interface ScopedLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * A logger whose lines carry the invocation's scope plus `scope`, secrets redacted. In an
 * orchestration (a context with `df`), lines are dropped while the orchestrator replays, so each is
 * written once rather than once per episode.
 */
export function scopedLogger(context: InvocationContext, scope: LogScope = {}): ScopedLogger {
  const originals = originalsOf(context);
  const replaying = () => (context as { df?: { isReplaying?: unknown } }).df?.isReplaying === true;
  const write = (level: Level, message: string) => {
    if (replaying()) return;
    const merged: LogScope = { ...tagged.get(context)?.scope };
    for (const key of SCOPE_KEYS) if (scope[key] !== undefined) merged[key] = scope[key];
    originals[level](`${redactSecrets(message)}${formatScope(merged)}`);
  };
  return {
    info: (message) => {
      write('info', message);
    },
    warn: (message) => {
      write('warn', message);
    },
    error: (message) => {
      write('error', message);
    },
  };
}

let registered = false;

/** Registers (once per process) the preInvocation hook that tags activity and orchestration logs. */
export function registerLogScopeHook(): void {
  if (registered) return;
  registered = true;
  app.hook.preInvocation((hook) => {
    try {
      const context = hook.invocationContext;
      const scope = scopeOfInvocation(
        context.options.trigger.type,
        context.functionName,
        hook.inputs[0],
        context.triggerMetadata,
      );
      if (formatScope(scope) !== '') tagInvocationLogs(context, scope);
    } catch {
      // Tagging is best effort: a log suffix must never fail an invocation.
    }
  });
}
