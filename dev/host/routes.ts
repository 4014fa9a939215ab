/**
 * ASP.NET Core route templates as the Functions host applies them to HTTP triggers: literal segments
 * match case-insensitively, `{x}` takes one non-empty segment, `{x?}`/`{x=default}` may be absent
 * (only at the end), `{*rest}`/`{**rest}` takes the remainder (possibly empty), complex segments such
 * as `{name}.{ext}` match greedily from the left (ASP.NET's right-to-left result), and constraints
 * (`{id:int}`, `{s:alpha:minlength(2)}`) reject a value without failing the request: another route
 * may still match. A trailing slash in the path is ignored. Values are URL-decoded.
 */

export type RouteParams = Record<string, string>;

interface ParamPart {
  kind: 'param';
  name: string;
  optional: boolean;
  defaultValue: string | undefined;
  catchAll: boolean;
  constraints: Constraint[];
}

interface LiteralPart {
  kind: 'literal';
  text: string;
}

type Part = ParamPart | LiteralPart;

interface Segment {
  parts: Part[];
}

interface Constraint {
  text: string;
  test(value: string): boolean;
}

export interface CompiledRoute {
  template: string;
  /** Lower sorts first: literal 1, complex 2, constrained parameter 3, parameter 4, catch-all 5. */
  precedence: number[];
  /** Matches a path relative to the route prefix (no leading slash, still percent-encoded). */
  match(path: string): RouteParams | undefined;
}

export class RouteTemplateError extends Error {
  constructor(template: string, reason: string) {
    super(`Invalid route template "${template}": ${reason}`);
    this.name = 'RouteTemplateError';
  }
}

export function compileRoute(template: string): CompiledRoute {
  const trimmed = template.replace(/^~?\/+/, '').replace(/\/+$/, '');
  const segments = trimmed === '' ? [] : trimmed.split('/').map((text) => parseSegment(template, text));
  validate(template, segments);
  return {
    template,
    precedence: segments.map(segmentPrecedence),
    match: (path) => matchSegments(segments, path),
  };
}

/** Sorts routes the way ASP.NET picks among several matches: more specific templates first. */
export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.min(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const diff = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return b.precedence.length - a.precedence.length;
}

