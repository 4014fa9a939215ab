/**
 * KQL checked by the official Kusto language service (`@kusto/language-service-next`, the parser and
 * binder behind the Kusto editors), offline: a query is parsed and analyzed against a database of
 * the repository's tables and stored functions, so an unknown function, a misspelled column, a
 * wrong argument type or a syntax error is an Error diagnostic. The package is a Bridge.NET build
 * of the C# library: loading it defines the `Bridge`, `System` and `Kusto` globals, lists are .NET
 * lists (`Count`, `getItem`), and overloaded constructors are numbered (`$ctor4`).
 */
/// <reference types="@kusto/language-service-next" />
import '@kusto/language-service-next/bridge.min.js';
import '@kusto/language-service-next/Kusto.Language.Bridge.min.js';

import K = Kusto.Language;
import S = Kusto.Language.Symbols;

/** A column as Log Analytics declares it (`tables.json` types: string, dateTime, long, boolean…). */
export interface ColumnDef {
  name: string;
  type: string;
}

export interface TableDef {
  name: string;
  columns: readonly ColumnDef[];
}

/** A stored function without parameters (a Log Analytics saved-search function): its body is KQL. */
export interface FunctionDef {
  name: string;
  body: string;
}

export interface KqlDiagnostic {
  severity: string;
  code: string;
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** The text the diagnostic points at. */
  near: string;
}

export interface ColumnRead {
  name: string;
  /** The database table whose own column this is, when the query reads it unchanged from there. */
  table: string | undefined;
}

/** A column of a query's result: its Kusto type (`datetime`, `bool`…) and, like a read, its table. */
export interface ResultColumn extends ColumnRead {
  type: string;
}

export interface KqlAnalysis {
  /** Every diagnostic, errors first. */
  diagnostics: KqlDiagnostic[];
  errors: KqlDiagnostic[];
  /** The columns of the query's result, in order ([] when the result is not a table). */
  columns: ResultColumn[];
  /** Database tables the query names (function bodies not included), in order of first use. */
  tables: string[];
  /** Database functions the query calls, in order of first use. */
  functions: string[];
  /** Columns the query names, in order, with repeats. */
  columnsRead: ColumnRead[];
}

/** Columns Log Analytics adds to every table besides its own. */
export const STANDARD_COLUMNS: readonly ColumnDef[] = [
  { name: 'Type', type: 'string' },
  { name: 'TenantId', type: 'string' },
  { name: '_ResourceId', type: 'string' },
  { name: '_SubscriptionId', type: 'string' },
  { name: '_ItemId', type: 'string' },
  { name: '_IsBillable', type: 'string' },
  { name: '_BilledSize', type: 'real' },
  { name: '_TimeReceived', type: 'dateTime' },
];

function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`Kusto language service: no ${what}`);
  return value;
}

function listOf<T>(list: System.Collections.Generic.IReadOnlyList$1<T> | null): T[] {
  const out: T[] = [];
  for (let i = 0; i < (list?.Count ?? 0); i++) out.push(present(list, 'list').getItem(i));
  return out;
}

/** Log Analytics column types (tables.json, DCR stream declarations) as Kusto scalar types. */
function scalarType(type: string): S.ScalarSymbol {
  const types: Record<string, S.ScalarSymbol | null> = {
    string: S.ScalarTypes.String,
    datetime: S.ScalarTypes.DateTime,
    long: S.ScalarTypes.Long,
    int: S.ScalarTypes.Int,
    real: S.ScalarTypes.Real,
    boolean: S.ScalarTypes.Bool,
    bool: S.ScalarTypes.Bool,
    dynamic: S.ScalarTypes.Dynamic,
    guid: S.ScalarTypes.Guid,
    timespan: S.ScalarTypes.TimeSpan,
  };
  return present(types[type.toLowerCase()], `Kusto type for column type ${type}`);
}

/** The Kusto name of a Log Analytics column type (`dateTime` → `datetime`, `boolean` → `bool`). */
export function kustoTypeName(type: string): string {
  return present(scalarType(type).Name, `name of type ${type}`);
}

/** The tables and functions queries are analyzed against. */
export class KqlDatabase {
  readonly globals: K.GlobalState;
  /** Each declared table column → its table, to tell a column read straight from a table. */
  private readonly columnTables = new Map<S.Symbol, string>();

