/**
 * The one fake orchestration context for orchestrator tests. Tasks are plain records; two ways to
 * drive a generator orchestrator with it:
 * - `FakeDurable` runs it: activities are answered by handlers, and `Task.any` waits for
 *   "happenings" the test pushes (an external event or the timer firing);
 * - `steppedContext` leaves every step to the test: each durable call returns its marker task, and
 *   the test decides what each yield returns (`gen.next(value)`) or throws (`gen.throw(error)`).
 * Control flow only; replay is tested on the local host.
 */
import type { OrchestrationContext } from 'durable-functions';

export interface FakeTask {
  kind: 'activity' | 'timer' | 'event' | 'all' | 'any';
  name?: string;
  input?: unknown;
  retry?: unknown;
  at?: Date;
  canceled?: boolean;
  result?: unknown;
  tasks?: FakeTask[];
  cancel?: () => void;
  /** What running the activity gave (FakeDurable), so yielding the task again repeats it. */
  outcome?: { value: unknown } | { error: unknown };
}

interface ContextHooks {
  input: unknown;
  now(): Date;
  instanceId?: string;
  onTimer?(timer: FakeTask): void;
  onStatus(status: unknown): void;
  onContinue(input: unknown): void;
}

/** The durable context both drivers hand to the orchestrator. */
function fakeContext(hooks: ContextHooks): OrchestrationContext {
  const df = {
    instanceId: hooks.instanceId ?? 'test-instance',
    getInput: () => hooks.input,
    get currentUtcDateTime() {
      return hooks.now();
    },
    isReplaying: false,
    callActivityWithRetry: (name: string, retry: unknown, input: unknown): FakeTask => ({
      kind: 'activity',
      name,
      retry,
      input,
    }),
    callActivity: (name: string, input: unknown): FakeTask => ({ kind: 'activity', name, input }),
    createTimer: (at: Date): FakeTask => {
      const timer: FakeTask = { kind: 'timer', at, canceled: false };
      timer.cancel = () => {
        timer.canceled = true;
      };
      hooks.onTimer?.(timer);
      return timer;
    },
    waitForExternalEvent: (name: string): FakeTask => ({ kind: 'event', name }),
    Task: {
      any: (tasks: FakeTask[]): FakeTask => ({ kind: 'any', tasks }),
      all: (tasks: FakeTask[]): FakeTask => ({ kind: 'all', tasks }),
    },
    setCustomStatus: (status: unknown) => {
      hooks.onStatus(status);
    },
    continueAsNew: (input: unknown) => {
      hooks.onContinue(input);
    },
  };
  return {
    df,
    log: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  } as unknown as OrchestrationContext;
}

export interface SteppedContext {
  context: OrchestrationContext;
  status: unknown[];
  continuedWith: unknown[];
  setNow(date: Date): void;
}

/** A context whose every durable call returns its marker task; the test steps the generator itself. */
export function steppedContext(input: unknown, now: Date, instanceId = 'test-instance'): SteppedContext {
  let current = now;
  const status: unknown[] = [];
  const continuedWith: unknown[] = [];
  return {
    context: fakeContext({
      input,
      now: () => current,
      instanceId,
      onStatus: (value) => status.push(value),
      onContinue: (value) => continuedWith.push(value),
    }),
    status,
    continuedWith,
    setNow(date: Date) {
      current = date;
    },
  };
}

export type Happening = { event: string; data: unknown } | { timer: true };

export type ActivityHandler = (input: unknown, call: number) => unknown;