function parseSegment(template: string, text: string): Segment {
  if (text === '') throw new RouteTemplateError(template, 'empty segment ("//")');
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '{' && text[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (ch === '}' && text[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (ch === '{') {
      let body = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new RouteTemplateError(template, `unclosed "{" in "${text}"`);
        if (text[i] === '}' && text[i + 1] === '}') {
          body += '}';
          i += 2;
        } else if (text[i] === '{' && text[i + 1] === '{') {
          body += '{';
          i += 2;
        } else if (text[i] === '}') {
          i++;
          break;
        } else {
          body += text.charAt(i);
          i++;
        }
      }
      if (literal !== '') parts.push({ kind: 'literal', text: literal });
      literal = '';
      if (parts.length > 0 && parts[parts.length - 1]?.kind === 'param') {
        throw new RouteTemplateError(template, `two parameters must be separated by a literal in "${text}"`);
      }
      parts.push(parseParam(template, body));
    } else if (ch === '}') {
      throw new RouteTemplateError(template, `unmatched "}" in "${text}"`);
    } else {
      literal += text.charAt(i);
      i++;
    }
  }
  if (literal !== '') parts.push({ kind: 'literal', text: literal });
  return { parts };
}

function parseParam(template: string, body: string): ParamPart {
  let rest = body;
  let catchAll = false;
  if (rest.startsWith('**')) {
    catchAll = true;
    rest = rest.slice(2);
  } else if (rest.startsWith('*')) {
    catchAll = true;
    rest = rest.slice(1);
  }
  const nameMatch = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
  if (nameMatch === null) throw new RouteTemplateError(template, `parameter "{${body}}" has no valid name`);
  const name = nameMatch[0];
  rest = rest.slice(name.length);
  const constraints: Constraint[] = [];
  while (rest.startsWith(':')) {
    rest = rest.slice(1);
    const constraintName = /^[A-Za-z]+/.exec(rest)?.[0];
    if (constraintName === undefined) throw new RouteTemplateError(template, `empty constraint in "{${body}}"`);
    rest = rest.slice(constraintName.length);
    let args: string | undefined;
    if (rest.startsWith('(')) {
      // The argument ends at the first ")" followed by another constraint, "?", "=" or the end,
      // so a regex argument may contain parentheses.
      const end = findArgumentEnd(rest);
      if (end < 0) throw new RouteTemplateError(template, `unclosed "(" in "{${body}}"`);
      args = rest.slice(1, end);
      rest = rest.slice(end + 1);
    }
    constraints.push(makeConstraint(template, constraintName, args));
  }
  let optional = false;
  let defaultValue: string | undefined;
  if (rest === '?') {
    optional = true;
    rest = '';
  } else if (rest.startsWith('=')) {
    defaultValue = rest.slice(1);
    rest = '';
  }
  if (rest !== '') throw new RouteTemplateError(template, `unexpected "${rest}" in "{${body}}"`);
  if (catchAll && optional) throw new RouteTemplateError(template, `a catch-all parameter cannot be marked optional`);
  return { kind: 'param', name, optional, defaultValue, catchAll, constraints };
}

function findArgumentEnd(text: string): number {
  for (let i = text.indexOf(')'); i >= 0; i = text.indexOf(')', i + 1)) {
    const next = text[i + 1];
    if (next === undefined || next === ':' || next === '?' || next === '=') return i;
  }
  return -1;
}

const INT32 = { min: -2147483648, max: 2147483647 };

function makeConstraint(template: string, name: string, args: string | undefined): Constraint {
  const text = args === undefined ? name : `${name}(${args})`;
  const numbers = (args ?? '').split(',').map((a) => Number(a.trim()));
  const needArgs = (count: number[]): void => {
    if (args === undefined || !count.includes(numbers.length) || numbers.some((n) => !Number.isFinite(n))) {
      throw new RouteTemplateError(template, `constraint "${text}" needs ${count.join(' or ')} numeric argument(s)`);
    }
  };
  const isInteger = (v: string): boolean => /^-?\d+$/.test(v);
  const isNumber = (v: string): boolean => /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v);
  switch (name.toLowerCase()) {
    case 'int':
      return { text, test: (v) => isInteger(v) && Number(v) >= INT32.min && Number(v) <= INT32.max };
    case 'long':
      return { text, test: (v) => isInteger(v) && BigInt(v) >= -(2n ** 63n) && BigInt(v) < 2n ** 63n };
    case 'double':
    case 'float':
    case 'decimal':
      return { text, test: isNumber };
    case 'bool':
      return { text, test: (v) => /^(true|false)$/i.test(v) };
    case 'alpha':
      return { text, test: (v) => /^[A-Za-z]+$/.test(v) };
    case 'guid':
      return { text, test: (v) => /^[{(]?[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}[)}]?$/i.test(v) };
    case 'datetime':
      return { text, test: (v) => !Number.isNaN(Date.parse(v)) };
    case 'required':
      return { text, test: (v) => v !== '' };
    case 'minlength':
      needArgs([1]);
      return { text, test: (v) => v.length >= (numbers[0] ?? 0) };
    case 'maxlength':
      needArgs([1]);
      return { text, test: (v) => v.length <= (numbers[0] ?? 0) };
    case 'length':
      needArgs([1, 2]);
      return numbers.length === 1
        ? { text, test: (v) => v.length === numbers[0] }
        : { text, test: (v) => v.length >= (numbers[0] ?? 0) && v.length <= (numbers[1] ?? 0) };
    case 'min':
      needArgs([1]);
      return { text, test: (v) => isInteger(v) && Number(v) >= (numbers[0] ?? 0) };
    case 'max':
      needArgs([1]);
      return { text, test: (v) => isInteger(v) && Number(v) <= (numbers[0] ?? 0) };
    case 'range':
      needArgs([2]);
      return { text, test: (v) => isInteger(v) && Number(v) >= (numbers[0] ?? 0) && Number(v) <= (numbers[1] ?? 0) };
    case 'regex': {
      if (args === undefined) throw new RouteTemplateError(template, 'constraint "regex" needs a pattern');
      let regex: RegExp;
      try {
        regex = new RegExp(args, 'i');
      } catch (error) {
        throw new RouteTemplateError(template, `bad regex constraint: ${(error as Error).message}`);
      }
      return { text, test: (v) => regex.test(v) };
    }
    default:
      throw new RouteTemplateError(template, `the constraint reference "${name}" could not be resolved`);
  }
}

