import { afterEach, describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors';
import { RequestBudget, resetSharedBudgets, sharedBudget } from './budget';

function clock(start = 0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

afterEach(() => {
  resetSharedBudgets();
});

describe('RequestBudget', () => {
  it('lets a burst through, then paces at the sustained rate', () => {
    const time = clock();
    const budget = new RequestBudget({ ratePerSec: 10, capacity: 3, now: time.now });
    expect([budget.reserve(), budget.reserve(), budget.reserve()]).toEqual([0, 0, 0]);
    // Reservations queue: each further caller waits one more token (100 ms at 10/s).
    expect([budget.reserve(), budget.reserve()]).toEqual([100, 200]);
    time.advance(1000);
    // 1 s refills 10 tokens: the 2 owed are repaid and the bucket caps at its capacity of 3.
    expect([budget.reserve(), budget.reserve(), budget.reserve(), budget.reserve()]).toEqual([0, 0, 0, 100]);
    expect(budget.used).toBe(9);
  });

  it('holds every caller during a pause', () => {
    const time = clock();
    const budget = new RequestBudget({ ratePerSec: 100, capacity: 100, now: time.now });
    budget.pauseFor(2000);
    expect(budget.reserve()).toBe(2000);
    time.advance(1500);
    expect(budget.reserve()).toBe(500);
    time.advance(500);
    expect(budget.reserve()).toBe(0);
  });

  it('refuses (without spending) a wait beyond maxWaitMs', () => {
    const time = clock();
    const budget = new RequestBudget({
      ratePerSec: 1,
      capacity: 1,
      maxWaitMs: 500,
      now: time.now,
      label: 'test budget',
    });
    budget.reserve();
    expect(() => budget.reserve()).toThrow(
      expect.objectContaining({ code: ErrorCode.CollectorRateLimited, retriable: true }),
    );
    expect(budget.used).toBe(1);
    time.advance(600);
    expect(budget.reserve()).toBe(400);
  });

  it('counts per cycle separately from the total', () => {
    const budget = new RequestBudget({ ratePerSec: 100 });
    budget.reserve();
    budget.reserve();
    budget.resetUsed();
    budget.reserve();
    expect([budget.used, budget.usedSinceLastReset]).toEqual([3, 1]);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new RequestBudget({ ratePerSec: 0 })).toThrow(RangeError);
  });
});

describe('sharedBudget', () => {
  it('returns one instance per key, first configuration winning', () => {
    const a = sharedBudget('org-1', { ratePerSec: 5 });
    const b = sharedBudget('org-1', { ratePerSec: 50 });
    const c = sharedBudget('org-2', { ratePerSec: 50 });
    expect(a).toBe(b);
    expect(b.ratePerSec).toBe(5);
    expect(c).not.toBe(a);
    resetSharedBudgets();
    expect(sharedBudget('org-1', { ratePerSec: 50 })).not.toBe(a);
  });
});
