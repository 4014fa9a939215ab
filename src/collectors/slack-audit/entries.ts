/**
 * The entries of one Slack Audit Logs page, parsed one at a time instead of all at once.
 *
 * Why: a full page is 9,999 entries, about 7 MB of JSON. Parsed in one go, all of its ~10 MB of
 * objects are alive together while the page is transformed and uploaded, so V8's young-generation
 * GC copies and promotes every one of them, and the old generation then collects them again. Parsed
 * just before its transform, an entry dies young. Kept because `npm run bench` needs it (runs
 * interleaved with and without): backfill peak RSS 200–204 MB with it, 244–251 MB with a whole-page
 * JSON.parse (target ≤ 256 MB); throughput in quiet runs 48k ev/s and ratio to ceiling 0.65–0.67 with
 * it, 43k and 0.64 without; in loaded runs ratio 0.55–0.63 with it, 0.49–0.53 without (target ≥ 0.6;
 * docs/reference/performance.md, "Speed tricks the bench keeps").
 *
 * How: one pass over the body's bytes finds the top-level `entries` array, the byte span of each
 * element, and where the values of the element's own `id`, `date_create` and `action` start (the
 * collector filters and dedupes on those before anything is parsed). Everything outside the array
 * is checked by `JSON.parse` of the body with the array emptied. Each element is checked when it is
 * parsed: one that is not valid JSON becomes a quarantine record with its text and reason, and its
 * neighbours still land (a whole-page parse would have refused the page, on every retry).
 *
 * Anything the byte pass does not follow exactly as `JSON.parse` would (no top-level object, an
 * escaped key, a repeated `entries` key, an empty array element, unbalanced brackets) makes it give
 * up, and the page is parsed whole as before: same values, same errors.
 */
import { isRecord } from '../http';

