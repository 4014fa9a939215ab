/**
 * Timer triggers, mirroring the WebJobs timer extension (TimerListener + ScheduleMonitor):
 * - schedules are NCRONTAB (6 fields with seconds, or 5 without; day-of-month AND day-of-week, unlike
 *   Vixie cron) or a TimeSpan (`[d.]hh:mm[:ss]`, next = now + interval), with `%SETTING%` resolved;
 * - times are UTC unless WEBSITE_TIME_ZONE names an IANA zone (Linux plans);
 * - with useMonitor (default when occurrences are at least a minute apart) Last/Next/LastUpdated are
 *   persisted; at start a recorded Next in the past means an occurrence was missed, so the function
 *   runs once immediately with isPastDue=true; a changed schedule resets the record instead;
 * - runs of one timer never overlap (the listener's invocation lock); the next occurrence is computed
 *   from the start of the run, so a run longer than the interval is followed by one immediate run,
 *   never a burst.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Cron } from 'croner';

import type { RegisteredFunction } from './core-shim';
import { executeFunction } from './execute';
import type { HostLogger, Invoker, InvokeResult } from './invoker';
import { type Env, HostStartupError, resolveSettingReferences } from './loader';

export interface TimerSchedule {
  kind: 'cron' | 'interval';
  /** The expression after `%SETTING%` substitution. */
  expression: string;
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
  toString(): string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Timer payloads and logs use UTC unless WEBSITE_TIME_ZONE is set; it must be an IANA name here. */
export function resolveTimeZone(env: Env): string {
  const zone = env.WEBSITE_TIME_ZONE;
  if (zone === undefined || zone === '') return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new HostStartupError(
      `WEBSITE_TIME_ZONE "${zone}" is not an IANA time zone name. Linux plans take names like "Europe/London" (Windows names such as "GMT Standard Time" only work on Windows plans).`,
    );
  }
  return zone;
}

function parseTimeSpan(expression: string): number | undefined {
  if (/^\d+$/.test(expression)) return Number(expression) * 86_400_000;
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(expression);
  if (match === null) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = match;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) return undefined;
  const ms = ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000;
  return ms + Math.floor(Number(`0.${fraction || '0'}`) * 1000);
}

function checkCronFields(expression: string, fields: string[]): void {
  for (const field of fields) {
    if (!/^[0-9A-Za-z*,/-]+$/.test(field)) {
      throw new HostStartupError(
        `"${expression}" is not a valid NCRONTAB expression: field "${field}" has an unsupported character (NCRONTAB has no ?, L, W or #).`,
      );
    }
    for (const word of field.match(/[A-Za-z]+/g) ?? []) {
      if (/^(L|W|LW)$/i.test(word)) {
        throw new HostStartupError(
          `"${expression}" is not a valid NCRONTAB expression: field "${field}" has an unsupported character (NCRONTAB has no ?, L, W or #).`,
        );
      }
      if (!MONTHS.includes(word.toUpperCase()) && !DAYS.includes(word.toUpperCase())) {
        throw new HostStartupError(
          `"${expression}" is not a valid NCRONTAB expression: "${word}" is not a month or day name.`,
        );
      }
    }
  }
}

