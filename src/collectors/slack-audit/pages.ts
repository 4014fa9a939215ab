/**
 * Collection semantics for the Slack Audit Logs API over one time window.
 * - Bounds: `oldest` and `latest` are unix seconds and both inclusive. A window ends `lagSeconds`
 *   before now and starts `overlapSeconds` before the checkpoint: Slack's audit index can show an
 *   entry later than its `date_create` says, so each cycle re-reads the recent past to pick up
 *   entries that appeared there after the previous read. An entry that becomes visible more than
 *   overlap + lag seconds after its `date_create` is still missed; the lag is small (fast alerts),
 *   the overlap carries the correctness.
 * - Order: results come newest-first (not stated by Slack, so nothing here relies on it); the
 *   checkpoint therefore cannot move per page, only once the whole window has been read.
 * - Dedupe: the checkpoint carries compact keys of every entry landed with `date_create` in
 *   [since, at] (`since` ≥ at − overlap); re-read entries with those keys are dropped, as are repeats
 *   within the window (keep windows bounded: `maxWindowSeconds`). The key set is capped
 *   (`maxLandedKeys`): past it the oldest seconds are forgotten and `since` moves up, so the next
 *   window re-reads less of the past (a shorter overlap) instead of landing anything twice.
 * - Checkpoint rule: only the last page of a window carries `checkpoint`, and the caller persists it
 *   only after every row of every page of the window is uploaded. A crash before that re-reads the
 *   whole window next time, and the uploaded-but-uncheckpointed rows land again (we prefer a
 *   duplicate to a gap); everything landed before the persisted checkpoint never lands twice.
 * - Filters: an action allow list is sent as `action=` batches of at most 30 (Slack's limit; the
 *   comma-separated syntax is [UNVERIFIED]); a deny list is applied here, client-side.
 */
import { createHash } from 'node:crypto';

import { AppError, ErrorCode } from '../../errors';
import { SLACK_AUDIT_MAX_LIMIT, type SlackAuditClient } from './client';
import { SlackAuditEntries } from './entries';

export const ORDER = 'newestFirst' as const;
export const POINTER_FIELD = 'date_create' as const;
export const ACTION_BATCH_MAX = 30;

/** Unix seconds, both inclusive. */
export interface TimeWindow {
  readonly oldest: number;
  readonly latest: number;
}

/** Defaults of the live collector (the app's settings default to the same values). */
export const DEFAULT_LAG_SECONDS = 5;
export const DEFAULT_OVERLAP_SECONDS = 120;
/**
 * Landed keys kept in a checkpoint: 20,000 keys of 11 characters ≈ 440 KB of UTF-16 in the entity,
 * well under Table Storage's 1 MiB. At 166 entries/s the full default overlap still fits.
 */
export const MAX_LANDED_KEYS = 20_000;

/**
 * The high-water mark of Slack audit collection for one org:
 * - `at`: the `latest` second of the last window whose rows were all uploaded;
 * - `since`: the first second `landed` covers (at − overlap ≤ since ≤ at + 1, higher only after a
 *   first run or the key cap); the next window starts there;
 * - `landed`: `landedKey(id)` of every entry landed with `date_create` in [since, at], by second
 *   (decimal string → keys, sorted, unique).
 */
export interface SlackAuditCheckpoint {
  readonly at: number;
  readonly since: number;
  readonly landed: Readonly<Record<string, readonly string[]>>;
}

/**
 * The dedupe key of an entry id: 8 bytes of its SHA-256, base64url (11 characters). A UUID is 36;
 * the chance that one of 10⁴ kept keys matches a new id by accident is ~5·10⁻¹⁶.
 */
export function landedKey(id: string): string {
  return createHash('sha256').update(id).digest().subarray(0, 8).toString('base64url');
}

export const LANDED_KEY_PATTERN = /^[A-Za-z0-9_-]{11}$/;

/** Keys in a checkpoint's landed set. */
export function landedCount(checkpoint: SlackAuditCheckpoint): number {
  let count = 0;
  for (const keys of Object.values(checkpoint.landed)) count += keys.length;
  return count;
}

