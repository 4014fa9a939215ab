/**
 * A pragmatic KQL tokenizer for consistency tests: it finds the tables, functions and columns a
 * query names, so a misspelled or removed column fails a test instead of a Sentinel deployment.
 * Rules it relies on (true of the queries in this repository): KQL's own operators and functions
 * are lower case; table columns are PascalCase; names a query introduces (`let x =`, `X = …` in
 * extend/project/summarize, `as X`) are declarations; `.name` after an expression is a property of
 * a dynamic value, not a column.
 */

export type TokenKind = 'ident' | 'string' | 'number' | 'op';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based line, for messages. */
  line: number;
}

const IDENT_START = /[A-Za-z_$]/;
const IDENT_PART = /[A-Za-z0-9_$-]/;

/** Splits KQL into identifiers, string literals, numbers (with timespan suffixes) and operators. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const push = (kind: TokenKind, text: string): void => {
    tokens.push({ kind, text, line });
  };
  while (i < source.length) {
    const c = source[i] ?? '';
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (source.startsWith('```', i)) {
      const end = source.indexOf('```', i + 3);
      const stop = end < 0 ? source.length : end + 3;
      const text = source.slice(i, stop);
      push('string', text);
      line += text.split('\n').length - 1;
      i = stop;
      continue;
    }
    const verbatim = (c === '@' || c === 'h' || c === 'H') && (source[i + 1] === '"' || source[i + 1] === "'");
    if (c === '"' || c === "'" || verbatim) {
      const start = i;
      if (verbatim) i++;
      const quote = source[i] ?? '';
      i++;
      while (i < source.length && source[i] !== quote) {
        if (!verbatim && source[i] === '\\') i++;
        if (source[i] === '\n') throw new Error(`line ${line}: string runs past the end of the line`);
        i++;
      }
      if (i >= source.length) throw new Error(`line ${line}: unterminated string`);
      i++;
      push('string', source.slice(start, i));
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([a-zA-Z]+)?/.exec(source.slice(i));
      const text = m?.[0] ?? c;
      push('number', text);
      i += text.length;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      // Hyphens belong to operator names (project-away, mv-expand) only when a letter follows.
      while (j < source.length && IDENT_PART.test(source[j] ?? '')) {
        if (source[j] === '-' && !/[a-z]/.test(source[j + 1] ?? '')) break;
        j++;
      }
      push('ident', source.slice(i, j));
      i = j;
      continue;
    }
    const two = source.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '=~', '!~', '..'].includes(two)) {
      push('op', two);
      i += 2;
      continue;
    }
    push('op', c);
    i++;
  }
  return tokens;
}

/** Columns every Log Analytics table has besides its own. */
export const STANDARD_COLUMNS = [
  'Type',
  'TenantId',
  '_ResourceId',
  '_SubscriptionId',
  '_ItemId',
  '_IsBillable',
  '_BilledSize',
  '_TimeReceived',
] as const;

export interface QueryReferences {
  /** `Sentry…_CL` tables the query reads. */
  tables: Set<string>;
  /** Identifiers called like functions or used as a source that start with `Sentry` (parser functions). */
  functions: Set<string>;
  /** Names the query itself introduces. */
  declared: Set<string>;
  /** Column-like identifiers (PascalCase or `_`-prefixed) the query reads, with the line of first use. */
  columns: Map<string, number>;
}

/** What a query names. `knownFunctions` are workspace functions (parsers), not columns. */
export function references(source: string, knownFunctions: ReadonlySet<string> = new Set()): QueryReferences {
  const tokens = tokenize(source);
  const tables = new Set<string>();
  const functions = new Set<string>();
  const declared = new Set<string>();
  const columns = new Map<string, number>();
  tokens.forEach((token, index) => {
    if (token.kind !== 'ident') return;
    const previous = tokens[index - 1];
    const next = tokens[index + 1];
    const afterNext = tokens[index + 2];
    const name = token.text;
    if (previous?.kind === 'op' && previous.text === '.') return; // dynamic property or dotted option
    if (previous?.kind === 'op' && previous.text === '$') return; // $left / $right
    if (name.endsWith('_CL')) {
      tables.add(name);
      return;
    }
    if (knownFunctions.has(name) || /^Sentry[A-Z]/.test(name)) {
      functions.add(name);
      return;
    }
    const assigned = next?.kind === 'op' && next.text === '=' && !(afterNext?.kind === 'op' && afterNext.text === '=');
    if (assigned || previous?.text === 'let' || previous?.text === 'as') {
      declared.add(name);
      return;
    }
    if (next?.kind === 'op' && next.text === '(') return; // a function call
    if (/^[A-Z_]/.test(name) && !columns.has(name)) columns.set(name, token.line);
  });
  return { tables, functions, declared, columns };
}

export interface Schema {
  /** Table or function name → its columns. */
  sources: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface Problem {
  line: number;
  message: string;
}

/**
 * Checks that every table and function a query uses exists and that every column it reads belongs
 * to one of the sources it uses (or is a name the query declares).
 */
export function checkQuery(source: string, schema: Schema): Problem[] {
  const knownFunctions = new Set([...schema.sources.keys()].filter((k) => !k.endsWith('_CL')));
  const refs = references(source, knownFunctions);
  const problems: Problem[] = [];
  const allowed = new Set<string>([...STANDARD_COLUMNS, ...refs.declared]);
  const used = [...refs.tables, ...refs.functions];
  if (used.length === 0) problems.push({ line: 1, message: 'reads no Sentry table or parser function' });
  for (const name of used) {
    const columns = schema.sources.get(name);
    if (!columns) {
      problems.push({ line: 1, message: `unknown table or function ${name}` });
      continue;
    }
    for (const c of columns) allowed.add(c);
  }
  for (const [column, line] of refs.columns) {
    if (!allowed.has(column)) {
      problems.push({ line, message: `unknown column ${column} (not in ${used.join(', ') || 'any source'})` });
    }
  }
  return problems;
}
