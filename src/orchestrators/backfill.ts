/**
 * A Slack audit backfill: a date range split into windows (`planBackfill`, via `splitWindow`), read
 * one window at a time by the same `collectSlackAudit` activity and the same org-wide request budget
 * as the live cycle, so a backfill slows the live collector down rather than starving it. Windows are
 * collected in order; progress (windows done of total, rows, current window) is the custom status.
 * Every `SLICE` windows the instance continues as new with `{ request, next, totals }`, so its history
 * stays small over months of windows. A window that still fails after its retries fails the backfill
 * with the window named; rerunning the request re-reads (and re-lands) from the start.
 */
import type { OrchestrationContext, Task } from 'durable-functions';

import { type BackfillRequest, callActivity } from '../contracts';
import { collectorRetry } from './cycle';

export const SLICE = 50;

export interface BackfillTotals {
  windows: number;
  rows: number;
  quarantined: number;
  apiCalls: number;
  bytes: number;
}

export interface BackfillCarried {
  request: BackfillRequest;
  next?: number;
  totals?: BackfillTotals;
}

export interface BackfillOutput extends BackfillTotals {
  total: number;
  request: BackfillRequest;
}

const ZERO: BackfillTotals = { windows: 0, rows: 0, quarantined: 0, apiCalls: 0, bytes: 0 };
const n = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export function* backfillOrchestrator(
  context: OrchestrationContext,
): Generator<Task, BackfillOutput | undefined, unknown> {
  const carried = context.df.getInput<BackfillCarried>();
  const { request } = carried;
  const next = carried.next ?? 0;
  const totals: BackfillTotals = { ...ZERO, ...carried.totals };

  const slice = yield* callActivity(context.df, 'planBackfill', {
    oldest: request.oldest,
    latest: request.latest,
    windowSeconds: request.windowSeconds,
    from: next,
    limit: SLICE,
  });

  for (const [offset, window] of slice.windows.entries()) {
    context.df.setCustomStatus({
      phase: 'collecting',
      windowsDone: next + offset,
      windowsTotal: slice.total,
      window,
      ...totals,
    });
    const summary = yield* callActivity(
      context.df,
      'collectSlackAudit',
      { cycleId: `backfill:${context.df.instanceId}`, window },
      collectorRetry(),
    );
    totals.windows += 1;
    totals.rows += n(summary.rows);
    totals.quarantined += n(summary.quarantined);
    totals.apiCalls += n(summary.apiCalls);
    totals.bytes += n(summary.bytes);
  }

  const done = next + slice.windows.length;
  if (slice.windows.length > 0 && done < slice.total) {
    context.df.setCustomStatus({ phase: 'collecting', windowsDone: done, windowsTotal: slice.total, ...totals });
    context.df.continueAsNew({ request, next: done, totals } satisfies BackfillCarried);
    return undefined;
  }
  context.df.setCustomStatus({ phase: 'done', windowsDone: done, windowsTotal: slice.total, ...totals });
  return { ...totals, total: slice.total, request };
}
