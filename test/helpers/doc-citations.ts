/**
 * Test-only: the Markdown files comments name, and which of them the repository does not have. The
 * repository stands alone, so a comment must cite a document that ships with it
 * (docs/reference/README.md); this is the pure part of test/docs-links.test.ts.
 */
import ts from 'typescript';

export interface CommentText {
  /** 1-based line of the comment's first character. */
  line: number;
  text: string;
}

export interface DocName {
  line: number;
  name: string;
}

/** The Markdown files in the repository: repository-relative paths, and their base names. */
export interface MarkdownIndex {
  paths: ReadonlySet<string>;
  basenames: ReadonlySet<string>;
}

/** Source files whose comments are checked; anything else is skipped. */
export const CHECKED_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.bicep', '.kql'] as const;

const MD_NAME = /[\w./-]*[\w-]\.md(?![\w]|\.\w)/g;
const URL = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;

/** 1-based line of each position, by binary search over the line starts. */
function lineFinder(text: string): (pos: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (pos) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * Comments of TypeScript/JavaScript, found with the TypeScript parser so strings, templates and
 * regular expressions holding `//` are not mistaken for comments. Every comment is leading trivia
 * after a line break, or trailing trivia on a token's line, of some token.
 */
function scriptComments(path: string, text: string): CommentText[] {
  const kind = /\.m?ts$/.test(path) ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, kind);
  const lineAt = lineFinder(text);
  const starts = new Set<number>();
  const out: CommentText[] = [];
  const take = (ranges: ts.CommentRange[] | undefined): void => {
    for (const r of ranges ?? []) {
      if (starts.has(r.pos)) continue;
      starts.add(r.pos);
      out.push({ line: lineAt(r.pos), text: text.slice(r.pos, r.end) });
    }
  };
  const visit = (node: ts.Node): void => {
    // JSDoc nodes are views of a comment; the comment itself is trivia of the next real token.
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return;
    const children = node.getChildren(source);
    if (children.length === 0) {
      take(ts.getLeadingCommentRanges(text, node.pos));
      take(ts.getTrailingCommentRanges(text, node.end));
      return;
    }
    for (const child of children) visit(child);
  };
  visit(source);
  return out.sort((a, b) => a.line - b.line);
}

/** Comments of Bicep and KQL: `//` and `/* … *\/`, outside '…', '''…''' and (KQL) "…" strings. */
function lineCommentLanguage(text: string, quotes: string): CommentText[] {
  const lineAt = lineFinder(text);
  const out: CommentText[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      i = end === -1 ? text.length : end + 3;
    } else if (quotes.includes(ch)) {
      i++;
      while (i < text.length && text[i] !== ch && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (text.startsWith('//', i) || text.startsWith('/*', i)) {
      const block = text.startsWith('/*', i);
      const close = block ? text.indexOf('*/', i + 2) : text.indexOf('\n', i);
      const end = close === -1 ? text.length : close + (block ? 2 : 0);
      out.push({ line: lineAt(i), text: text.slice(i, end) });
      i = end;
    } else i++;
  }
  return out;
}

/** Every comment of a checked source file, with its line. */
export function commentsOf(path: string, text: string): CommentText[] {
  if (path.endsWith('.bicep')) return lineCommentLanguage(text, "'");
  if (path.endsWith('.kql')) return lineCommentLanguage(text, `'"`);
  return scriptComments(path, text);
}

/** Markdown file names (`guardrails.md`, `docs/reference/azure.md`) in a file's comments; URLs are not names. */
export function markdownNamesIn(path: string, text: string): DocName[] {
  const out: DocName[] = [];
  for (const comment of commentsOf(path, text)) {
    const lines = comment.text.replace(URL, (url) => url.replace(/\S/g, ' ')).split('\n');
    lines.forEach((line, offset) => {
      for (const m of line.matchAll(MD_NAME)) out.push({ line: comment.line + offset, name: m[0] });
    });
  }
  return out;
}

/** Comment lines citing a section by number after a section sign, the numbering of notes kept outside the repository. */
export function sectionSignsIn(path: string, text: string): DocName[] {
  const out: DocName[] = [];
  for (const comment of commentsOf(path, text)) {
    comment.text.split('\n').forEach((line, offset) => {
      const at = line.indexOf('\u00a7');
      if (at !== -1) out.push({ line: comment.line + offset, name: line.slice(Math.max(0, at - 30), at + 10).trim() });
    });
  }
  return out;
}

/**
 * Whether the repository has the named file: a path (with a `/`) must exist from the repository root
 * (or from the citing file, when it starts with `./` or `../`); a bare name must be some file's name.
 */
export function resolvesTo(name: string, fromFile: string, index: MarkdownIndex): boolean {
  if (!name.includes('/')) return index.basenames.has(name);
  if (name.startsWith('./') || name.startsWith('../')) {
    const parts = fromFile.split('/').slice(0, -1);
    for (const part of name.split('/')) {
      if (part === '..') parts.pop();
      else if (part !== '.') parts.push(part);
    }
    return index.paths.has(parts.join('/'));
  }
  return index.paths.has(name);
}

/** `path:line name` for every Markdown name in the files' comments that the repository does not have. */
export function missingMarkdownNames(files: readonly { path: string; text: string }[], index: MarkdownIndex): string[] {
  return files.flatMap(({ path, text }) =>
    markdownNamesIn(path, text)
      .filter(({ name }) => !resolvesTo(name, path, index))
      .map(({ line, name }) => `${path}:${String(line)} ${name}`),
  );
}
