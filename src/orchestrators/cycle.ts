/**
 * The eternal collection cycle (instance id `sentry-cycle`). One cycle: plan the targets, fan out
 * one collector activity per source and org (each with Durable's retry policy), fan in their small
 * summaries (a failed target is recorded, the others still count), record the cycle, evaluate the
 * detections and hand findings to the incident workflow, then wait for the poll interval or an
 * `expedite` event, whichever comes first (never closer than `minGapSeconds` to the previous cycle
 * start), and `continueAsNew` with only `{ cycle }`. Rows never travel through this history; every
 * step is caught, so the eternal instance itself never fails.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';

import {
  activityTask,
  callActivity,
  type CollectorSummary,
  type CycleOutcome,
  type CycleTarget,
  EventNames,
  parseActivityOutput,
} from '../contracts';

export const DEFAULT_POLL_SECONDS = 60;
export const DEFAULT_MIN_GAP_SECONDS = 15;

export interface CycleCarried {
  cycle: number;
}

/** Collector retries: 3 attempts, 5 s then 10 s apart (the clients already ride out short 429/5xx bursts). */
export function collectorRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(5_000, 3);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 60_000;
  return retry;
}

/**
 * `startNew` without an input starts the cycle with "" (docs/reference/local-host.md, "Durable
 * client"); anything unusable restarts the count.
 */
export function carriedOf(input: unknown): CycleCarried {
  if (typeof input === 'object' && input !== null) {
    const cycle = (input as { cycle?: unknown }).cycle;
    if (typeof cycle === 'number' && Number.isInteger(cycle) && cycle >= 0) return { cycle };
  }
  return { cycle: 0 };
}

const num = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;

/** A collector summary reduced to what the cycle records. */
export function outcomeOf(target: CycleTarget, summary: CollectorSummary): CycleOutcome {
  const s: Record<string, unknown> = summary;
  const details: Record<string, string | number | boolean | null> = {};
  for (const key of [
    'checkpointAt',
    'windows',
    'caughtUp',
    'duplicates',
    'orgCycle',
    'uplinkChanges',
    'failovers',
    'eventErrors',
    // Slack audit: the overlap actually re-read, and landed ids forgotten when the overlap set hit its cap.
    'overlapSeconds',
    'forgottenIds',
  ]) {
    const value = s[key];
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) details[key] = value;
  }
  return {
    source: target.source,
    org: target.org,
    ok: true,
    counts: {
      rows: num(summary.rows),
      quarantined: num(summary.quarantined),
      apiCalls: num(summary.apiCalls),
      bytes: num(summary.bytes),
    },
    details,
  };
}

/** A failed target: the coded message the activity threw (`[code] message`), cut to size. */
export function failureOf(target: CycleTarget, error: unknown): CycleOutcome {
  const details = (error as { failureDetails?: { errorMessage?: unknown } } | undefined)?.failureDetails;
  const raw =
    typeof details?.errorMessage === 'string'
      ? details.errorMessage
      : error instanceof Error
        ? error.message
        : String(error);
  const code = /\[([a-z_]+)\]/.exec(raw)?.[1] ?? 'unknown';
  return {
    source: target.source,
    org: target.org,
    ok: false,
    counts: { rows: 0, quarantined: 0, apiCalls: 0, bytes: 0 },
    error: { code, message: raw.slice(0, 1000) },
  };
}

function activityFor(target: CycleTarget): 'collectSlackAudit' | 'collectMeraki' {
  return target.source === 'slackAudit' ? 'collectSlackAudit' : 'collectMeraki';
}

export function* cycleOrchestrator(context: OrchestrationContext): Generator<Task, void, unknown> {
  const carried = carriedOf(context.df.getInput());
  const started = context.df.currentUtcDateTime;
  const now = started.toISOString();
  const cycleId = `${now}#${carried.cycle}`;
  let poll = DEFAULT_POLL_SECONDS;
  let minGap = DEFAULT_MIN_GAP_SECONDS;
  const outcomes: CycleOutcome[] = [];
  let findings = 0;
  const problems: string[] = [];

  context.df.setCustomStatus({ cycle: carried.cycle, cycleId, phase: 'collecting' });
  try {
    const plan = yield* callActivity(context.df, 'planCycle', { cycleId });
    poll = plan.pollIntervalSeconds;
    minGap = plan.minGapSeconds;
    const tasks = plan.targets.map((target) =>
      activityTask(context.df, activityFor(target), { cycleId, org: target.org, now }, collectorRetry()),
    );
    if (tasks.length > 0) {
      try {
        yield context.df.Task.all(tasks);
      } catch {
        // One target failed; the loop below collects every target's own result or failure.
      }
      for (const [index, target] of plan.targets.entries()) {
        const task = tasks[index];
        if (task === undefined) continue;
        try {
          outcomes.push(outcomeOf(target, parseActivityOutput(activityFor(target), yield task)));
        } catch (error) {
          outcomes.push(failureOf(target, error));
        }
      }
    }
  } catch (error) {
    problems.push(`planCycle: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500));
  }

  if (outcomes.length > 0) {
    try {
      yield* callActivity(context.df, 'recordCycle', { cycleId, startedAt: now, outcomes });
    } catch (error) {
      problems.push(`recordCycle: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500));
    }
  }

  try {
    // Counts cross the boundary, not findings: dispatch reads this cycle's from the findings table.
    const evaluated = yield* callActivity(context.df, 'evaluateDetections', { cycleId, now });
    findings = evaluated.reported;
    if (findings > 0) yield* callActivity(context.df, 'dispatchIncidents', { cycleId }, collectorRetry());
  } catch (error) {
    problems.push(`detections: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500));
  }

  const nextAt = new Date(started.getTime() + poll * 1000);
  const earliest = new Date(started.getTime() + minGap * 1000);
  context.df.setCustomStatus({
    cycle: carried.cycle,
    cycleId,
    phase: 'waiting',
    nextAt: nextAt.toISOString(),
    targets: outcomes.map((o) => ({
      source: o.source,
      org: o.org,
      ok: o.ok,
      rows: o.counts.rows,
      error: o.error?.code,
    })),
    findings,
    ...(problems.length === 0 ? {} : { problems }),
  });

  const timer = context.df.createTimer(nextAt > context.df.currentUtcDateTime ? nextAt : context.df.currentUtcDateTime);
  const expedite = context.df.waitForExternalEvent(EventNames.expedite);
  const winner = yield context.df.Task.any([timer, expedite]);
  if (winner === expedite) {
    timer.cancel();
    if (context.df.currentUtcDateTime < earliest) yield context.df.createTimer(earliest);
  }
  context.df.continueAsNew({ cycle: carried.cycle + 1 } satisfies CycleCarried);
}
