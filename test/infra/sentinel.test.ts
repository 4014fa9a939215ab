/**
 * Sentinel content against the stream schemas: every table and column a .kql file names exists (a
 * pragmatic tokenizer, proven here to catch a misspelled column), every table has its parser, every
 * .kql file is deployed, and rules are ordered after the tables and parsers they query.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DIMENSION_COLUMNS } from '../../src/transforms/dimensions';
import { streamList, streams } from '../../src/transforms/streams';
import {
  BICEP_DIR,
  type Declaration,
  REPO,
  declaration,
  declarationsOf,
  dependsOn,
  loadedFiles,
  objectEntries,
  readBicep,
} from './bicep-reader';
import { checkQuery, references, tokenize } from './kql-reader';
import { KQL_DIR, filesUnder, generatedTables, kqlSchema, readJson, rel, sourceFiles } from './repo-facts';

const schema = kqlSchema();
const main = readBicep('main.bicep');
const content = readBicep('modules/sentinel-content.bicep');
const rulesModule = readBicep('modules/sentinel-rules.bicep');
const workbookModule = readBicep('modules/sentinel-workbook.bicep');

interface RuleMeta {
  detectionId: string;
  query: string;
  displayName: string;
  description: string;
  severity: string;
  queryFrequency: string;
  queryPeriod: string;
  tactics: string[];
  techniques: string[];
  entityMappings: { entityType: string; fieldMappings: { identifier: string; columnName: string }[] }[];
}
const rules = readJson(resolve(BICEP_DIR, 'sentinel', 'analytics-rules.json')) as RuleMeta[];

interface HuntingMeta {
  query: string;
  displayName: string;
  description: string;
  tactics: string[];
  techniques: string[];
}
const hunting = readJson(resolve(BICEP_DIR, 'sentinel', 'hunting-queries.json')) as HuntingMeta[];

/** The module declaration of main.bicep that deploys `path`. */
function moduleFor(path: string): Declaration {
  const found = declarationsOf(main, 'module').find((d) => d.target === path);
  if (!found) throw new Error(`main.bicep does not deploy ${path}`);
  return found;
}

