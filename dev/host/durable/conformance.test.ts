/**
 * Golden histories: the real durable-functions 3.5 replay engine runs each orchestration against the
 * engine, and we assert the exact event sequence, EventIds and TaskScheduledIds the engine wrote.
 * The expected strings follow the DTFx/extension facts in docs/reference/local-host.md ("History
 * events", "Sequence numbers", "Retries and long timers") and the shapes of durable-js
 * test/testobjects/testhistories.ts: `4#0` = TaskScheduled EventId 0, `5->0` = TaskCompleted for
 * TaskScheduledId 0, `11->1` = TimerFired for TimerId 1, `15:x` = EventRaised named x.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DurableEngine } from './engine';
import { type Harness, startHarness, waitForStatus } from './harness';
import { describeHistory, EventType, type HistoryEvent } from './history';
import type { OrchestrationDoc } from './model';
import { MemoryStore } from './store';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    appPath: join(__dirname, 'fixtures/durable-app/index.js'),
    // One activity at a time keeps completion order, and so the golden strings, deterministic.
    settings: {
      hubName: 'Conformance',
      maxConcurrentActivityFunctions: 1,
      maxConcurrentOrchestratorFunctions: 4,
      maxConcurrentEntityFunctions: 2,
    },
    maximumShortTimerDuration: '00:00:00.300',
    longRunningTimerIntervalDuration: '00:00:00.120',
  });
});

afterAll(async () => {
  await h.close();
});

async function run(name: string, input?: unknown, instanceId?: string): Promise<OrchestrationDoc> {
  const id = h.extension.engine.startNew(name, instanceId, input === undefined ? null : JSON.stringify(input));
  const doc = await waitForStatus(h.extension, id);
  assertLockstep(doc.history);
  return doc;
}

function at<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined) throw new Error(`no item at ${index} (length ${list.length})`);
  return item;
}

function instance(id: string): OrchestrationDoc {
  const doc = h.extension.engine.getOrchestration(id);
  if (doc === undefined) throw new Error(`no instance ${id}`);
  return doc;
}

function output(doc: OrchestrationDoc): unknown {
  return doc.output === null ? null : (JSON.parse(doc.output) as unknown);
}

function find(
  doc: OrchestrationDoc,
  type: number,
  predicate: (event: HistoryEvent) => boolean = () => true,
): HistoryEvent[] {
  return doc.history.filter((event) => event.EventType === type && predicate(event));
}

/**
 * Structural lockstep invariant: scheduling EventIds are 0,1,2,... in order of appearance, and every
 * completion refers to an earlier scheduling event of the matching kind, at most once.
 */
function assertLockstep(history: readonly HistoryEvent[]): void {
  const kinds = new Map<number, string>();
  const completed = new Set<number>();
  const scheduling: Record<number, string> = {
    [EventType.TaskScheduled]: 'task',
    [EventType.SubOrchestrationInstanceCreated]: 'sub',
    [EventType.TimerCreated]: 'timer',
    [EventType.EventSent]: 'sent',
  };
  const completing: Record<number, [string, string]> = {
    [EventType.TaskCompleted]: ['task', 'TaskScheduledId'],
    [EventType.TaskFailed]: ['task', 'TaskScheduledId'],
    [EventType.SubOrchestrationInstanceCompleted]: ['sub', 'TaskScheduledId'],
    [EventType.SubOrchestrationInstanceFailed]: ['sub', 'TaskScheduledId'],
    [EventType.TimerFired]: ['timer', 'TimerId'],
  };
  for (const event of history) {
    const kind = scheduling[event.EventType];
    if (kind !== undefined) {
      expect(event.EventId, `EventIds must be consecutive: ${describeHistory(history)}`).toBe(kinds.size);
      kinds.set(event.EventId, kind);
    }
    const completion = completing[event.EventType];
    if (completion !== undefined) {
      const id = event[completion[1]] as number;
      expect(
        kinds.get(id),
        `completion ${event.EventType}->${id} has no matching ${completion[0]}: ${describeHistory(history)}`,
      ).toBe(completion[0]);
      expect(completed.has(id)).toBe(false);
      completed.add(id);
    }
  }
}

