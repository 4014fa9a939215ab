/**
 * Shared row-building helpers for the pure transforms: absent and empty values are omitted (Log
 * Analytics bills every stored value), strings are cut to their column cap, dynamic values are
 * copied as plain JSON data, and unmapped fields are kept in `Extra` by their dotted path.
 */
import type { z } from 'zod';
import { toDynamic, truncateUtf8 } from './safe-json';

export type Bag = Record<string, unknown>;

/** A transform either yields its row(s) or says why the record must be quarantined. */
export type TransformResult<Row> = { ok: true; row: Row } | { ok: false; reason: string };

export function isPlainObject(v: unknown): v is Bag {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Stands in for a value whose getter throws (only hand-built objects have those, never JSON). */
export const UNREADABLE = '[Unreadable]';

/** Reads a raw field without letting a hostile getter throw. */
export function read(source: Bag, key: string): unknown {
  try {
    return source[key];
  } catch {
    return UNREADABLE;
  }
}

/** An own (never inherited) plain-object property. */
export function ownObject(parent: Bag, key: string): Bag | undefined {
  if (!Object.hasOwn(parent, key)) return undefined;
  const v = read(parent, key);
  return isPlainObject(v) ? v : undefined;
}

export function scalarId(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** At most three zod issues as `path: message`, for a quarantine reason. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length === 0 ? 'record' : i.path.map(String).join('.')}: ${i.message}`)
    .join('; ');
}

export function errorReason(prefix: string, error: unknown): string {
  let message = 'unknown error';
  try {
    if (error instanceof Error) message = `${error.name}: ${error.message}`;
  } catch {
    // A hostile error object; the prefix still says what failed.
  }
  return `${prefix}: ${message}`;
}

/**
 * Rows of one stream share one hidden class. Setting columns by computed name in data-dependent
 * order gives V8 a different object shape per combination of present columns, and every such store
 * goes through its slow megamorphic path; serializing those rows is slower too. So a builder fills
 * a "slots" object holding every declared column (undefined until set), and `finish()` copies the set
 * ones into the row, always in declaration order, with one named store per column. That copy is
 * generated once per stream from its declared column names (identifiers only, never from data).
 * Kept because `npm run bench` needs it: the same copy as an ordinary closure (a keyed load and store
 * per column) cost ~2.4 µs more per row and, in runs interleaved with the generated one, took the
 * ratio to ceiling from 0.56–0.61 to 0.54–0.58 and the CPU ratio from 0.68–0.72 to 0.63–0.64; with
 * dimensions.ts's copy a closure too, the CPU ratio fell to 0.59–0.61 (targets ≥ 0.6;
 * docs/reference/performance.md, "Speed tricks the bench keeps").
 */
interface RowShape {
  slots: Bag;
  columns: number;
  copy: (slots: Bag) => Bag;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const shapes = new WeakMap<object, RowShape>();

function rowShape(caps: Readonly<Record<string, number>>): RowShape {
  let shape = shapes.get(caps);
  if (shape === undefined) {
    const columns = Object.keys(caps);
    const slots: Bag = {};
    for (const column of columns) slots[column] = undefined;
    const odd = columns.find((column) => !IDENTIFIER.test(column));
    if (odd !== undefined) throw new Error(`RowBuilder: column name ${JSON.stringify(odd)} is not an identifier`);
    const body = columns.map((c) => `if (s.${c} !== undefined) r.${c} = s.${c};`).join('\n');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the stream's declared column names, checked to be identifiers above
    const copy = new Function('s', `'use strict';\nconst r = {};\n${body}\nreturn r;`) as (slots: Bag) => Bag;
    shape = { slots, columns: columns.length, copy };
    shapes.set(caps, shape);
  }
  return shape;
}

export class RowBuilder {
  /** Column values being built: every declared column, undefined until set. */
  readonly row: Bag;
  private readonly shape: RowShape;
  private truncated: string[] | undefined;
  private extra: Bag | undefined;

  /** `caps` maps the stream's columns to their byte caps (`columnCaps(stream)`). */
  constructor(private readonly caps: Readonly<Record<string, number>>) {
    this.shape = rowShape(caps);
    this.row = { ...this.shape.slots };
  }

  /** Sets a string column unless the value is absent or empty; cuts it to the column's cap. */
  str(column: string, value: string | null | undefined): void {
    if (value === undefined || value === null || value === '') return;
    // Strings of up to 21 UTF-16 units fit every cap (the smallest is 64 bytes): skip the lookup.
    const cap = value.length <= 21 ? 64 : (this.caps[column] ?? 0);
    if (value.length * 3 > cap) {
      const cut = truncateUtf8(value, cap);
      if (cut.length < value.length) (this.truncated ??= []).push(column);
      this.row[column] = cut;
    } else this.row[column] = value;
  }

  dyn(column: string, value: unknown): void {
    if (value === undefined || value === null) return;
    const d = toDynamic(value, this.caps[column] ?? 0);
    // JSON turns some values into null (an invalid Date, a toJSON returning null): that is absence.
    if (d === undefined || d.value === null) return;
    if (d.truncated) (this.truncated ??= []).push(column);
    this.row[column] = d.value;
  }

  /** Collects an unmapped field for `Extra`; a null-prototype bag keeps `__proto__` an ordinary key. */
  keep(path: string, value: unknown): void {
    if (value === undefined || value === null) return;
    (this.extra ??= Object.create(null) as Bag)[path] = value;
  }

  keepUnknown(prefix: string, source: Bag, known: ReadonlySet<string>): void {
    for (const key of Object.keys(source)) if (!known.has(key)) this.keep(prefix + key, read(source, key));
  }

  /** Writes `Extra` and `TruncatedColumns` (when the stream has them) and returns the row: set columns only, in declaration order. */
  finish(): Bag {
    if (this.extra !== undefined && 'Extra' in this.caps) this.dyn('Extra', this.extra);
    if (this.truncated !== undefined && 'TruncatedColumns' in this.caps) {
      this.row.TruncatedColumns = this.truncated;
    }
    // An undeclared column would be dropped by the copy: fail loudly instead (the transforms turn a
    // throw into a quarantine reason). Sealing the slots would say it sooner but makes every store slow.
    if (Object.keys(this.row).length !== this.shape.columns) {
      const extra = Object.keys(this.row).filter((key) => !(key in this.caps));
      throw new Error(`RowBuilder: column(s) ${extra.join(', ')} are not declared for this stream`);
    }
    return this.shape.copy(this.row);
  }
}