export class FakeDurable {
  readonly calls: { name: string; input: unknown }[] = [];
  readonly timers: FakeTask[] = [];
  readonly customStatus: unknown[] = [];
  continuedAsNew: unknown;
  result: unknown;
  done = false;
  error: unknown;
  now: Date;
  private gen: Generator<unknown, unknown, unknown> | undefined;
  private waiting: FakeTask | undefined;
  private readonly queue: Happening[] = [];
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly input: unknown,
    readonly activities: Record<string, ActivityHandler>,
    start: Date,
  ) {
    this.now = start;
  }

  context(): OrchestrationContext {
    return fakeContext({
      input: this.input,
      now: () => this.now,
      onTimer: (timer) => this.timers.push(timer),
      onStatus: (status) => this.customStatus.push(status),
      onContinue: (input) => {
        this.continuedAsNew = input;
      },
    });
  }

  start(orchestrator: (context: OrchestrationContext) => Generator<unknown, unknown, unknown>): this {
    this.gen = orchestrator(this.context());
    this.drive(() => this.gen?.next());
    return this;
  }

  /** Delivers an event or fires the timer, and runs until the orchestrator waits again. */
  push(happening: Happening): this {
    this.queue.push(happening);
    if (this.waiting !== undefined) {
      const waiting = this.waiting;
      this.waiting = undefined;
      this.resolveAny(waiting);
    }
    return this;
  }

  /** Names of the activities called since `from`. */
  names(from = 0): string[] {
    return this.calls.slice(from).map((c) => c.name);
  }

  inputsOf(name: string): unknown[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input);
  }

  /** The Task.any the orchestrator waits on, if any. */
  get pendingTasks(): FakeTask[] | undefined {
    return this.waiting?.tasks;
  }

  private run(task: FakeTask): unknown {
    if (task.kind !== 'activity' || task.name === undefined) throw new Error(`cannot run a ${task.kind} task`);
    // A task yielded again (fan-in after Task.all) gives its first outcome; the activity runs once.
    if (task.outcome !== undefined) {
      if ('error' in task.outcome) throw task.outcome.error;
      return task.outcome.value;
    }
    try {
      const value = this.runOnce(task, task.name);
      task.outcome = { value };
      return value;
    } catch (error) {
      task.outcome = { error };
      throw error;
    }
  }

  private runOnce(task: FakeTask, name: string): unknown {
    const n = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, n);
    this.calls.push({ name, input: structuredClone(task.input) });
    const handler = this.activities[name];
    if (handler === undefined) throw new Error(`no fake for activity ${name}`);
    return handler(task.input, n);
  }

  private resolveAny(task: FakeTask): void {
    const happening = this.queue.shift();
    if (happening === undefined) {
      this.waiting = task;
      return;
    }
    let winner: FakeTask | undefined;
    if ('timer' in happening) {
      winner = task.tasks?.find((t) => t.kind === 'timer');
      if (winner === undefined) throw new Error('the timer fired but the orchestrator armed none');
      if (winner.at !== undefined) this.now = winner.at;
    } else {
      winner = task.tasks?.find((t) => t.kind === 'event' && t.name === happening.event);
      if (winner === undefined) throw new Error(`nobody waits for ${happening.event}`);
      winner.result = happening.data;
    }
    const chosen = winner;
    this.drive(() => this.gen?.next(chosen));
  }

  private drive(first: () => IteratorResult<unknown, unknown> | undefined): void {
    let step: IteratorResult<unknown, unknown> | undefined;
    try {
      step = first();
    } catch (error) {
      this.done = true;
      this.error = error;
      return;
    }
    while (step !== undefined && !step.done) {
      const task = step.value as FakeTask;
      if (task.kind === 'any') {
        this.resolveAny(task);
        return;
      }
      let value: unknown;
      let failure: { error: unknown } | undefined;
      try {
        value = task.kind === 'all' ? (task.tasks ?? []).map((t) => this.run(t)) : this.run(task);
      } catch (error) {
        failure = { error };
      }
      try {
        step = failure === undefined ? this.gen?.next(value) : this.gen?.throw(failure.error);
      } catch (error) {
        this.done = true;
        this.error = error;
        return;
      }
    }
    if (step?.done === true) {
      this.done = true;
      this.result = step.value;
    }
  }
}

/** An error shaped like durable-functions' TaskFailedError. */
export function taskFailed(name: string, message: string): Error {
  return Object.assign(new Error(`Activity function '${name}' failed: ${message}`), {
    failureDetails: { errorType: 'AppError', errorMessage: message, isNonRetriable: false },
  });
}
