// One app load per file: registrations are process-global. This file owns fixtures/timer-app.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Host, startHost } from './index';
import { createMemoryLogger } from './logger';
import {
  formatHostTime,
  nextOccurrences,
  parseSchedule,
  resolveTimeZone,
  ScheduleMonitor,
  timerPayload,
} from './timers';

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());

describe('schedule parsing', () => {
  it('reads 6-field NCRONTAB with seconds', () => {
    const schedule = parseSchedule('0 */5 * * * *', {}, 'UTC');
    expect(schedule.kind).toBe('cron');
    expect(iso(nextOccurrences(schedule, new Date('2025-01-01T00:01:30Z'), 3))).toEqual([
      '2025-01-01T00:05:00.000Z',
      '2025-01-01T00:10:00.000Z',
      '2025-01-01T00:15:00.000Z',
    ]);
    expect(
      iso(nextOccurrences(parseSchedule('*/20 * * * * *', {}, 'UTC'), new Date('2025-01-01T00:00:00Z'), 2)),
    ).toEqual(['2025-01-01T00:00:20.000Z', '2025-01-01T00:00:40.000Z']);
  });

  it('reads 5-field NCRONTAB (no seconds) and month/day names', () => {
    // 2025-11-22 is a Saturday.
    expect(
      iso(nextOccurrences(parseSchedule('30 9 * * MON-FRI', {}, 'UTC'), new Date('2025-11-22T00:00:00Z'), 2)),
    ).toEqual(['2025-11-24T09:30:00.000Z', '2025-11-25T09:30:00.000Z']);
    expect(parseSchedule('0 0 12 1 JAN,JUL *', {}, 'UTC').next(new Date('2025-02-01T00:00:00Z')).toISOString()).toBe(
      '2025-07-01T12:00:00.000Z',
    );
  });

  it('requires day-of-month AND day-of-week, as NCrontab does', () => {
    // Friday the 13th, not "every 13th or every Friday".
    expect(parseSchedule('0 0 0 13 * FRI', {}, 'UTC').next(new Date('2025-01-01T00:00:00Z')).toISOString()).toBe(
      '2025-06-13T00:00:00.000Z',
    );
  });

  it('reads TimeSpan schedules as intervals from now', () => {
    const from = new Date('2025-01-01T00:00:00Z');
    expect(parseSchedule('00:05:00', {}, 'UTC').next(from).toISOString()).toBe('2025-01-01T00:05:00.000Z');
    expect(parseSchedule('1.02:00:00', {}, 'UTC').next(from).toISOString()).toBe('2025-01-02T02:00:00.000Z');
    expect(parseSchedule('00:00:01.5', {}, 'UTC').next(from).toISOString()).toBe('2025-01-01T00:00:01.500Z');
    expect(parseSchedule('01:30', {}, 'UTC').kind).toBe('interval');
  });

  it('substitutes %SETTING% from app settings and fails clearly when unset', () => {
    const schedule = parseSchedule('%POLL_SCHEDULE%', { POLL_SCHEDULE: '0 0 * * * *' }, 'UTC');
    expect(schedule.expression).toBe('0 0 * * * *');
    expect(() => parseSchedule('%POLL_SCHEDULE%', {}, 'UTC', 'Timer function "poll" schedule')).toThrow(
      /Timer function "poll" schedule: '%POLL_SCHEDULE%' does not resolve/,
    );
  });

  it.each([
    ['0 0 * * * * *', /neither an NCRONTAB expression .* nor a TimeSpan/],
    ['0 0 12 ? * MON', /unsupported character/],
    ['0 0 12 L * *', /unsupported character/],
    ['0 0 12 * * FUNDAY', /not a month or day name/],
    ['0 0 25 * * *', /not a valid NCRONTAB/],
    ['25:00:00', /neither/],
    ['every minute', /neither/],
  ])('rejects %s', (expression, message) => {
    expect(() => parseSchedule(expression, {}, 'UTC')).toThrow(message);
  });

  it('uses WEBSITE_TIME_ZONE (IANA) for cron schedules and UTC otherwise', () => {
    expect(resolveTimeZone({})).toBe('UTC');
    const zone = resolveTimeZone({ WEBSITE_TIME_ZONE: 'Europe/London' });
    // 09:00 London in July is 08:00 UTC (BST).
    expect(parseSchedule('0 0 9 * * *', {}, zone).next(new Date('2025-07-01T00:00:00Z')).toISOString()).toBe(
      '2025-07-01T08:00:00.000Z',
    );
    expect(() => resolveTimeZone({ WEBSITE_TIME_ZONE: 'GMT Standard Time' })).toThrow(/not an IANA time zone/);
  });
});

describe('timer payload', () => {
  it('formats times like the .NET host, in the host time zone', () => {
    expect(formatHostTime(new Date('2025-07-01T08:00:00.120Z'), 'UTC')).toBe('2025-07-01T08:00:00.12+00:00');
    expect(formatHostTime(new Date('2025-07-01T08:00:00Z'), 'Europe/London')).toBe('2025-07-01T09:00:00+01:00');
    expect(formatHostTime(null, 'UTC')).toBe('0001-01-01T00:00:00');
  });

  it('carries status only for monitored timers', () => {
    const status = {
      Last: null,
      Next: new Date('2025-01-01T00:05:00Z'),
      LastUpdated: new Date('2025-01-01T00:00:00Z'),
    };
    expect(JSON.parse(timerPayload(status, true, 'UTC'))).toEqual({
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: '0001-01-01T00:00:00',
        Next: '2025-01-01T00:05:00+00:00',
        LastUpdated: '2025-01-01T00:00:00+00:00',
      },
      IsPastDue: true,
    });
    expect(JSON.parse(timerPayload(null, false, 'UTC'))).toMatchObject({ ScheduleStatus: null, IsPastDue: false });
  });
});