export interface SlackAuditPagesOptions {
  /** The persisted checkpoint; entries whose keys it holds are dropped when re-read. */
  checkpoint?: SlackAuditCheckpoint | undefined;
  /** Seconds before the window's `latest` whose landed keys the next checkpoint keeps (default 120). */
  overlapSeconds?: number;
  /** Cap on the next checkpoint's landed keys (default MAX_LANDED_KEYS). */
  maxLandedKeys?: number;
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
  /** Entries to transform and upload: in-window, not denied, not already landed (each parsed when read). */
  entries: SlackAuditEntries;
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
  /** On the final page only: landed keys the cap made the checkpoint forget (0 normally). */
  forgotten?: number;
}

export interface WindowPlanOptions {
  /** Seconds kept between `latest` and now (default 5). */
  lagSeconds?: number;
  /** Seconds before the checkpoint re-read for late entries (default 120; bounded by `since`). */
  overlapSeconds?: number;
  /** Where a first run starts, in seconds before now (default 24 h). */
  initialLookbackSeconds?: number;
  /** Longest stretch past the checkpoint read in one go; a backlog catches up over several cycles (default 3600). */
  maxWindowSeconds?: number;
}

/** The window to read now, or null when there is nothing new yet (now − lag is before the checkpoint). */
export function planSlackAuditWindow(
  checkpoint: SlackAuditCheckpoint | undefined,
  nowSec: number,
  options: WindowPlanOptions = {},
): TimeWindow | null {
  const lag = options.lagSeconds ?? DEFAULT_LAG_SECONDS;
  const maxWindow = options.maxWindowSeconds ?? 3600;
  const end = Math.floor(nowSec) - lag;
  if (checkpoint === undefined) {
    const oldest = end - (options.initialLookbackSeconds ?? 86_400);
    return { oldest, latest: Math.min(end, oldest + maxWindow) };
  }
  // Re-read only what the landed set covers: before `since` a re-read entry could not be told apart.
  const oldest = Math.max(checkpoint.since, checkpoint.at - (options.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS));
  if (end < Math.max(oldest, checkpoint.at)) return null;
  return { oldest, latest: Math.min(end, checkpoint.at + maxWindow) };
}

export interface NextCheckpointOptions {
  overlapSeconds?: number;
  maxLandedKeys?: number;
}

/**
 * The checkpoint a fully read and uploaded `window` yields: `at` = its `latest` second, and the keys
 * landed in the last `overlapSeconds` (this window's, merged with `previous.landed`). Past
 * `maxLandedKeys` the oldest whole seconds are forgotten and `since` moves past them. Never moves
 * backwards.
 */
