/**
 * Sentinel content against the stream schemas: every table has its parser, every .kql file is
 * deployed, rules map entities to columns their query yields (the Kusto language service's result
 * type) and are ordered after the tables and parsers they query. kql.test.ts checks that every query
 * binds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';

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
import type { KqlAnalysis } from './kql-analyzer';
import { KQL_DIR, filesUnder, generatedTables, readJson, rel, sourceFiles } from './repo-facts';
import { WORKBOOK_PARAMETER, workbookParameters, workspaceDatabase } from './repo-kql';

const db = workspaceDatabase();
const analyses = new Map<string, KqlAnalysis>();
/** The analysis of `kql/<path>` (once per file). */
function analysis(path: string): KqlAnalysis {
  let found = analyses.get(path);
  if (!found) analyses.set(path, (found = db.analyze(readFileSync(resolve(KQL_DIR, path), 'utf8'))));
  return found;
}
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

describe('KQL files', () => {
  const files = filesUnder(KQL_DIR, '.kql');

  it('finds the parsers, rules and workbook queries', () => {
    expect(files.length).toBeGreaterThanOrEqual(streamList.length + 9 + 7);
  });

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
  it('no query but the parsers reads them (or passes them on) from a table that holds only their keys', () => {
    const queries = filesUnder(KQL_DIR, '.kql')
      .filter((f) => !f.includes('/parsers/'))
      .map((f) => ({ file: rel(f), analysis: analysis(relative(KQL_DIR, f)) }));
    for (const stream of streamList) {
      const columns = (DIMENSION_COLUMNS[stream.key] ?? []).map((d) => d.column);
      if (columns.length === 0) continue;
      for (const { file, analysis: a } of queries) {
        const read = [...a.columnsRead, ...a.columns]
          .filter((c) => c.table === stream.table && columns.includes(c.name))
          .map((c) => c.name);
        expect(read, `${file} reads ${read.join(', ')} from ${stream.table}: use the parser`).toEqual([]);
      }
    }
  });

  it('the check above sees a dimension column read from its table', () => {
    const a = db.analyze('SentrySlackAudit_CL | where isnotempty(UserAgent)');
    expect(a.columnsRead).toContainEqual({ name: 'UserAgent', table: 'SentrySlackAudit_CL' });
    expect(db.analyze('SentrySlackAudit_CL | take 1').columns).toContainEqual({
      name: 'UserAgent',
      type: 'string',
      table: 'SentrySlackAudit_CL',
    });
    const parsed = db.analyze('SentrySlackAudit | where isnotempty(UserAgent)');
    expect(parsed.columnsRead).toEqual([{ name: 'UserAgent', table: undefined }]);
    expect(parsed.columns.find((c) => c.name === 'UserAgent')?.table).toBeUndefined();
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
      const keyed = streamList.some((s) => s.table === table && DIMENSION_COLUMNS[s.key] !== undefined);
      expect(analysis(`parsers/${fn}.kql`).tables, fn).toEqual(keyed ? [streams.dimension.table, table] : [table]);
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
      const produced = new Set(analysis(`rules/${r.query}.kql`).columns.map((c) => c.name));
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
      const a = analysis(`rules/${r.query}.kql`);
      if (![...a.columnsRead, ...a.columns].some((c) => dimensionColumns.has(c.name))) continue;
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
    const declared = new Set(workbookParameters().map((p) => p.name));
    expect(declared).toContain('TimeRange');
    for (const file of loaded) {
      for (const m of readFileSync(file, 'utf8').matchAll(WORKBOOK_PARAMETER)) {
        const name = m[1] ?? '';
        expect(declared.has(name), `${rel(file)} uses {${name}}, which the workbook does not declare`).toBe(true);
      }
    }
    expect(dependsOn(moduleFor('modules/sentinel-workbook.bicep'))).toContain('sentinelContent');
  });
});
