/**
 * The architecture, checked: no import cycle in src/, orchestrators reach no I/O even through the
 * modules they import, and the boundary lint rule (eslint-rules/boundaries.mjs) is on and reports
 * a planted violation of each boundary.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { ESLint } from 'eslint';
import ts from 'typescript';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');

interface Edge {
  specifier: string;
  /** The repository-relative file a relative specifier resolves to; undefined for packages. */
  target: string | undefined;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

function resolveRelative(from: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  const base = join(dirname(from), specifier).split('\\').join('/');
  return [`${base}.ts`, `${base}/index.ts`, base].find((candidate) => files.has(candidate));
}

/** Every import and re-export of a file, with whether the compiled JavaScript keeps it. */
function edgesOf(file: string, files: ReadonlySet<string>): Edge[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const edges: Edge[] = [];
  const add = (node: ts.Expression | undefined, typeOnly: boolean): void => {
    if (node === undefined || !ts.isStringLiteral(node)) return;
    const specifier = node.text;
    const target = specifier.startsWith('.') ? resolveRelative(file, specifier, files) : undefined;
    edges.push({ specifier, target, typeOnly });
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const allTypes =
        clause !== undefined &&
        clause.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(statement.moduleSpecifier, clause?.phaseModifier === ts.SyntaxKind.TypeKeyword || allTypes);
    } else if (ts.isExportDeclaration(statement)) {
      const named = statement.exportClause;
      const allTypes =
        named !== undefined &&
        ts.isNamedExports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(statement.moduleSpecifier, statement.isTypeOnly || allTypes);
    }
  }
  return edges;
}

function importGraph(dir: string): Map<string, Edge[]> {
  const files = sourceFiles(dir);
  const known = new Set(files);
  return new Map(files.map((file) => [file, edgesOf(file, known)]));
}

/** Strongly connected components of more than one file, or a file importing itself (Tarjan). */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(to) ?? 0));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(to) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

const IO = /^(node:(fs|net|http|https|http2|dgram|dns|tls|child_process|worker_threads)|@azure\/|@slack\/)/;

/** Every runtime import reachable from `start` that does I/O, with the path that reaches it. */
function ioReachableFrom(start: string, graph: ReadonlyMap<string, Edge[]>): string[] {
  const found: string[] = [];
  const seen = new Set<string>([start]);
  const queue: { file: string; path: string[] }[] = [{ file: start, path: [start] }];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    for (const edge of graph.get(item.file) ?? []) {
      if (edge.typeOnly) continue;
      if (edge.target === undefined) {
        if (IO.test(edge.specifier)) found.push([...item.path, edge.specifier].join(' → '));
        continue;
      }
      if (seen.has(edge.target)) continue;
      seen.add(edge.target);
      queue.push({ file: edge.target, path: [...item.path, edge.target] });
    }
  }
  return found;
}