describe('activities', () => {
  it('fan-out/fan-in schedules all tasks in one episode and completes each by its TaskScheduledId', async () => {
    const doc = await run('FanOut', [2, 3, 4]);
    expect(describeHistory(doc.history)).toBe('12 0 4#0 4#1 4#2 13 12 5->0 13 12 5->1 13 12 5->2 1 13');
    expect(output(doc)).toEqual({ results: [4, 9, 16], sum: 29 });
    expect(find(doc, EventType.TaskScheduled).map((e) => [e.Name, e.Input])).toEqual([
      ['Square', '[2]'],
      ['Square', '[3]'],
      ['Square', '[4]'],
    ]);
    expect(find(doc, EventType.TaskCompleted).map((e) => e.Result)).toEqual(['4', '9', '16']);
    expect(find(doc, EventType.ExecutionCompleted)[0]).toMatchObject({
      OrchestrationStatus: 1,
      Result: JSON.stringify({ results: [4, 9, 16], sum: 29 }),
    });
  });

  it('keeps string results as strings and writes "null" for an activity that returns nothing', async () => {
    const doc = await run('Sequence');
    expect(describeHistory(doc.history)).toBe('12 0 4#0 13 12 5->0 4#1 13 12 5->1 4#2 13 12 5->2 4#3 13 12 5->3 1 13');
    expect(output(doc)).toEqual(['Hello, Tokyo!', 'Hello, Seattle!', 'null', 'string']);
    expect(find(doc, EventType.TaskCompleted).map((e) => e.Result)).toEqual([
      '"Hello, Tokyo!"',
      '"Hello, Seattle!"',
      'null',
      '"123"',
    ]);
  });

  it('persists OrchestratorStarted timestamps that never go backwards', async () => {
    const doc = await run('Sequence');
    const stamps = find(doc, EventType.OrchestratorStarted).map((e) => Date.parse(e.Timestamp));
    expect(stamps).toHaveLength(5);
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
  });
});

describe('retries (RetryInterceptor emulation)', () => {
  it('creates a retry timer after each failure and reschedules the activity with the next id', async () => {
    const doc = await run('Retry', { key: 'golden-retry', failures: 2, interval: 20 });
    expect(describeHistory(doc.history)).toBe(
      '12 0 4#0 13 12 6->0 10#1 13 12 11->1 4#2 13 12 6->2 10#3 13 12 11->3 4#4 13 12 5->4 1 13',
    );
    expect(output(doc)).toBe('golden-retry ok after 3');
    const failed = find(doc, EventType.TaskFailed);
    expect(failed[0]).toMatchObject({
      TaskScheduledId: 0,
      Reason: "Activity function 'Flaky' failed: flaky failure 1",
    });
    expect(typeof failed[0]?.Details).toBe('string');
    // Each retry timer fires firstRetryInterval (backoff 1) after the episode that saw the failure.
    for (const timer of find(doc, EventType.TimerCreated)) {
      const episode = doc.history
        .slice(0, doc.history.indexOf(timer))
        .filter((e) => e.EventType === EventType.OrchestratorStarted)
        .pop();
      expect(Date.parse(timer.FireAt as string) - Date.parse(episode?.Timestamp ?? '')).toBe(20);
    }
  });

  it('adds the dummy back-compat timer (due at once) after the final failed attempt', async () => {
    const doc = await run('RetryThenMore', { key: 'golden-exhaust', failures: 9, max: 2 });
    expect(describeHistory(doc.history)).toBe(
      '12 0 4#0 13 12 6->0 10#1 13 12 11->1 4#2 13 12 6->2 10#3 13 12 11->3 4#4 13 12 5->4 1 13',
    );
    const [result, after] = output(doc) as [string, string];
    expect(result.startsWith("gave up: Activity function 'Flaky' failed: flaky failure 2")).toBe(true);
    expect(after).toBe('Hello, after!');
    const dummy = at(find(doc, EventType.TimerCreated), 1);
    const episode = doc.history
      .slice(0, doc.history.indexOf(dummy))
      .filter((e) => e.EventType === EventType.OrchestratorStarted)
      .pop();
    expect(dummy.FireAt).toBe(episode?.Timestamp);
  });

  it('allocates hidden retry ids in event order when retries run inside Task.all', async () => {
    const doc = await run('RetryFanOut');
    expect(
      describeHistory(doc.history).startsWith('12 0 4#0 4#1 4#2 13 12 6->0 10#3 13 12 5->1 13 12 6->2 10#4 13'),
    ).toBe(true);
    expect(output(doc)).toEqual([`${doc.instanceId}-a ok after 2`, 'Hello, b!', `${doc.instanceId}-c ok after 3`]);
    expect(find(doc, EventType.TaskScheduled)).toHaveLength(6);
  });
});

