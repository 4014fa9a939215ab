import { describe, expect, it } from 'vitest';

import { T0 } from '../../test/helpers/detection-testkit';
import { testBucket } from '../../test/helpers/windows';
import { MAX_ITEMS_CHARS, MAX_PARTIES, mergeBuckets, overflowEstimate, type PartyTimes } from './buckets';

describe('bucket merging (pure)', () => {
  it('is a commutative, idempotent union keeping first/last times and the earliest label', () => {
    const a = testBucket({ e1: [T0 + 5, T0 + 5, 'a.pdf'], v: [T0 + 10, T0 + 20] });
    const b = testBucket({ e2: [T0 + 6, T0 + 6], v: [T0 + 2, T0 + 15, 'x'] }, { expiresAt: T0 + 9 * 86_400 });
    const ab = mergeBuckets(a, b);
    const ba = mergeBuckets(b, a);
    expect(ab.items).toEqual(ba.items);
    expect(ab.items.v).toEqual([T0 + 2, T0 + 20, 'x']);
    expect(ab.expiresAt).toBe(T0 + 9 * 86_400);
    expect(mergeBuckets(ab, a)).toEqual(ab);
    expect(mergeBuckets(ab, b)).toEqual(ab);
  });

  it('stays bounded: items beyond the budget only feed an estimated count', () => {
    let data = testBucket({});
    for (let i = 0; i < 5_000; i++)
      data = mergeBuckets(
        data,
        testBucket({
          [`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`]: [T0 + i, T0 + i, `file-${String(i)}.pdf`],
        }),
      );
    const kept = Object.keys(data.items).length;
    expect(JSON.stringify(data.items).length).toBeLessThanOrEqual(MAX_ITEMS_CHARS);
    expect(kept).toBeGreaterThan(200);
    const estimate = overflowEstimate(data.overflow);
    expect(Math.abs(kept + estimate - 5_000)).toBeLessThan(250);
  });
});

describe('parties of a bucket (who took part)', () => {
  const party = (t: number, n?: string, session?: string): PartyTimes => [
    t,
    t,
    { ...(n === undefined ? {} : { n }), ...(session === undefined ? {} : { s: [session] }) },
  ];

  it('merge commutatively: widest times, the latest name, sessions accumulated', () => {
    const a = testBucket(
      {},
      { parties: { 'actor|W0ALICE': party(T0 + 5, 'alice', '1001'), 'sourceIp|1.2.3.4': party(T0 + 5) } },
    );
    const b = testBucket({}, { parties: { 'actor|W0ALICE': party(T0 + 9, 'alice.k', '1002') } });
    const ab = mergeBuckets(a, b);
    expect(ab.parties).toEqual(mergeBuckets(b, a).parties);
    expect(ab.parties?.['actor|W0ALICE']).toEqual([T0 + 5, T0 + 9, { n: 'alice.k', s: ['1001', '1002'] }]);
    expect(mergeBuckets(ab, a)).toEqual(ab);
  });

  it('keep the most recently seen parties when more arrive than a bucket holds, whatever the order', () => {
    const many = Array.from({ length: MAX_PARTIES + 8 }, (_, i) =>
      testBucket({}, { parties: { [`actor|W0U${String(i).padStart(3, '0')}`]: party(T0 + i) } }),
    );
    const forward = many.reduce((acc, b) => mergeBuckets(acc, b), testBucket({}));
    const backward = [...many].reverse().reduce((acc, b) => mergeBuckets(acc, b), testBucket({}));
    expect(Object.keys(forward.parties ?? {})).toHaveLength(MAX_PARTIES);
    expect(forward.parties).toEqual(backward.parties);
    expect(Object.keys(forward.parties ?? {})).toContain(`actor|W0U${String(MAX_PARTIES + 7).padStart(3, '0')}`);
    expect(Object.keys(forward.parties ?? {})).not.toContain('actor|W0U000');
  });
});