describe('import graph of src/', () => {
  const graph = importGraph('src');
  const plain = new Map(
    [...graph].map(([file, edges]) => [file, edges.flatMap((e) => (e.target === undefined ? [] : [e.target]))]),
  );

  it('reads the whole tree and resolves every relative import', () => {
    expect(graph.size).toBeGreaterThan(150);
    const unresolved = [...graph].flatMap(([file, edges]) =>
      edges
        .filter((e) => e.specifier.startsWith('.') && e.target === undefined && !e.specifier.endsWith('.json'))
        .map((e) => `${file}: ${e.specifier}`),
    );
    expect(unresolved).toEqual([]);
  });

  it('has no import cycle, type-only imports included', () => {
    expect(cyclesOf(plain)).toEqual([]);
  });

  it('the cycle check finds a planted cycle and a self-import', () => {
    const planted = new Map(plain);
    planted.set('src/detections/define.ts', [
      ...(plain.get('src/detections/define.ts') ?? []),
      'src/detections/registry.ts',
    ]);
    expect(
      cyclesOf(planted).some((c) => c.includes('src/detections/define.ts') && c.includes('src/detections/registry.ts')),
    ).toBe(true);
    expect(
      cyclesOf(
        new Map([
          ['a.ts', ['a.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([['a.ts']]);
    expect(
      cyclesOf(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', ['a.ts']],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('orchestrators reach no I/O, not even through the modules they import', () => {
    const orchestrators = [...graph.keys()].filter((f) => f.startsWith('src/orchestrators/'));
    expect(orchestrators.length).toBeGreaterThanOrEqual(4);
    expect(orchestrators.flatMap((file) => ioReachableFrom(file, graph))).toEqual([]);
  });

  it('the reachability check sees I/O behind a pure-looking module', () => {
    const planted = new Map(graph);
    planted.set('src/orchestrators/planted.ts', [
      { specifier: '../state/tables', target: 'src/state/tables.ts', typeOnly: false },
    ]);
    expect(ioReachableFrom('src/orchestrators/planted.ts', planted).join('\n')).toMatch(
      /src\/state\/tables\.ts → @azure\//,
    );
  });

  it('ships no test double: nothing in src/ is a Memory*/Fake*/Stub* class or a testkit', () => {
    const doubles = [...graph.keys()].filter((file) => {
      if (/(^|\/)(testkit|fakes?|stubs?|mocks?)\.ts$/i.test(file)) return true;
      return /\bclass\s+(Memory|Fake|Stub|Mock)[A-Z]\w*/.test(readFileSync(join(root, file), 'utf8'));
    });
    expect(doubles).toEqual([]);
  });
});

describe('boundary lint rule', () => {
  // The rule is an ES module (ESLint's config loads it); this test file compiles to CommonJS.
  const eslint = import('../eslint-rules/boundaries.mjs').then(
    ({ boundariesConfig }) =>
      new ESLint({
        cwd: root,
        overrideConfigFile: true,
        overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, boundariesConfig],
      }),
  );

  async function boundaryMessages(file: string, code: string): Promise<string[]> {
    const [result] = await (await eslint).lintText(code, { filePath: join(root, file) });
    return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
  }

  const planted: [boundary: string, file: string, code: string][] = [
    [
      'src never imports test/',
      'src/state/planted.ts',
      "import { MemoryWindowStore } from '../../test/helpers/windows';",
    ],
    [
      'src never imports dev/',
      'src/functions/planted.ts',
      "export { startSlackEmulator } from '../../dev/emulators/slack';",
    ],
    ['src never imports bench/', 'src/planted.ts', "const bench = await import('../bench/run');"],
    ['orchestrators do no I/O', 'src/orchestrators/planted.ts', "import { TableClient } from '@azure/data-tables';"],
    [
      'orchestrators skip activities',
      'src/orchestrators/planted.ts',
      "import { runResponseAction } from '../activities/response-action';",
    ],
    [
      'orchestrators skip state',
      'src/orchestrators/planted.ts',
      "import { TableFindingStore } from '../state/findings';",
    ],
    ['orchestrators skip config', 'src/orchestrators/planted.ts', "import { loadConfig } from '../config';"],
    ['orchestrators skip node:', 'src/orchestrators/planted.ts', "import { randomUUID } from 'node:crypto';"],
    [
      'detections skip state',
      'src/detections/slack/planted.ts',
      "import { TableWindowStore } from '../../state/windows';",
    ],
    [
      'detections skip slack',
      'src/detections/planted.ts',
      "import { incidentBlocks } from '../slack/blocks/incident';",
    ],
    [
      'detections skip response',
      'src/detections/meraki/planted.ts',
      "import { charterOf } from '../../response/targets';",
    ],
    ['detections skip the network', 'src/detections/planted.ts', "import { request } from 'node:https';"],
    ['transforms do no I/O', 'src/transforms/planted.ts', "import { writeFileSync } from 'node:fs';"],
    ['transforms skip ingestion', 'src/transforms/planted.ts', "import { uploadRows } from '../ingestion/uploader';"],
  ];

  it.each(planted)('reports a planted violation: %s', async (_boundary, file, code) => {
    const messages = await boundaryMessages(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^sentry\/boundaries: /);
  });

  const allowed: [what: string, file: string, code: string][] = [
    [
      'a detection helper that shares a name with the Slack module',
      'src/detections/meraki/planted.ts',
      "import { actorOf } from '../slack/common';",
    ],
    [
      'orchestrators import contracts and pure modules',
      'src/orchestrators/planted.ts',
      "import { callActivity } from '../contracts';\nimport { charterOf } from '../response/targets';",
    ],
    [
      'orchestrators import types from anywhere',
      'src/orchestrators/planted.ts',
      "import type { FindingStore } from '../state/findings';",
    ],
    ['orchestrators use the durable SDK', 'src/orchestrators/planted.ts', "import * as df from 'durable-functions';"],
    [
      'tests wire real pieces',
      'src/orchestrators/planted.test.ts',
      "import { startSlackEmulator } from '../../dev/emulators/slack';",
    ],
    [
      'activities do I/O',
      'src/activities/planted.ts',
      "import { TableClient } from '@azure/data-tables';\nimport { charterOf } from '../response/targets';",
    ],
  ];

  it.each(allowed)('allows %s', async (_what, file, code) => {
    expect(await boundaryMessages(file, code)).toEqual([]);
  });

  it('is switched on for src/ by the repository ESLint config that npm test runs', async () => {
    const config = (await new ESLint({ cwd: root }).calculateConfigForFile(
      join(root, 'src/orchestrators/cycle.ts'),
    )) as {
      rules?: Record<string, unknown>;
    };
    expect(config.rules?.['sentry/boundaries']).toEqual([2]);
  });
});
