import { describe, expect, it } from 'vitest';
import { utf8Length } from './columns';
import { jsonNestsDeeper, serializeAny, stableHash, toDynamic, truncateUtf8 } from './safe-json';

describe('truncateUtf8', () => {
  it('agrees with Buffer byte counts and never splits a surrogate pair', () => {
    const text = 'aé€🚀'.repeat(50);
    for (let max = 0; max < 120; max++) {
      const cut = truncateUtf8(text, max);
      expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(max);
      expect(text.startsWith(cut)).toBe(true);
      expect(cut).not.toMatch(/[\uD800-\uDBFF]$/);
      // Maximal: one more character would not fit.
      const next = text.slice(0, cut.length + ((text.codePointAt(cut.length) ?? 0) > 0xffff ? 2 : 1));
      expect(Buffer.byteLength(next, 'utf8')).toBeGreaterThan(max);
    }
  });

  it('utf8Length matches Buffer, lone surrogates included', () => {
    for (const s of ['', 'abc', 'é', '€', '🚀', '\uD800', 'a\uDC00b', '\uD83D\uDE80\uD83D']) {
      expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
    }
  });
});

describe('toDynamic', () => {
  it('copies ordinary data exactly as a JSON round trip would', () => {
    const samples: unknown[] = [
      { a: 1, b: [true, null, 'x', { c: -0.5 }], d: {} },
      ['é', 2, [3, [4]]],
      'plain',
      0,
      { nested: { deeper: { deepest: [1, 2, 3] } } },
    ];
    for (const v of samples)
      expect(toDynamic(v, 65_536)).toEqual({ value: JSON.parse(JSON.stringify(v)) as unknown, truncated: false });
  });

  it('follows JSON semantics for values the fast path declines', () => {
    expect(toDynamic({ n: Number.NaN, u: undefined, d: new Date(0) }, 1024)?.value).toEqual({
      n: null,
      d: '1970-01-01T00:00:00.000Z',
    });
    const parsed = JSON.parse('{"__proto__":{"x":1}}') as unknown;
    const result = toDynamic(parsed, 1024);
    expect(JSON.stringify(result?.value)).toBe('{"__proto__":{"x":1}}');
    expect(Object.getPrototypeOf(result?.value)).toBe(Object.prototype);
  });

  it('returns a marker when the value is over the cap', () => {
    const value = { s: 'x'.repeat(5000) };
    const result = toDynamic(value, 1000);
    expect(result?.truncated).toBe(true);
    expect(result?.value).toMatchObject({ sentryTruncated: true, originalBytes: JSON.stringify(value).length });
    expect((result?.value as { head: string }).head.startsWith('{"s":"xxx')).toBe(true);
    expect(utf8Length(JSON.stringify(result?.value))).toBeLessThanOrEqual(1000);
  });

  it('keeps the marker under the cap even when escaping inflates the head', () => {
    const result = toDynamic({ s: '"\u0001'.repeat(3000) }, 2000);
    expect(utf8Length(JSON.stringify(result?.value))).toBeLessThanOrEqual(2000);
  });

  it('returns undefined for undefined and functions', () => {
    expect(toDynamic(undefined, 10)).toBeUndefined();
    expect(toDynamic(() => 1, 10)).toBeUndefined();
  });
});

describe('jsonNestsDeeper', () => {
  it('counts brackets outside strings only', () => {
    expect(jsonNestsDeeper('[[[1]]]', 2)).toBe(true);
    expect(jsonNestsDeeper('[[[1]]]', 3)).toBe(false);
    expect(jsonNestsDeeper(`["${'[['.repeat(50)}\\"[[["]`, 2)).toBe(false);
  });
});

describe('serializeAny and stableHash', () => {
  it('stops at the budget and says so', () => {
    const out = serializeAny({ a: 'x'.repeat(1000) }, { budget: 100 });
    expect(out.cut).toBe(true);
    expect(out.text.length).toBeLessThanOrEqual(100);
  });

  it('hashes independently of key order, and differently for different content', () => {
    expect(stableHash([{ a: 1, b: 2 }])).toBe(stableHash([{ b: 2, a: 1 }]));
    expect(stableHash(['a', 'b'])).not.toBe(stableHash(['ab']));
    expect(stableHash([undefined, 'x'])).not.toBe(stableHash(['x']));
  });
});
