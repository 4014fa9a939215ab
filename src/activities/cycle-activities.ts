/**
 * The small activities around the collection cycle: `planCycle` turns configuration into the
 * cycle's targets (orchestrators read no settings), `recordCycle` writes what the cycle did to the
 * `cycles` table, and `planBackfill` splits a backfill range into windows.
 */
import type { InvocationContext } from '@azure/functions';

import { splitWindow } from '../collectors/slack-audit/pages';
import { type Config, getConfig } from '../config';
import {
  type BackfillSlice,
  type CyclePlan,
  type CycleTarget,
  parseActivityInput,
  type RecordCycleInput,
} from '../contracts';
import { AppError, ErrorCode } from '../errors';
import { CycleHourStore } from '../state/cycle-hours';
import { CycleStore } from '../state/cycles';
import { logAndRethrow } from './collect-slack-audit';

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

export async function recordCycle(raw: unknown, store: CycleStore): Promise<{ recorded: number }> {
  const input = parseActivityInput('recordCycle', raw);
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
    const { cycleId, startedAt, outcomes } = parseActivityInput('recordCycle', input);
    await new CycleHourStore(config).add(cycleId, new Date(startedAt), outcomes);
    return result;
  } catch (error) {
    return logAndRethrow(context, 'recordCycle', error);
  }
}

/** Backfills are bounded: at most this many windows per request. */
const MAX_WINDOWS = 100_000;

export function planBackfill(raw: unknown): BackfillSlice {
  const input = parseActivityInput('planBackfill', raw);
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
