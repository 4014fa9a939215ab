/**
 * Stream declarations (the DCR `streamDeclarations` the app generates into
 * `infra/bicep/generated/streams.json`) and the row checks the ingestion emulator applies.
 *
 * What Azure does with rows that do not match the declaration: the request is accepted (204) and
 * problems are silent — a body that is a JSON object instead of an array lands nothing; columns not
 * declared are not ingested; a missing column is empty [3P: azure-sdk-for-net#34638,
 * azure-docs#106266/#118163]. How a value of the wrong type is converted is [UNVERIFIED]; the
 * `azure` policy stores null for it. The default `strict` policy instead refuses the whole request
 * with 400, so an app bug shows up in tests instead of as quietly missing data.
 *
 * Either way, like Log Analytics, a TimeGenerated more than two days before the time received or
 * more than a day after it is replaced by the time received, and a missing one is set to it
 * (docs/reference/azure.md, "Rows that do not match the stream").
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { z } from 'zod';

export const COLUMN_TYPES = ['string', 'int', 'long', 'real', 'boolean', 'datetime', 'dynamic'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** Reserved by Log Analytics for custom tables [SRC: logs-ingestion-api-overview]. */
const RESERVED_COLUMNS = new Set(['_ResourceId', 'id', '_SubscriptionId', 'TenantId', 'Type', 'UniqueId', 'Title']);

export const ColumnDeclaration = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,44}$/, 'column names are at most 45 letters, digits or underscores')
    .refine((name) => !RESERVED_COLUMNS.has(name), { message: 'reserved column name' }),
  type: z.enum(COLUMN_TYPES),
});
export type ColumnDeclaration = z.infer<typeof ColumnDeclaration>;

export const StreamDeclaration = z
  .looseObject({
    stream: z.string().regex(/^Custom-[A-Za-z0-9_]+$/, 'stream names look like Custom-<Name>'),
    table: z.string().regex(/^[A-Za-z0-9_]+_CL$/, 'custom table names end in _CL'),
    columns: z.array(ColumnDeclaration).min(1),
  })
  .refine((s) => new Set(s.columns.map((c) => c.name)).size === s.columns.length, { message: 'duplicate column' });
export type StreamDeclaration = z.infer<typeof StreamDeclaration>;

export const StreamsFile = z.looseObject({ streams: z.array(StreamDeclaration) });

/** Where the app's generator writes the declarations (repository root relative). */
export const DEFAULT_STREAMS_FILE = resolve(__dirname, '../../../infra/bicep/generated/streams.json');

