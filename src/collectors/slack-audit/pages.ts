/**
 * Collection semantics for the Slack Audit Logs API over one time window.
 * - Bounds: `oldest` and `latest` are unix seconds and both inclusive. A window starts at the
 *   checkpoint second (re-read on purpose: entries can still land in that second after we read it)
 *   and ends `lagSeconds` before now.
 * - Order: results come newest-first (not stated by Slack, so nothing here relies on it); the
 *   checkpoint therefore cannot move per page, only once the whole window has been read.
 * - Dedupe: the checkpoint carries the ids already landed at its second; re-read entries with those
 *   ids are dropped, as are repeats within the window (keep windows bounded: `maxWindowSeconds`).
 * - Checkpoint rule: only the last page of a window carries `checkpoint`, and the caller persists it
 *   only after every row of every page of the window is uploaded. A crash before that re-reads the
 *   whole window next time, and the uploaded-but-uncheckpointed rows land again (we prefer a
 *   duplicate to a gap); everything at or before the persisted checkpoint never lands twice.
 * - Filters: an action allow list is sent as `action=` batches of at most 30 (Slack's limit; the
 *   comma-separated syntax is [UNVERIFIED]); a deny list is applied here, client-side.
 */
import { AppError, ErrorCode } from '../../errors';
import { isRecord } from '../http';
import { SLACK_AUDIT_MAX_LIMIT, type SlackAuditClient } from './client';

export const ORDER = 'newestFirst' as const;
export const POINTER_FIELD = 'date_create' as const;
export const ACTION_BATCH_MAX = 30;

/** Unix seconds, both inclusive. */
export interface TimeWindow {
  readonly oldest: number;
  readonly latest: number;
}

/**
 * The high-water mark of Slack audit collection for one org: `at` is the `latest` second of the last
 * window whose rows were all uploaded; `seenIds` are the entry ids at exactly that second that were
 * landed (sorted, unique). The next window starts at `at` (inclusive) and skips those ids.
 */
export interface SlackAuditCheckpoint {
  readonly at: number;
  readonly seenIds: readonly string[];
}

export interface SlackAuditPagesOptions {
  /** The persisted checkpoint; its `seenIds` are dropped when re-read at its second. */
  checkpoint?: SlackAuditCheckpoint | undefined;
  /** Page size, 1..9999 (default 1000). */
  limit?: number;
  /** Only these actions (sent to Slack in batches). Empty or absent = every action. */
  allowActions?: readonly string[];
  /** Dropped client-side (and removed from the allow list). */
  denyActions?: readonly string[];
  /** Actions per `action=` batch, 1..30 (default 30). */
  actionBatchSize?: number;
  actor?: string;
  entity?: string;
}

export interface SlackAuditPage {
  /** Entries to transform and upload: in-window, not denied, not already landed. */
  entries: unknown[];
  /** Entries Slack returned on this page before filtering. */
  fetched: number;
  dropped: { duplicate: number; denied: number; outsideWindow: number };
  rawBytes: number;
  attempts: number;
  /** 0-based page number within the window (across action batches). */
  index: number;
  /** 0-based action batch, or null without an allow list. */
  actionBatch: number | null;
  /** True on the window's final page. */
  last: boolean;
  /** On the final page only: persist it after every row of the window is uploaded, not before. */
  checkpoint?: SlackAuditCheckpoint;
}

export interface WindowPlanOptions {
  /** Seconds kept between `latest` and now, so entries still being written are read next time (default 60). */
  lagSeconds?: number;
  /** Where a first run starts, in seconds before now (default 24 h). */
  initialLookbackSeconds?: number;
  /** Longest window read in one go; a backlog catches up over several cycles (default 3600). */
  maxWindowSeconds?: number;
}

/** The window to read now, or null when there is nothing new yet (now − lag is before the checkpoint). */
export function planSlackAuditWindow(
  checkpoint: SlackAuditCheckpoint | undefined,
  nowSec: number,
  options: WindowPlanOptions = {},
): TimeWindow | null {
  const lag = options.lagSeconds ?? 60;
  const maxWindow = options.maxWindowSeconds ?? 3600;
  const end = Math.floor(nowSec) - lag;
  const oldest = checkpoint?.at ?? end - (options.initialLookbackSeconds ?? 86_400);
  if (end < oldest) return null;
  return { oldest, latest: Math.min(end, oldest + maxWindow) };
}

/**
 * The checkpoint a fully read and uploaded `window` yields: its `latest` second plus the ids landed
 * at that second (merged with `previous.seenIds` when `previous` is at the same second). Never
 * moves backwards.
 */
export function nextCheckpoint(
  window: TimeWindow,
  idsAtLatest: Iterable<string>,
  previous?: SlackAuditCheckpoint,
): SlackAuditCheckpoint {
  if (previous !== undefined && previous.at > window.latest) {
    throw new AppError(
      ErrorCode.InputInvalid,
      `Slack audit checkpoint would move backwards (${previous.at} → ${window.latest})`,
    );
  }
  const ids = new Set(idsAtLatest);
  if (previous?.at === window.latest) for (const id of previous.seenIds) ids.add(id);
  return { at: window.latest, seenIds: [...ids].sort() };
}

/** Splits [oldest, latest] into consecutive, non-overlapping inclusive windows of at most `maxSeconds`, oldest first. */
export function splitWindow(oldest: number, latest: number, maxSeconds: number): TimeWindow[] {
  if (!Number.isInteger(oldest) || !Number.isInteger(latest) || latest < oldest) {
    throw new AppError(ErrorCode.InputInvalid, `splitWindow: invalid window ${oldest}..${latest}`);
  }
  if (!Number.isInteger(maxSeconds) || maxSeconds < 1) {
    throw new AppError(ErrorCode.InputInvalid, `splitWindow: maxSeconds must be a positive integer, got ${maxSeconds}`);
  }
  const windows: TimeWindow[] = [];
  for (let start = oldest; start <= latest; start += maxSeconds) {
    windows.push({ oldest: start, latest: Math.min(latest, start + maxSeconds - 1) });
  }
  return windows;
}

