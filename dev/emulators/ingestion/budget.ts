/**
 * Per-DCR throttling of the Logs Ingestion API: requests and bytes per sliding window (Azure: 12,000
 * requests and 2 GB per minute per DCR, soft limits answered with 429 + Retry-After [SRC: service
 * limits]). Retry-After is the wait until enough of the window has slid out, in whole seconds.
 */
export interface BudgetOptions {
  requestsPerWindow?: number;
  bytesPerWindow?: number;
  /** Default 60,000 ms (the service's per-minute limits); tests shorten it. */
  windowMs?: number;
  /** Send this Retry-After instead of the computed one. */
  retryAfterSec?: number;
}

export const AZURE_BUDGET = { requestsPerWindow: 12_000, bytesPerWindow: 2 * 1024 ** 3, windowMs: 60_000 } as const;

interface Entry {
  at: number;
  bytes: number;
}

export class DcrBudget {
  private readonly entries = new Map<string, Entry[]>();
  private readonly requests: number;
  private readonly bytes: number;
  private readonly windowMs: number;

  constructor(
    private readonly options: BudgetOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.requests = options.requestsPerWindow ?? AZURE_BUDGET.requestsPerWindow;
    this.bytes = options.bytesPerWindow ?? AZURE_BUDGET.bytesPerWindow;
    this.windowMs = options.windowMs ?? AZURE_BUDGET.windowMs;
  }

  /** Records the request when it fits; otherwise returns the Retry-After seconds and records nothing. */
  admit(dcr: string, bytes: number): { ok: true } | { ok: false; retryAfterSec: number; reason: 'requests' | 'bytes' } {
    const now = this.now();
    const log = (this.entries.get(dcr) ?? []).filter((e) => e.at > now - this.windowMs);
    this.entries.set(dcr, log);
    const used = log.reduce((sum, e) => sum + e.bytes, 0);
    const overRequests = log.length + 1 > this.requests;
    const overBytes = used + bytes > this.bytes;
    if (!overRequests && !overBytes) {
      log.push({ at: now, bytes });
      return { ok: true };
    }
    // The earliest moment enough entries have left the window for this request to fit.
    let freedRequests = log.length + 1 - this.requests;
    let freedBytes = used + bytes - this.bytes;
    let until = now;
    for (const entry of log) {
      if (freedRequests <= 0 && freedBytes <= 0) break;
      until = entry.at + this.windowMs;
      freedRequests -= 1;
      freedBytes -= entry.bytes;
    }
    const computed = Math.max(1, Math.ceil((until - now) / 1000));
    return {
      ok: false,
      retryAfterSec: this.options.retryAfterSec ?? computed,
      reason: overRequests ? 'requests' : 'bytes',
    };
  }
}