export function nextCheckpoint(
  window: TimeWindow,
  landedNow: Iterable<readonly [second: number, key: string]>,
  previous?: SlackAuditCheckpoint,
  options: NextCheckpointOptions = {},
): { checkpoint: SlackAuditCheckpoint; forgotten: number } {
  if (previous !== undefined && previous.at > window.latest) {
    throw new AppError(
      ErrorCode.InputInvalid,
      `Slack audit checkpoint would move backwards (${previous.at} → ${window.latest})`,
    );
  }
  const overlap = options.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
  const maxKeys = options.maxLandedKeys ?? MAX_LANDED_KEYS;
  // What is known landed: [previous.since, previous.at] ∪ [window.oldest, window.latest], when they meet.
  const contiguous = previous !== undefined && window.oldest <= previous.at + 1;
  const covered = contiguous ? Math.min(previous.since, window.oldest) : window.oldest;
  let since = Math.max(covered, window.latest - overlap);

  const bySecond = new Map<number, Set<string>>();
  const add = (second: number, key: string) => {
    if (second < since || second > window.latest) return;
    let keys = bySecond.get(second);
    if (keys === undefined) bySecond.set(second, (keys = new Set()));
    keys.add(key);
  };
  if (contiguous) {
    for (const [second, keys] of Object.entries(previous.landed)) for (const key of keys) add(Number(second), key);
  }
  for (const [second, key] of landedNow) add(second, key);

  // Newest seconds first until the cap; everything older is forgotten and no longer re-read.
  const seconds = [...bySecond.keys()].sort((x, y) => y - x);
  const landed: Record<string, string[]> = {};
  let kept = 0;
  let forgotten = 0;
  for (const second of seconds) {
    const keys = bySecond.get(second) ?? new Set<string>();
    if (forgotten > 0 || kept + keys.size > maxKeys) {
      if (forgotten === 0) since = second + 1;
      forgotten += keys.size;
      continue;
    }
    kept += keys.size;
    landed[String(second)] = [...keys].sort();
  }
  return { checkpoint: { at: window.latest, since, landed }, forgotten };
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
  const overlapSeconds = options.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
  // Keys landed before, by what they cover: a re-read entry in [since, at] with a known key is a repeat.
  const landedBefore = new Set<string>();
  if (checkpoint !== undefined)
    for (const keys of Object.values(checkpoint.landed)) for (const key of keys) landedBefore.add(key);
  const coveredFrom = checkpoint?.since ?? Number.POSITIVE_INFINITY;
  const coveredTo = checkpoint?.at ?? Number.NEGATIVE_INFINITY;
  // Keys landed now that the next checkpoint keeps (the last overlapSeconds of the window).
  const keepFrom = window.latest - overlapSeconds;
  const landedNow: [number, string][] = [];
  const finish = () =>
    nextCheckpoint(window, landedNow, checkpoint, {
      overlapSeconds,
      ...(options.maxLandedKeys === undefined ? {} : { maxLandedKeys: options.maxLandedKeys }),
    });
  const deny = new Set(options.denyActions ?? []);
  const allow = options.allowActions ?? [];
  const batches: (string[] | null)[] =
    allow.length === 0 ? [null] : actionBatches(allow, options.denyActions, options.actionBatchSize);

  const seenInWindow = new Set<string>();
  let index = 0;

  if (batches.length === 0) {
    // Every allowed action is denied: nothing to ask for, but the window is still complete.
    yield emptyFinalPage(finish());
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

      const page = result.entries;
      const kept: number[] = [];
      const dropped = { duplicate: 0, denied: 0, outsideWindow: 0 };
      for (let i = 0; i < page.length; i += 1) {
        const second = page.second(i);
        if (second !== undefined && (second < window.oldest || second > window.latest)) {
          // Outside the asked window: an earlier window had it, or the next one will.
          dropped.outsideWindow += 1;
          continue;
        }
        if (deny.size > 0 && deny.has(page.action(i) ?? '')) {
          dropped.denied += 1;
          continue;
        }
        const id = page.id(i);
        if (id !== undefined) {
          if (seenInWindow.has(id)) {
            dropped.duplicate += 1;
            continue;
          }
          const covered = second !== undefined && second >= coveredFrom && second <= coveredTo;
          const key = covered || (second !== undefined && second >= keepFrom) ? landedKey(id) : undefined;
          if (covered && key !== undefined && landedBefore.has(key)) {
            dropped.duplicate += 1;
            continue;
          }
          seenInWindow.add(id);
          if (key !== undefined && second !== undefined && second >= keepFrom) landedNow.push([second, key]);
        }
        // Entries without a readable id or time pass through: the transform quarantines them.
        kept.push(i);
      }

      const last = cursor === null && batchIndex === batches.length - 1;
      const yielded: SlackAuditPage = {
        entries: kept.length === page.length ? page : page.select(kept),
        fetched: page.length,
        dropped,
        rawBytes: result.rawBytes,
        attempts: result.attempts,
        index,
        actionBatch: batch === null ? null : batchIndex,
        last,
      };
      if (last) {
        const next = finish();
        yielded.checkpoint = next.checkpoint;
        yielded.forgotten = next.forgotten;
      }
      index += 1;
      yield yielded;
    } while (cursor !== null);
  }
}

function emptyFinalPage(next: { checkpoint: SlackAuditCheckpoint; forgotten: number }): SlackAuditPage {
  return {
    entries: SlackAuditEntries.fromValues([]),
    fetched: 0,
    dropped: { duplicate: 0, denied: 0, outsideWindow: 0 },
    rawBytes: 0,
    attempts: 0,
    index: 0,
    actionBatch: null,
    last: true,
    checkpoint: next.checkpoint,
    forgotten: next.forgotten,
  };
}
