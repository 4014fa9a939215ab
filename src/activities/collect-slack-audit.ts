/**
 * Activity `collectSlackAudit`: one enterprise's audit log through the connector runner, one time
 * window at a time (collectors/slack-audit/connector.ts; the ordering guarantees are
 * collectors/runner.ts).
 * - Live (no `window` in the input): windows follow the checkpoint and repeat until caught up
 *   (now − lag) or the run budget is spent; the rest waits for the next cycle. Each window re-reads
 *   the overlap before the checkpoint for entries Slack shows late; the ids landed there are saved
 *   with the checkpoint, so only the late ones land.
 * - Backfill (`window` given): exactly that window, checkpoint untouched.
 * Every failure is rethrown as a coded error so Durable's retry policy decides.
 */
import type { InvocationContext } from '@azure/functions';
import { z } from 'zod';

import { collectorSink, runConnector } from '../collectors/runner';
import { SlackAuditClient } from '../collectors/slack-audit/client';
import { SlackAuditConnector } from '../collectors/slack-audit/connector';
import { type Config, getConfig, redactSecrets } from '../config';
import { parseActivityInput } from '../contracts';
import { createRowObserver } from '../evaluation/row-observer';
import type { ObserverContext, RowObserver } from '../detections/observer';
import { AppError, ErrorCode, ensureError, isAppError } from '../errors';
import { ingestionClient } from '../ingestion/client';
import type { IngestionClientLike } from '../ingestion/uploader';
import { CheckpointStore } from '../state/checkpoints';
import { SlackAuditCheckpoints } from '../state/slack-audit-checkpoint';
import type { DimensionLedger } from '../transforms/dimensions';
import { fileChannelsResolver } from './file-channels';

export interface CollectSlackAuditResult {
  source: 'slackAudit';
  org: string;
  cycleId: string;
  mode: 'live' | 'backfill';
  /** Windows read and landed completely. */
  windows: number;
  /** False when a backlog remains (the next cycle continues it). */
  caughtUp: boolean;
  /** The persisted checkpoint second (live), or null. */
  checkpointAt: number | null;
  /**
   * Seconds before the checkpoint the next window re-reads (live), or null. Below the configured
   * overlap when more ids landed in it than the checkpoint keeps (see `forgottenIds`).
   */
  overlapSeconds: number | null;
  /** Landed ids the checkpoint could not keep (its cap): their seconds are no longer re-read. */
  forgottenIds: number;
  fetched: number;
  rows: number;
  quarantined: number;
  rejected: number;
  duplicates: number;
  denied: number;
  apiCalls: number;
  /** Uncompressed JSON bytes landed. */
  bytes: number;
  /** Bytes Slack sent. */
  rawBytes: number;
  uploadRequests: number;
}

export interface CollectSlackAuditDeps {
  config: Config;
  client: SlackAuditClient;
  ingestion: IngestionClientLike;
  checkpoints: SlackAuditCheckpoints;
  createObserver(ctx: ObserverContext): RowObserver;
  /** Epoch ms (run budget, quarantine time). */
  clock?: () => number;
  log?: (message: string) => void;
  /** Uploader backoff sleep (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
  /** Dimension keys already landed; default the process-wide ledger (tests pass a fresh one). */
  dimensions?: DimensionLedger;
  /** Landed ids a checkpoint keeps (default MAX_LANDED_KEYS; tests lower it). */
  maxLandedKeys?: number;
}

export function parseInput<T>(schema: z.ZodType<T>, raw: unknown, activity: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(ErrorCode.InputInvalid, `${activity} input is invalid: ${z.prettifyError(parsed.error)}`, {
      retriable: false,
    });
  }
  return parsed.data;
}

