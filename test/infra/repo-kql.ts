/**
 * The repository's KQL and the workspace it runs in: the tables `infra/bicep/generated/` declares
 * (rendered from src/transforms/streams.ts), the parser functions of `kql/parsers/` as stored
 * functions over them, and every query the Bicep deploys, workbook parameters filled in.
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import { BICEP_DIR, declaration, loadedFiles, matchBracket, objectEntries, readBicep } from './bicep-reader';
import { type ColumnDef, KqlDatabase, STANDARD_COLUMNS, type TableDef } from './kql-analyzer';
import { GENERATED_DIR, KQL_DIR, filesUnder, generatedTables, readJson } from './repo-facts';

export type QueryKind = 'parser' | 'rule' | 'hunting' | 'workbook';

export interface ShippedQuery {
  /** Absolute path of the .kql file. */
  file: string;
  kind: QueryKind;
  /** The text as analyzed (workbook parameters substituted). */
  text: string;
}

/** The Log Analytics tables as the workspace has them: their generated columns plus the standard ones. */
export function workspaceTables(): TableDef[] {
  return generatedTables().map((t) => ({ name: t.name, columns: [...t.columns, ...STANDARD_COLUMNS] }));
}

/** `kql/parsers/<Function>.kql` as stored functions (Bicep deploys each with `functionAlias` = the file name). */
export function parserFunctions(): { name: string; body: string }[] {
  return filesUnder(join(KQL_DIR, 'parsers'), '.kql').map((file) => ({
    name: basename(file, '.kql'),
    body: readFileSync(file, 'utf8'),
  }));
}

/** The workspace every shipped query runs against. */
export function workspaceDatabase(): KqlDatabase {
  return new KqlDatabase(workspaceTables(), parserFunctions());
}

export interface WorkbookParameter {
  name: string;
  /** Workbook parameter type: 1 text, 2 drop-down, 4 time range, … */
  type: number;
  /** The default: `value` of a text parameter, `durationMs` of a time range. */
  value: string | undefined;
}

/** The parameters the workbook declares (`parameters: [ … ]` of its parameters item). */
export function workbookParameters(): WorkbookParameter[] {
  const body = declaration(readBicep('modules/sentinel-workbook.bicep'), 'var', 'content').body;
  const start = /\bparameters:\s*\[/.exec(body);
  if (!start) throw new Error('sentinel-workbook.bicep: no workbook parameters');
  const open = start.index + start[0].length - 1;
  const list = body.slice(open + 1, matchBracket(body, open));
  const out: WorkbookParameter[] = [];
  for (let i = list.indexOf('{'); i >= 0; i = list.indexOf('{', i)) {
    const end = matchBracket(list, i);
    const entries = objectEntries(list.slice(i, end + 1));
    const get = (key: string): string | undefined =>
      entries.find((e) => e.key === key)?.value.replace(/^'(.*)'$/, '$1');
    out.push({
      name: get('name') ?? '',
      type: Number(get('type')),
      value: get('durationMs') ?? get('value'),
    });
    i = end + 1;
  }
  return out;
}

/** `{Name}` and `{Name:format}` in a workbook query. */
export const WORKBOOK_PARAMETER = /\{([A-Za-z]+)(?::([a-z]+))?\}/g;

/**
 * A workbook query as it runs: each `{Parameter}` replaced by what the workbook expands it to for
 * the parameter's default (a time range's `{TimeRange}` → `> ago(14d)`, `:start`/`:end` →
 * datetimes, `:grain` → a timespan; a text parameter → its value).
 */
export function fillWorkbookParameters(text: string, parameters: readonly WorkbookParameter[]): string {
  return text.replace(WORKBOOK_PARAMETER, (whole, name: string, format: string | undefined) => {
    const p = parameters.find((x) => x.name === name);
    if (!p) throw new Error(`${whole}: the workbook declares no parameter ${name}`);
    if (p.type === 4) {
      const ms = Number(p.value ?? 86_400_000);
      const span = ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : `${ms}ms`;
      const values: Record<string, string> = {
        '': `> ago(${span})`,
        start: `datetime(2024-01-01T00:00:00Z)`,
        end: `datetime(2024-01-01T00:00:00Z) + ${span}`,
        grain: '1h',
      };
      const value = values[format ?? ''];
      if (value === undefined) throw new Error(`${whole}: no plausible value for time range format ${format ?? ''}`);
      return value;
    }
    if (p.type === 1 && format === undefined) return p.value ?? '';
    throw new Error(`${whole}: no plausible value for a parameter of type ${p.type}`);
  });
}

const KINDS: Record<string, QueryKind> = { parsers: 'parser', rules: 'rule', hunting: 'hunting', workbook: 'workbook' };

/** Every .kql file under kql/ and every .kql file a Bicep file loads, with its kind. */
export function shippedQueries(): ShippedQuery[] {
  const loaded = filesUnder(BICEP_DIR, '.bicep').flatMap((f) =>
    loadedFiles(readBicep(f.slice(BICEP_DIR.length + 1)), 'loadTextContent'),
  );
  const files = [...new Set([...filesUnder(KQL_DIR, '.kql'), ...loaded.filter((f) => f.endsWith('.kql'))])].sort();
  const parameters = workbookParameters();
  return files.map((file) => {
    const kind = KINDS[basename(resolve(file, '..'))];
    if (!kind) throw new Error(`${file}: not under kql/{parsers,rules,hunting,workbook}`);
    const raw = readFileSync(file, 'utf8');
    return { file, kind, text: kind === 'workbook' ? fillWorkbookParameters(raw, parameters) : raw };
  });
}

export interface DataFlow {
  streams: string[];
  transformKql: string;
  outputStream: string;
}

export interface TransformQuery {
  /** The DCR input stream (`Custom-…`). */
  stream: string;
  /** The Log Analytics table it lands in. */
  table: string;
  /** The stream's declared columns, which the transform reads as `source`. */
  input: ColumnDef[];
  text: string;
}

/** The DCR data flows' transforms (`transformKql`), with their input stream's columns. */
export function transformQueries(): TransformQuery[] {
  const flows = readJson(resolve(GENERATED_DIR, 'dcr-data-flows.json')) as DataFlow[];
  const declarations = readJson(resolve(GENERATED_DIR, 'dcr-stream-declarations.json')) as Record<
    string,
    { columns: ColumnDef[] }
  >;
  return flows.flatMap((flow) =>
    flow.streams.map((stream) => ({
      stream,
      table: flow.outputStream.replace(/^Custom-/, ''),
      input: declarations[stream]?.columns ?? [],
      text: flow.transformKql,
    })),
  );
}
