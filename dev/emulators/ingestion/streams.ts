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
 * [SRC: azure-monitor-docs articles/azure-monitor/logs/data-ingestion-time.md].
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
 * Checks rows against a declaration. Returns the rows as they would be stored (undeclared columns
 * dropped, bad values nulled, long strings truncated, per the policy) and every issue found; the
 * caller refuses the request when an issue's policy says `reject`.
 */
export function checkRows(
  rows: readonly unknown[],
  declaration: StreamDeclaration,
  policy: SchemaPolicy,
  receivedAt: string,
): { rows: Record<string, unknown>[]; issues: SchemaIssue[]; rejecting: SchemaIssue[] } {
  const columns = new Map(declaration.columns.map((c) => [c.name, c.type]));
  const issues: SchemaIssue[] = [];
  const rejecting: SchemaIssue[] = [];
  const out: Record<string, unknown>[] = [];
  const note = (issue: SchemaIssue, reject: boolean) => {
    issues.push(issue);
    if (reject) rejecting.push(issue);
  };
  rows.forEach((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      note({ row: index, column: '', problem: 'not_an_object', detail: `row is ${describe(raw)}` }, true);
      return;
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
      const received = Date.parse(receivedAt);
      if (generated < received - 2 * DAY_MS || generated > received + DAY_MS) {
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
  });
  return { rows: out, issues, rejecting };
}
