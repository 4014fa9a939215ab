/**
 * The small activities around the collection cycle: `planCycle` turns configuration into the
 * cycle's targets (orchestrators read no settings), `recordCycle` writes what the cycle did to the
 * `cycles` table, and `planBackfill` splits a backfill range into windows.
 */
import type { InvocationContext } from '@azure/functions';
import { z } from 'zod';

import { splitWindow } from '../collectors/slack-audit/pages';
import { type Config, getConfig } from '../config';
import { AppError, ErrorCode } from '../errors';
import { CycleHourStore } from '../state/cycle-hours';
import { CycleStore } from '../state/cycles';
import { logAndRethrow, parseInput } from './collect-slack-audit';

export interface CycleTarget {
  source: 'slackAudit' | 'meraki';
  org: string;
}

export interface CyclePlan {
  targets: CycleTarget[];
  pollIntervalSeconds: number;
  minGapSeconds: number;
}

export function planCycle(config: Config): CyclePlan {
  const targets: CycleTarget[] = [];
  if (config.sources.includes('slackAudit'))
    targets.push({ source: 'slackAudit', org: config.collection.slackAudit.org });
  if (config.sources.includes('meraki'))
    for (const org of config.meraki.orgIds) targets.push({ source: 'meraki', org });
  // Cycles never start closer together than the gap, whatever expedites them.
  return {
    targets,
    pollIntervalSeconds: config.pollIntervalSeconds,
    minGapSeconds: config.collection.minCycleGapSeconds,
  };
}

export async function planCycleActivity(_input: unknown, context: InvocationContext): Promise<CyclePlan> {
  try {
    return await Promise.resolve(planCycle(getConfig()));
  } catch (error) {
    return logAndRethrow(context, 'planCycle', error);
  }
}

const Counts = z.strictObject({
  rows: z.number().int().nonnegative(),
  quarantined: z.number().int().nonnegative(),
  apiCalls: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

export const RecordCycleInput = z.strictObject({
  cycleId: z.string().min(1).max(256),
  startedAt: z.iso.datetime({ offset: true }),
  outcomes: z
    .array(
      z.strictObject({
        source: z.string().min(1).max(64),
        org: z.string().min(1).max(256),
        ok: z.boolean(),
        counts: Counts,
        error: z.strictObject({ code: z.string().max(256), message: z.string().max(4000) }).optional(),
        details: z.record(z.string(), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()])).optional(),
      }),
    )
    .max(1000),
});
export type RecordCycleInput = z.infer<typeof RecordCycleInput>;

export async function recordCycle(raw: unknown, store: CycleStore): Promise<{ recorded: number }> {
  const input = parseInput(RecordCycleInput, raw, 'recordCycle');
  const at = new Date(input.startedAt);
  for (const outcome of input.outcomes) await store.record(input.cycleId, at, outcome);
  const sum = (pick: (o: RecordCycleInput['outcomes'][number]) => number) =>
    input.outcomes.reduce((s, o) => s + pick(o), 0);
  await store.record(input.cycleId, at, {
    source: 'cycle',
    org: 'latest',
    ok: input.outcomes.every((o) => o.ok),
    counts: {
      rows: sum((o) => o.counts.rows),
      quarantined: sum((o) => o.counts.quarantined),
      apiCalls: sum((o) => o.counts.apiCalls),
      bytes: sum((o) => o.counts.bytes),
    },
    details: { targets: input.outcomes.length, failed: input.outcomes.filter((o) => !o.ok).length },
  });
  return { recorded: input.outcomes.length };
}

export async function recordCycleActivity(input: unknown, context: InvocationContext): Promise<{ recorded: number }> {
  try {
    const config = getConfig();
    const result = await recordCycle(input, new CycleStore(config));
    // Hourly totals behind the ops status's last-24-hours figures (state/cycle-hours.ts).
    const { cycleId, startedAt, outcomes } = RecordCycleInput.parse(input);
    await new CycleHourStore(config).add(cycleId, new Date(startedAt), outcomes);
    return result;
  } catch (error) {
    return logAndRethrow(context, 'recordCycle', error);
  }
}

/** Backfills are bounded: at most this many days and windows per request. */
export const MAX_BACKFILL_DAYS = 90;
const MAX_WINDOWS = 100_000;

export const BackfillRequest = z
  .strictObject({
    source: z.literal('slackAudit').default('slackAudit'),
    /** Unix seconds, inclusive. */
    oldest: z.number().int().min(1_520_000_000),
    latest: z.number().int().min(1_520_000_000),
    windowSeconds: z.number().int().min(60).max(86_400).default(3600),
  })
  .refine((r) => r.latest >= r.oldest, { message: 'latest must not be before oldest', path: ['latest'] })
  .refine((r) => r.latest - r.oldest <= MAX_BACKFILL_DAYS * 86_400, {
    message: `a backfill covers at most ${MAX_BACKFILL_DAYS} days`,
    path: ['latest'],
  });
export type BackfillRequest = z.infer<typeof BackfillRequest>;

export const PlanBackfillInput = z.strictObject({
  oldest: z.number().int(),
  latest: z.number().int(),
  windowSeconds: z.number().int().positive(),
  /** Index of the first window to return, and how many. */
  from: z.number().int().nonnegative(),
  limit: z.number().int().min(1).max(500),
});

export interface BackfillSlice {
  total: number;
  windows: { oldest: number; latest: number }[];
}

export function planBackfill(raw: unknown): BackfillSlice {
  const input = parseInput(PlanBackfillInput, raw, 'planBackfill');
  const total = Math.ceil((input.latest - input.oldest + 1) / input.windowSeconds);
  if (total > MAX_WINDOWS)
    throw new AppError(ErrorCode.InputInvalid, `planBackfill: ${total} windows is more than ${MAX_WINDOWS}`);
  const start = input.oldest + input.from * input.windowSeconds;
  if (start > input.latest) return { total, windows: [] };
  const end = Math.min(input.latest, start + input.limit * input.windowSeconds - 1);
  return { total, windows: splitWindow(start, end, input.windowSeconds) };
}

export async function planBackfillActivity(input: unknown, context: InvocationContext): Promise<BackfillSlice> {
  try {
    return await Promise.resolve(planBackfill(input));
  } catch (error) {
    return logAndRethrow(context, 'planBackfill', error);
  }
}
