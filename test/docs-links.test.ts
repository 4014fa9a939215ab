/**
 * The repository stands alone: every Markdown file a comment names must ship with it, and comments
 * cite repository docs by heading name, never by the section numbers (after a section sign) of notes
 * kept elsewhere (docs/reference/README.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  CHECKED_EXTENSIONS,
  type MarkdownIndex,
  markdownNamesIn,
  missingMarkdownNames,
  sectionSignsIn,
} from './helpers/doc-citations';

const REPO = resolve(__dirname, '..');
const SOURCE_DIRS = ['src', 'dev', 'test', 'bench', 'scripts', 'infra'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage', 'generated', '.git', '.sentry-data']);

/** Repository-relative paths of the files under `dir` (recursive) that `keep` accepts. */
function walk(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path, keep));
    else if (entry.isFile() && keep(entry.name)) out.push(relative(REPO, path).split('\\').join('/'));
  }
  return out.sort();
}

function markdownIndex(): MarkdownIndex {
  const paths = walk(REPO, (name) => name.endsWith('.md'));
  return { paths: new Set(paths), basenames: new Set(paths.map((p) => basename(p))) };
}

function sourceFiles(): { path: string; text: string }[] {
  return SOURCE_DIRS.flatMap((dir) =>
    walk(resolve(REPO, dir), (name) => CHECKED_EXTENSIONS.some((ext) => name.endsWith(ext))),
  ).map((path) => ({ path, text: readFileSync(resolve(REPO, path), 'utf8') }));
}

const INDEX: MarkdownIndex = {
  paths: new Set(['README.md', 'docs/guardrails.md', 'docs/reference/azure.md']),
  basenames: new Set(['README.md', 'guardrails.md', 'azure.md']),
};

describe('Markdown names in comments', () => {
  it('reports a name the repository does not have, with its file and line', () => {
    const text = [
      '/**',
      ' * Limits: docs/reference/azure.md, "Logs Ingestion limits"; guardrails.md.',
      ' * Facts: nowhere-facts.md §4.5, and shared/reference/api-facts.md.',
      ' */',
      'export const x = 1; // docs/reference/nowhere.md',
    ].join('\n');
    expect(missingMarkdownNames([{ path: 'src/planted.ts', text }], INDEX)).toEqual([
      'src/planted.ts:3 nowhere-facts.md',
      'src/planted.ts:3 shared/reference/api-facts.md',
      'src/planted.ts:5 docs/reference/nowhere.md',
    ]);
  });

  it('reads comments only: strings, templates, regular expressions and URLs are not citations', () => {
    const text = [
      "const a = 'nowhere-a.md'; const b = `// nowhere-b.md`; const c = /\\/\\/ nowhere-c.md/;",
      '// see https://example.com/docs/nowhere-d.md and ./README.md',
      'const d = forge.md.sha256; /* missing-e.md */',
    ].join('\n');
    expect(markdownNamesIn('dev/x.ts', text)).toEqual([
      { line: 2, name: './README.md' },
      { line: 3, name: 'missing-e.md' },
    ]);
    expect(missingMarkdownNames([{ path: 'x.ts', text }], INDEX)).toEqual(['x.ts:3 missing-e.md']);
  });

  it('reads Bicep and KQL comments, not their strings', () => {
    const bicep = "param p string = '// nowhere-a.md'\n// nowhere-b.md\nvar q = '''\n// nowhere-c.md\n'''\n";
    expect(markdownNamesIn('infra/x.bicep', bicep)).toEqual([{ line: 2, name: 'nowhere-b.md' }]);
    const kql = 'T | where Url has "//nowhere-a.md"\n// nowhere-b.md\n';
    expect(markdownNamesIn('infra/x.kql', kql)).toEqual([{ line: 2, name: 'nowhere-b.md' }]);
  });

  it('finds section-sign citations in comments', () => {
    expect(sectionSignsIn('src/x.ts', "// see notes §2.5\nconst s = '§';\n")).toEqual([
      { line: 1, name: '// see notes §2.5' },
    ]);
  });

  it('every Markdown file a comment names exists in the repository', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(missingMarkdownNames(files, markdownIndex())).toEqual([]);
  });

  it('no comment cites a section by number after a section sign', () => {
    const found = sourceFiles().flatMap(({ path, text }) =>
      sectionSignsIn(path, text).map(({ line, name }) => `${path}:${String(line)} ${name}`),
    );
    expect(found).toEqual([]);
  });
});
