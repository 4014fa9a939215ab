/**
 * Replay protection for Slack requests: a valid `v0` signature is accepted once. The claim is an
 * insert into the `signatures` table (partition = the request's 5-minute bucket, row = the
 * signature hex); Table Storage answers 409 to a second insert of the same keys, so the check holds
 * across every instance of the app, not just this process. Entries older than the signature window
 * can no longer be replayed (the timestamp check refuses them first), so old buckets are pruned.
 */
import type { Config } from '../config';
import { asStateError, stateTable, statusOf } from './tables';

export interface ReplayGuard {
  /** True the first time a signature is claimed; false for a replay. Throws when storage fails. */
  claim(signature: string, timestampSec: number): Promise<boolean>;
}

const BUCKET_SEC = 300;

export function bucketOf(timestampSec: number): string {
  return String(Math.floor(timestampSec / BUCKET_SEC)).padStart(10, '0');
}

export class SignatureReplayStore implements ReplayGuard {
  private lastPrune = 0;

  constructor(
    private readonly config: Config,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(signature: string, timestampSec: number): Promise<boolean> {
    const table = await stateTable(this.config, 'signatures');
    try {
      await table.createEntity({
        partitionKey: bucketOf(timestampSec),
        rowKey: signature.toLowerCase(),
        ClaimedAt: new Date(this.now()).toISOString(),
      });
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw asStateError(error, 'recording a Slack request signature');
    }
    this.maybePrune();
    return true;
  }

  /** Deletes claims from buckets older than the signature window (at most every 10 minutes per process). */
  async prune(): Promise<number> {
    const table = await stateTable(this.config, 'signatures');
    const oldest = bucketOf(Math.floor(this.now() / 1000) - 2 * BUCKET_SEC);
    let deleted = 0;
    for await (const entity of table.listEntities({ queryOptions: { filter: `PartitionKey lt '${oldest}'`, select: ['PartitionKey', 'RowKey'] } })) {
      if (deleted >= 500) break;
      await table.deleteEntity(entity.partitionKey ?? '', entity.rowKey ?? '').catch(() => undefined);
      deleted += 1;
    }
    return deleted;
  }

  private maybePrune(): void {
    const now = this.now();
    if (now - this.lastPrune < 10 * 60_000) return;
    this.lastPrune = now;
    // Best effort and off the request's critical path: a failed prune only leaves old rows behind.
    void this.prune().catch(() => undefined);
  }
}
