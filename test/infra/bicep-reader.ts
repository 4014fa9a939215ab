/**
 * Just enough of a Bicep reader for consistency tests (no Bicep compiler runs here): comments are
 * blanked, strings (with `${}` interpolation and `'''` multi-line form) are skipped while matching
 * brackets, and top-level declarations are cut out with their bodies. It reads the files this
 * repository writes; it is not a general parser.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..');
export const BICEP_DIR = resolve(REPO, 'infra', 'bicep');

export interface Declaration {
  kind: 'param' | 'var' | 'resource' | 'module' | 'output' | 'func';
  name: string;
  /** Resource type with api version, or the module path; '' otherwise. */
  target: string;
  /** Text after `=` (or the type for params/outputs without a value), comments blanked. */
  body: string;
  existing: boolean;
}

export interface BicepFile {
  path: string;
  /** Source with comments replaced by spaces (strings untouched). */
  code: string;
  declarations: Declaration[];
}

/** Index just past the string that starts at `start` (a `'`). */
export function skipString(src: string, start: number): number {
  if (src.startsWith("'''", start)) {
    const end = src.indexOf("'''", start + 3);
    if (end < 0) throw new Error(`unterminated multi-line string at ${start}`);
    return end + 3;
  }
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') i += 2;
    else if (c === "'") return i + 1;
    else if (c === '$' && src[i + 1] === '{') i = matchBracket(src, i + 1) + 1;
    else i++;
  }
  throw new Error(`unterminated string at ${start}`);
}

const CLOSE: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Index of the bracket closing the one at `open`, skipping strings. */
export function matchBracket(src: string, open: number): number {
  const stack: string[] = [];
  let i = open;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (c === "'") {
      i = skipString(src, i);
      continue;
    }
    if (c in CLOSE) stack.push(CLOSE[c] ?? '');
    else if (c === '}' || c === ']' || c === ')') {
      if (stack.pop() !== c) throw new Error(`unbalanced ${c} at ${i}`);
      if (stack.length === 0) return i;
    }
    i++;
  }
  throw new Error(`no closing bracket for ${src[open] ?? ''} at ${open}`);
}

/** Replaces `//` and `/* *\/` comments with spaces, keeping offsets and newlines. */
export function blankComments(src: string): string {
  const out = src.split('');
  let i = 0;
  while (i < src.length) {
    if (src[i] === "'") {
      i = skipString(src, i);
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') out[i++] = ' ';
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (; i < stop; i++) if (out[i] !== '\n') out[i] = ' ';
    } else i++;
  }
  return out.join('');
}

const DECLARATION = /^(param|var|resource|module|output|func)\s+([A-Za-z_][A-Za-z0-9_]*)\b/gm;

export function parseBicep(code: string, path = '<inline>'): BicepFile {
  const blanked = blankComments(code);
  const declarations: Declaration[] = [];
  for (const match of blanked.matchAll(DECLARATION)) {
    const kind = match[1] as Declaration['kind'];
    const name = match[2] ?? '';
    let i = match.index + match[0].length;
    let target = '';
    const rest = blanked.slice(i);
    const quoted = /^\s*'([^']*)'/.exec(rest);
    if ((kind === 'resource' || kind === 'module') && quoted) {
      target = quoted[1] ?? '';
      i += quoted[0].length;
    }
    const existing = kind === 'resource' && /^\s*existing\b/.test(blanked.slice(i));
    const eq = blanked.indexOf('=', i);
    const lineEnd = blanked.indexOf('\n', i);
    if (kind === 'param' || kind === 'output') {
      const endOfLine = lineEnd < 0 ? blanked.length : lineEnd;
      if (eq < 0 || eq > endOfLine) {
        declarations.push({ kind, name, target, body: blanked.slice(i, endOfLine).trim(), existing });
        continue;
      }
    }
    if (kind === 'func') {
      const arrow = blanked.indexOf('=>', i);
      declarations.push({ kind, name, target, body: readValue(blanked, arrow + 2), existing });
      continue;
    }
    declarations.push({ kind, name, target, body: readValue(blanked, eq + 1), existing });
  }
  return { path, code: blanked, declarations };
}

