/** Facts the infrastructure tests compare: what the code, the generated JSON and the docs say. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import ts from 'typescript';

import { BICEP_DIR, REPO } from './bicep-reader';

export const KQL_DIR = resolve(BICEP_DIR, 'kql');
export const GENERATED_DIR = resolve(BICEP_DIR, 'generated');

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export interface GeneratedTable {
  name: string;
  columns: { name: string; type: string; description?: string }[];
}

export function generatedTables(): GeneratedTable[] {
  return readJson(join(GENERATED_DIR, 'tables.json')) as GeneratedTable[];
}

/** Every file under `dir` (recursive) whose name ends with `suffix`. */
export function filesUnder(dir: string, suffix: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(filesUnder(path, suffix));
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out.sort();
}

export function rel(path: string): string {
  return relative(REPO, path);
}

/**
 * The settings `src/config/index.ts` reads: the keys of its `EnvSchema = z.object({…})`, found with
 * the TypeScript parser so formatting changes do not matter.
 */
export function configSettings(): string[] {
  const path = resolve(REPO, 'src', 'config', 'index.ts');
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  let keys: string[] | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'EnvSchema') {
      let init = node.initializer;
      // z.object({...}) possibly followed by .strict(), .superRefine(…) and the like.
      while (init && ts.isCallExpression(init)) {
        const [arg] = init.arguments;
        if (arg && ts.isObjectLiteralExpression(arg)) {
          keys = arg.properties.flatMap((p) =>
            p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? [p.name.text] : [],
          );
          break;
        }
        init = ts.isPropertyAccessExpression(init.expression) ? init.expression.expression : undefined;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!keys || keys.length === 0) throw new Error('src/config/index.ts: no `const EnvSchema = z.object({…})` found');
  return keys;
}

/** Settings `parseConfig` insists on (`required(env, 'NAME', …)` calls), whatever the sources. */
export function requiredSettings(): string[] {
  const text = readFileSync(resolve(REPO, 'src', 'config', 'index.ts'), 'utf8');
  return [...text.matchAll(/required(?:<[^>]*>)?\(\s*env\s*,\s*'([A-Za-z0-9_]+)'/g)].map((m) => m[1] ?? '');
}

export interface DocumentedSetting {
  name: string;
  /** `set` (main.bicep sets it), `secret` (a Key Vault reference) or `optional` (not set in Azure). */
  how: 'set' | 'secret' | 'optional';
  notes: string;
}

/** The app-settings table of docs/deploy.md, between its `settings-table` markers. */
export function documentedSettings(): DocumentedSetting[] {
  const text = readFileSync(resolve(REPO, 'docs', 'deploy.md'), 'utf8');
  const start = text.indexOf('<!-- settings-table:start -->');
  const end = text.indexOf('<!-- settings-table:end -->');
  if (start < 0 || end < start) throw new Error('docs/deploy.md: settings-table markers are missing');
  const rows: DocumentedSetting[] = [];
  for (const line of text.slice(start, end).split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([A-Za-z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (name === undefined) continue;
    const how = (cells[2] ?? '').toLowerCase();
    const kind = how.startsWith('secret')
      ? 'secret'
      : how.startsWith('set')
        ? 'set'
        : how.startsWith('optional')
          ? 'optional'
          : undefined;
    if (kind === undefined)
      throw new Error(`docs/deploy.md: setting ${name} says "${cells[2] ?? ''}", not set/secret/optional`);
    rows.push({ name, how: kind, notes: cells[3] ?? '' });
  }
  return rows;
}

/** Non-test TypeScript under src/. */
export function sourceFiles(): string[] {
  return filesUnder(resolve(REPO, 'src'), '.ts').filter((f) => !f.endsWith('.test.ts'));
}
