import { describe, expect, it } from 'vitest';

import { auditEntry } from '../../../test/helpers/pipeline';
import { scanLogsBody, SlackAuditEntries } from './entries';

/** A valid audit entry with these fields on top (the helper's, so fields differ only where a test says). */
const entry = (id: string, second: number, extra: Record<string, unknown> = {}) => ({
  ...auditEntry({ id, date_create: second }),
  ...extra,
});

function page(entries: unknown[], cursor = ''): Buffer {
  return Buffer.from(JSON.stringify({ ok: true, entries, response_metadata: { next_cursor: cursor } }));
}

/** What a whole-body JSON.parse says of every entry, for comparison. */
function expectSameAsWholeParse(body: Buffer, scanned: SlackAuditEntries): void {
  const whole = (JSON.parse(body.toString('utf8')) as { entries: unknown[] }).entries;
  // The same entries already parsed: their fields are read from the objects.
  const parsed = SlackAuditEntries.fromValues(whole);
  expect(scanned.length).toBe(whole.length);
  whole.forEach((value, i) => {
    expect(scanned.read(i)).toEqual({ ok: true, value });
    expect(scanned.id(i)).toBe(parsed.id(i));
    expect(scanned.second(i)).toBe(parsed.second(i));
    expect(scanned.action(i)).toBe(parsed.action(i));
  });
}