export function loadStreamDeclarations(path: string = DEFAULT_STREAMS_FILE): StreamDeclaration[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `No stream declarations at ${path}: generate infra/bicep/generated/streams.json or pass \`streams\` to the ingestion emulator.`,
      );
    }
    throw error;
  }
  const parsed = StreamsFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`Invalid stream declarations in ${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data.streams;
}

export interface SchemaPolicy {
  /** A property the stream does not declare: refuse the request, or drop the property. */
  extraColumns: 'reject' | 'drop';
  /** A value of the wrong type: refuse the request, or store null. */
  typeMismatch: 'reject' | 'null';
  /** A row without TimeGenerated: refuse the request, or use the time received (what Azure does). */
  missingTimeGenerated: 'reject' | 'received';
  /** Replace a TimeGenerated outside [received - 2 days, received + 1 day] by the time received (what Azure does). */
  restampTimeGenerated: boolean;
  /** A body that is not a JSON array: refuse (400), or accept and land nothing (what Azure does). */
  nonArrayBody: 'reject' | 'ignore';
  /** Values over 64 KB: Azure truncates them [SRC: service limits]. */
  maxFieldBytes: number;
}

export const SCHEMA_POLICIES = {
  strict: {
    extraColumns: 'reject',
    typeMismatch: 'reject',
    missingTimeGenerated: 'reject',
    nonArrayBody: 'reject',
    restampTimeGenerated: true,
    maxFieldBytes: 65_536,
  },
  azure: {
    extraColumns: 'drop',
    typeMismatch: 'null',
    missingTimeGenerated: 'received',
    nonArrayBody: 'ignore',
    restampTimeGenerated: true,
    maxFieldBytes: 65_536,
  },
} as const satisfies Record<string, SchemaPolicy>;

export interface SchemaIssue {
  row: number;
  column: string;
  problem: 'extra_column' | 'type_mismatch' | 'missing_time_generated' | 'restamped' | 'truncated' | 'not_an_object';
  detail: string;
}

const DAY_MS = 86_400_000;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function typeProblem(type: ColumnType, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : `expected a string, got ${describe(value)}`;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647
        ? undefined
        : `expected a 32-bit integer, got ${describe(value)}`;
    case 'long':
      return typeof value === 'number' && Number.isSafeInteger(value)
        ? undefined
        : `expected an integer, got ${describe(value)}`;
    case 'real':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `expected a number, got ${describe(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected a boolean, got ${describe(value)}`;
    case 'datetime':
      return typeof value === 'string' && ISO_DATETIME.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : `expected an ISO 8601 date-time with offset, got ${describe(value)}`;
    case 'dynamic':
      return undefined;
  }
}

function describe(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return `${kind} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

function truncateUtf8(value: string, maxBytes: number): string {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= maxBytes) return value;
  // Cut on a character boundary: drop continuation bytes left dangling at the cut.
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * A declaration compiled once for the per-row hot path: column name → a type code, plus what the
 * TimeGenerated rules need. `clean(row)` answers whether `checkRows` would keep the row exactly as
 * sent (every property declared, every value of its column's type or null, no string over the field
 * limit, TimeGenerated present) — `RESTAMP` when the only change is a TimeGenerated outside the
 * accepted window (every row of a backfill of old events). Other rows take the slow path that
 * builds the stored copy and names every issue. Compiled per (declaration, policy).
 */
interface CompiledCheck {
  columns: Map<string, ColumnType>;
  clean(row: object, receivedMs: number): Verdict;
}

const CLEAN = 0;
const RESTAMP = 1;
const DIRTY = 2;
type Verdict = typeof CLEAN | typeof RESTAMP | typeof DIRTY;

const TYPE_CODES: Record<ColumnType, number> = {
  string: 1,
  int: 2,
  long: 3,
  real: 4,
  boolean: 5,
  datetime: 6,
  dynamic: 7,
};

const compiledChecks = new WeakMap<StreamDeclaration, WeakMap<SchemaPolicy, CompiledCheck>>();

function compile(declaration: StreamDeclaration, policy: SchemaPolicy): CompiledCheck {
  let byPolicy = compiledChecks.get(declaration);
  if (byPolicy === undefined) {
    byPolicy = new WeakMap();
    compiledChecks.set(declaration, byPolicy);
  }
  const cached = byPolicy.get(policy);
  if (cached !== undefined) return cached;
  const columns = new Map(declaration.columns.map((c) => [c.name, c.type]));
  // A prototype-less object: looking a name up cannot reach Object.prototype (`constructor`, `__proto__`).
  const codes = Object.create(null) as Record<string, number | undefined>;
  for (const c of declaration.columns) codes[c.name] = TYPE_CODES[c.type];
  const hasTime = columns.has('TimeGenerated');
  const restamp = policy.restampTimeGenerated && columns.get('TimeGenerated') === 'datetime';
  const maxFieldBytes = policy.maxFieldBytes;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: shorter strings need no byte count.
  const shortString = Math.floor(maxFieldBytes / 3);
  const oversize = (value: string) => value.length > shortString && Buffer.byteLength(value, 'utf8') > maxFieldBytes;
  // Rows arrive in time order, so consecutive rows mostly repeat a date-time: remember the last one.
  let lastDatetime: string | undefined;
  let lastDatetimeMs = Number.NaN;
  const datetimeMs = (value: string): number => {
    if (value !== lastDatetime) {
      lastDatetimeMs = ISO_DATETIME.test(value) ? Date.parse(value) : Number.NaN;
      lastDatetime = value;
    }
    return lastDatetimeMs;
  };
  const clean = (row: object, receivedMs: number): Verdict => {
    if (Array.isArray(row)) return DIRTY;
    const record = row as Record<string, unknown>;
    // JSON.parse yields plain objects whose enumerable properties are all own ones.
    for (const name in record) {
      const code = codes[name];
      if (code === undefined) return DIRTY;
      const value = record[name];
      if (value === null) continue;
      switch (code) {
        case 1:
          if (typeof value !== 'string' || oversize(value)) return DIRTY;
          break;
        case 2:
          if (typeof value !== 'number' || !Number.isInteger(value) || value < -2_147_483_648 || value > 2_147_483_647)
            return DIRTY;
          break;
        case 3:
          if (typeof value !== 'number' || !Number.isSafeInteger(value)) return DIRTY;
          break;
        case 4:
          if (typeof value !== 'number' || !Number.isFinite(value)) return DIRTY;
          break;
        case 5:
          if (typeof value !== 'boolean') return DIRTY;
          break;
        case 6:
          if (typeof value !== 'string' || Number.isNaN(datetimeMs(value))) return DIRTY;
          break;
        default:
          if (typeof value === 'string' && oversize(value)) return DIRTY;
      }
    }
    if (!hasTime) return CLEAN;
    const time = record.TimeGenerated;
    if (time === undefined || time === null) return DIRTY;
    if (restamp && typeof time === 'string') {
      const generated = datetimeMs(time);
      if (generated < receivedMs - 2 * DAY_MS || generated > receivedMs + DAY_MS) return RESTAMP;
    }
    return CLEAN;
  };
  const compiled = { columns, clean };
  byPolicy.set(policy, compiled);
  return compiled;
}

/**
 * Checks rows against a declaration. Returns the rows as they would be stored (undeclared columns
 * dropped, bad values nulled, long strings truncated, per the policy) and every issue found; the
 * caller refuses the request when an issue's policy says `reject`. A row that needs none of that is
 * returned as the very object given (not copied).
 */
export function checkRows(
  rows: readonly unknown[],
  declaration: StreamDeclaration,
  policy: SchemaPolicy,
  receivedAt: string,
): { rows: Record<string, unknown>[]; issues: SchemaIssue[]; rejecting: SchemaIssue[] } {
  const compiled = compile(declaration, policy);
  const columns = compiled.columns;
  const receivedMs = Date.parse(receivedAt);
  const issues: SchemaIssue[] = [];
  const rejecting: SchemaIssue[] = [];
  const out: Record<string, unknown>[] = [];
  const note = (issue: SchemaIssue, reject: boolean) => {
    issues.push(issue);
    if (reject) rejecting.push(issue);
  };
  for (let index = 0; index < rows.length; index += 1) {
    const raw = rows[index];
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      note({ row: index, column: '', problem: 'not_an_object', detail: `row is ${describe(raw)}` }, true);
      continue;
    }
    const verdict = compiled.clean(raw, receivedMs);
    if (verdict === CLEAN) {
      out.push(raw as Record<string, unknown>);
      continue;
    }
    if (verdict === RESTAMP) {
      const time = (raw as Record<string, unknown>).TimeGenerated as string;
      note(
        {
          row: index,
          column: 'TimeGenerated',
          problem: 'restamped',
          detail: `TimeGenerated ${time} replaced by the time received`,
        },
        false,
      );
      out.push({ ...(raw as Record<string, unknown>), TimeGenerated: receivedAt });
      continue;
    }
    const row: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      const type = columns.get(name);
      if (type === undefined) {
        note(
          {
            row: index,
            column: name,
            problem: 'extra_column',
            detail: `${name} is not declared in ${declaration.stream}`,
          },
          policy.extraColumns === 'reject',
        );
        continue;
      }
      if (value === null) {
        row[name] = null;
        continue;
      }
      const problem = typeProblem(type, value);
      if (problem !== undefined) {
        note(
          { row: index, column: name, problem: 'type_mismatch', detail: `${name} (${type}): ${problem}` },
          policy.typeMismatch === 'reject',
        );
        row[name] = null;
        continue;
      }
      if (typeof value === 'string' && Buffer.byteLength(value, 'utf8') > policy.maxFieldBytes) {
        note(
          { row: index, column: name, problem: 'truncated', detail: `${name} is over ${policy.maxFieldBytes} bytes` },
          false,
        );
        row[name] = truncateUtf8(value, policy.maxFieldBytes);
        continue;
      }
      row[name] = value;
    }
    if (columns.has('TimeGenerated') && (row.TimeGenerated === undefined || row.TimeGenerated === null)) {
      const rejected = policy.missingTimeGenerated === 'reject';
      note(
        { row: index, column: 'TimeGenerated', problem: 'missing_time_generated', detail: 'TimeGenerated is missing' },
        rejected,
      );
      row.TimeGenerated = receivedAt;
    } else if (
      policy.restampTimeGenerated &&
      typeof row.TimeGenerated === 'string' &&
      columns.get('TimeGenerated') === 'datetime'
    ) {
      const generated = Date.parse(row.TimeGenerated);
      if (generated < receivedMs - 2 * DAY_MS || generated > receivedMs + DAY_MS) {
        note(
          {
            row: index,
            column: 'TimeGenerated',
            problem: 'restamped',
            detail: `TimeGenerated ${row.TimeGenerated} replaced by the time received`,
          },
          false,
        );
        row.TimeGenerated = receivedAt;
      }
    }
    out.push(row);
  }
  return { rows: out, issues, rejecting };
}