describe('sub-orchestrations', () => {
  it('creates children with parent links, DTFx default ids and retries', async () => {
    const doc = await run('Parent');
    expect(describeHistory(doc.history)).toBe(
      '12 0 7#0 13 12 8->0 7#1 13 12 8->1 7#2 13 12 9->2 10#3 13 12 11->3 7#4 13 12 9->4 10#5 13 12 11->5 7#6 13 12 8->6 1 13',
    );
    const created = find(doc, EventType.SubOrchestrationInstanceCreated);
    expect(created.map((e) => e.InstanceId)).toEqual([
      `${doc.executionId}:0`,
      `${doc.instanceId}-named`,
      `${doc.executionId}:2`,
      `${doc.executionId}:4`,
      `${doc.executionId}:6`,
    ]);
    expect(output(doc)).toEqual({
      plain: { greeting: 'Hello, Ada!', parent: doc.instanceId },
      named: { greeting: 'Hello, Grace!', parent: doc.instanceId },
      retried: 'child ok',
    });
    const child = instance(`${doc.instanceId}-named`);
    expect(child.parent).toEqual({
      instanceId: doc.instanceId,
      executionId: doc.executionId,
      taskScheduledId: 1,
      name: 'Parent',
    });
    expect(find(child, EventType.ExecutionStarted)[0]?.ParentInstance).toMatchObject({
      TaskScheduleId: 1,
      OrchestrationInstance: { InstanceId: doc.instanceId },
    });
    const failedChild = instance(`${doc.executionId}:2`);
    expect(failedChild.runtimeStatus).toBe('Failed');
    const failure = find(doc, EventType.SubOrchestrationInstanceFailed)[0];
    expect(String(failure?.Reason)).toContain("Orchestrator function 'FlakyChild' failed: child failure for");
  });

  it('propagates a failed child to the parent as SubOrchestrationInstanceFailed', async () => {
    const doc = await run('FailingChildParent');
    expect(describeHistory(doc.history)).toBe('12 0 7#0 13 12 9->0 1 13');
    expect(output(doc)).toBe(
      "caught: Orchestrator function 'Failing' failed: Activity function 'Boom' failed: kaboom ",
    );
  });
});

