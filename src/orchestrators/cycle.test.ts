import { describe, expect, it } from 'vitest';

import { type FakeTask, steppedContext } from '../../test/helpers/fake-durable';
import { backfillOrchestrator, SLICE } from './backfill';
import { carriedOf, cycleOrchestrator, outcomeOf } from './cycle';
import { ActivityNames, EventNames } from '../contracts';

const START = new Date('2026-11-23T10:00:00.000Z');

/** A TaskFailedError-like error, as durable-functions raises for a failed activity. */
function taskFailed(message: string): Error {
  return Object.assign(new Error(`AppError: ${message}`), {
    name: 'TaskFailedError',
    failureDetails: { errorType: 'AppError', errorMessage: message, isNonRetriable: false },
  });
}

const plan = {
  targets: [
    { source: 'slackAudit', org: 'E1' },
    { source: 'meraki', org: '111' },
  ],
  pollIntervalSeconds: 60,
  minGapSeconds: 15,
};

function expectTask(value: unknown, kind: FakeTask['kind'], name?: string): FakeTask {
  const task = value as FakeTask;
  expect(task.kind).toBe(kind);
  if (name !== undefined) expect((task as { name: string }).name).toBe(name);
  return task;
}

describe('cycle orchestrator', () => {
  it('plans, fans out with retry, fans in, records, evaluates, dispatches findings, waits, continues as new', () => {
    const fake = steppedContext({ cycle: 7 }, START);
    const gen = cycleOrchestrator(fake.context) as Generator<unknown, unknown, unknown>;
    const cycleId = `${START.toISOString()}#7`;

    expect(expectTask(gen.next().value, 'activity', ActivityNames.planCycle)).toMatchObject({ input: { cycleId } });

    const all = expectTask(gen.next(plan).value, 'all') as { tasks: FakeTask[] };
    expect(all.tasks).toEqual([
      {
        kind: 'activity',
        name: ActivityNames.collectSlackAudit,
        retry: expect.anything() as unknown,
        input: { cycleId, org: 'E1', now: START.toISOString() },
      },
      {
        kind: 'activity',
        name: ActivityNames.collectMeraki,
        retry: expect.anything() as unknown,
        input: { cycleId, org: '111', now: START.toISOString() },
      },
    ]);
    const slack = {
      source: 'slackAudit',
      rows: 10,
      quarantined: 1,
      apiCalls: 2,
      bytes: 5000,
      checkpointAt: 1_800_000_000,
      caughtUp: true,
    };
    const meraki = { source: 'meraki', rows: 3, quarantined: 0, apiCalls: 2, bytes: 900, failovers: 1 };
    // Fan-in: each target's own task is yielded for its result.
    expect(gen.next([slack, meraki]).value).toBe(all.tasks[0]);
    expect(gen.next(slack).value).toBe(all.tasks[1]);

    const record = expectTask(gen.next(meraki).value, 'activity', ActivityNames.recordCycle) as {
      input: { outcomes: unknown[] };
    };
    expect(record.input).toMatchObject({ cycleId, startedAt: START.toISOString() });
    expect(record.input.outcomes).toEqual([
      {
        source: 'slackAudit',
        org: 'E1',
        ok: true,
        counts: { rows: 10, quarantined: 1, apiCalls: 2, bytes: 5000 },
        details: { checkpointAt: 1_800_000_000, caughtUp: true },
      },
      {
        source: 'meraki',
        org: '111',
        ok: true,
        counts: { rows: 3, quarantined: 0, apiCalls: 2, bytes: 900 },
        details: { failovers: 1 },
      },
    ]);

    expect(expectTask(gen.next({ recorded: 2 }).value, 'activity', ActivityNames.evaluateDetections)).toMatchObject({
      input: { cycleId, now: START.toISOString() },
    });
    const evaluated = { reported: 1, created: 1, grown: 0, windows: 3, buckets: 4 };
    // Only the cycle id crosses to dispatch: it reads the cycle's findings from the store.
    expect(expectTask(gen.next(evaluated).value, 'activity', ActivityNames.dispatchIncidents)).toEqual({
      kind: 'activity',
      name: ActivityNames.dispatchIncidents,
      retry: expect.anything() as unknown,
      input: { cycleId },
    });

    const dispatched = { started: 1, updated: 0, skipped: 0, heldBack: 0, rejected: 0 };
    const any = expectTask(gen.next(dispatched).value, 'any') as { tasks: FakeTask[] };
    const [timer, event] = any.tasks as [FakeTask & { at: Date }, FakeTask];
    expect(timer.kind).toBe('timer');
    expect(timer.at.toISOString()).toBe('2026-11-23T10:01:00.000Z');
    expect(event).toEqual({ kind: 'event', name: EventNames.expedite });
    expect(fake.status.at(-1)).toMatchObject({ phase: 'waiting', findings: 1, nextAt: '2026-11-23T10:01:00.000Z' });

    fake.setNow(new Date('2026-11-23T10:01:00.000Z'));
    const done = gen.next(timer);
    expect(done.done).toBe(true);
    expect(fake.continuedWith).toEqual([{ cycle: 8 }]);
  });

  it('records a failed target and still records, evaluates and continues', () => {
    const fake = steppedContext({ cycle: 0 }, START);
    const gen = cycleOrchestrator(fake.context) as Generator<unknown, unknown, unknown>;
    gen.next();
    const all = gen.next(plan).value as { tasks: FakeTask[] };
    const failure = taskFailed('[collector_auth_failed] Slack Audit Logs answered HTTP 401: invalid_auth');
    // Task.all fails fast; the orchestrator then collects each target's outcome.
    expect(gen.throw(failure).value).toBe(all.tasks[0]);
    expect(gen.throw(failure).value).toBe(all.tasks[1]);
    const record = gen.next({ rows: 1, quarantined: 0, apiCalls: 1, bytes: 10 }).value as {
      input: { outcomes: { ok: boolean; error?: unknown }[] };
    };
    expect(record.input.outcomes[0]).toEqual({
      source: 'slackAudit',
      org: 'E1',
      ok: false,
      counts: { rows: 0, quarantined: 0, apiCalls: 0, bytes: 0 },
      error: {
        code: 'collector_auth_failed',
        message: '[collector_auth_failed] Slack Audit Logs answered HTTP 401: invalid_auth',
      },
    });
    expect(record.input.outcomes[1]).toMatchObject({ ok: true, counts: { rows: 1 } });
    expectTask(gen.next({ recorded: 2 }).value, 'activity', ActivityNames.evaluateDetections);
    // No findings: no dispatch.
    expectTask(gen.next({ reported: 0, created: 0, grown: 0, windows: 0, buckets: 0 }).value, 'any');
    expect(fake.status.at(-1)).toMatchObject({
      targets: [{ source: 'slackAudit', ok: false, error: 'collector_auth_failed' }, { ok: true }],
    });
  });

  it('keeps cycling when planning or detection fails (the eternal instance never fails)', () => {
    const fake = steppedContext('', START);
    const gen = cycleOrchestrator(fake.context) as Generator<unknown, unknown, unknown>;
    gen.next();
    expectTask(
      gen.throw(taskFailed('[config_invalid] Configuration is invalid')).value,
      'activity',
      ActivityNames.evaluateDetections,
    );
    const any = gen.throw(taskFailed('evaluateDetections is not registered')).value as {
      kind: string;
      tasks: FakeTask[];
    };
    expect(any.kind).toBe('any');
    expect(fake.status.at(-1)).toMatchObject({
      problems: [expect.stringContaining('planCycle'), expect.stringContaining('detections')],
    });
    expect(gen.next(any.tasks[0]).done).toBe(true);
    expect(fake.continuedWith).toEqual([{ cycle: 1 }]);
  });

  it('an expedite cancels the timer but never starts cycles closer than the minimum gap', () => {
    const fake = steppedContext({ cycle: 3 }, START);
    const gen = cycleOrchestrator(fake.context) as Generator<unknown, unknown, unknown>;
    gen.next();
    expectTask(gen.next({ ...plan, targets: [] }).value, 'activity', ActivityNames.evaluateDetections);
    const race = gen.next({ reported: 0, created: 0, grown: 0, windows: 0, buckets: 0 }).value as {
      kind: string;
      tasks: FakeTask[];
    };
    expect(race.kind).toBe('any');
    const [timer, event] = race.tasks as [FakeTask & { canceled: boolean }, FakeTask];
    fake.setNow(new Date(START.getTime() + 4_000));
    const gap = gen.next(event);
    expect(timer.canceled).toBe(true);
    expect(expectTask(gap.value, 'timer')).toMatchObject({ at: new Date(START.getTime() + 15_000) });
    fake.setNow(new Date(START.getTime() + 15_000));
    expect(gen.next().done).toBe(true);
    expect(fake.continuedWith).toEqual([{ cycle: 4 }]);
  });

  it('an expedite after the minimum gap starts the next cycle at once', () => {
    const fake = steppedContext({ cycle: 3 }, START);
    const gen = cycleOrchestrator(fake.context) as Generator<unknown, unknown, unknown>;
    gen.next();
    gen.next({ ...plan, targets: [] });
    const race = gen.next({ reported: 0, created: 0, grown: 0, windows: 0, buckets: 0 }).value as {
      kind: string;
      tasks: FakeTask[];
    };
    expect(race.kind).toBe('any');
    fake.setNow(new Date(START.getTime() + 20_000));
    expect(gen.next(race.tasks[1]).done).toBe(true);
    expect(fake.continuedWith).toEqual([{ cycle: 4 }]);
  });

  it('carries only a cycle number; a start without input restarts the count', () => {
    expect(carriedOf('')).toEqual({ cycle: 0 });
    expect(carriedOf(null)).toEqual({ cycle: 0 });
    expect(carriedOf({ cycle: -1 })).toEqual({ cycle: 0 });
    expect(carriedOf({ cycle: 12, rows: [1, 2] })).toEqual({ cycle: 12 });
  });
});