describe('schedule monitor', () => {
  const hourly = parseSchedule('0 0 * * * *', {}, 'UTC');
  const now = new Date('2025-01-01T10:30:00Z');

  it('initializes a timer it has never seen without calling it past due', () => {
    const monitor = new ScheduleMonitor(undefined);
    expect(monitor.checkPastDue('t', now, hourly, undefined)).toBe(0);
    expect(monitor.read('t')).toEqual({ Last: null, Next: new Date('2025-01-01T11:00:00Z'), LastUpdated: now });
  });

  it('reports a recorded next occurrence in the past as past due', () => {
    const monitor = new ScheduleMonitor(undefined);
    const last = new Date('2025-01-01T07:00:00Z');
    const record = { Last: last, Next: new Date('2025-01-01T08:00:00Z'), LastUpdated: last };
    expect(monitor.checkPastDue('t', now, hourly, record)).toBe(150 * 60_000);
  });

  it('resets the record instead when the schedule changed', () => {
    const monitor = new ScheduleMonitor(undefined);
    const last = new Date('2025-01-01T07:00:00Z');
    // Recorded under a 30-minute schedule: Next does not follow from Last under the hourly one.
    const record = { Last: last, Next: new Date('2025-01-01T07:30:00Z'), LastUpdated: last };
    expect(monitor.checkPastDue('t', now, hourly, record)).toBe(0);
    expect(monitor.read('t')).toEqual({ Last: null, Next: new Date('2025-01-01T11:00:00Z'), LastUpdated: now });
  });
});

describe('timer triggers in a running host', () => {
  interface Run {
    name: string;
    invocationId: string;
    isPastDue: boolean;
    scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
    start: number;
    end?: number;
  }
  const memory = createMemoryLogger();
  const dataDir = mkdtempSync(join(tmpdir(), 'sentry-host-timers-'));
  const statusFile = join(dataDir, 'timers', 'hourly.status.json');
  let host: Host;
  let seededNext: Date;
  let runs: Run[] = [];
  let manualRun: Run | undefined;
  const named = (name: string): Run[] => runs.filter((r) => r.name === name);

  beforeAll(async () => {
    // Simulate downtime: the hourly timer last ran three hours ago and its next occurrence was missed.
    const topOfHour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const last = new Date(topOfHour - 3 * 3_600_000);
    seededNext = new Date(last.getTime() + 3_600_000);
    mkdirSync(join(dataDir, 'timers'), { recursive: true });
    writeFileSync(
      statusFile,
      JSON.stringify({ Last: last.toISOString(), Next: seededNext.toISOString(), LastUpdated: last.toISOString() }),
    );
    host = await startHost({
      appDir: join(__dirname, 'fixtures/timer-app'),
      port: 0,
      dataDir,
      durable: false,
      logger: memory.logger,
      env: { FIXTURE_TIMER_SCHEDULE: '00:00:01' },
    });
    runs = (globalThis as { __timerFixtureRuns?: Run[] }).__timerFixtureRuns ?? [];
    // Let the schedules run; the slow ticker is busy back to back, so a manual fire must wait its turn.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = named('slowTicker').length;
    const fired = await host.fireFunction('slowTicker');
    manualRun = runs.find((r) => r.invocationId === fired.invocationId);
    expect(before).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await host.stop();
  }, 30_000);

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fires a missed occurrence once at startup with isPastDue, then records the new status', () => {
    const hourly = named('hourly');
    expect(hourly).toHaveLength(1);
    expect(hourly[0]?.isPastDue).toBe(true);
    expect(new Date(hourly[0]?.scheduleStatus?.next ?? '').getTime()).toBe(seededNext.getTime());
    const stored = JSON.parse(readFileSync(statusFile, 'utf8')) as { Last: string; Next: string };
    const lastRun = new Date(stored.Last).getTime();
    expect(Math.abs(lastRun - (hourly[0]?.start ?? 0))).toBeLessThan(1000);
    expect(stored.Next).toBe(new Date((Math.floor(lastRun / 3_600_000) + 1) * 3_600_000).toISOString());
  });

  it('runs runOnStartup timers once at start, not past due', () => {
    expect(named('startup').map((r) => r.isPastDue)).toEqual([false]);
  });

  it('runs a %SETTING% TimeSpan schedule repeatedly, without status (not monitored under a minute)', () => {
    const fromSetting = named('fromSetting');
    expect(fromSetting.length).toBeGreaterThanOrEqual(2);
    expect(fromSetting.every((r) => r.scheduleStatus === null)).toBe(true);
  });

  it('never overlaps runs of one timer, including a manual fire, and stop() waits for the one in flight', () => {
    const slow = named('slowTicker').sort((a, b) => a.start - b.start);
    expect(slow.length).toBeGreaterThanOrEqual(3);
    expect(manualRun).toBeDefined();
    for (const [index, run] of slow.entries()) {
      expect(run.end, 'every run finished before stop() resolved').toBeDefined();
      const previous = slow[index - 1];
      if (previous !== undefined) expect(run.start).toBeGreaterThanOrEqual(previous.end ?? Infinity);
    }
  });

  it('keeps a failing timer on schedule and logs each failure with its invocation id', () => {
    const failures = memory.records.filter((r) => r.level === 'error' && r.fields.functionName === 'failing');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]?.message).toContain('timer failure');
    expect(new Set(failures.map((f) => f.fields.invocationId)).size).toBe(failures.length);
  });
});
