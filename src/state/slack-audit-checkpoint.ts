/**
 * The Slack audit checkpoint of one enterprise (`checkpoints`, partition `slackAudit`, row = org):
 * `{ at, seenIds }` as `slackAuditPages`/`nextCheckpoint` define it, validated on the way in and out.
 *
 * Size rule: the entity stores the checkpoint as one JSON string property, and Table Storage caps a
 * string property at 64 KiB (32 K UTF-16 characters). `seenIds` (the ids landed at the `at` second,
 * re-read because `oldest` is inclusive) can hold thousands of ids at peak rates, so it is capped:
 * past MAX_SEEN_IDS the checkpoint closes that second instead (`at + 1`, no ids). That loses nothing
 * the lag does not already cover: the second is `lagSeconds` old when read, and earlier seconds are
 * never re-read either. It only gives up re-reading one already-complete second.
 */
import { z } from 'zod';

import type { SlackAuditCheckpoint } from '../collectors/slack-audit/pages';
import { AppError, ErrorCode } from '../errors';
import type { CheckpointStore } from './checkpoints';

export const SLACK_AUDIT_SOURCE = 'slackAudit';

/** Ids kept at the checkpoint second; 500 UUIDs ≈ 20 K characters, well under the property limit. */
export const MAX_SEEN_IDS = 500;

export const SlackAuditCheckpointSchema = z.strictObject({
  at: z.number().int().nonnegative(),
  seenIds: z.array(z.string().min(1).max(256)).max(MAX_SEEN_IDS),
});

/** The checkpoint to persist: unchanged when its ids fit, else the next second with no ids. */
export function capCheckpoint(checkpoint: SlackAuditCheckpoint, maxIds: number = MAX_SEEN_IDS): SlackAuditCheckpoint {
  if (checkpoint.seenIds.length <= maxIds && checkpoint.seenIds.every((id) => id.length <= 256)) return checkpoint;
  return { at: checkpoint.at + 1, seenIds: [] };
}

export interface StoredSlackCheckpoint {
  checkpoint: SlackAuditCheckpoint | undefined;
  /** Undefined when none was saved yet (the first save then creates it). */
  etag: string | undefined;
}

export class SlackAuditCheckpoints {
  constructor(private readonly store: CheckpointStore) {}

  async load(org: string): Promise<StoredSlackCheckpoint> {
    const record = await this.store.get<unknown>(SLACK_AUDIT_SOURCE, org);
    if (record === undefined) return { checkpoint: undefined, etag: undefined };
    const parsed = SlackAuditCheckpointSchema.safeParse(record.value);
    if (!parsed.success) {
      // A hand-edited or corrupted checkpoint must stop collection loudly, not restart from scratch.
      throw new AppError(
        ErrorCode.StateUnavailable,
        `The Slack audit checkpoint of ${org} is not { at, seenIds }: ${z.prettifyError(parsed.error)}; fix or delete the checkpoints entity slackAudit/${org}`,
        { retriable: false },
      );
    }
    return { checkpoint: parsed.data, etag: record.etag };
  }

  /** ETag-guarded save (create when `etag` is undefined); returns the new ETag. */
  async save(org: string, checkpoint: SlackAuditCheckpoint, etag: string | undefined, now: Date): Promise<string> {
    return this.store.save(SLACK_AUDIT_SOURCE, org, capCheckpoint(checkpoint), etag, now);
  }
}