describe('cycle outcome', () => {
  it('keeps the Slack overlap details in the cycle record and drops anything not a scalar', () => {
    const outcome = outcomeOf(
      { source: 'slackAudit', org: 'acme' },
      { rows: 3, quarantined: 1, apiCalls: 2, bytes: 900, overlapSeconds: 120, forgottenIds: 7, rowsById: { a: 1 } },
    );
    expect(outcome.counts).toEqual({ rows: 3, quarantined: 1, apiCalls: 2, bytes: 900 });
    expect(outcome.details).toEqual({ overlapSeconds: 120, forgottenIds: 7 });
  });
});

describe('backfill orchestrator', () => {
  const request = {
    source: 'slackAudit' as const,
    oldest: 1_800_000_000,
    latest: 1_800_000_000 + 3 * 3600 - 1,
    windowSeconds: 3600,
  };

  it('collects every window in order with retries, shows progress, and returns totals', () => {
    const fake = steppedContext({ request }, START, 'backfill-x');
    const gen = backfillOrchestrator(fake.context) as Generator<unknown, unknown, unknown>;
    expect(expectTask(gen.next().value, 'activity', ActivityNames.planBackfill)).toMatchObject({
      input: { oldest: request.oldest, latest: request.latest, windowSeconds: 3600, from: 0, limit: SLICE },
    });
    const windows = [0, 1, 2].map((i) => ({
      oldest: request.oldest + i * 3600,
      latest: request.oldest + i * 3600 + 3599,
    }));
    let step = gen.next({ total: 3, windows });
    for (const [i, window] of windows.entries()) {
      expect(step.value).toMatchObject({
        kind: 'activity',
        name: ActivityNames.collectSlackAudit,
        retry: expect.anything() as unknown,
        input: { cycleId: 'backfill:backfill-x', window },
      });
      expect(fake.status.at(-1)).toMatchObject({ windowsDone: i, windowsTotal: 3, window });
      step = gen.next({ rows: 5, quarantined: 1, apiCalls: 1, bytes: 100 });
    }
    expect(step.done).toBe(true);
    expect(step.value).toEqual({ windows: 3, rows: 15, quarantined: 3, apiCalls: 3, bytes: 300, total: 3, request });
    expect(fake.status.at(-1)).toMatchObject({ phase: 'done', windowsDone: 3, windowsTotal: 3 });
    expect(fake.continuedWith).toEqual([]);
  });

  it('continues as new after a slice, carrying the position and totals', () => {
    const fake = steppedContext({ request, next: 0 }, START);
    const gen = backfillOrchestrator(fake.context) as Generator<unknown, unknown, unknown>;
    gen.next();
    const window = { oldest: request.oldest, latest: request.oldest + 3599 };
    gen.next({ total: 3, windows: [window] });
    const end = gen.next({ rows: 2, quarantined: 0, apiCalls: 1, bytes: 10 });
    expect(end.done).toBe(true);
    expect(fake.continuedWith).toEqual([
      { request, next: 1, totals: { windows: 1, rows: 2, quarantined: 0, apiCalls: 1, bytes: 10 } },
    ]);
  });

  it('fails with the window when a window still fails after its retries', () => {
    const fake = steppedContext({ request }, START);
    const gen = backfillOrchestrator(fake.context) as Generator<unknown, unknown, unknown>;
    gen.next();
    gen.next({ total: 1, windows: [{ oldest: request.oldest, latest: request.oldest + 3599 }] });
    expect(() => gen.throw(taskFailed('[collector_http_error] Slack answered HTTP 500'))).toThrow(/HTTP 500/);
    expect(fake.status.at(-1)).toMatchObject({ windowsDone: 0, window: { oldest: request.oldest } });
  });
});