/** Splits an allow list into `action=` batches, after removing denied actions and repeats. */
export function actionBatches(
  allow: readonly string[],
  deny: readonly string[] = [],
  batchSize: number = ACTION_BATCH_MAX,
): string[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > ACTION_BATCH_MAX) {
    throw new AppError(ErrorCode.InputInvalid, `actionBatchSize must be 1..${ACTION_BATCH_MAX}, got ${batchSize}`);
  }
  const denied = new Set(deny);
  const actions = [...new Set(allow)].filter((action) => !denied.has(action));
  const batches: string[][] = [];
  for (let i = 0; i < actions.length; i += batchSize) batches.push(actions.slice(i, i + batchSize));
  return batches;
}

/** Yields every page of `window`; the final page carries the checkpoint to persist after upload. */
export async function* slackAuditPages(
  client: SlackAuditClient,
  window: TimeWindow,
  options: SlackAuditPagesOptions = {},
): AsyncGenerator<SlackAuditPage> {
  const limit = options.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > SLACK_AUDIT_MAX_LIMIT) {
    throw new AppError(
      ErrorCode.InputInvalid,
      `Slack audit page size must be 1..${SLACK_AUDIT_MAX_LIMIT}, got ${limit}`,
    );
  }
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined && checkpoint.at > window.latest) {
    throw new AppError(
      ErrorCode.InputInvalid,
      `Slack audit window ends (${window.latest}) before the checkpoint (${checkpoint.at})`,
    );
  }
  const landedAtCheckpoint = new Set(checkpoint?.seenIds ?? []);
  const deny = new Set(options.denyActions ?? []);
  const allow = options.allowActions ?? [];
  const batches: (string[] | null)[] =
    allow.length === 0 ? [null] : actionBatches(allow, options.denyActions, options.actionBatchSize);

  const seenInWindow = new Set<string>();
  const idsAtLatest: string[] = [];
  let index = 0;

  if (batches.length === 0) {
    // Every allowed action is denied: nothing to ask for, but the window is still complete.
    yield emptyFinalPage(window, checkpoint);
    return;
  }

  for (const [batchIndex, batch] of batches.entries()) {
    const fetchPage = (cursor: string | null) => {
      const request = client.getLogs({
        oldest: window.oldest,
        latest: window.latest,
        limit,
        cursor,
        ...(batch === null ? {} : { action: batch }),
        ...(options.actor === undefined ? {} : { actor: options.actor }),
        ...(options.entity === undefined ? {} : { entity: options.entity }),
      });
      // Awaited below; a caller that stops early must not leave an unhandled rejection behind.
      request.catch(() => undefined);
      return request;
    };
    let pending = fetchPage(null);
    let cursor: string | null;
    do {
      const result = await pending;
      cursor = result.nextCursor;
      // One page ahead: the next page downloads while the caller transforms and uploads this one
      // (a full page is ~7 MB). Filtering still runs in page order, so dedupe is unchanged.
      if (cursor !== null) pending = fetchPage(cursor);

      const entries: unknown[] = [];
      const dropped = { duplicate: 0, denied: 0, outsideWindow: 0 };
      for (const entry of result.entries) {
        const id = entryId(entry);
        const second = entrySecond(entry);
        if (second !== undefined && (second < window.oldest || second > window.latest)) {
          // Outside the asked window: an earlier window had it, or the next one will.
          dropped.outsideWindow += 1;
          continue;
        }
        if (deny.size > 0 && deny.has(entryAction(entry) ?? '')) {
          dropped.denied += 1;
          continue;
        }
        if (id !== undefined) {
          const landedBefore = checkpoint !== undefined && second === checkpoint.at && landedAtCheckpoint.has(id);
          if (landedBefore || seenInWindow.has(id)) {
            dropped.duplicate += 1;
            continue;
          }
          seenInWindow.add(id);
          if (second === window.latest) idsAtLatest.push(id);
        }
        // Entries without a readable id or time pass through: the transform quarantines them.
        entries.push(entry);
      }

      const last = cursor === null && batchIndex === batches.length - 1;
      const page: SlackAuditPage = {
        entries,
        fetched: result.entries.length,
        dropped,
        rawBytes: result.rawBytes,
        attempts: result.attempts,
        index,
        actionBatch: batch === null ? null : batchIndex,
        last,
      };
      if (last) page.checkpoint = nextCheckpoint(window, idsAtLatest, checkpoint);
      index += 1;
      yield page;
    } while (cursor !== null);
  }
}

function emptyFinalPage(window: TimeWindow, checkpoint: SlackAuditCheckpoint | undefined): SlackAuditPage {
  return {
    entries: [],
    fetched: 0,
    dropped: { duplicate: 0, denied: 0, outsideWindow: 0 },
    rawBytes: 0,
    attempts: 0,
    index: 0,
    actionBatch: null,
    last: true,
    checkpoint: nextCheckpoint(window, [], checkpoint),
  };
}

function entryId(entry: unknown): string | undefined {
  return isRecord(entry) && typeof entry.id === 'string' && entry.id !== '' ? entry.id : undefined;
}

function entryAction(entry: unknown): string | undefined {
  return isRecord(entry) && typeof entry.action === 'string' ? entry.action : undefined;
}

function entrySecond(entry: unknown): number | undefined {
  if (!isRecord(entry)) return undefined;
  const value = entry.date_create;
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? Math.floor(seconds) : undefined;
}
