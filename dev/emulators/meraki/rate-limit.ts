/**
 * Meraki's call budget (docs/reference/meraki-api.md, "Calls, paging and limits"): a token bucket
 * per organization, 10 requests/s with a burst of 10 more in the first second (so 20 in the first
 * second, 30 in two), shared by every client of the org; and 100 requests/s per source IP.
 * Exceeding it answers 429 + `Retry-After`.
 */

export interface BucketSpec {
  perSecond: number;
  /** Bucket capacity: requests that can go at once on top of the steady rate. */
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until a request would be allowed again (only when refused). */
  retryAfterSec: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly spec: BucketSpec,
    private readonly now: () => number,
  ) {}

  take(key: string): RateDecision {
    // Tokens are kept in thousandths so integer-millisecond clocks refill without rounding drift.
    const now = this.now();
    const capacity = this.spec.burst * 1000;
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * this.spec.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1000) {
      bucket.tokens -= 1000;
      return { allowed: true, retryAfterSec: 0 };
    }
    return {
      allowed: false,
      retryAfterSec: Math.max(1, Math.ceil((1000 - bucket.tokens) / (this.spec.perSecond * 1000))),
    };
  }

  reset(): void {
    this.buckets.clear();
  }
}