  constructor(tables: readonly TableDef[], functions: readonly FunctionDef[] = []) {
    const members: S.Symbol[] = [];
    for (const table of tables) {
      const columns = table.columns.map((c) => new S.ColumnSymbol(c.name, scalarType(c.type), null, null, null, null));
      for (const c of columns) this.columnTables.set(c, table.name);
      members.push(new S.TableSymbol.$ctor4(table.name, columns));
    }
    // The body goes in braces on lines of its own: a trailing `//` comment must not swallow the `}`.
    for (const fn of functions) members.push(new S.FunctionSymbol.$ctor11(fn.name, `{\n${fn.body}\n}`, []));
    const db = new S.DatabaseSymbol.ctor('workspace', members);
    const cluster = new S.ClusterSymbol.ctor('cluster', [db]);
    const withCluster = present(K.GlobalState.Default, 'default globals').WithCluster(cluster);
    this.globals = present(present(withCluster, 'globals').WithDatabase(db), 'globals');
  }

  /** Parses and analyzes `text` as a query against this database. */
  analyze(text: string): KqlAnalysis {
    const code = present(K.KustoCode.ParseAndAnalyze(text, this.globals), 'analysis');
    const diagnostics = listOf(code.GetDiagnostics()).map((d) => {
      const line = { v: 0 };
      const offset = { v: 0 };
      code.TryGetLineAndOffset(d.Start, line, offset);
      return {
        severity: d.Severity ?? '',
        code: d.Code ?? '',
        message: d.Message ?? '',
        line: line.v,
        column: offset.v,
        near: text.slice(d.Start, d.End),
      };
    });
    const tables: string[] = [];
    const functions: string[] = [];
    const columnsRead: ColumnRead[] = [];
    present(code.Syntax, 'syntax tree').WalkElements((element) => {
      if (!(element instanceof K.Syntax.NameReference)) return;
      const symbol = element.ReferencedSymbol;
      // A call to a stored function whose body does not bind gets no diagnostic of its own, only this flag.
      if (element.CalledFunctionHasErrors) {
        const line = { v: 0 };
        const offset = { v: 0 };
        code.TryGetLineAndOffset(element.TextStart, line, offset);
        diagnostics.push({
          severity: 'Error',
          code: 'function-body',
          message: `The body of the function '${element.SimpleName ?? ''}' has errors.`,
          line: line.v,
          column: offset.v,
          near: element.SimpleName ?? '',
        });
      }
      if (!symbol?.Name) return;
      if (symbol.Kind === S.SymbolKind.Table && this.isDatabaseMember(symbol)) {
        if (!tables.includes(symbol.Name)) tables.push(symbol.Name);
      } else if (symbol.Kind === S.SymbolKind.Function && this.isDatabaseMember(symbol)) {
        if (!functions.includes(symbol.Name)) functions.push(symbol.Name);
      } else if (symbol.Kind === S.SymbolKind.Column) {
        columnsRead.push({ name: symbol.Name, table: this.columnTables.get(symbol) });
      }
    });
    diagnostics.sort((a, b) => Number(b.severity === 'Error') - Number(a.severity === 'Error'));
    return {
      diagnostics,
      errors: diagnostics.filter((d) => d.severity === 'Error'),
      columns: this.resultColumns(code.ResultType),
      tables,
      functions,
      columnsRead,
    };
  }

  private isDatabaseMember(symbol: S.Symbol): boolean {
    const db = present(this.globals.Database, 'database');
    return db.GetMember(symbol.Name) === symbol;
  }

  private resultColumns(type: S.TypeSymbol | null): ResultColumn[] {
    if (type?.Kind !== S.SymbolKind.Table) return [];
    return listOf((type as S.TableSymbol).Columns).map((c) => ({
      name: c.Name ?? '',
      type: c.Type?.Name ?? '',
      table: this.columnTables.get(c),
    }));
  }
}

/** `file:line:column message (code) near 'text'`, one diagnostic per line, for a failure message. */
export function formatDiagnostics(file: string, diagnostics: readonly KqlDiagnostic[]): string {
  return diagnostics
    .map((d) => `${file}:${d.line}:${d.column} ${d.severity} ${d.code}: ${d.message} (at '${d.near}')`)
    .join('\n');
}
