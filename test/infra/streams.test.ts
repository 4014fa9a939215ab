/**
 * Every stream the code uploads has its table and its DCR stream, through the JSON generated from
 * src/transforms/streams.ts, and the Bicep that main.bicep deploys loads exactly those files, in the
 * order Azure needs (tables before the rule that writes to them).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DCR_DESTINATION_NAME, renderStreamArtifacts } from '../../src/transforms/stream-artifacts';
import { streamList } from '../../src/transforms/streams';
import { declaration, declarationsOf, dependsOn, loadedFiles, readBicep } from './bicep-reader';
import { GENERATED_DIR, readJson } from './repo-facts';

interface Flow {
  streams: string[];
  destinations: string[];
  transformKql: string;
  outputStream: string;
}

const declarations = readJson(resolve(GENERATED_DIR, 'dcr-stream-declarations.json')) as Record<
  string,
  { columns: { name: string; type: string }[] }
>;
const flows = readJson(resolve(GENERATED_DIR, 'dcr-data-flows.json')) as Flow[];
const tables = readJson(resolve(GENERATED_DIR, 'tables.json')) as {
  name: string;
  columns: { name: string; type: string }[];
}[];

const main = readBicep('main.bicep');

/** The module declaration in main.bicep that deploys `path` (relative to infra/bicep). */
function moduleFor(path: string): ReturnType<typeof declaration> {
  const found = declarationsOf(main, 'module').find((d) => d.target === path);
  if (!found) throw new Error(`main.bicep does not deploy ${path}`);
  return found;
}

describe('streams → generated JSON → Bicep', () => {
  it('the generated files are what the stream registry renders today (npm run gen:streams)', () => {
    for (const [name, content] of Object.entries(renderStreamArtifacts())) {
      expect(readFileSync(resolve(GENERATED_DIR, name), 'utf8'), `${name} is stale: run npm run gen:streams`).toBe(
        content,
      );
    }
  });

  it('every stream has a table with its columns, a DCR stream declaration, and a flow into its table', () => {
    expect(streamList.length).toBeGreaterThanOrEqual(7);
    for (const s of streamList) {
      const names = s.columns.map((c) => c.name);
      expect(
        tables.find((t) => t.name === s.table)?.columns.map((c) => c.name),
        s.table,
      ).toEqual(names);
      expect(
        declarations[s.stream]?.columns.map((c) => c.name),
        s.stream,
      ).toEqual(names);
      const flow = flows.filter((f) => f.streams.includes(s.stream));
      expect(flow, `${s.stream} has exactly one data flow`).toHaveLength(1);
      expect(flow[0]?.outputStream).toBe(`Custom-${s.table}`);
      expect(flow[0]?.destinations).toEqual([DCR_DESTINATION_NAME]);
    }
  });

  it('nothing in the generated files is left over from a removed stream', () => {
    expect(Object.keys(declarations).sort()).toEqual(streamList.map((s) => s.stream).sort());
    expect(tables.map((t) => t.name).sort()).toEqual(streamList.map((s) => s.table).sort());
    expect(flows.flatMap((f) => f.streams).sort()).toEqual(streamList.map((s) => s.stream).sort());
  });

  it('the tables module loads tables.json and creates every table from it', () => {
    const tablesModule = readBicep('modules/log-tables.bicep');
    expect(loadedFiles(tablesModule, 'loadJsonContent')).toEqual([resolve(GENERATED_DIR, 'tables.json')]);
    const table = declarationsOf(tablesModule, 'resource').find((d) =>
      d.target.startsWith('Microsoft.OperationalInsights/workspaces/tables@'),
    );
    expect(table?.body).toMatch(/for\s+t\s+in\s+tables\s*:/);
    expect(table?.body).toMatch(/columns:\s*t\.columns/);
    expect(moduleFor('modules/log-tables.bicep').name).toBe('tables');
  });

  it('the ingestion module builds the DCR from the generated declarations and flows, with the destination they target', () => {
    const ingestion = readBicep('modules/ingestion.bicep');
    expect(loadedFiles(ingestion, 'loadJsonContent').sort()).toEqual(
      [resolve(GENERATED_DIR, 'dcr-data-flows.json'), resolve(GENERATED_DIR, 'dcr-stream-declarations.json')].sort(),
    );
    const dcr = declarationsOf(ingestion, 'resource').find((d) =>
      d.target.startsWith('Microsoft.Insights/dataCollectionRules@'),
    );
    expect(dcr, 'a data collection rule').toBeDefined();
    expect(dcr?.body).toMatch(/streamDeclarations:\s*streamDeclarations\b/);
    expect(dcr?.body).toMatch(/dataFlows:\s*dataFlows\b/);
    expect(declaration(ingestion, 'var', 'streamDeclarations').body).toContain('dcr-stream-declarations.json');
    expect(declaration(ingestion, 'var', 'dataFlows').body).toContain('dcr-data-flows.json');
    const destination = /logAnalytics:\s*\[\s*\{\s*name:\s*'([^']+)'/.exec(dcr?.body ?? '')?.[1];
    expect(destination).toBe(DCR_DESTINATION_NAME);
    expect(dcr?.body).toMatch(/dataCollectionEndpointId:\s*dataCollectionEndpoint\.id/);
    expect(declaration(ingestion, 'output', 'logsIngestionEndpoint').body).toBe(
      'dataCollectionEndpoint.properties.logsIngestion.endpoint',
    );
    expect(declaration(ingestion, 'output', 'dataCollectionRuleImmutableId').body).toBe(
      'dataCollectionRule.properties.immutableId',
    );
  });

  it('main.bicep deploys the tables before the rule, explicitly (outputStream is only a string)', () => {
    const tablesModule = moduleFor('modules/log-tables.bicep');
    const ingestion = moduleFor('modules/ingestion.bicep');
    expect(dependsOn(ingestion)).toContain(tablesModule.name);
  });

  it('the ingestion endpoint and the rule id flow into the app settings', () => {
    const settings = declaration(main, 'var', 'appSettings').body;
    expect(settings).toMatch(/SENTRY_INGESTION_ENDPOINT:\s*ingestion\.outputs\.logsIngestionEndpoint/);
    expect(settings).toMatch(/SENTRY_DCR_IMMUTABLE_ID:\s*ingestion\.outputs\.dataCollectionRuleImmutableId/);
  });
});