function validate(template: string, segments: Segment[]): void {
  const names = new Set<string>();
  segments.forEach((segment, index) => {
    const params = segment.parts.filter((p): p is ParamPart => p.kind === 'param');
    for (const param of params) {
      const key = param.name.toLowerCase();
      if (names.has(key)) throw new RouteTemplateError(template, `parameter "${param.name}" appears twice`);
      names.add(key);
      if (param.catchAll && (index !== segments.length - 1 || segment.parts.length !== 1)) {
        throw new RouteTemplateError(template, `catch-all "${param.name}" must be the whole last segment`);
      }
    }
    const complex = segment.parts.length > 1;
    if (complex) {
      segment.parts.forEach((part, partIndex) => {
        if (part.kind !== 'param' || !(part.optional || part.defaultValue !== undefined)) return;
        const previous = segment.parts[partIndex - 1];
        if (partIndex !== segment.parts.length - 1 || previous?.kind !== 'literal' || previous.text !== '.') {
          throw new RouteTemplateError(
            template,
            `an optional parameter in "${partText(segment)}" must be last and follow "."`,
          );
        }
      });
    } else if (isOptionalSegment(segment)) {
      const later = segments.slice(index + 1);
      if (!later.every((s) => isOptionalSegment(s) || isCatchAll(s))) {
        throw new RouteTemplateError(
          template,
          `optional "${partText(segment)}" may only be followed by optional segments`,
        );
      }
    }
  });
}

function partText(segment: Segment): string {
  return segment.parts.map((p) => (p.kind === 'literal' ? p.text : `{${p.name}}`)).join('');
}

function isOptionalSegment(segment: Segment): boolean {
  const part = segment.parts[0];
  return segment.parts.length === 1 && part?.kind === 'param' && (part.optional || part.defaultValue !== undefined);
}

function isCatchAll(segment: Segment): boolean {
  const part = segment.parts[0];
  return segment.parts.length === 1 && part?.kind === 'param' && part.catchAll;
}

function segmentPrecedence(segment: Segment): number {
  const [first] = segment.parts;
  if (segment.parts.length > 1) return 2;
  if (first?.kind === 'literal') return 1;
  if (first?.kind === 'param' && first.catchAll) return 5;
  return first?.kind === 'param' && first.constraints.length > 0 ? 3 : 4;
}

function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function accept(param: ParamPart, value: string, params: RouteParams): boolean {
  if (!param.constraints.every((c) => c.test(value))) return false;
  params[param.name] = value;
  return true;
}

function matchSegments(segments: Segment[], rawPath: string): RouteParams | undefined {
  const path = rawPath.replace(/^\/+/, '').replace(/\/$/, '');
  const pathSegments = path === '' ? [] : path.split('/');
  const params: RouteParams = {};
  for (const [index, segment] of segments.entries()) {
    const first = segment.parts[0];
    if (first === undefined) return undefined;
    if (segment.parts.length === 1 && first.kind === 'param' && first.catchAll) {
      const rest = decode(pathSegments.slice(index).join('/'));
      if (rest === undefined) return undefined;
      if (rest !== '' && !accept(first, rest, params)) return undefined;
      return params;
    }
    const raw = pathSegments[index];
    if (raw === undefined) {
      // Path exhausted: the remaining template segments must all be optional (or have defaults).
      for (const remaining of segments.slice(index)) {
        const part = remaining.parts[0];
        if (remaining.parts.length !== 1 || part?.kind !== 'param') return undefined;
        if (part.defaultValue !== undefined) params[part.name] = part.defaultValue;
        else if (!part.optional && !part.catchAll) return undefined;
      }
      return params;
    }
    const value = decode(raw);
    if (value === undefined || value === '') return undefined;
    if (segment.parts.length === 1) {
      if (first.kind === 'literal') {
        if (first.text.toLowerCase() !== value.toLowerCase()) return undefined;
      } else if (!accept(first, value, params)) {
        return undefined;
      }
      continue;
    }
    if (!matchComplex(segment, value, params)) return undefined;
  }
  return pathSegments.length > segments.length ? undefined : params;
}

function matchComplex(segment: Segment, value: string, params: RouteParams): boolean {
  const names: ParamPart[] = [];
  let source = '';
  segment.parts.forEach((part, index) => {
    if (part.kind === 'literal') {
      const next = segment.parts[index + 1];
      const escaped = part.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      // An optional last parameter takes its leading "." with it.
      if (next?.kind === 'param' && (next.optional || next.defaultValue !== undefined)) source += `(?:${escaped}`;
      else source += escaped;
    } else {
      names.push(part);
      source += part.optional || part.defaultValue !== undefined ? '(.+))?' : '(.+)';
    }
  });
  const match = new RegExp(`^${source}$`, 'is').exec(value);
  if (match === null) return false;
  return names.every((param, i) => {
    const captured = match[i + 1];
    if (captured === undefined) {
      if (param.defaultValue !== undefined) params[param.name] = param.defaultValue;
      return true;
    }
    return accept(param, captured, params);
  });
}
