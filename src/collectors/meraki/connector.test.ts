import { describe, expect, it } from 'vitest';

import { overlapKeys, SECURITY_LANDED_MAX, SECURITY_OVERLAP_SECONDS } from './connector';

const CHECKPOINT = '2026-11-23T10:00:00.000500Z';
const at = (secondsBefore: number, micros = '000000') =>
  `${new Date(Date.parse(CHECKPOINT) - secondsBefore * 1000).toISOString().slice(0, 19)}.${micros}Z`;

describe('overlapKeys: what a security checkpoint remembers of its overlap', () => {
  it('keeps the keys inside the overlap, newest first, once each', () => {
    const kept = overlapKeys(CHECKPOINT, [
      `${at(10)} a`,
      `${at(SECURITY_OVERLAP_SECONDS)} edge`,
      `${at(SECURITY_OVERLAP_SECONDS + 1)} old`,
      `${at(5)} b`,
      `${at(10)} a`,
    ]);
    expect(kept).toEqual([`${at(5)} b`, `${at(10)} a`, `${at(SECURITY_OVERLAP_SECONDS)} edge`]);
  });

  it('keeps no more than the cap, dropping the oldest', () => {
    const entries = Array.from(
      { length: SECURITY_LANDED_MAX + 5 },
      (_, i) => `${at(0, String(i).padStart(6, '0'))} k${i}`,
    );
    const kept = overlapKeys(CHECKPOINT, entries);
    expect(kept).toHaveLength(SECURITY_LANDED_MAX);
    expect(kept[0]).toBe(entries.at(-1));
    expect(kept).not.toContain(entries[0]);
  });

  it('keeps nothing without a checkpoint', () => {
    expect(overlapKeys(undefined, [`${at(1)} a`])).toEqual([]);
  });
});
