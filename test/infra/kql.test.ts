/**
 * Every KQL query the infrastructure ships (parser functions, analytics rules, hunting queries,
 * workbook queries, DCR transforms) parses and binds without an error in the Kusto language service,
 * against the workspace's tables and the parser functions as stored functions. Errors planted in
 * copies of real queries prove the check bites.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { streamList } from '../../src/transforms/streams';
import { BICEP_DIR, readBicep } from './bicep-reader';
import { KqlDatabase, formatDiagnostics, kustoTypeName } from './kql-analyzer';
import {
  fillWorkbookParameters,
  shippedQueries,
  transformQueries,
  workbookParameters,
  workspaceDatabase,
  workspaceTables,
} from './repo-kql';
import { KQL_DIR, filesUnder, rel } from './repo-facts';

const db = workspaceDatabase();
const queries = shippedQueries();

describe('the Kusto language service', () => {
  interface Plant {
    what: string;
    file: string;
    from: string;
    to: string;
    message: RegExp;
  }
  const plants: Plant[] = [
    {
      what: 'an unknown function',
      file: 'rules/meraki-public-ip-change.kql',
      from: 'dcountif(Interface, Status == "active")',
      to: 'dcountiff(Interface, Status == "active")',
      message: /'dcountiff' does not refer to any known function/,
    },
    {
      what: 'a misspelled column',
      file: 'rules/slack-failed-logins-one-ip.kql',
      from: 'dcount(ActorUserId)',
      to: 'dcount(ActorUserID)',
      message: /'ActorUserID' does not refer to any known column/,
    },
    {
      what: "a column of another table (the Meraki uplink's Serial in a Slack query)",
      file: 'hunting/slack-user-multiple-ips.kql',
      from: 'by SourceOrg, ActorUserId,',
      to: 'by SourceOrg, Serial,',
      message: /'Serial' does not refer to any known column/,
    },
    {
      what: 'a column the parser function drops',
      file: 'rules/sentry-finding.kql',
      from: 'DedupeKey,',
      to: '_IngestedAt,',
      message: /'_IngestedAt' does not refer to any known column/,
    },
    {
      what: 'an unknown parser function',
      file: 'workbook/meraki-ip-changes.kql',
      from: 'SentryMerakiUplink\n',
      to: 'SentryMerakiUplinks\n',
      message: /'SentryMerakiUplinks' does not refer to any known/,
    },
    {
      what: 'an argument of the wrong type',
      file: 'rules/slack-anomaly.kql',
      from: 'ago(1h)',
      to: 'ago("1h")',
      message: /timespan expected/,
    },
    {
      what: 'a syntax error',
      file: 'hunting/slack-max-daily-downloads.kql',
      from: 'bin(TimeGenerated, 1d)',
      to: 'bin(TimeGenerated, 1d',
      message: /Expected: \)/,
    },
  ];

  for (const plant of plants) {
    it(`reports ${plant.what} planted in ${plant.file}, with its line`, () => {
      const original = readFileSync(resolve(KQL_DIR, plant.file), 'utf8');
      expect(db.analyze(original).errors).toEqual([]);
      const planted = original.replace(plant.from, plant.to);
      expect(planted, 'the plant no longer matches the query').not.toBe(original);
      const errors = db.analyze(planted).errors;
      const line = original.slice(0, original.indexOf(plant.from)).split('\n').length;
      expect(errors.map((e) => `${e.line}: ${e.message}`).join('\n')).toMatch(
        new RegExp(`(^|\\n)${line}: .*${plant.message.source}`),
      );
    });
  }

  it('reports a call to a parser function whose body does not bind', () => {
    const table = { name: 'SentryMerakiUplink_CL', columns: [{ name: 'TimeGenerated', type: 'dateTime' }] };
    const broken = new KqlDatabase(
      [table],
      [{ name: 'SentryMerakiUplink', body: '// comment\nSentryMerakiUplink_CL | where PublicIp != ""\n// last' }],
    );
    const errors = broken.analyze('SentryMerakiUplink | take 1').errors;
    expect(errors.map((e) => e.message)).toEqual(["The body of the function 'SentryMerakiUplink' has errors."]);
  });

  it("gives a query's result columns with their types, and the tables, functions and columns it names", () => {
    // A column keeps its table while operators pass it on unchanged, through parser functions too.
    const analysis = db.analyze(
      'let active = SentryMerakiUplink_CL | where Status == "active";\n' +
        'SentryMerakiUplink | summarize Ips = dcount(PublicIp) by Serial, Window = bin(TimeGenerated, 30m)\n' +
        '| join kind=leftouter active on Serial | project Serial, Window, Ips, Interface',
    );
    expect(analysis.errors).toEqual([]);
    expect(analysis.columns).toEqual([
      { name: 'Serial', type: 'string', table: 'SentryMerakiUplink_CL' },
      { name: 'Window', type: 'datetime', table: undefined },
      { name: 'Ips', type: 'long', table: undefined },
      { name: 'Interface', type: 'string', table: 'SentryMerakiUplink_CL' },
    ]);
    expect(analysis.tables).toEqual(['SentryMerakiUplink_CL']);
    expect(analysis.functions).toEqual(['SentryMerakiUplink']);
    expect(analysis.columnsRead[0]).toEqual({ name: 'Status', table: 'SentryMerakiUplink_CL' });
  });
});

describe('workbook parameters', () => {
  const query = [
    'SentrySlackAudit',
    '| where TimeGenerated {TimeRange} and EntityName matches regex "(?i){SensitiveFilePattern}"',
    '| where TimeGenerated between ({TimeRange:start} .. {TimeRange:end})',
    '| summarize count() by bin(TimeGenerated, {TimeRange:grain})',
  ].join('\n');

  it('are client parameters the language service rejects as they are', () => {
    expect(db.analyze(query).errors.map((e) => e.message)).toContain('Client parameters are not supported or enabled.');
  });

  it("bind once filled in with the workbook's defaults", () => {
    const filled = fillWorkbookParameters(query, workbookParameters());
    expect(filled).toContain('where TimeGenerated > ago(14d) and EntityName matches regex "(?i)daily_vitals"');
    expect(db.analyze(filled).errors).toEqual([]);
    expect(() => fillWorkbookParameters('{Missing}', workbookParameters())).toThrow(/no parameter Missing/);
  });
});

describe('shipped KQL', () => {
  it('covers the parsers, rules, hunting and workbook queries and the DCR transforms', () => {
    const count = (kind: string): number => queries.filter((q) => q.kind === kind).length;
    expect(count('parser')).toBe(streamList.length);
    expect(count('rule')).toBeGreaterThanOrEqual(8);
    expect(count('hunting')).toBeGreaterThanOrEqual(4);
    expect(count('workbook')).toBeGreaterThanOrEqual(7);
    expect(transformQueries()).toHaveLength(streamList.length);
  });

  for (const query of queries) {
    it(`${rel(query.file)} binds without errors`, () => {
      const { errors } = db.analyze(query.text);
      expect(errors, formatDiagnostics(rel(query.file), errors)).toEqual([]);
    });
  }

  for (const transform of transformQueries()) {
    it(`the DCR transform of ${transform.stream} binds and yields only columns of ${transform.table}, typed alike`, () => {
      const source = new KqlDatabase([{ name: 'source', columns: transform.input }]);
      const analysis = source.analyze(transform.text);
      const where = `dcr-data-flows.json ${transform.stream}`;
      expect(analysis.errors, formatDiagnostics(where, analysis.errors)).toEqual([]);
      const table = workspaceTables().find((t) => t.name === transform.table);
      const columns = new Map(table?.columns.map((c) => [c.name, kustoTypeName(c.type)]));
      expect(analysis.columns.map((c) => c.name)).toContain('TimeGenerated');
      for (const c of analysis.columns) expect(columns.get(c.name), `${where}: ${c.name}`).toBe(c.type);
    });
  }

  it('no Bicep file carries KQL inline: every query is a .kql file or generated JSON analyzed here', () => {
    for (const file of filesUnder(BICEP_DIR, '.bicep')) {
      const { code } = readBicep(file.slice(BICEP_DIR.length + 1));
      expect(code, rel(file)).not.toMatch(/\b(query|transformKql|queryText)\s*:\s*'/);
    }
  });
});
