/**
 * Column builder: one call yields the zod validator of a Log Analytics column *and* its DCR/table
 * metadata (kept in `columnRegistry`), so a stream's row schema is the only place its columns are
 * declared. Generated Bicep JSON and the row types are derived from it.
 */
import { z } from 'zod';

/** Types a DCR `streamDeclarations` column may have. */
export type DcrColumnType = 'string' | 'int' | 'long' | 'real' | 'boolean' | 'datetime' | 'dynamic';
/** Types a Log Analytics custom table column may have. */
export type TableColumnType = 'string' | 'int' | 'long' | 'real' | 'boolean' | 'dateTime' | 'dynamic' | 'guid';

export const DCR_TO_TABLE_TYPE: Readonly<Record<DcrColumnType, TableColumnType>> = {
  string: 'string',
  int: 'int',
  long: 'long',
  real: 'real',
  boolean: 'boolean',
  datetime: 'dateTime',
  dynamic: 'dynamic',
};

/** Logs Ingestion truncates any single field value beyond 64 KB. */
export const FIELD_LIMIT_BYTES = 64 * 1024;

export interface ColumnMeta {
  type: DcrColumnType;
  description: string;
  required: boolean;
  /** UTF-8 byte cap for string/dynamic values; transforms truncate to it, row schemas enforce it. */
  maxBytes: number;
}

export const columnRegistry = z.registry<ColumnMeta>();

export interface ColumnOptions {
  required?: boolean;
  maxBytes?: number;
}
type Req = { required: true } & ColumnOptions;
type Opt = ({ required?: false } & ColumnOptions) | undefined;

/** JSON-compatible value of a `dynamic` column (plain data, no undefined). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** ISO-8601 date-time with an explicit zone, e.g. `2021-01-21T09:34:09Z` or `…09.123456+02:00`. */
export const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** UTF-8 length without allocating; lone surrogates count 3 bytes, as Buffer encodes them. */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function fitsBytes(s: string, maxBytes: number): boolean {
  return s.length * 3 <= maxBytes || utf8Length(s) <= maxBytes;
}

function dynamicFits(value: unknown, maxBytes: number): boolean {
  try {
    const text = JSON.stringify(value) as string | undefined;
    return text !== undefined && fitsBytes(text, maxBytes);
  } catch {
    return false;
  }
}

function finish<T extends z.ZodType>(
  base: T,
  type: DcrColumnType,
  description: string,
  opts: ColumnOptions | undefined,
) {
  const required = opts?.required === true;
  const maxBytes = opts?.maxBytes ?? FIELD_LIMIT_BYTES;
  const schema = required ? base : base.optional();
  columnRegistry.add(schema, { type, description, required, maxBytes });
  return schema;
}

function stringCol(description: string, opts: Req): z.ZodString;
function stringCol(description: string, opts?: Opt): z.ZodOptional<z.ZodString>;
function stringCol(description: string, opts?: ColumnOptions) {
  const maxBytes = opts?.maxBytes ?? FIELD_LIMIT_BYTES;
  const base = z.string().refine((s) => fitsBytes(s, maxBytes), `longer than ${maxBytes} UTF-8 bytes`);
  return finish(base, 'string', description, opts);
}

function datetimeCol(description: string, opts: Req): z.ZodString;
function datetimeCol(description: string, opts?: Opt): z.ZodOptional<z.ZodString>;
function datetimeCol(description: string, opts?: ColumnOptions) {
  const base = z
    .string()
    .refine((s) => ISO_DATETIME.test(s) && !Number.isNaN(Date.parse(s)), 'not an ISO-8601 date-time');
  return finish(base, 'datetime', description, opts);
}

function longCol(description: string, opts: Req): z.ZodNumber;
function longCol(description: string, opts?: Opt): z.ZodOptional<z.ZodNumber>;
function longCol(description: string, opts?: ColumnOptions) {
  return finish(z.number().int(), 'long', description, opts);
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
function intCol(description: string, opts: Req): z.ZodNumber;
function intCol(description: string, opts?: Opt): z.ZodOptional<z.ZodNumber>;
function intCol(description: string, opts?: ColumnOptions) {
  return finish(z.number().int().min(INT32_MIN).max(INT32_MAX), 'int', description, opts);
}

function realCol(description: string, opts: Req): z.ZodNumber;
function realCol(description: string, opts?: Opt): z.ZodOptional<z.ZodNumber>;
function realCol(description: string, opts?: ColumnOptions) {
  return finish(z.number(), 'real', description, opts);
}

function booleanCol(description: string, opts: Req): z.ZodBoolean;
function booleanCol(description: string, opts?: Opt): z.ZodOptional<z.ZodBoolean>;
function booleanCol(description: string, opts?: ColumnOptions) {
  return finish(z.boolean(), 'boolean', description, opts);
}

type DynamicSchema = z.ZodCustom<JsonValue, JsonValue>;
function dynamicCol(description: string, opts: Req): DynamicSchema;
function dynamicCol(description: string, opts?: Opt): z.ZodOptional<DynamicSchema>;
function dynamicCol(description: string, opts?: ColumnOptions) {
  const maxBytes = opts?.maxBytes ?? FIELD_LIMIT_BYTES;
  const base = z.custom<JsonValue>(
    (v) => v !== undefined && dynamicFits(v, maxBytes),
    `not JSON data within ${maxBytes} UTF-8 bytes`,
  );
  return finish(base, 'dynamic', description, opts);
}

/** `col.string('…')` is optional; pass `{ required: true }` for columns every row carries. */
export const col = {
  string: stringCol,
  datetime: datetimeCol,
  long: longCol,
  int: intCol,
  real: realCol,
  boolean: booleanCol,
  dynamic: dynamicCol,
};

export interface ColumnSpec extends ColumnMeta {
  name: string;
}

/** Column names Logs Ingestion refuses in custom streams/tables (besides the 45-char alnum rule). */
export const RESERVED_COLUMN_NAMES: readonly string[] = [
  '_ResourceId',
  'id',
  '_SubscriptionId',
  'TenantId',
  'Type',
  'UniqueId',
  'Title',
];
const RESERVED_FOLDED = new Set(RESERVED_COLUMN_NAMES.map((n) => n.toLowerCase()));
const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9_]{0,44}$/;

/** Reads the column list back out of a row shape; throws at load time on any undeclared or illegal column. */
export function columnsOf(shape: Readonly<Record<string, z.ZodType>>, table: string): ColumnSpec[] {
  const seen = new Set<string>();
  return Object.entries(shape).map(([name, schema]) => {
    const meta = columnRegistry.get(schema);
    if (meta === undefined) throw new Error(`${table}.${name} was not built with col.*()`);
    if (!COLUMN_NAME.test(name) || RESERVED_FOLDED.has(name.toLowerCase())) {
      throw new Error(`${table}.${name} is not a legal Log Analytics column name`);
    }
    const folded = name.toLowerCase();
    if (seen.has(folded)) throw new Error(`${table}.${name} collides with another column (case-insensitive)`);
    seen.add(folded);
    return { name, ...meta };
  });
}
