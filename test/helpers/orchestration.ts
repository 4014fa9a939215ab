/**
 * A fake orchestration context for stepping orchestrator generators by hand: every durable call
 * returns a plain marker task the test inspects, and the test decides what each yield returns
 * (`gen.next(value)`) or throws (`gen.throw(error)`). No replay engine, no I/O.
 */
export type FakeTask =
  | { kind: 'activity'; name: string; input: unknown; retry: boolean }
  | { kind: 'all'; tasks: FakeTask[] }
  | { kind: 'any'; tasks: FakeTask[] }
  | { kind: 'timer'; fireAt: Date; cancelled: boolean; cancel(): void }
  | { kind: 'event'; name: string };

export interface FakeContext {
  context: never;
  status: unknown[];
  continuedWith: unknown[];
  setNow(date: Date): void;
}

export function fakeOrchestrationContext(input: unknown, now: Date, instanceId = 'test-instance'): FakeContext {
  let current = now;
  const status: unknown[] = [];
  const continuedWith: unknown[] = [];
  const df = {
    instanceId,
    get currentUtcDateTime() {
      return current;
    },
    getInput: () => input,
    callActivity: (name: string, activityInput?: unknown): FakeTask => ({
      kind: 'activity',
      name,
      input: activityInput,
      retry: false,
    }),
    callActivityWithRetry: (name: string, _retry: unknown, activityInput?: unknown): FakeTask => ({
      kind: 'activity',
      name,
      input: activityInput,
      retry: true,
    }),
    createTimer: (fireAt: Date): FakeTask => {
      const timer = {
        kind: 'timer' as const,
        fireAt,
        cancelled: false,
        cancel() {
          timer.cancelled = true;
        },
      };
      return timer;
    },
    waitForExternalEvent: (name: string): FakeTask => ({ kind: 'event', name }),
    setCustomStatus: (value: unknown) => {
      status.push(value);
    },
    continueAsNew: (value: unknown) => {
      continuedWith.push(value);
    },
    Task: {
      all: (tasks: FakeTask[]): FakeTask => ({ kind: 'all', tasks }),
      any: (tasks: FakeTask[]): FakeTask => ({ kind: 'any', tasks }),
    },
  };
  return {
    context: { df } as never,
    status,
    continuedWith,
    setNow(date: Date) {
      current = date;
    },
  };
}
