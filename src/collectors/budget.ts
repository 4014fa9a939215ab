/**
 * Request budgets: a token bucket per vendor rate-limit scope (a Slack Enterprise org, a Meraki
 * organization). Vendor limits are counted per org, not per client, so every client in the process
 * that talks to the same org must draw from one bucket: `sharedBudget(key, …)` keeps a module-level
 * registry for that. A budget never lives in checkpoints or orchestrator state; it only paces calls.
 *
 * Callers reserve a slot before each HTTP request (`reserve()` returns how long to wait first), so
 * concurrent callers queue fairly without polling. A 429 pauses the whole bucket (`pauseFor`), since
 * the vendor is telling every caller of that org to wait, not just the one that was refused.
 */
import { RateLimitedError } from '../errors';

export interface RequestBudgetOptions {
  /** Sustained rate. */
  ratePerSec: number;
  /** Burst size (tokens available at once); defaults to max(1, floor(ratePerSec)). */
  capacity?: number;
  /** Clock in milliseconds; injected by tests. */
  now?: () => number;
  /** A reservation that would wait longer than this fails with RateLimitedError instead. */
  maxWaitMs?: number;
  /** Names the budget in errors (e.g. 'Slack Audit Logs'). */
  label?: string;
}

export class RequestBudget {
  readonly ratePerSec: number;
  readonly capacity: number;
  readonly label: string;
  private readonly now: () => number;
  private readonly maxWaitMs: number;
  private tokens: number;
  private updatedAt: number;
  private pausedUntil = 0;
  private usedTotal = 0;
  private usedSinceReset = 0;

  constructor(options: RequestBudgetOptions) {
    if (!(options.ratePerSec > 0)) throw new RangeError('RequestBudget: ratePerSec must be positive');
    this.ratePerSec = options.ratePerSec;
    this.capacity = Math.max(1, options.capacity ?? Math.floor(options.ratePerSec));
    this.now = options.now ?? Date.now;
    this.maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    this.label = options.label ?? 'request budget';
    this.tokens = this.capacity;
    this.updatedAt = this.now();
  }

  /**
   * Takes one slot and returns the milliseconds the caller must wait before sending. Throws a
   * retriable RateLimitedError (taking nothing) when the wait would exceed `maxWaitMs`.
   */
  reserve(): number {
    const now = this.now();
    this.refill(now);
    const tokenWait = this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.ratePerSec) * 1000;
    const wait = Math.max(tokenWait, this.pausedUntil - now, 0);
    if (wait > this.maxWaitMs) {
      throw new RateLimitedError(this.label, Math.ceil(wait / 1000), { context: { budget: this.label } });
    }
    this.tokens -= 1;
    this.usedTotal += 1;
    this.usedSinceReset += 1;
    return Math.ceil(wait);
  }

  /** Holds every caller of this budget for `ms` (the vendor answered 429 + Retry-After). */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /** Requests reserved since the budget was created. */
  get used(): number {
    return this.usedTotal;
  }

  /** Requests reserved since the last `resetUsed()` (e.g. per poll cycle). */
  get usedSinceLastReset(): number {
    return this.usedSinceReset;
  }

  resetUsed(): void {
    this.usedSinceReset = 0;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.ratePerSec);
    this.updatedAt = now;
  }
}

const registry = new Map<string, RequestBudget>();

/**
 * The process-wide budget for `key`, created with `options` on first use. Later callers get the
 * same instance whatever options they pass: the first configuration wins, so configure every
 * client of one org alike.
 */
export function sharedBudget(key: string, options: RequestBudgetOptions): RequestBudget {
  let budget = registry.get(key);
  if (budget === undefined) {
    budget = new RequestBudget(options);
    registry.set(key, budget);
  }
  return budget;
}

/** Test seam: forget every shared budget. */
export function resetSharedBudgets(): void {
  registry.clear();
}