/** ISO 8601 duration (PnDTnHnM) in minutes. */
function minutes(duration: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(duration);
  if (!m || duration === 'P' || duration === 'PT') throw new Error(`not a duration: ${duration}`);
  return Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

describe('the KQL tokenizer', () => {
  const sources = new Map([
    ['SentrySlackAudit_CL', new Set(['TimeGenerated', 'EventId', 'ActorUserId', 'Action', 'Details'])],
    ['SentryMerakiUplink_CL', new Set(['TimeGenerated', 'Serial', 'PublicIp'])],
  ]);

  it("accepts a query that uses only its table's columns and names it declares", () => {
    const query = [
      '// ActorUserID in a comment is ignored',
      'let threshold = 10;',
      'SentrySlackAudit_CL',
      '| where Action == "file_downloaded" and Details.reason == @"ActorUserID"',
      '| summarize Downloads = count() by ActorUserId, Window = bin(TimeGenerated, 1h)',
      '| where Downloads > threshold | project-away Window',
    ].join('\n');
    expect(checkQuery(query, { sources })).toEqual([]);
  });

  it('catches a misspelled column, with its line', () => {
    const query = 'SentrySlackAudit_CL\n| where ActorUserID == "U1"';
    const problems = checkQuery(query, { sources });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(2);
    expect(problems[0]?.message).toContain('unknown column ActorUserID');
  });

  it('catches a column that belongs to a table the query does not read', () => {
    expect(checkQuery('SentryMerakiUplink_CL | where ActorUserId == "U1"', { sources })[0]?.message).toContain(
      'ActorUserId',
    );
  });

  it('catches an unknown table and a query that reads none', () => {
    expect(checkQuery('SentrySlackAdit_CL | take 1', { sources })[0]?.message).toContain(
      'unknown table or function SentrySlackAdit_CL',
    );
    expect(checkQuery('print x = 1', { sources })[0]?.message).toContain('reads no Sentry table');
  });

  it('keeps strings whole (regexes with braces, quotes of the other kind) and dotted names out of columns', () => {
    const tokens = tokenize(`extract(@"\\.([A-Za-z0-9]{1,8})$", 1, Name) | where x == 'a"b' | mv-expand Tags.items`);
    expect(tokens.filter((t) => t.kind === 'string').map((t) => t.text)).toEqual([
      `@"\\.([A-Za-z0-9]{1,8})$"`,
      `'a"b'`,
    ]);
    expect([...references('T_CL | extend a = Entity.Email').columns.keys()]).toEqual(['Entity']);
  });
});

describe('KQL files against the stream schemas', () => {
  const files = filesUnder(KQL_DIR, '.kql');

  it('finds the parsers, rules and workbook queries', () => {
    expect(files.length).toBeGreaterThanOrEqual(streamList.length + 9 + 7);
  });

  for (const file of filesUnder(KQL_DIR, '.kql')) {
    it(`${rel(file)} uses only existing tables, functions and columns`, () => {
      expect(checkQuery(readFileSync(file, 'utf8'), schema)).toEqual([]);
    });
  }

  it('every .kql file is deployed by some Bicep file, and every loaded file exists', () => {
    const bicepFiles = filesUnder(BICEP_DIR, '.bicep').map((f) => readBicep(rel(f).replace(/^infra\/bicep\//, '')));
    const loaded = new Set(
      bicepFiles.flatMap((b) => [...loadedFiles(b, 'loadTextContent'), ...loadedFiles(b, 'loadJsonContent')]),
    );
    for (const path of loaded) expect(existsSync(path), `${rel(path)} is loaded but missing`).toBe(true);
    expect(files.filter((f) => !loaded.has(f)).map(rel), 'not deployed by any Bicep file').toEqual([]);
  });
});

describe('dimension columns', () => {
  it('no query but the parsers reads a table that holds only their keys', () => {
    for (const stream of streamList) {
      const columns = (DIMENSION_COLUMNS[stream.key] ?? []).map((d) => d.column);
      if (columns.length === 0) continue;
      for (const file of filesUnder(KQL_DIR, '.kql').filter((f) => !f.includes('/parsers/'))) {
        const refs = references(readFileSync(file, 'utf8'));
        if (!refs.tables.has(stream.table)) continue;
        const read = columns.filter((c) => refs.columns.has(c));
        expect(read, `${rel(file)} reads ${read.join(', ')} from ${stream.table}: use the parser`).toEqual([]);
      }
    }
  });
});

describe('parser functions', () => {
  const parsers = objectEntries(declaration(content, 'var', 'parsers').body);
  const byName = new Map<string, Record<string, string>>();
  {
    let current: Record<string, string> = {};
    for (const { key, value } of parsers) {
      if (key === 'name') byName.set(value.replace(/'/g, ''), (current = {}));
      current[key] = value;
    }
  }

  it('one per table, named like the table without _CL, reading that table (and the dimension table for its keys)', () => {
    const tables = generatedTables().map((t) => t.name);
    expect([...byName.keys()].sort()).toEqual(tables.map((t) => t.replace(/_CL$/, '')).sort());
    for (const table of tables) {
      const fn = table.replace(/_CL$/, '');
      const entry = byName.get(fn);
      expect(entry?.table).toBe(`'${table}'`);
      expect(entry?.query).toBe(`loadTextContent('../kql/parsers/${fn}.kql')`);
      const refs = references(readFileSync(resolve(KQL_DIR, 'parsers', `${fn}.kql`), 'utf8'));
      const keyed = streamList.some((s) => s.table === table && DIMENSION_COLUMNS[s.key] !== undefined);
      expect([...refs.tables], fn).toEqual(keyed ? [streams.dimension.table, table] : [table]);
    }
    const parser = declarationsOf(content, 'resource').find((d) => d.name === 'parser');
    expect(parser?.body).toMatch(/functionAlias:\s*p\.name/);
  });

  it('each keeps one row per EventId (an interrupted chunk may land rows twice)', () => {
    for (const table of generatedTables()) {
      const text = readFileSync(resolve(KQL_DIR, 'parsers', `${table.name.replace(/_CL$/, '')}.kql`), 'utf8');
      expect(text, table.name).toMatch(/\|\s*summarize\s+arg_(?:min|max)\([^)]*,\s*\*\)\s+by\s+[^|\n]*\bEventId\b/);
    }
  });

  it('a parser looks every dimension key of its table up in SentryDimension_CL and restores the column', () => {
    const dimensionTable = streams.dimension.table;
    for (const stream of streamList) {
      for (const d of DIMENSION_COLUMNS[stream.key] ?? []) {
        const fn = stream.table.replace(/_CL$/, '');
        const text = readFileSync(resolve(KQL_DIR, 'parsers', `${fn}.kql`), 'utf8').replace(/\s+/g, ' ');
        expect(stream.columns.map((c) => c.name)).toEqual(expect.arrayContaining([d.column, d.keyColumn]));
        // The dimension rows of this kind, one per key, keyed like the row's key column…
        expect(text).toContain(`${dimensionTable} | where Kind == "${d.kind}"`);
        expect(text).toMatch(new RegExp(`summarize arg_max\\(TimeGenerated, Value\\) by ${d.keyColumn} = EventId`));
        // …looked up without dropping rows that have no key, the column rebuilt where the row lacks it.
        expect(text).toMatch(new RegExp(`\\| lookup kind=leftouter \\w+ on ${d.keyColumn}\\b`));
        expect(text).toMatch(
          new RegExp(`\\| extend ${d.column} = iff\\(isempty\\(${d.column}\\), \\w+, ${d.column}\\)`),
        );
        // Only after the repeated rows are gone (the lookup must not multiply them).
        expect(text.indexOf('| lookup')).toBeGreaterThan(text.indexOf('| summarize arg_min(_IngestedAt, *)'));
      }
    }
  });

  it('the dimension parser keeps one row per kind and key', () => {
    const text = readFileSync(resolve(KQL_DIR, 'parsers', 'SentryDimension.kql'), 'utf8');
    expect(text).toMatch(/\|\s*summarize\s+arg_max\(TimeGenerated,\s*\*\)\s+by\s+Kind,\s*EventId\s*$/m);
  });

  it('the Slack audit parser restores the self-action entity exactly when slackAuditEntity does', () => {
    const text = readFileSync(resolve(KQL_DIR, 'parsers', 'SentrySlackAudit.kql'), 'utf8').replace(/\s+/g, ' ');
    const code = readFileSync(resolve(REPO, 'src', 'transforms', 'slack-audit.ts'), 'utf8');
    const fn = code.slice(code.indexOf('export function slackAuditEntity'));
    // The code's condition: a user entity whose id is the actor's, with no name and no attributes.
    expect(fn).toMatch(/row\.EntityType === 'user'/);
    expect(fn).toMatch(/row\.EntityId === row\.ActorUserId/);
    expect(fn).toMatch(/row\.EntityName === undefined/);
    expect(fn).toMatch(/row\.Entity === undefined/);
    expect(text).toContain(
      'IsSelfAction = EntityType == "user" and isnotempty(EntityId) and EntityId == ActorUserId and isempty(EntityName) and isnull(Entity)',
    );
    expect(text).toContain('EntityName = iff(IsSelfAction, ActorUserName, EntityName)');
    expect(text).toContain('EntityEmail = iff(IsSelfAction, ActorEmail,');
    expect(text).toContain('EntityTeam = iff(IsSelfAction, ActorTeam,');
  });
});

describe('analytics rules', () => {
  const queries = objectEntries(declaration(rulesModule, 'var', 'queries').body);
  const rule = declarationsOf(rulesModule, 'resource').find((d) =>
    d.target.startsWith('Microsoft.SecurityInsights/alertRules@'),
  );
  const detectionSources = [
    resolve(REPO, 'dev', 'scenario', 'catalogue.ts'),
    ...sourceFiles().filter((f) => f.includes('/detections/')),
  ]
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');

  it('each rule has its query file and each query file a rule', () => {
    expect(rules.length).toBeGreaterThanOrEqual(8);
    expect(queries.map((q) => q.key).sort()).toEqual(rules.map((r) => r.query).sort());
    for (const q of queries) expect(q.value).toBe(`loadTextContent('../kql/rules/${q.key}.kql')`);
    expect(rule?.body).toMatch(/query:\s*queries\[r\.query\]/);
    expect(new Set(rules.map((r) => r.detectionId)).size).toBe(rules.length);
  });

  it('mirror detections the app has', () => {
    for (const r of rules.filter((x) => x.detectionId !== 'sentry.finding')) {
      expect(detectionSources, `no detection ${r.detectionId} in the app`).toContain(`'${r.detectionId}'`);
    }
  });

  it('map entities and custom details to columns their query produces', () => {
    const custom = objectEntries(/customDetails:\s*\{[^}]*\}/.exec(rule?.body ?? '')?.[0] ?? '').filter(
      (e) => e.key !== 'customDetails',
    );
    expect(custom.length).toBeGreaterThan(0);
    for (const r of rules) {
      const refs = references(
        readFileSync(resolve(KQL_DIR, 'rules', `${r.query}.kql`), 'utf8'),
        new Set(schema.sources.keys()),
      );
      const produced = new Set([...refs.columns.keys(), ...refs.declared]);
      for (const m of r.entityMappings)
        for (const f of m.fieldMappings) expect(produced.has(f.columnName), `${r.query}: ${f.columnName}`).toBe(true);
      for (const c of custom)
        expect(produced.has(c.value.replace(/'/g, '')), `${r.query}: custom detail ${c.value}`).toBe(true);
    }
  });

  it('that read a dimension column look back a day more than they run (the value may have landed earlier that day)', () => {
    const dimensionColumns = new Set(Object.values(DIMENSION_COLUMNS).flatMap((list) => list.map((d) => d.column)));
    let reading = 0;
    for (const r of rules) {
      const refs = references(
        readFileSync(resolve(KQL_DIR, 'rules', `${r.query}.kql`), 'utf8'),
        new Set(schema.sources.keys()),
      );
      if (![...refs.columns.keys()].some((c) => dimensionColumns.has(c))) continue;
      reading += 1;
      expect(minutes(r.queryPeriod), r.query).toBeGreaterThanOrEqual(1440 + minutes(r.queryFrequency));
    }
    expect(reading).toBeGreaterThanOrEqual(3);
  });

  it('have schedules Sentinel accepts and severities it knows', () => {
    for (const r of rules) {
      expect(['Informational', 'Low', 'Medium', 'High']).toContain(r.severity);
      expect(minutes(r.queryFrequency)).toBeGreaterThanOrEqual(5);
      expect(minutes(r.queryPeriod)).toBeGreaterThanOrEqual(minutes(r.queryFrequency));
      expect(minutes(r.queryPeriod)).toBeLessThanOrEqual(14 * 1440);
      expect(r.tactics.length).toBeGreaterThan(0);
    }
  });

  it('are created disabled unless asked, and only after the tables, Sentinel and the parsers', () => {
    expect(rule?.body).toMatch(/enabled:\s*enabled\b/);
    expect(declaration(rulesModule, 'param', 'enabled').body).toBe('false');
    expect(declaration(main, 'param', 'analyticsRulesEnabled').body).toBe('false');
    const mod = moduleFor('modules/sentinel-rules.bicep');
    expect(mod.body).toMatch(/enabled:\s*analyticsRulesEnabled\b/);
    expect(dependsOn(mod)).toEqual(expect.arrayContaining(['tables', 'sentinel', 'sentinelContent']));
    expect(dependsOn(moduleFor('modules/sentinel-content.bicep'))).toContain('tables');
    expect(declarationsOf(main, 'module').find((d) => d.name === 'tables')?.target).toBe('modules/log-tables.bicep');
    expect(declarationsOf(main, 'module').find((d) => d.name === 'sentinel')?.target).toBe(
      'modules/sentinel-onboarding.bicep',
    );
  });
});

describe('hunting queries', () => {
  const text = objectEntries(declaration(content, 'var', 'huntingQueryText').body);

  it('each one in hunting-queries.json has its .kql file under kql/hunting and is loaded', () => {
    expect(hunting.length).toBeGreaterThanOrEqual(4);
    expect(text.map((t) => t.key).sort()).toEqual(hunting.map((h) => h.query).sort());
    for (const t of text) expect(t.value).toBe(`loadTextContent('../kql/hunting/${t.key}.kql')`);
    const onDisk = filesUnder(resolve(KQL_DIR, 'hunting'), '.kql').map((f) => basename(f, '.kql'));
    expect(onDisk.sort()).toEqual(hunting.map((h) => h.query).sort());
    for (const h of hunting) {
      expect(h.displayName.length).toBeGreaterThan(0);
      expect(h.description.length).toBeGreaterThan(0);
    }
  });
});

describe('the workbook', () => {
  it("has the seed's two dashboards, each query from kql/workbook, and every {Parameter} its queries use", () => {
    const body = declaration(workbookModule, 'var', 'content').body;
    expect(body).toContain("linkLabel: 'Daily downloads and risk tiers'");
    expect(body).toContain("linkLabel: 'Meraki failover'");
    const loaded = loadedFiles(workbookModule, 'loadTextContent');
    expect(loaded.sort()).toEqual(filesUnder(resolve(KQL_DIR, 'workbook'), '.kql'));
    const declared = new Set([...body.matchAll(/\bname:\s*'([A-Za-z]+)'/g)].map((m) => m[1]));
    for (const file of loaded) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\{([A-Za-z]+)(?::[a-z]+)?\}/g)) {
        expect(declared.has(m[1]), `${rel(file)} uses {${m[1] ?? ''}}, which the workbook does not declare`).toBe(true);
      }
    }
    expect(dependsOn(moduleFor('modules/sentinel-workbook.bicep'))).toContain('sentinelContent');
  });
});