describe('scanLogsBody', () => {
  it('splits a page into its entries and reads each one, and its filter fields, as JSON.parse would', () => {
    const entries = [
      entry('a', 1_700_000_000),
      entry('b', 1_700_000_001, { details: { nested: [1, { deep: ['}', ']', '{"', '\\'] }] } }),
      entry('ü-ñ-😀', 1_700_000_002, { action: 'weird "quoted" \\ action\n' }),
      { ...entry('c', 1_700_000_003), date_create: '1700000003' },
      { ...entry('d', 0), date_create: 1_700_000_004.75 },
      { id: '', date_create: null, action: 5 },
      'not an object',
      42,
      null,
      [1, 2, { id: 'inside an array' }],
      { id: 'dup', id2: 1 },
    ];
    const body = page(entries, 'next==');
    const scanned = scanLogsBody(body);
    expect(scanned).not.toBeNull();
    expect(scanned?.envelope).toEqual({ ok: true, entries: [], response_metadata: { next_cursor: 'next==' } });
    expectSameAsWholeParse(body, scanned?.entries ?? SlackAuditEntries.fromValues([]));
    const e = scanned?.entries;
    expect([3, 4, 5, 6].map((i) => [e?.id(i), e?.second(i), e?.action(i)])).toEqual([
      ['c', 1_700_000_003, 'file_downloaded'], // date_create as a string of digits
      ['d', 1_700_000_004, 'file_downloaded'], // a fraction of a second, floored
      [undefined, undefined, undefined], // an empty id, a null time, a number for an action
      [undefined, undefined, undefined], // not an object
    ]);
  });

  it('reads repeated keys and keys written with escapes the way JSON.parse does', () => {
    const text =
      '{"entries":[{"id":"first","id":"second","date_create":1,"date_create":2},' +
      '{"\\u0069d":"escaped-key","action":"x"},{"id":"esc\\u0061ped-value","action":"\\u0041"}],"ok":true}';
    const body = Buffer.from(text);
    const scanned = scanLogsBody(body);
    expect(scanned).not.toBeNull();
    expectSameAsWholeParse(body, scanned?.entries ?? SlackAuditEntries.fromValues([]));
    expect(scanned?.entries.id(0)).toBe('second');
    expect(scanned?.entries.id(1)).toBe('escaped-key');
    expect(scanned?.entries.id(2)).toBe('escaped-value');
  });

  it('keeps an entry that is not valid JSON as its text and reason, and its neighbours intact', () => {
    const good = JSON.stringify(entry('good', 1_700_000_000));
    const body = Buffer.from(`{"ok":true,"entries":[${good},{"id":"bad","date_create":1700000001,"x":tru},${good}]}`);
    const scanned = scanLogsBody(body);
    expect(scanned?.entries.length).toBe(3);
    const bad = scanned?.entries.read(1);
    expect(bad).toMatchObject({ ok: false, text: '{"id":"bad","date_create":1700000001,"x":tru}' });
    expect(bad?.ok === false && bad.reason).toMatch(/^not valid JSON/);
    // Its fields are still read for filtering, so the window and dedupe rules apply to it too.
    expect(scanned?.entries.id(1)).toBe('bad');
    expect(scanned?.entries.second(1)).toBe(1_700_000_001);
    expect(scanned?.entries.read(0)).toEqual({ ok: true, value: JSON.parse(good) as unknown });
    expect(scanned?.entries.read(2)).toEqual({ ok: true, value: JSON.parse(good) as unknown });
    expect(() => scanned?.entries.toArray()).toThrow(/entry 1: not valid JSON/);
  });

  it('gives up where only a whole parse is exact', () => {
    const cases = [
      '', // empty
      '   ',
      '[{"entries":[]}]', // not an object
      '"entries"',
      '{"entries":[{"id":"a"}],"entries":[{"id":"b"}]}', // JSON.parse keeps the last
      '{"\\u0065ntries":[{"id":"a"}]}', // an escaped top-level key
      '{"entries":[{"id":"a"},]}', // an empty element
      '{"entries":[,{"id":"a"}]}',
      '{"entries":[{"id":"a"}]', // truncated
      '{"entries":[{"id":"a"]}]}', // brackets that do not match
      '{"entries":[{"id":"a}]}', // an unterminated string
      '{"entries":[{"id":"a"}]} trailing',
      '{"entries":{"id":"a"}}', // not an array
      '{"ok":true}', // no entries at all
      '{"ok":tru,"entries":[]}', // the envelope itself broken
    ];
    for (const text of cases) expect(scanLogsBody(Buffer.from(text)), text).toBeNull();
  });

  it('skips a byte order mark and surrounding whitespace like the body decoder', () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(' \n{ "entries" : [ {"id":"a","date_create":5} , "x" ] ,"ok":true }\r\n'),
    ]);
    const scanned = scanLogsBody(body);
    expect(scanned?.entries.toArray()).toEqual([{ id: 'a', date_create: 5 }, 'x']);
    expect(scanned?.entries.second(0)).toBe(5);
  });

  it('agrees with JSON.parse on thousands of damaged pages: same entries when the page parses, a failing entry when it does not', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const base = page([
      entry('a', 1_700_000_000),
      entry('b\u00e9', 1_700_000_001, { details: { list: ['x', { y: '"}]' }] } }),
      entry('c', 1_700_000_002),
    ]);
    const alphabet = Buffer.from('{}[]",:\\ 0a-e\u00e9');
    let scannedPages = 0;
    let failedEntries = 0;
    for (let round = 0; round < 3000; round += 1) {
      const bytes = Buffer.from(base);
      const edits = 1 + Math.floor(random() * 3);
      let body = bytes;
      for (let e = 0; e < edits; e += 1) {
        const at = Math.floor(random() * body.length);
        const kind = random();
        const byte = alphabet[Math.floor(random() * alphabet.length)] ?? 0x20;
        if (kind < 0.4) body[at] = byte;
        else if (kind < 0.7) body = Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
        else body = Buffer.concat([body.subarray(0, at), Buffer.from([byte]), body.subarray(at)]);
      }
      const scanned = scanLogsBody(body);
      let whole: { entries?: unknown } | undefined;
      try {
        whole = JSON.parse(body.toString('utf8')) as { entries?: unknown };
      } catch {
        whole = undefined;
      }
      if (scanned === null) continue;
      scannedPages += 1;
      if (whole !== undefined) {
        expect(Array.isArray(whole.entries), body.toString()).toBe(true);
        expectSameAsWholeParse(body, scanned.entries);
      } else {
        // The page does not parse whole, yet the scan accepted it: some entry must fail on its own.
        const reads = Array.from({ length: scanned.entries.length }, (_, i) => scanned.entries.read(i));
        expect(
          reads.some((r) => !r.ok),
          body.toString(),
        ).toBe(true);
        failedEntries += reads.filter((r) => !r.ok).length;
      }
    }
    // The damage hit both kinds of page, so both branches above were exercised.
    expect(scannedPages).toBeGreaterThan(500);
    expect(failedEntries).toBeGreaterThan(100);
  });
});

describe('SlackAuditEntries', () => {
  it('selects entries by position, in the order given, for values and for spans', () => {
    const values = [entry('a', 1), entry('b', 2), entry('c', 3)];
    const fromSpans = scanLogsBody(page(values))?.entries;
    for (const entries of [SlackAuditEntries.fromValues(values), fromSpans]) {
      const picked = entries?.select([2, 0]);
      expect(picked?.length).toBe(2);
      expect(picked?.toArray()).toEqual([values[2], values[0]]);
      expect(picked?.id(0)).toBe('c');
      expect(picked?.select([1]).id(0)).toBe('a');
      expect(() => picked?.read(2)).toThrow(RangeError);
    }
  });
});
