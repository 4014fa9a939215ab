import { InvocationContext } from '@azure/functions';
import type { OrchestrationContext } from 'durable-functions';
import { afterEach, describe, expect, it } from 'vitest';

import { cycleOrchestrator } from '../orchestrators/cycle';
import { cycleIdOfPayload, formatScope, parseScope, scopedLogger, scopeOfInvocation, tagInvocationLogs } from './log';

function capturingContext(functionName = 'collectSlackAudit'): {
  context: InvocationContext;
  lines: { level: string; text: string }[];
} {
  const lines: { level: string; text: string }[] = [];
  const context = new InvocationContext({
    functionName,
    invocationId: 'inv-1',
    logHandler: (level, ...args) => {
      lines.push({ level, text: args.map(String).join(' ') });
    },
  });
  return { context, lines };
}

const SECRET = 'xoxb-test-secret-value-123456';
const previous = process.env.SENTRY_SLACK_BOT_TOKEN;
afterEach(() => {
  if (previous === undefined) delete process.env.SENTRY_SLACK_BOT_TOKEN;
  else process.env.SENTRY_SLACK_BOT_TOKEN = previous;
});

describe('formatScope / parseScope', () => {
  it('writes a fixed, parseable suffix and nothing for an empty scope', () => {
    expect(formatScope({})).toBe('');
    expect(formatScope({ instanceId: '', cycleId: undefined })).toBe('');
    const suffix = formatScope({ instanceId: 'sentry-cycle', cycleId: '2026-11-23T10:00:00.000Z#4', org: 'E1' });
    expect(suffix).toBe(' [sentry instanceId=sentry-cycle cycleId=2026-11-23T10:00:00.000Z#4 org=E1]');
    expect(parseScope(`collected 10 rows${suffix}`)).toEqual({
      instanceId: 'sentry-cycle',
      cycleId: '2026-11-23T10:00:00.000Z#4',
      org: 'E1',
    });
  });

  it('keeps values from breaking the suffix (spaces, brackets)', () => {
    const suffix = formatScope({ org: 'Acme ] Corp [x]' });
    expect(parseScope(suffix)).toEqual({ org: 'Acme_Corp_x_' });
    expect(parseScope('no scope here')).toBeUndefined();
  });
});

describe('scopeOfInvocation', () => {
  it('takes an activity cycle id from its input and the instance id from the trigger metadata', () => {
    expect(
      scopeOfInvocation(
        'activityTrigger',
        'collectMeraki',
        { cycleId: 'c#1', org: '42' },
        { instanceId: 'sentry-cycle' },
      ),
    ).toEqual({
      instanceId: 'sentry-cycle',
      cycleId: 'c#1',
    });
    expect(scopeOfInvocation('activityTrigger', 'planBackfill', 'just text', undefined)).toEqual({
      instanceId: undefined,
      cycleId: undefined,
    });
  });

  it("takes an orchestration's instance id, and the cycle's own id for the eternal cycle", () => {
    const payload = {
      instanceId: 'sentry-cycle',
      input: { cycle: 12 },
      history: [
        { EventType: 12, Timestamp: '2026-11-23T10:00:05.1234567Z' },
        { EventType: 0, Timestamp: '2026-11-23T10:00:05.2Z' },
        { EventType: 12, Timestamp: '2026-11-23T10:01:00Z' },
      ],
    };
    expect(scopeOfInvocation('orchestrationTrigger', 'cycle', payload, undefined)).toEqual({
      instanceId: 'sentry-cycle',
      cycleId: '2026-11-23T10:00:05.123Z#12',
    });
    // Other orchestrations get no invented cycle id.
    expect(
      scopeOfInvocation('orchestrationTrigger', 'incident', { ...payload, instanceId: 'incident-x' }, undefined),
    ).toEqual({
      instanceId: 'incident-x',
      cycleId: undefined,
    });
    expect(scopeOfInvocation('httpTrigger', 'opsStatus', { cycleId: 'nope' }, undefined)).toEqual({});
  });

  it('derives exactly the cycle id the cycle orchestrator gives itself', () => {
    const started = '2026-11-23T10:00:05.123Z';
    let status: unknown;
    const context = {
      df: {
        getInput: () => ({ cycle: 3 }),
        currentUtcDateTime: new Date(started),
        setCustomStatus: (value: unknown) => {
          status = value;
        },
        callActivity: () => ({}),
      },
    } as unknown as OrchestrationContext;
    cycleOrchestrator(context).next();
    expect((status as { cycleId: string }).cycleId).toBe(
      cycleIdOfPayload({ input: { cycle: 3 }, history: [{ EventType: 12, Timestamp: started }] }),
    );
  });
});

describe('tagInvocationLogs / scopedLogger', () => {
  it('suffixes every level with the scope, once, and redacts configured secrets', () => {
    process.env.SENTRY_SLACK_BOT_TOKEN = SECRET;
    const { context, lines } = capturingContext();
    tagInvocationLogs(context, { instanceId: 'sentry-cycle', cycleId: 'c#1' });
    tagInvocationLogs(context, { org: 'E1' });
    context.log('rows', 10);
    context.warn(`token ${SECRET} leaked?`);
    context.error(new Error('boom'));
    expect(lines.map((l) => l.level)).toEqual(['information', 'warning', 'error']);
    expect(lines[0]?.text).toBe('rows 10 [sentry instanceId=sentry-cycle cycleId=c#1 org=E1]');
    expect(lines[1]?.text).toBe(
      'token [SENTRY_SLACK_BOT_TOKEN] leaked? [sentry instanceId=sentry-cycle cycleId=c#1 org=E1]',
    );
    expect(lines[2]?.text).toMatch(/^Error: boom[\s\S]* \[sentry instanceId=sentry-cycle cycleId=c#1 org=E1\]$/);
    expect(lines.every((l) => (l.text.match(/\[sentry /g) ?? []).length === 1)).toBe(true);
  });

  it('scopedLogger adds its own scope on top, and stays silent while an orchestrator replays', () => {
    const { context, lines } = capturingContext('cycle');
    tagInvocationLogs(context, { instanceId: 'sentry-cycle', cycleId: 'c#2' });
    const log = scopedLogger(context, { source: 'meraki', org: '42' });
    log.info('planned');
    expect(lines.at(-1)?.text).toBe('planned [sentry instanceId=sentry-cycle cycleId=c#2 source=meraki org=42]');
    (context as unknown as { df: { isReplaying: boolean } }).df = { isReplaying: true };
    log.warn('replayed line');
    expect(lines).toHaveLength(1);
    // Without a hook-applied scope it still tags what it knows.
    const plain = capturingContext('opsStatus');
    scopedLogger(plain.context, { cycleId: 'c#9' }).error('failed');
    expect(plain.lines[0]).toEqual({ level: 'error', text: 'failed [sentry cycleId=c#9]' });
  });
});