export async function collectSlackAudit(raw: unknown, deps: CollectSlackAuditDeps): Promise<CollectSlackAuditResult> {
  const input = parseActivityInput('collectSlackAudit', raw);
  const settings = deps.config.collection.slackAudit;
  const org = input.org ?? settings.org;
  if (org !== settings.org) {
    throw new AppError(
      ErrorCode.InputInvalid,
      `collectSlackAudit: org ${org} is not the configured enterprise (${settings.org})`,
    );
  }
  const clock = deps.clock ?? Date.now;
  const connector = new SlackAuditConnector({
    org,
    client: deps.client,
    checkpoints: deps.checkpoints,
    settings,
    ...(input.window === undefined ? {} : { window: input.window }),
    nowSeconds: Math.floor((input.now === undefined ? clock() : Date.parse(input.now)) / 1000),
    clock,
    ...(deps.maxLandedKeys === undefined ? {} : { maxLandedKeys: deps.maxLandedKeys }),
  });
  const callsBefore = deps.client.callsUsed;
  const run = await runConnector(connector, {
    sink: collectorSink(deps.config.ingestion, {
      ingestion: deps.ingestion,
      sourceOrg: org,
      clock,
      sleep: deps.sleep,
      dimensions: deps.dimensions,
    }),
    observer: () => deps.createObserver({ source: 'slackAudit', org, cycleId: input.cycleId }),
    deadline: clock() + settings.runSeconds * 1000,
    clock,
  });
  const result: CollectSlackAuditResult = {
    source: 'slackAudit',
    org,
    cycleId: input.cycleId,
    mode: connector.live ? 'live' : 'backfill',
    windows: run.windows,
    caughtUp: run.caughtUp,
    checkpointAt: connector.position.checkpointAt,
    overlapSeconds: connector.position.overlapSeconds,
    forgottenIds: run.counts.forgottenIds,
    fetched: run.counts.fetched,
    rows: run.totalRows,
    quarantined: run.quarantined,
    rejected: run.rejected,
    duplicates: run.counts.duplicates,
    denied: run.counts.denied,
    apiCalls: deps.client.callsUsed - callsBefore,
    bytes: run.bytes,
    rawBytes: run.counts.rawBytes,
    uploadRequests: run.uploadRequests,
  };
  deps.log?.(
    `collectSlackAudit ${org} ${result.mode} ${input.cycleId}: ${result.windows} windows, ${result.rows} rows, ` +
      `${result.quarantined} quarantined, ${result.duplicates} duplicates dropped, ${result.apiCalls} API calls, checkpoint ${String(result.checkpointAt)}`,
  );
  if (result.forgottenIds > 0) {
    deps.log?.(
      `collectSlackAudit ${org} ${input.cycleId}: more ids landed in the last ${settings.overlapSeconds} s than the checkpoint keeps; ` +
        `forgot the ${result.forgottenIds} oldest, so the next window re-reads only ${String(result.overlapSeconds)} s before the checkpoint ` +
        `(entries Slack shows later than that are missed)`,
    );
  }
  return result;
}

/** Production dependencies from the app configuration. */
export function slackAuditDeps(config: Config, log?: (message: string) => void): CollectSlackAuditDeps {
  if (config.slack.auditToken === undefined) {
    throw new AppError(ErrorCode.ConfigInvalid, 'SENTRY_SLACK_AUDIT_TOKEN is not set: slackAudit collection needs it');
  }
  const resolveFileChannels = fileChannelsResolver(config);
  const deps: CollectSlackAuditDeps = {
    config,
    client: new SlackAuditClient({
      baseUrl: config.slack.auditApiUrl,
      token: config.slack.auditToken,
      budget: { org: config.collection.slackAudit.org },
      timeoutMs: config.collection.requestTimeoutSeconds * 1000,
    }),
    ingestion: ingestionClient(config),
    checkpoints: new SlackAuditCheckpoints(new CheckpointStore(config)),
    createObserver: (ctx) =>
      createRowObserver(config, ctx, resolveFileChannels === undefined ? {} : { resolveFileChannels }),
  };
  if (log !== undefined) deps.log = log;
  return deps;
}

/** Logs a failure (code and redacted message only) and rethrows it for Durable's retry policy. */
export function logAndRethrow(context: InvocationContext, activity: string, error: unknown): never {
  const failure = ensureError(error);
  const code = isAppError(failure) ? failure.code : 'unknown';
  const retriable = isAppError(failure) ? failure.retriable : true;
  const message = redactSecrets(failure.message);
  context.error(`${activity} failed (${code}, retriable=${String(retriable)}): ${message}`);
  // The message crosses into orchestration history: redacted, and prefixed with the code so the
  // orchestrator can record it (Durable keeps only the error's name and message).
  failure.message = message.startsWith(`[${code}]`) ? message : `[${code}] ${message}`;
  throw failure;
}

/** The registered handler. */
export async function collectSlackAuditActivity(
  input: unknown,
  context: InvocationContext,
): Promise<CollectSlackAuditResult> {
  try {
    return await collectSlackAudit(
      input,
      slackAuditDeps(getConfig(), (m) => {
        context.log(m);
      }),
    );
  } catch (error) {
    return logAndRethrow(context, 'collectSlackAudit', error);
  }
}