/** Parses a timer schedule as the timer extension does: NCRONTAB first, then TimeSpan. */
export function parseSchedule(raw: string, env: Env, timeZone: string, where = 'timer schedule'): TimerSchedule {
  const expression = resolveSettingReferences(raw, env, where).trim();
  const fields = expression.split(/\s+/);
  if (fields.length === 5 || fields.length === 6) {
    checkCronFields(expression, fields);
    let cron: Cron;
    try {
      // legacyMode false: day-of-month AND day-of-week must both match, as in NCrontab.
      cron = new Cron(expression, { timezone: timeZone, legacyMode: false, paused: true });
    } catch (error) {
      throw new HostStartupError(`"${expression}" is not a valid NCRONTAB expression: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return {
      kind: 'cron',
      expression,
      next: (after) => {
        const next = cron.nextRun(after);
        if (next === null) throw new Error(`Schedule "${expression}" has no occurrence after ${after.toISOString()}.`);
        return next;
      },
      toString: () => `Cron: '${expression}'`,
    };
  }
  const interval = parseTimeSpan(expression);
  if (interval === undefined || interval <= 0) {
    throw new HostStartupError(
      `${where} "${expression}" is neither an NCRONTAB expression ("{second} {minute} {hour} {day} {month} {day-of-week}") nor a TimeSpan ("hh:mm:ss").`,
    );
  }
  return {
    kind: 'interval',
    expression,
    next: (after) => new Date(after.getTime() + interval),
    toString: () => `Interval: '${expression}'`,
  };
}

/** The next `count` occurrences after `from`. */
export function nextOccurrences(schedule: TimerSchedule, from: Date, count: number): Date[] {
  const out: Date[] = [];
  let cursor = from;
  for (let i = 0; i < count; i++) {
    cursor = schedule.next(cursor);
    out.push(cursor);
  }
  return out;
}

/** What the schedule monitor records per timer (null = never). */
export interface ScheduleStatus {
  Last: Date | null;
  Next: Date;
  LastUpdated: Date | null;
}

function offsetOf(date: Date, timeZone: string): string {
  if (timeZone === 'UTC') return '+00:00';
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(date)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-]\d{2}:\d{2})?/.exec(name ?? '');
  return match?.[1] ?? '+00:00';
}

/** A .NET round-trip style timestamp in the host's time zone, e.g. `2025-01-01T10:00:00.123+00:00`. */
export function formatHostTime(date: Date | null, timeZone: string): string {
  if (date === null) return '0001-01-01T00:00:00';
  const offset = offsetOf(date, timeZone);
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hours = 0, minutes = 0] = offset.slice(1).split(':').map(Number);
  const local = new Date(date.getTime() + sign * (hours * 60 + minutes) * 60_000);
  const iso = local
    .toISOString()
    .replace('Z', '')
    .replace(/\.?0+$/, '');
  return `${iso}${offset}`;
}

/** The timer trigger's input as the host sends it (the library camel-cases it for the handler). */
export function timerPayload(status: ScheduleStatus | null, isPastDue: boolean, timeZone: string): string {
  return JSON.stringify({
    Schedule: { AdjustForDST: true },
    ScheduleStatus:
      status === null
        ? null
        : {
            Last: formatHostTime(status.Last, timeZone),
            Next: formatHostTime(status.Next, timeZone),
            LastUpdated: formatHostTime(status.LastUpdated, timeZone),
          },
    IsPastDue: isPastDue,
  });
}

interface StoredStatus {
  Last: string | null;
  Next: string;
  LastUpdated: string | null;
}

/** Persists schedule status as one JSON file per timer (atomic rename), or in memory without a dir. */
export class ScheduleMonitor {
  private readonly memory = new Map<string, ScheduleStatus>();

  constructor(private readonly dir: string | undefined) {}

  read(name: string): ScheduleStatus | undefined {
    if (this.dir === undefined) return this.memory.get(name);
    let text: string;
    try {
      text = readFileSync(this.file(name), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const stored = JSON.parse(text) as StoredStatus;
      const next = new Date(stored.Next);
      if (Number.isNaN(next.getTime())) return undefined;
      return {
        Last: stored.Last === null ? null : new Date(stored.Last),
        Next: next,
        LastUpdated: stored.LastUpdated === null ? null : new Date(stored.LastUpdated),
      };
    } catch {
      // A torn or hand-edited file: treat as never recorded, which re-initializes it.
      return undefined;
    }
  }

  write(name: string, status: ScheduleStatus): void {
    if (this.dir === undefined) {
      this.memory.set(name, { ...status });
      return;
    }
    mkdirSync(this.dir, { recursive: true });
    const stored: StoredStatus = {
      Last: status.Last?.toISOString() ?? null,
      Next: status.Next.toISOString(),
      LastUpdated: status.LastUpdated?.toISOString() ?? null,
    };
    const file = this.file(name);
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(stored, null, 2)}\n`);
    renameSync(temp, file);
  }

  /** Where a timer's status lives (for tests that simulate downtime). */
  file(name: string): string {
    if (this.dir === undefined) throw new Error('This schedule monitor keeps status in memory.');
    return join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.status.json`);
  }

  /**
   * ScheduleMonitor.CheckPastDueAsync: initializes a missing record, resets one whose schedule
   * changed, and returns how late the recorded next occurrence is (0 = not past due).
   */
  checkPastDue(name: string, now: Date, schedule: TimerSchedule, last: ScheduleStatus | undefined): number {
    let recordedNext: Date;
    if (last === undefined) {
      recordedNext = schedule.next(now);
      this.write(name, { Last: null, Next: recordedNext, LastUpdated: now });
    } else {
      let base = last.Last ?? last.LastUpdated ?? now;
      let expectedNext = schedule.next(base);
      if (expectedNext.getTime() !== last.Next.getTime()) {
        if (now > expectedNext) {
          expectedNext = schedule.next(now);
          base = now;
        }
        this.write(name, { Last: null, Next: expectedNext, LastUpdated: base });
        recordedNext = expectedNext;
      } else {
        recordedNext = last.Next;
      }
    }
    return now > recordedNext ? now.getTime() - recordedNext.getTime() : 0;
  }
}

export interface TimerSchedulerOptions {
  invoker: Invoker;
  logger: HostLogger;
  /** Where schedule status is persisted; undefined keeps it in memory. */
  statusDir: string | undefined;
  env: Env;
  /** Returns true when `AzureWebJobs.<name>.Disabled` (or similar) turns the function off. */
  isDisabled?: (name: string) => boolean;
  now?: () => Date;
}

interface TimerState {
  fn: RegisteredFunction;
  schedule: TimerSchedule;
  monitored: boolean;
  status: ScheduleStatus;
  handle: NodeJS.Timeout | undefined;
  /** Serializes runs of this timer (the listener's SemaphoreSlim). */
  lock: Promise<unknown>;
}

// setTimeout takes at most 2^31-1 ms; longer waits are chained.
const MAX_TIMEOUT_MS = 2_147_483_647;

export type TimerRunReason = 'schedule' | 'pastDue' | 'runOnStartup' | 'manual';

export class TimerScheduler {
  readonly timeZone: string;
  readonly monitor: ScheduleMonitor;
  private readonly timers = new Map<string, TimerState>();
  private stopped = false;
  private readonly now: () => Date;

  constructor(private readonly options: TimerSchedulerOptions) {
    this.timeZone = resolveTimeZone(options.env);
    this.monitor = new ScheduleMonitor(options.statusDir);
    this.now = options.now ?? (() => new Date());
  }

  /** Parses every timer's schedule first (a bad one fails startup), then arms them. */
  start(functions: RegisteredFunction[]): void {
    const timerFunctions = functions.filter((fn) => fn.trigger.type.toLowerCase() === 'timertrigger');
    const parsed = timerFunctions.map((fn) => {
      const raw = fn.trigger.schedule;
      if (typeof raw !== 'string') throw new HostStartupError(`Timer function "${fn.name}" has no schedule.`);
      return {
        fn,
        schedule: parseSchedule(raw, this.options.env, this.timeZone, `Timer function "${fn.name}" schedule`),
      };
    });
    for (const { fn, schedule } of parsed) {
      if (this.options.isDisabled?.(fn.name) === true) {
        this.options.logger('information', `Function is disabled; its schedule is not armed.`, {
          functionName: fn.name,
        });
        continue;
      }
      this.arm(fn, schedule);
    }
  }

  private arm(fn: RegisteredFunction, schedule: TimerSchedule): void {
    const now = this.now();
    const explicitMonitor = fn.trigger.useMonitor;
    const [first, second] = nextOccurrences(schedule, now, 2);
    const monitored =
      typeof explicitMonitor === 'boolean'
        ? explicitMonitor
        : (second?.getTime() ?? 0) - (first?.getTime() ?? 0) >= 60_000;
    let isPastDue = false;
    let status: ScheduleStatus | undefined;
    if (monitored) {
      const recorded = this.monitor.read(fn.name);
      isPastDue = this.monitor.checkPastDue(fn.name, now, schedule, recorded) > 0;
      status = recorded === undefined ? undefined : this.monitor.read(fn.name);
    }
    status ??= { Last: null, Next: schedule.next(now), LastUpdated: null };
    const state: TimerState = { fn, schedule, monitored, status, handle: undefined, lock: Promise.resolve() };
    this.timers.set(fn.name.toLowerCase(), state);

    const upcoming = nextOccurrences(schedule, now, 5).map((d) => formatHostTime(d, this.timeZone));
    this.options.logger(
      'information',
      `The next 5 occurrences of the schedule (${schedule.toString()}, ${this.timeZone}) will be: ${upcoming.join(', ')}`,
      {
        functionName: fn.name,
      },
    );

    if (isPastDue) {
      this.options.logger(
        'information',
        'Timer is past due: a scheduled occurrence was missed while the host was down; running it now.',
        {
          functionName: fn.name,
        },
      );
      this.startTimer(state, 0, 'pastDue');
    } else if (fn.trigger.runOnStartup === true) {
      this.startTimer(state, 0, 'runOnStartup');
    } else {
      this.startTimer(state, state.status.Next.getTime() - this.now().getTime(), 'schedule');
    }
  }

  private startTimer(state: TimerState, delayMs: number, reason: TimerRunReason): void {
    if (this.stopped) return;
    const delay = Math.max(1, delayMs);
    if (delay > MAX_TIMEOUT_MS) {
      state.handle = setTimeout(() => {
        this.startTimer(state, delay - MAX_TIMEOUT_MS, reason);
      }, MAX_TIMEOUT_MS);
      return;
    }
    state.handle = setTimeout(() => {
      state.handle = undefined;
      void this.onTimer(state, reason);
    }, delay);
  }

  private async onTimer(state: TimerState, reason: TimerRunReason): Promise<void> {
    await this.runLocked(state, async () => {
      if (this.stopped) return;
      const invocationTime = this.now();
      const isPastDue = reason === 'pastDue';
      try {
        await this.invoke(state, isPastDue, reason);
      } catch {
        // Already logged by invoke(); a failing run must not stop the schedule.
      }
      // Fired a little before the occurrence (clock skew): compute from the occurrence itself so
      // Next is not recorded twice, which would fire twice after a restart.
      const adjusted = reason === 'schedule' && state.status.Next > invocationTime ? state.status.Next : invocationTime;
      state.status = { Last: adjusted, Next: state.schedule.next(adjusted), LastUpdated: adjusted };
      if (state.monitored) this.monitor.write(state.fn.name, state.status);
    });
    this.startTimer(state, state.status.Next.getTime() - this.now().getTime(), 'schedule');
  }

  private async runLocked<T>(state: TimerState, work: () => Promise<T>): Promise<T> {
    const run = state.lock.then(work, work);
    state.lock = run.catch(() => undefined);
    return run;
  }

  private async invoke(state: TimerState, isPastDue: boolean, reason: TimerRunReason): Promise<InvokeResult> {
    const payload = timerPayload(state.monitored ? state.status : null, isPastDue, this.timeZone);
    return executeFunction(this.options.invoker, this.options.logger, state.fn.name, {
      trigger: { json: payload },
      reason: reasonText(reason),
    });
  }

  /** True when `name` is an armed timer function. */
  has(name: string): boolean {
    return this.timers.has(name.toLowerCase());
  }

  /**
   * Runs a timer now (the admin API's "fire"), after any run in progress: runs never overlap.
   * The schedule and its recorded status are left alone, as in the real host.
   */
  async fire(name: string): Promise<InvokeResult> {
    const state = this.timers.get(name.toLowerCase());
    if (state === undefined) throw new Error(`"${name}" is not an armed timer function.`);
    return this.runLocked(state, () => this.invoke(state, false, 'manual'));
  }

  /** The recorded status of a timer (for the ops page and tests). */
  status(name: string): ScheduleStatus | undefined {
    const state = this.timers.get(name.toLowerCase());
    return state === undefined ? undefined : { ...state.status };
  }

  /** Disarms every timer and waits for runs in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.timers.values()) {
      if (state.handle !== undefined) clearTimeout(state.handle);
      state.handle = undefined;
    }
    await Promise.all([...this.timers.values()].map((state) => state.lock));
  }
}

function reasonText(reason: TimerRunReason): string {
  switch (reason) {
    case 'pastDue':
      return 'IsPastDue';
    case 'runOnStartup':
      return 'RunOnStartup';
    case 'manual':
      return 'This function was programmatically called via the host APIs.';
    default:
      return 'Timer fired';
  }
}