/** The expression starting at `from`: up to the end of its line, extended over open brackets. */
function readValue(src: string, from: number): string {
  let i = from;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (c === '\n') break;
    if (c === "'") i = skipString(src, i);
    else if (c === '{' || c === '[' || c === '(') i = matchBracket(src, i) + 1;
    else i++;
  }
  return src.slice(from, i).trim();
}

export function readBicep(relativeToBicepDir: string): BicepFile {
  const path = resolve(BICEP_DIR, relativeToBicepDir);
  return parseBicep(readFileSync(path, 'utf8'), path);
}

export function declaration(file: BicepFile, kind: Declaration['kind'], name: string): Declaration {
  const found = file.declarations.find((d) => d.kind === kind && d.name === name);
  if (!found) throw new Error(`${file.path}: no ${kind} named ${name}`);
  return found;
}

export function declarationsOf(file: BicepFile, kind: Declaration['kind']): Declaration[] {
  return file.declarations.filter((d) => d.kind === kind);
}

/** `loadJsonContent('…')` / `loadTextContent('…')` paths in a file, resolved to absolute paths. */
export function loadedFiles(file: BicepFile, fn: 'loadJsonContent' | 'loadTextContent'): string[] {
  const out: string[] = [];
  for (const match of file.code.matchAll(new RegExp(`${fn}\\(\\s*'([^']+)'`, 'g'))) {
    out.push(resolve(dirname(file.path), match[1] ?? ''));
  }
  return out;
}

/**
 * `key: value` pairs of object literals anywhere in `text` (nested ones included), in order.
 * Values are the raw text to the end of the line or the closing brace.
 */
export function objectEntries(text: string): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  let i = 0;
  // Positions where a key may start: after `{`, `,` or a newline, outside strings.
  let keyMayStart = true;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === "'") {
      const end = skipString(text, i);
      if (keyMayStart) {
        const after = /^\s*:/.exec(text.slice(end));
        if (after) {
          const key = text.slice(i + 1, end - 1);
          const valueStart = end + after[0].length;
          out.push({ key, value: readEntryValue(text, valueStart) });
        }
      }
      keyMayStart = false;
      i = end;
      continue;
    }
    if (c === '{' || c === ',' || c === '\n') {
      keyMayStart = true;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (keyMayStart && /[A-Za-z_$]/.test(c)) {
      const m = /^([A-Za-z_$][A-Za-z0-9_$]*)\s*:(?!:)/.exec(text.slice(i));
      if (m) {
        out.push({ key: m[1] ?? '', value: readEntryValue(text, i + m[0].length) });
        i += m[0].length;
        keyMayStart = false;
        continue;
      }
    }
    keyMayStart = false;
    i++;
  }
  return out;
}

function readEntryValue(text: string, from: number): string {
  let i = from;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '\n' || c === '}' || c === ',') break;
    if (c === "'") i = skipString(text, i);
    else if (c === '{' || c === '[' || c === '(') i = matchBracket(text, i) + 1;
    else i++;
  }
  return text.slice(from, i).trim();
}

/** Symbols listed in a declaration's `dependsOn: [ … ]`. */
export function dependsOn(decl: Declaration): string[] {
  const m = /dependsOn\s*:\s*\[/.exec(decl.body);
  if (!m) return [];
  const open = m.index + m[0].length - 1;
  const close = matchBracket(decl.body, open);
  return decl.body
    .slice(open + 1, close)
    .split(/[\s,]+/)
    .filter((s) => s.length > 0);
}

/** The string value of `name: '…'` directly in a body (first match), or undefined. */
export function stringProperty(body: string, name: string): string | undefined {
  return new RegExp(`\\b${name}\\s*:\\s*'([^']*)'`).exec(body)?.[1];
}
