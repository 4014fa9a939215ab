/**
 * The entries of one Slack Audit Logs page, parsed one at a time instead of all at once.
 *
 * Why: a full page is 9,999 entries, about 7 MB of JSON. Parsed in one go, all of its ~10 MB of
 * objects are alive together while the page is transformed and uploaded, so V8's young-generation
 * GC copies and promotes every one of them, and the old generation then collects them again. Parsed
 * just before its transform, an entry dies young. Measured on scenario pages: ~2–5 µs less CPU per
 * entry (the larger figure with the production V8 flags in `infra/bicep/node-arguments.json`).
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

/**
 * One pass over a JSON body: the top-level object with its `entries` array split into element
 * spans, or null where only a whole parse gives the right answer (see the module note).
 */
export function scanLogsBody(body: Buffer): ScannedPage | null {
  const b = body;
  const n = b.length;
  // A leading byte order mark is dropped, as the body decoder drops it.
  const begin = n >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  let i = begin;
  const stack = new Uint8Array(MAX_DEPTH);
  let depth = 0;
  let expectKey = false;
  /** The key just read: which tracked value (or the entries array) starts at the next token. */
  let key = 0;
  let pending = 0;
  let arrayStart = -1;
  let arrayEnd = -1;
  let inArray = false;
  let elementOpen = false;
  let lastEnd = -1;
  let count = 0;
  let table = new Int32Array(STRIDE * 1024);
  const KEY_ENTRIES = -1;

  while (i < n) {
    const c = b[i] ?? 0;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i += 1;
      continue;
    }
    if (pending !== 0) {
      if (pending === KEY_ENTRIES) {
        // A second `entries` key (JSON.parse keeps the last) or a non-array value: parse whole.
        if (c !== OPEN_ARRAY || arrayStart >= 0) return null;
        arrayStart = i;
      } else {
        table[(count - 1) * STRIDE + pending] = i;
      }
      pending = 0;
    }
    if (inArray && depth === 2 && !elementOpen && c !== CLOSE_ARRAY) {
      if (c === COMMA) return null; // an empty element
      if (table.length < (count + 1) * STRIDE) {
        const bigger = new Int32Array(table.length * 2);
        bigger.set(table);
        table = bigger;
      }
      const at = count * STRIDE;
      table[at] = i;
      table[at + FIELD_ID] = -1;
      table[at + FIELD_DATE] = -1;
      table[at + FIELD_ACTION] = -1;
      table[at + FLAGS] = 0;
      count += 1;
      elementOpen = true;
    }
    switch (c) {
      case QUOTE: {
        const from = i + 1;
        let escaped = false;
        i = from;
        for (;;) {
          if (i >= n) return null; // unterminated string
          const d = b[i];
          if (d === QUOTE) break;
          if (d === BACKSLASH) {
            escaped = true;
            i += 2;
          } else i += 1;
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
          } else key = 0;
        }
        break;
      }
      case COLON:
        pending = key;
        key = 0;
        break;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        if (depth >= MAX_DEPTH) return null;
        stack[depth] = c;
        depth += 1;
        expectKey = c === OPEN_OBJECT;
        if (c === OPEN_ARRAY && i === arrayStart) inArray = true;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY: {
        if (depth === 0 || stack[depth - 1] !== (c === CLOSE_OBJECT ? OPEN_OBJECT : OPEN_ARRAY)) return null;
        if (inArray && depth === 2) {
          // The entries array closes; `[1,]` leaves an empty last element.
          if (elementOpen) table[(count - 1) * STRIDE + 1] = lastEnd;
          else if (count > 0) return null;
          elementOpen = false;
          inArray = false;
          arrayEnd = i + 1;
        }
        depth -= 1;
        expectKey = false;
        if (depth === 0) {
          // The top-level value ends here; anything but whitespace after it is for JSON.parse to refuse.
          lastEnd = i + 1;
          i += 1;
          while (i < n && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i += 1;
          if (i !== n) return null;
          return finishScan(body, begin, stack[0] === OPEN_OBJECT, arrayStart, arrayEnd, table, count);
        }
        break;
      }
      case COMMA:
        if (depth === 0) return null;
        expectKey = stack[depth - 1] === OPEN_OBJECT;
        if (inArray && depth === 2) {
          table[(count - 1) * STRIDE + 1] = lastEnd;
          elementOpen = false;
        }
        break;
      default:
        if (depth === 0) return null; // a bare top-level scalar: not the object this API sends
    }
    i += 1;
    lastEnd = i;
  }
  return null; // the top-level value never closed: a truncated body
}

function finishScan(
  body: Buffer,
  begin: number,
  isObject: boolean,
  arrayStart: number,
  arrayEnd: number,
  table: Int32Array,
  count: number,
): ScannedPage | null {
  if (!isObject || arrayStart < 0 || arrayEnd < 0) return null;
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
  const c = b[at];
  if (c === QUOTE) {
    let i = at + 1;
    let escaped = false;
    while (i < b.length && b[i] !== QUOTE) {
      if (b[i] === BACKSLASH) {
        escaped = true;
        i += 2;
      } else i += 1;
    }
    if (i >= b.length) return undefined;
    if (!escaped) {
      // JSON strings hold no raw control characters; one that does is invalid and JSON.parse says so.
      for (let k = at + 1; k < i; k += 1) if ((b[k] ?? 0) < 0x20) return undefined;
      return b.toString('utf8', at + 1, i);
    }
    try {
      const value: unknown = JSON.parse(b.toString('utf8', at, i + 1));
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }
  if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) {
    let i = at + 1;
    for (; i < b.length; i += 1) {
      const d = b[i] ?? 0;
      if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d)) break;
    }
    const value = Number(b.toString('latin1', at, i));
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

export function entryId(entry: unknown): string | undefined {
  return isRecord(entry) && typeof entry.id === 'string' && entry.id !== '' ? entry.id : undefined;
}

export function entryAction(entry: unknown): string | undefined {
  return isRecord(entry) && typeof entry.action === 'string' ? entry.action : undefined;
}

function secondOf(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? Math.floor(seconds) : undefined;
}

export function entrySecond(entry: unknown): number | undefined {
  return isRecord(entry) ? secondOf(entry.date_create) : undefined;
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