/** An entry read from its page: its value, or why its text is not JSON (the text goes to quarantine). */
export type EntryRead = { ok: true; value: unknown } | { ok: false; reason: string; text: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Per element in the span table: start, end (exclusive), then where each tracked field's value starts (-1: absent), then flags. */
const STRIDE = 6;
const FIELD_ID = 2;
const FIELD_DATE = 3;
const FIELD_ACTION = 4;
const FLAGS = 5;
/** The element has a key written with escapes: its fields are read by parsing it. */
const IRREGULAR = 1;

const MAX_DEPTH = 512;

const ENTRIES_KEY = Buffer.from('entries');
const ID_KEY = Buffer.from('id');
const DATE_KEY = Buffer.from('date_create');
const ACTION_KEY = Buffer.from('action');

function sameBytes(b: Uint8Array, from: number, to: number, key: Uint8Array): boolean {
  if (to - from !== key.length) return false;
  for (let k = 0; k < key.length; k += 1) if (b[from + k] !== key[k]) return false;
  return true;
}

function trackedField(b: Uint8Array, from: number, to: number): number {
  switch (to - from) {
    case 2:
      return sameBytes(b, from, to, ID_KEY) ? FIELD_ID : 0;
    case 6:
      return sameBytes(b, from, to, ACTION_KEY) ? FIELD_ACTION : 0;
    case 11:
      return sameBytes(b, from, to, DATE_KEY) ? FIELD_DATE : 0;
    default:
      return 0;
  }
}

export interface ScannedPage {
  /** The body with the entries array emptied, parsed: everything but the entries. */
  envelope: unknown;
  entries: SlackAuditEntries;
}

/** Byte classes for the scan: everything else (letters, digits, whitespace, UTF-8) is 0 and skipped. */
const C_QUOTE = 1;
const C_COLON = 2;
const C_COMMA = 3;
const C_OPEN = 4;
const C_CLOSE = 5;
const CLASS = new Uint8Array(256);
CLASS[QUOTE] = C_QUOTE;
CLASS[COLON] = C_COLON;
CLASS[COMMA] = C_COMMA;
CLASS[OPEN_OBJECT] = C_OPEN;
CLASS[OPEN_ARRAY] = C_OPEN;
CLASS[CLOSE_OBJECT] = C_CLOSE;
CLASS[CLOSE_ARRAY] = C_CLOSE;

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(b: Uint8Array, i: number): number {
  while (i < b.length && isSpace(b[i])) i += 1;
  return i;
}

/** End (exclusive) of the element whose delimiter is at `i`: trailing whitespace left out. */
function trimEnd(b: Uint8Array, i: number): number {
  while (isSpace(b[i - 1])) i -= 1;
  return i;
}

/**
 * One pass over a JSON body: the top-level object with its `entries` array split into element
 * spans, or null where only a whole parse gives the right answer (see the module note). The loop
 * touches each byte once; it runs over every byte Slack sends, so it avoids per-byte work beyond a
 * table lookup outside strings and two compares inside them.
 */
export function scanLogsBody(body: Buffer): ScannedPage | null {
  const b = body;
  const n = b.length;
  // A leading byte order mark is dropped, as the body decoder drops it.
  const begin = n >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  let i = skipSpace(b, begin);
  if (b[i] !== OPEN_OBJECT) return null;
  const stack = new Uint8Array(MAX_DEPTH);
  stack[0] = OPEN_OBJECT;
  let depth = 1;
  let expectKey = true;
  /** The key just read: a tracked field of an element, or the entries array (-1), or 0. */
  let key = 0;
  let arrayStart = -1;
  let arrayEnd = -1;
  let inArray = false;
  let count = 0;
  let table = new Int32Array(STRIDE * 1024);
  const KEY_ENTRIES = -1;

  /** Opens element `count` at `at` (the first byte after `[` or `,` that is not whitespace). */
  const openElement = (at: number): boolean => {
    const c = b[at];
    if (c === COMMA || c === CLOSE_ARRAY || at >= n) return false; // an empty element
    if (table.length < (count + 1) * STRIDE) {
      const bigger = new Int32Array(table.length * 2);
      bigger.set(table);
      table = bigger;
    }
    const row = count * STRIDE;
    table[row] = at;
    table[row + FIELD_ID] = -1;
    table[row + FIELD_DATE] = -1;
    table[row + FIELD_ACTION] = -1;
    table[row + FLAGS] = 0;
    count += 1;
    return true;
  };

  for (i += 1; i < n; i += 1) {
    const cls = CLASS[b[i] ?? 0];
    if (cls === 0) continue;
    if (cls === C_QUOTE) {
      const from = i + 1;
      let escaped = false;
      for (i = from; ; i += 1) {
        if (i >= n) return null; // unterminated string
        const d = b[i];
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          escaped = true;
          i += 1;
        }
      }
      if (expectKey) {
        expectKey = false;
        if (depth === 1) {
          // A top-level key written with escapes could spell "entries": only a whole parse knows.
          if (escaped) return null;
          key = sameBytes(b, from, i, ENTRIES_KEY) ? KEY_ENTRIES : 0;
        } else if (depth === 3 && inArray) {
          if (escaped) table[(count - 1) * STRIDE + FLAGS] = IRREGULAR;
          key = escaped ? 0 : trackedField(b, from, i);
        }
      }
    } else if (cls === C_COLON) {
      if (key !== 0) {
        const at = skipSpace(b, i + 1);
        if (key === KEY_ENTRIES) {
          // A second `entries` key (JSON.parse keeps the last) or a value that is not an array: parse whole.
          if (b[at] !== OPEN_ARRAY || arrayStart >= 0) return null;
          arrayStart = at;
        } else table[(count - 1) * STRIDE + key] = at;
        key = 0;
      }
    } else if (cls === C_COMMA) {
      expectKey = stack[depth - 1] === OPEN_OBJECT;
      if (inArray && depth === 2) {
        table[(count - 1) * STRIDE + 1] = trimEnd(b, i);
        if (!openElement(skipSpace(b, i + 1))) return null;
      }
    } else if (cls === C_OPEN) {
      if (depth >= MAX_DEPTH) return null;
      const c = b[i] ?? 0;
      stack[depth] = c;
      depth += 1;
      expectKey = c === OPEN_OBJECT;
      if (i === arrayStart) {
        inArray = true;
        const at = skipSpace(b, i + 1);
        if (b[at] !== CLOSE_ARRAY && !openElement(at)) return null;
      }
    } else {
      const c = b[i];
      if (stack[depth - 1] !== (c === CLOSE_OBJECT ? OPEN_OBJECT : OPEN_ARRAY)) return null;
      if (inArray && depth === 2) {
        if (count > 0) table[(count - 1) * STRIDE + 1] = trimEnd(b, i);
        inArray = false;
        arrayEnd = i + 1;
      }
      depth -= 1;
      expectKey = false;
      if (depth === 0) {
        // The top-level value ends here; anything but whitespace after it is for JSON.parse to refuse.
        if (skipSpace(b, i + 1) !== n) return null;
        return finishScan(body, begin, arrayStart, arrayEnd, table, count);
      }
    }
  }
  return null; // the top-level value never closed: a truncated body
}

function finishScan(
  body: Buffer,
  begin: number,
  arrayStart: number,
  arrayEnd: number,
  table: Int32Array,
  count: number,
): ScannedPage | null {
  if (arrayStart < 0 || arrayEnd < 0) return null;
  let envelope: unknown;
  try {
    envelope = JSON.parse(`${body.toString('utf8', begin, arrayStart)}[]${body.toString('utf8', arrayEnd)}`);
  } catch {
    return null;
  }
  // The emptied array must be what JSON.parse reads as `entries` (it is, unless the pass above went wrong).
  if (!isRecord(envelope) || !Array.isArray(envelope.entries) || envelope.entries.length !== 0) return null;
  return { envelope, entries: SlackAuditEntries.fromSpans(body, table.subarray(0, count * STRIDE)) };
}

