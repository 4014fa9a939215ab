/**
 * Serialization helpers that never throw, whatever the input: huge strings, deep nesting, cycles,
 * BigInt, NaN, throwing getters/toJSON, `__proto__` keys. Values that reach a `dynamic` column are
 * re-parsed from their JSON text, so rows hold plain data that shares nothing with the input.
 */
import { createHash } from 'node:crypto';
import { type JsonValue, utf8Length } from './columns';

/** Cuts `s` to at most `maxBytes` UTF-8 bytes without splitting a surrogate pair. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (s.length * 3 <= maxBytes) return s;
  let bytes = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let n = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    let width = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n = 4;
        width = 2;
      }
    }
    if (bytes + n > maxBytes) break;
    bytes += n;
    i += width - 1;
  }
  return i >= s.length ? s : s.slice(0, i);
}

export interface SerializeOptions {
  /** Stop emitting once this many characters are written (the result is then cut, not valid JSON). */
  budget?: number;
  maxDepth?: number;
  /** Keys whose values are replaced by "[redacted]" at any depth. */
  redactKeys?: ReadonlySet<string>;
  /** Emit object keys sorted, for hashing. */
  sortKeys?: boolean;
}

export interface Serialized {
  text: string;
  /** True when the budget cut the output short. */
  cut: boolean;
}

/**
 * JSON-like text of any value, for quarantine and hashing: valid JSON when not cut; values JSON
 * cannot hold become marker strings ("[NaN]", "12n", "[Circular]", "[MaxDepth]", "[Unreadable]").
 */
export function serializeAny(value: unknown, options: SerializeOptions = {}): Serialized {
  const budget = options.budget ?? Number.MAX_SAFE_INTEGER;
  const maxDepth = options.maxDepth ?? 64;
  const parts: string[] = [];
  let size = 0;
  const stack = new Set<object>();
  const emit = (s: string): boolean => {
    parts.push(s);
    size += s.length;
    return size <= budget;
  };
  const emitString = (s: string): boolean => {
    const room = budget - size;
    return emit(JSON.stringify(s.length > room ? s.slice(0, Math.max(0, room)) : s));
  };

  const walk = (v: unknown, depth: number): boolean => {
    switch (typeof v) {
      case 'string':
        return emitString(v);
      case 'number':
        return emit(Number.isFinite(v) ? String(v) : `"[${String(v)}]"`);
      case 'boolean':
        return emit(v ? 'true' : 'false');
      case 'bigint':
        return emitString(`${v.toString()}n`);
      case 'undefined':
      case 'function':
      case 'symbol':
        return emit('null');
    }
    if (v === null) return emit('null');
    const obj = v as object;
    if (stack.has(obj)) return emitString('[Circular]');
    if (depth >= maxDepth) return emitString('[MaxDepth]');
    stack.add(obj);
    try {
      if (Array.isArray(obj)) {
        if (!emit('[')) return false;
        const arr = obj as unknown[];
        for (let i = 0; i < arr.length; i++) {
          if (i > 0 && !emit(',')) return false;
          let item: unknown;
          try {
            item = arr[i];
          } catch {
            item = '[Unreadable]';
          }
          if (!walk(item, depth + 1)) return false;
        }
        return emit(']');
      }
      if (obj instanceof Date) {
        return Number.isNaN(obj.getTime()) ? emitString('[Invalid Date]') : emitString(obj.toISOString());
      }
      let keys = Object.keys(obj);
      if (options.sortKeys === true) keys = keys.sort();
      if (!emit('{')) return false;
      let first = true;
      for (const key of keys) {
        let item: unknown;
        try {
          item = (obj as Record<string, unknown>)[key];
        } catch {
          item = '[Unreadable]';
        }
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
        if (!first && !emit(',')) return false;
        first = false;
        if (!emitString(key) || !emit(':')) return false;
        if (options.redactKeys?.has(key) === true) {
          if (!emitString('[redacted]')) return false;
        } else if (!walk(item, depth + 1)) return false;
      }
      return emit('}');
    } catch {
      return emitString('[Unreadable]');
    } finally {
      stack.delete(obj);
    }
  };

  let complete: boolean;
  try {
    complete = walk(value, 0);
  } catch {
    // Stack exhaustion or an exotic object (Proxy traps): keep what was written.
    complete = false;
  }
  const text = parts.join('');
  return complete ? { text, cut: false } : { text: text.slice(0, budget), cut: true };
}

