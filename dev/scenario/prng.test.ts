import { describe, expect, it } from 'vitest';
import { hash32, mulberry32, Rng, slackId, unique64, uuidFrom } from './prng';

describe('prng', () => {
  it('mulberry32 repeats for a seed and differs across seeds', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const c = mulberry32(2);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('Rng.for gives independent streams per bucket key', () => {
    expect(Rng.for(1, 'a', 2).next()).toBe(Rng.for(1, 'a', 2).next());
    expect(Rng.for(1, 'a', 2).next()).not.toBe(Rng.for(1, 'a', 3).next());
    expect(hash32('x', 1)).not.toBe(hash32('x1'));
  });

  it('draws within bounds', () => {
    const r = new Rng(7);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(3, 5);
      expect(n >= 3 && n <= 5).toBe(true);
    }
    expect(new Set(Array.from({ length: 200 }, () => r.pick(['a', 'b', 'c'])))).toEqual(new Set(['a', 'b', 'c']));
    expect(r.shuffle([1, 2, 3, 4]).sort()).toEqual([1, 2, 3, 4]);
  });

  it('makes v4-shaped UUIDs that never collide across distinct keys', () => {
    const seen = new Set<string>();
    for (let a = 0; a < 40; a++) {
      for (let b = 0; b < 50; b++) {
        for (let s = 0; s < 25; s++) seen.add(uuidFrom(42, 1, a, b, s));
      }
    }
    expect(seen.size).toBe(40 * 50 * 25);
    for (const u of [...seen].slice(0, 100))
      expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidFrom(42, 1, 0, 0, 0)).not.toBe(uuidFrom(43, 1, 0, 0, 0));
  });

  it('makes 11-character Slack ids that never collide across distinct keys', () => {
    const seen = new Set<string>();
    for (let space = 0; space < 4; space++) {
      for (let a = 0; a < 100; a++) {
        for (let seq = 0; seq < 100; seq++) seen.add(slackId('F', 5, space, a, 7, seq));
      }
    }
    expect(seen.size).toBe(40_000);
    for (const id of [...seen].slice(0, 50)) expect(id).toMatch(/^F[0-9A-HJ-NP-Z]{10}$/);
  });

  it('refuses keys that would overlap in the packing', () => {
    expect(() => unique64(1, 64, 0, 0, 0)).toThrow(/out of range/);
    expect(() => slackId('W', 1, 0, 4096, 0, 0)).toThrow(/out of range/);
    expect(() => slackId('W', 1, 0, 0, 0, 1 << 20)).toThrow(/out of range/);
  });
});
