/** The Slack signature replay guard in memory, for tests. */
import { bucketOf, type ReplayGuard } from '../../src/state/signatures';

export class MemoryReplayGuard implements ReplayGuard {
  readonly seen = new Set<string>();

  claim(signature: string, timestampSec: number): Promise<boolean> {
    const key = `${bucketOf(timestampSec)}|${signature.toLowerCase()}`;
    if (this.seen.has(key)) return Promise.resolve(false);
    this.seen.add(key);
    return Promise.resolve(true);
  }
}