/** The JSON string or number whose text starts at `at`, or undefined for anything else. */
function scalarAt(b: Buffer, at: number): string | number | undefined {
  const n = b.length;
  const c = b[at] ?? 0;
  if (c === QUOTE) {
    let i = at + 1;
    let plain = true;
    for (; i < n; i += 1) {
      const d = b[i] ?? 0;
      if (d === QUOTE) break;
      if (d === BACKSLASH) {
        plain = false;
        i += 1;
      } else if (d < 0x20) return undefined; // a raw control character: not JSON (the entry's parse says so)
    }
    if (i >= n) return undefined;
    if (plain) return b.toString('utf8', at + 1, i);
    try {
      const value: unknown = JSON.parse(b.toString('utf8', at, i + 1));
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    // Whole numbers of up to 15 digits (every date_create) by arithmetic; anything else through Number().
    let value = 0;
    let i = at;
    for (; i < n && i - at < 15; i += 1) {
      const d = b[i] ?? 0;
      if (d < 0x30 || d > 0x39) break;
      value = value * 10 + (d - 0x30);
    }
    const next = b[i] ?? 0;
    if (i > at && (next === COMMA || next === CLOSE_OBJECT || next === CLOSE_ARRAY || isSpace(next))) {
      return value;
    }
    for (i = at + 1; i < n; i += 1) {
      const d = b[i] ?? 0;
      if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d)) break;
    }
    const parsed = Number(b.toString('latin1', at, i));
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** `date_create` as whole Unix seconds, when it is a number or a string of digits. */
function secondOf(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? Math.floor(seconds) : undefined;
}

/**
 * A page's entries (or a selection of them, in order): the fields the collector filters on, read
 * without parsing, and each entry parsed on demand. Each `read(i)` parses afresh: read an entry
 * once, just before transforming it.
 */
export class SlackAuditEntries {
  private constructor(
    /** The page body (spans) or already parsed values. */
    private readonly body: Buffer | undefined,
    private readonly spans: Int32Array | undefined,
    private readonly values: readonly unknown[] | undefined,
    /** Indices into the spans or values, when this is a selection. */
    private readonly picked: Int32Array | undefined,
    readonly length: number,
  ) {}

  static fromValues(values: readonly unknown[]): SlackAuditEntries {
    return new SlackAuditEntries(undefined, undefined, values, undefined, values.length);
  }

  static fromSpans(body: Buffer, spans: Int32Array): SlackAuditEntries {
    return new SlackAuditEntries(body, spans, undefined, undefined, spans.length / STRIDE);
  }

  /** The entries at these positions, in this order. */
  select(positions: ArrayLike<number>): SlackAuditEntries {
    const picked = new Int32Array(positions.length);
    for (let k = 0; k < positions.length; k += 1) picked[k] = this.index(positions[k] ?? -1);
    return new SlackAuditEntries(this.body, this.spans, this.values, picked, picked.length);
  }

  private index(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`entry ${i} of ${this.length}`);
    return this.picked === undefined ? i : (this.picked[i] ?? -1);
  }

  /** Entry `i` parsed, or its text and why it is not JSON. */
  read(i: number): EntryRead {
    const at = this.index(i);
    if (this.values !== undefined) return { ok: true, value: this.values[at] };
    const text = this.text(at);
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (error) {
      return { ok: false, reason: `not valid JSON: ${(error as Error).message}`, text };
    }
  }

  /** Every entry parsed; throws on one that is not JSON (small pages, tests). */
  toArray(): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < this.length; i += 1) {
      const read = this.read(i);
      if (!read.ok) throw new SyntaxError(`entry ${i}: ${read.reason}`);
      out.push(read.value);
    }
    return out;
  }

  /** The entry's `id` when it is a non-empty string. */
  id(i: number): string | undefined {
    const value = this.field(i, FIELD_ID);
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  /** The entry's `date_create` as whole Unix seconds, when it is a number or a string of digits. */
  second(i: number): number | undefined {
    return secondOf(this.field(i, FIELD_DATE));
  }

  /** The entry's `action` when it is a string. */
  action(i: number): string | undefined {
    const value = this.field(i, FIELD_ACTION);
    return typeof value === 'string' ? value : undefined;
  }

  private field(i: number, field: number): unknown {
    const at = this.index(i);
    const { spans, body } = this;
    if (spans === undefined || body === undefined || (spans[at * STRIDE + FLAGS] ?? 0) & IRREGULAR) {
      const read = this.values === undefined ? this.read(i) : { ok: true as const, value: this.values[at] };
      if (!read.ok || !isRecord(read.value)) return undefined;
      const name = field === FIELD_ID ? 'id' : field === FIELD_DATE ? 'date_create' : 'action';
      return read.value[name];
    }
    const start = spans[at * STRIDE + field] ?? -1;
    return start < 0 ? undefined : scalarAt(body, start);
  }

  private text(at: number): string {
    const { spans, body } = this;
    if (spans === undefined || body === undefined) return '';
    return body.toString('utf8', spans[at * STRIDE] ?? 0, spans[at * STRIDE + 1] ?? 0);
  }
}