/** True when JSON text nests deeper than `maxDepth` (brackets inside strings are ignored). */
export function jsonNestsDeeper(text: string, maxDepth: number): boolean {
  if (text.length <= maxDepth * 2) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export const DYNAMIC_MAX_DEPTH = 32;

export interface DynamicResult {
  value: JsonValue;
  /** The value did not fit (size, depth or not serializable) and was replaced by a marker object. */
  truncated: boolean;
}

/**
 * Plain-data copy of `value` for a `dynamic` column, at most `maxBytes` of JSON. Oversized, too deep
 * or unserializable values become `{ sentryTruncated: true, originalBytes, head }` so the row still
 * lands with valid JSON and the loss is visible. Returns undefined for undefined.
 */
export function toDynamic(value: unknown, maxBytes: number): DynamicResult | undefined {
  if (value === undefined) return undefined;
  const fast = copyPlainJson(value, maxBytes);
  if (fast !== undefined) return { value: fast, truncated: false };
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text !== undefined && (text.length * 3 <= maxBytes || utf8Length(text) <= maxBytes)) {
    if (!jsonNestsDeeper(text, DYNAMIC_MAX_DEPTH)) return { value: JSON.parse(text) as JsonValue, truncated: false };
  }
  if (text === undefined && typeof value !== 'object' && typeof value !== 'bigint') return undefined;
  const full = text ?? serializeAny(value, { budget: maxBytes }).text;
  const marker = { sentryTruncated: true, originalBytes: text === undefined ? -1 : utf8Length(text), head: '' };
  let headBytes = maxBytes - 256;
  for (;;) {
    marker.head = truncateUtf8(full, headBytes);
    if (utf8Length(JSON.stringify(marker)) <= maxBytes || headBytes <= 0) break;
    headBytes = Math.floor(headBytes * 0.7);
  }
  return { value: marker, truncated: true };
}

const NOT_PLAIN = Symbol('not plain');
type Copied = JsonValue | typeof NOT_PLAIN;

/** Running upper bound of the JSON size while copying (module-level: no closure per call). */
let copyBound = 0;
let copyLimit = 0;

function copyPlain(v: unknown, depth: number): Copied {
  switch (typeof v) {
    case 'string':
      // Worst-case JSON escaping is 6 bytes per UTF-16 unit (\u0000), plus the quotes.
      copyBound += v.length * 6 + 2;
      return v;
    case 'number':
      copyBound += 24;
      return Number.isFinite(v) ? v : NOT_PLAIN;
    case 'boolean':
      copyBound += 5;
      return v;
    case 'object':
      break;
    default:
      return NOT_PLAIN;
  }
  if (v === null) {
    copyBound += 4;
    return null;
  }
  if (depth >= DYNAMIC_MAX_DEPTH || copyBound > copyLimit) return NOT_PLAIN;
  if (Array.isArray(v)) {
    const out = new Array<JsonValue>(v.length);
    copyBound += 2;
    for (let i = 0; i < v.length; i++) {
      const item = copyPlain(v[i], depth + 1);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      out[i] = item;
      copyBound += 1;
    }
    return out;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const out: Record<string, JsonValue> = {};
  copyBound += 2;
  for (const key of Object.keys(v)) {
    if (key === '__proto__') return NOT_PLAIN;
    const item = copyPlain((v as Record<string, unknown>)[key], depth + 1);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    out[key] = item;
    copyBound += key.length * 6 + 4;
  }
  return out;
}

/**
 * Fast path of `toDynamic` for ordinary data (what JSON.parse yields): copies plain objects, arrays
 * and JSON scalars while an upper bound of the JSON size stays within `maxBytes`. Anything unusual
 * (non-finite numbers, `__proto__` keys, class instances, getters that throw, deep nesting, values
 * near the cap) returns undefined and takes the exact, slower path.
 */
function copyPlainJson(value: unknown, maxBytes: number): JsonValue | undefined {
  copyBound = 0;
  copyLimit = maxBytes;
  try {
    const result = copyPlain(value, 0);
    return result === NOT_PLAIN || copyBound > maxBytes ? undefined : result;
  } catch {
    return undefined;
  }
}

/** 32 hex chars of SHA-256 over a canonical serialization; the same parts always give the same id. */
export function stableHash(parts: readonly unknown[]): string {
  const { text } = serializeAny(parts, { sortKeys: true, budget: 1 << 20 });
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}
