import { describe, expect, it } from 'vitest';

import { keyLinks, linkHeader, pageByKey, pageByTime, readPerPage } from './paging';

const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => ({ id }));
const keyOf = (item: { id: string }) => item.id;
const ids = (items: { id: string }[]) => items.map(keyOf).join('');

describe('pageByKey', () => {
  it('walks forward with startingAfter and backward with endingBefore', () => {
    const first = pageByKey(keys, keyOf, 3, null, null);
    expect(ids(first.items)).toBe('abc');
    expect([first.hasBefore, first.hasAfter]).toEqual([false, true]);
    const second = pageByKey(keys, keyOf, 3, 'c', null);
    expect(ids(second.items)).toBe('def');
    const third = pageByKey(keys, keyOf, 3, 'f', null);
    expect(ids(third.items)).toBe('g');
    expect(third.hasAfter).toBe(false);
    const last = pageByKey(keys, keyOf, 3, null, 'zzz');
    expect(ids(last.items)).toBe('efg');
    expect([last.hasBefore, last.hasAfter]).toEqual([true, false]);
    expect(ids(pageByKey(keys, keyOf, 3, null, 'e').items)).toBe('bcd');
  });

  it('bounds a page by both tokens', () => {
    expect(ids(pageByKey(keys, keyOf, 5, 'a', 'e').items)).toBe('bcd');
  });

  it('builds first/prev/next/last targets from the page edges', () => {
    const page = pageByKey(keys, keyOf, 3, 'c', null);
    expect(keyLinks(page, keyOf, { first: '0', last: 'zz' })).toEqual({
      first: { startingAfter: '0' },
      prev: { endingBefore: 'd' },
      next: { startingAfter: 'f' },
      last: { endingBefore: 'zz' },
    });
  });
});

describe('linkHeader', () => {
  it('keeps filters, replaces tokens, puts the token last, and leaves rel unquoted', () => {
    const url = new URL('http://x/api/v1/organizations/1/devices?startingAfter=old&networkIds%5B%5D=N_1&perPage=3');
    const header = linkHeader(url, 'http://127.0.0.1:9', { next: { startingAfter: 'Q2-B' } });
    expect(header).toBe(
      '<http://127.0.0.1:9/api/v1/organizations/1/devices?networkIds%5B%5D=N_1&perPage=3&startingAfter=Q2-B>; rel=next',
    );
    expect(linkHeader(url, 'http://h', { first: { startingAfter: '0' } }, true)).toMatch(/; rel="first"$/);
  });
});

describe('readPerPage', () => {
  const spec = { min: 3, max: 1000, default: 10 };
  it('defaults, accepts the bounds and rejects outside them', () => {
    expect(readPerPage(new URLSearchParams(''), spec)).toBe(10);
    expect(readPerPage(new URLSearchParams('perPage=3'), spec)).toBe(3);
    expect(readPerPage(new URLSearchParams('perPage=1000'), spec)).toBe(1000);
    expect(readPerPage(new URLSearchParams('perPage=2'), spec)).toMatch(/between 3 and 1000/);
    expect(readPerPage(new URLSearchParams('perPage=1001'), spec)).toMatch(/between 3 and 1000/);
    expect(readPerPage(new URLSearchParams('perPage=abc'), spec)).toMatch(/perPage/);
  });
});

describe('pageByTime', () => {
  const items = [10, 20, 30, 40, 40, 50, 60].map((at, i) => ({ at, i }));
  const times = (page: { items: { at: number }[] }) => page.items.map((item) => item.at);

  it('returns the newest page newest-first, ending at now, with older items pending', () => {
    const page = pageByTime(items, 3, undefined, undefined, 100);
    expect(times(page)).toEqual([60, 50, 40, 40]); // both events at 40 stay on one page
    expect(page.pageEndAt).toBe(100);
    expect(page.pageStartAt).toBe(40);
    expect(page.hasOlder).toBe(true);
    const older = pageByTime(items, 3, undefined, page.pageStartAt, 100);
    expect(times(older)).toEqual([30, 20, 10]);
    expect(older.hasOlder).toBe(false);
  });

  it('walks forward and ends the tail page at now so the next token reaches the present', () => {
    const first = pageByTime(items, 3, 0, undefined, 100);
    expect(times(first)).toEqual([30, 20, 10]);
    expect(first.pageEndAt).toBe(30);
    const second = pageByTime(items, 3, first.pageEndAt, undefined, 100);
    expect(times(second)).toEqual([50, 40, 40]);
    const tail = pageByTime(items, 3, second.pageEndAt, undefined, 100);
    expect(times(tail)).toEqual([60]);
    expect(tail.pageEndAt).toBe(100);
    expect(times(pageByTime(items, 3, tail.pageEndAt, undefined, 100))).toEqual([]);
  });

  it('keeps items sharing the boundary instant on one forward page', () => {
    const page = pageByTime(items, 4, 0, undefined, 100);
    expect(times(page)).toEqual([40, 40, 30, 20, 10]);
    expect(page.pageEndAt).toBe(40);
    expect(times(pageByTime(items, 4, page.pageEndAt, undefined, 100))).toEqual([60, 50]);
  });

  it('hides items after now', () => {
    expect(times(pageByTime(items, 10, undefined, undefined, 45))).toEqual([40, 40, 30, 20, 10]);
    expect(times(pageByTime(items, 10, 35, undefined, 45))).toEqual([40, 40]);
  });
});