describe('external events and timers', () => {
  it('delivers an event to its waiter and records custom status', async () => {
    const id = h.extension.engine.startNew('Approval', undefined, null);
    await waitForStatus(h.extension, id, ['Running']);
    await h.extension.engine.whenIdle();
    expect(JSON.parse(h.extension.engine.getOrchestration(id)?.customStatus ?? 'null')).toEqual({ stage: 'waiting' });
    expect(h.extension.engine.raiseEvent(id, 'Approve', JSON.stringify({ by: 'ada' }))).toBe('accepted');
    const doc = await waitForStatus(h.extension, id);
    assertLockstep(doc.history);
    expect(describeHistory(doc.history)).toBe('12 0 13 12 15:Approve 1 13');
    expect(output(doc)).toEqual({ by: 'ada' });
    expect(JSON.parse(doc.customStatus ?? 'null')).toEqual({ stage: 'approved' });
  });

  it('buffers events raised before the orchestration waits for them', async () => {
    const id = h.extension.engine.startNew('EventBuffer', undefined, '300');
    await waitForStatus(h.extension, id, ['Running']);
    h.extension.engine.raiseEvent(id, 'Early', '"first"');
    h.extension.engine.raiseEvent(id, 'Late', '"second"');
    const doc = await waitForStatus(h.extension, id);
    expect(describeHistory(doc.history)).toBe('12 0 10#0 13 12 15:Early 13 12 15:Late 13 12 11->0 1 13');
    expect(output(doc)).toEqual(['first', 'second']);
  });

  it('runs Task.any races both ways', async () => {
    const eventWins = h.extension.engine.startNew('Race', undefined, '5000');
    await waitForStatus(h.extension, eventWins, ['Running']);
    h.extension.engine.raiseEvent(eventWins, 'Go', '42');
    const won = await waitForStatus(h.extension, eventWins);
    expect(describeHistory(won.history)).toBe('12 0 10#0 13 12 15:Go 1 13');
    expect(output(won)).toEqual({ winner: 'event', value: 42 });

    const timerWins = await run('Race', 30);
    expect(describeHistory(timerWins.history)).toBe('12 0 10#0 13 12 11->0 1 13');
    expect(output(timerWins)).toEqual({ winner: 'timer' });
  });

  it('lets a cancelled timer fire anyway, as DTFx does, without disturbing the SDK', async () => {
    const id = h.extension.engine.startNew('RaceThenWait', undefined, null);
    await waitForStatus(h.extension, id, ['Running']);
    h.extension.engine.raiseEvent(id, 'Go', '"went"');
    const doc = await waitForStatus(h.extension, id);
    expect(describeHistory(doc.history)).toBe('12 0 10#0 13 12 15:Go 10#1 13 12 11->0 13 12 11->1 1 13');
    expect(output(doc)).toBe('went');
  });

  it('fires a timer no earlier than its FireAt', async () => {
    const doc = await run('Timer', 40);
    expect(describeHistory(doc.history)).toBe('12 0 10#0 13 12 11->0 1 13');
    const created = at(find(doc, EventType.TimerCreated), 0);
    const fired = at(find(doc, EventType.TimerFired), 0);
    expect(fired.FireAt).toBe(created.FireAt);
    expect(Date.parse(fired.Timestamp)).toBeGreaterThanOrEqual(Date.parse(created.FireAt as string));
    expect(output(doc)).toBe(true);
  });

  it('splits long timers into interval timers the way the extension does, in lockstep with the SDK', async () => {
    const doc = await run('LongTimer', 700);
    const timers = find(doc, EventType.TimerCreated);
    expect(timers.length).toBeGreaterThanOrEqual(3);
    expect(describeHistory(doc.history)).toMatch(/^12 0 10#0 13( 12 11->\d+ 10#\d+ 13)+ 12 11->\d+ 1 13$/);
    const finalAt = Date.parse(timers[0]?.Timestamp ?? '') + 700;
    expect(Date.parse(timers[timers.length - 1]?.FireAt as string)).toBe(finalAt);
    for (const timer of timers.slice(0, -1)) {
      // Intermediate timers are one interval (120 ms here) after the episode that created them.
      expect(Date.parse(timer.FireAt as string) - Date.parse(timer.Timestamp)).toBe(120);
    }
    expect((output(doc) as { waited: number }).waited).toBeGreaterThanOrEqual(700);
  });
});

describe('continueAsNew', () => {
  it('starts a new execution with the same instance id and a fresh history', async () => {
    const executions = new Set<string>();
    const id = h.extension.engine.startNew('Eternal', undefined, '0');
    for (;;) {
      const doc = instance(id);
      executions.add(doc.executionId);
      if (doc.runtimeStatus === 'Completed') break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const doc = instance(id);
    expect(describeHistory(doc.history)).toBe('12 0 1 13');
    expect(find(doc, EventType.ExecutionStarted)[0]).toMatchObject({
      Input: '3',
      OrchestrationInstance: { InstanceId: id, ExecutionId: doc.executionId },
    });
    expect(output(doc)).toBe('done at 3');
    expect(executions.size).toBeGreaterThanOrEqual(2);
    expect(doc.input).toBe('3');
  });

  it('passes string inputs through processInput twice, as the extension does', async () => {
    const doc = await run('StringContinue', 'go');
    expect(output(doc)).toBe('"next"');
  });
});

describe('failures', () => {
  it('fails the orchestration with the $OutOfProcData$ error and still records its actions', async () => {
    const doc = await run('Failing');
    expect(doc.runtimeStatus).toBe('Failed');
    expect(describeHistory(doc.history)).toBe('12 0 4#0 13 12 6->0 1 13');
    expect(
      doc.output?.startsWith("Orchestrator function 'Failing' failed: Activity function 'Boom' failed: kaboom \n "),
    ).toBe(true);
    expect(find(doc, EventType.ExecutionCompleted)[0]).toMatchObject({ OrchestrationStatus: 3 });

    const early = await run('ThrowsEarly');
    expect(early.output).toBe("Orchestrator function 'ThrowsEarly' failed: thrown before any yield");
    expect(describeHistory(early.history)).toBe('12 0 1 13');
  });

  it('still sends the actions of the failing episode (here an entity signal)', async () => {
    const doc = await run('FailAfterSignal', 'after-failure');
    expect(doc.runtimeStatus).toBe('Failed');
    expect(doc.output).toBe("Orchestrator function 'FailAfterSignal' failed: failed after signalling");
    expect(describeHistory(doc.history)).toBe('12 0 4#0 13 12 6->0 14#1 1 13');
    await h.extension.engine.whenIdle();
    expect(h.extension.engine.readEntity('Counter', 'after-failure')).toEqual({ exists: true, state: '1' });
  });

  it('raises the activity error inside the orchestrator as Reason \\n Details', async () => {
    const doc = await run('CatchFailure');
    const { message } = output(doc) as { message: string };
    expect(message.startsWith("Activity function 'Boom' failed: kaboom \n {")).toBe(true);
    expect(JSON.parse(message.split(' \n ')[1] ?? '')).toMatchObject({
      RemoteMessage: 'kaboom',
      RemoteTypeName: 'Error',
    });
  });

  it('turns FailureDetails from setExceptionPropertiesProvider into a TaskFailedError', async () => {
    const doc = await run('CatchCoded');
    expect(output(doc)).toEqual({
      name: 'TaskFailedError',
      type: 'TypeError',
      code: 'QUOTA',
      message: 'TypeError: quota exceeded',
    });
    expect(find(doc, EventType.TaskFailed)[0]?.FailureDetails).toMatchObject({
      ErrorType: 'TypeError',
      ErrorMessage: 'quota exceeded',
      IsNonRetriable: false,
    });
  });
});

describe('entities', () => {
  it('sends requests as EventSent and answers calls with EventRaised keyed by the request id', async () => {
    const doc = await run('EntityUser', 'golden');
    expect(describeHistory(doc.history)).toMatch(
      /^12 0 14#0 14#1 13 12 15:[0-9a-f-]{36} 14#2 13 12 15:[0-9a-f-]{36} 14#3 13 12 15:[0-9a-f-]{36} 1 13$/,
    );
    const sent = find(doc, EventType.EventSent);
    const requests = sent.map((e) => JSON.parse(e.Input as string) as Record<string, unknown>);
    expect(sent.every((e) => e.InstanceId === '@counter@golden' && e.Name === 'op')).toBe(true);
    expect(requests.map((r) => [r.op, r.signal, r.input])).toEqual([
      ['add', true, '5'],
      ['add', false, '2'],
      ['get', false, undefined],
      ['fail', false, undefined],
    ]);
    expect(requests[1]).toMatchObject({ parent: doc.instanceId, parentExecution: doc.executionId });
    const raised = find(doc, EventType.EventRaised);
    expect(raised.map((e) => e.Name)).toEqual(requests.slice(1).map((r) => r.id));
    expect(raised.map((e) => JSON.parse(e.Input as string) as unknown)).toEqual([
      { result: '7' },
      { result: '7' },
      { result: '{}', exceptionType: 'Error' },
    ]);
    expect(output(doc)).toEqual({ afterAdd: 7, value: 7, failure: '[object Object]' });
    expect(h.extension.engine.readEntity('Counter', 'golden')).toEqual({ exists: true, state: '7' });
  });

  it('batches pending operations of one entity into one invocation', async () => {
    await h.extension.engine.whenIdle();
    const before = h.logs.length;
    for (let i = 1; i <= 5; i++) h.extension.engine.signalEntity('Counter', 'batch', 'add', String(i));
    await h.extension.engine.whenIdle();
    const batches = h.logs
      .slice(before)
      .filter(
        (l) => /Entity batch of \d+ operation\(s\) done/.test(l.message) && l.fields?.instanceId === '@counter@batch',
      );
    expect(batches.length).toBeLessThan(5);
    expect(batches.reduce((n, l) => n + Number(/of (\d+)/.exec(l.message)?.[1]), 0)).toBe(5);
    expect(h.extension.engine.readEntity('counter', 'batch')).toEqual({ exists: true, state: '15' });
  });

  it('delivers signals an entity sends to another entity', async () => {
    h.extension.engine.signalEntity('Counter', 'src', 'add', '4');
    h.extension.engine.signalEntity('Counter', 'src', 'forward', '"dst"');
    await h.extension.engine.whenIdle();
    expect(h.extension.engine.readEntity('Counter', 'dst')).toEqual({ exists: true, state: '4' });
  });
});

describe('watchdogs and warnings', () => {
  it('logs a lockstep error when a completion matches no scheduled task', async () => {
    const store = new MemoryStore();
    const now = new Date().toISOString();
    const ghost: OrchestrationDoc = {
      kind: 'orchestration',
      instanceId: 'ghost',
      executionId: 'e1',
      name: 'Approval',
      version: null,
      runtimeStatus: 'Running',
      input: null,
      output: null,
      customStatus: null,
      createdTime: now,
      lastUpdatedTime: now,
      parent: null,
      history: [
        { EventType: 12, EventId: -1, IsPlayed: true, Timestamp: now },
        { EventType: 0, EventId: -1, IsPlayed: true, Timestamp: now, Name: 'Approval', Input: null },
        { EventType: 13, EventId: -1, IsPlayed: true, Timestamp: now },
      ],
      inbox: [
        {
          id: 'x',
          executionId: 'e1',
          event: { EventType: 5, EventId: -1, IsPlayed: false, Timestamp: now, TaskScheduledId: 7, Result: '1' },
        },
      ],
      nextSeq: 0,
      actionSeqs: [],
      scheduled: {},
      retries: {},
      outbox: [],
    };
    store.save(ghost);
    const logs: { level: string; message: string; instanceId?: string }[] = [];
    const engine = new DurableEngine({
      invoker: h.invoker,
      logger: (level, message, fields) => logs.push({ level, message, instanceId: fields?.instanceId }),
      settings: {
        hubName: 'Ghost',
        maxConcurrentActivityFunctions: 1,
        maxConcurrentOrchestratorFunctions: 1,
        maxConcurrentEntityFunctions: 1,
      },
      store,
    });
    await engine.start();
    await engine.whenIdle();
    await engine.stop();
    expect(logs.find((l) => l.level === 'error' && l.message.includes('Lockstep watchdog'))).toMatchObject({
      instanceId: 'ghost',
    });
  });

  it('logs a lockstep error when replay schedules fewer tasks than before', async () => {
    const before = h.logs.length;
    const doc = await run('Nondeterministic');
    expect(doc.runtimeStatus).toBe('Completed');
    expect(
      h.logs
        .slice(before)
        .some(
          (l) =>
            l.level === 'error' && l.message.includes('not deterministic') && l.fields?.instanceId === doc.instanceId,
        ),
    ).toBe(true);
  });

  it('warns with function name and instance id when a payload exceeds 45 KB', async () => {
    const before = h.logs.length;
    const doc = await run('BigPayload', 50_000);
    expect(output(doc)).toBe(50_000);
    const warning = h.logs.slice(before).find((l) => l.level === 'warning' && l.message.includes('Large payload'));
    expect(warning?.fields).toMatchObject({ functionName: 'Big', instanceId: doc.instanceId });
    expect(warning?.message).toContain('output of activity Big');
    const small = h.logs.length;
    await run('BigPayload', 1000);
    expect(h.logs.slice(small).some((l) => l.message.includes('Large payload'))).toBe(false);
  });
});
