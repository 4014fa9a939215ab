import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DCR_TO_TABLE_TYPE, type DcrColumnType } from './columns';
import { DCR_DESTINATION_NAME, GENERATED_DIR, renderStreamArtifacts } from './stream-artifacts';
import { streamList } from './streams';

const DIR = resolve(__dirname, '../..', GENERATED_DIR);
const read = (name: string): string => readFileSync(join(DIR, name), 'utf8');

interface StreamsFile {
  streams: { stream: string; table: string; columns: { name: string; type: DcrColumnType; description: string }[] }[];
}

/** A value of each DCR type, and one that is of no other type's kind. */
const SAMPLE: Record<DcrColumnType, unknown> = {
  string: 'text',
  int: 7,
  long: 1_732_262_400_123,
  real: 2.5,
  boolean: true,
  datetime: '2024-11-22T08:00:00Z',
  dynamic: { k: ['v'] },
};
const WRONG: Record<DcrColumnType, unknown[]> = {
  string: [7, true, { k: 1 }],
  int: ['7', 2.5, 2 ** 31, true],
  long: ['7', 2.5, true],
  real: ['2.5', true, Number.NaN],
  boolean: ['true', 1],
  datetime: ['yesterday', 1_732_262_400, '2024-11-22'],
  dynamic: [undefined],
};

describe('generated Bicep JSON', () => {
  it('is up to date with src/transforms/streams.ts (run `npm run gen:streams`)', () => {
    for (const [name, content] of Object.entries(renderStreamArtifacts())) {
      expect(read(name), `${GENERATED_DIR}/${name} is stale: run npm run gen:streams`).toBe(content);
    }
  });

  it('is deterministic and ends with a newline', () => {
    const a = renderStreamArtifacts();
    expect(renderStreamArtifacts()).toEqual(a);
    for (const content of Object.values(a)) expect(content.endsWith('}\n') || content.endsWith(']\n')).toBe(true);
  });

  it('streams.json agrees with the zod row schemas column by column', () => {
    const file = JSON.parse(read('streams.json')) as StreamsFile;
    expect(file.streams.map((s) => s.stream)).toEqual(streamList.map((s) => s.stream));
    for (const def of streamList) {
      const declared = file.streams.find((s) => s.stream === def.stream);
      expect(declared?.table).toBe(def.table);
      const shape = def.schema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
      expect(declared?.columns.map((c) => c.name)).toEqual(Object.keys(shape));
      for (const column of declared?.columns ?? []) {
        const schema = shape[column.name];
        const where = `${def.table}.${column.name} (${column.type})`;
        expect(schema?.safeParse(SAMPLE[column.type]).success, `${where} accepts its type`).toBe(true);
        for (const wrong of WRONG[column.type]) {
          if (wrong === undefined && !def.columns.find((c) => c.name === column.name)?.required) continue;
          expect(schema?.safeParse(wrong).success, `${where} rejects ${String(wrong)}`).toBe(false);
        }
        expect(column.description.length, where).toBeGreaterThan(0);
      }
    }
  });

  it('DCR declarations, data flows and tables describe the same columns', () => {
    const declarations = JSON.parse(read('dcr-stream-declarations.json')) as Record<
      string,
      { columns: { name: string; type: string }[] }
    >;
    const flows = JSON.parse(read('dcr-data-flows.json')) as {
      streams: string[];
      destinations: string[];
      transformKql: string;
      outputStream: string;
    }[];
    const tables = JSON.parse(read('tables.json')) as {
      name: string;
      columns: { name: string; type: string; description: string }[];
    }[];
    expect(Object.keys(declarations)).toEqual(streamList.map((s) => s.stream));
    for (const def of streamList) {
      expect(declarations[def.stream]?.columns).toEqual(def.columns.map((c) => ({ name: c.name, type: c.type })));
      expect(flows.filter((f) => f.streams.includes(def.stream))).toEqual([
        {
          streams: [def.stream],
          destinations: [DCR_DESTINATION_NAME],
          transformKql: 'source',
          outputStream: `Custom-${def.table}`,
        },
      ]);
      const table = tables.find((t) => t.name === def.table);
      expect(table?.columns.map((c) => [c.name, c.type])).toEqual(
        def.columns.map((c) => [c.name, DCR_TO_TABLE_TYPE[c.type]]),
      );
    }
    expect(tables.find((t) => t.name === 'SentrySlackAudit_CL')?.columns[0]).toMatchObject({
      name: 'TimeGenerated',
      type: 'dateTime',
    });
  });
});
