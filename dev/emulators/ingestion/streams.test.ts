import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { checkRows, loadStreamDeclarations, SCHEMA_POLICIES, type StreamDeclaration } from './streams';

const FIXTURE = join(__dirname, 'fixtures', 'streams.json');
const RECEIVED = '2026-01-01T00:00:00.000Z';

function audit(): StreamDeclaration {
  const found = loadStreamDeclarations(FIXTURE).find((s) => s.stream === 'Custom-EmuTestAudit');
  if (found === undefined) throw new Error('fixture lost its audit stream');
  return found;
}

const base = { TimeGenerated: '2026-01-01T10:00:00Z', EventId: 'e1' };

describe('stream declarations', () => {
  it('loads the app-generated format', () => {
    const streams = loadStreamDeclarations(FIXTURE);
    expect(streams.map((s) => [s.stream, s.table])).toEqual([
      ['Custom-EmuTestAudit', 'EmuTestAudit_CL'],
      ['Custom-EmuTestFinding', 'EmuTestFinding_CL'],
    ]);
    expect(streams[0]?.columns).toContainEqual({ name: 'Details', type: 'dynamic' });
  });

  it('explains a missing file and refuses invalid declarations', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streams-'));
    try {
      expect(() => loadStreamDeclarations(join(dir, 'none.json'))).toThrow(
        /generate infra\/bicep\/generated\/streams\.json or pass `streams`/,
      );
      const bad = join(dir, 'bad.json');
      const stream = (columns: unknown) =>
        JSON.stringify({ streams: [{ stream: 'Custom-X', table: 'X_CL', columns }] });
      await writeFile(
        bad,
        stream([
          { name: 'TimeGenerated', type: 'datetime' },
          { name: 'N', type: 'decimal' },
        ]),
      );
      expect(() => loadStreamDeclarations(bad)).toThrow(/Invalid stream declarations/);
      await writeFile(bad, stream([{ name: 'Type', type: 'string' }]));
      expect(() => loadStreamDeclarations(bad)).toThrow(/reserved column name/);
      await writeFile(
        bad,
        stream([
          { name: 'A', type: 'string' },
          { name: 'A', type: 'int' },
        ]),
      );
      expect(() => loadStreamDeclarations(bad)).toThrow(/duplicate column/);
      await writeFile(
        bad,
        JSON.stringify({ streams: [{ stream: 'MyStream', table: 'X_CL', columns: [{ name: 'A', type: 'string' }] }] }),
      );
      expect(() => loadStreamDeclarations(bad)).toThrow(/Custom-/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('checkRows', () => {
  const cases: { name: string; row: Record<string, unknown>; ok: boolean }[] = [
    {
      name: 'every type well formed',
      row: { ...base, Action: 'a', Attempts: 3, Bytes: 2 ** 40, Score: 0.5, Allowed: true, Details: { x: [1] } },
      ok: true,
    },
    { name: 'nulls and omitted columns', row: { ...base, Action: null }, ok: true },
    {
      name: 'datetime with offset and fraction',
      row: { ...base, TimeGenerated: '2026-01-01T10:00:00.1234567+02:00' },
      ok: true,
    },
    { name: 'dynamic holding a string', row: { ...base, Details: 'text' }, ok: true },
    { name: 'string column given a number', row: { ...base, Action: 5 }, ok: false },
    { name: 'int out of 32-bit range', row: { ...base, Attempts: 2 ** 31 }, ok: false },
    { name: 'int given a fraction', row: { ...base, Attempts: 1.5 }, ok: false },
    { name: 'long given a numeric string', row: { ...base, Bytes: '12' }, ok: false },
    { name: 'real given a string', row: { ...base, Score: '0.5' }, ok: false },
    { name: 'boolean given a string', row: { ...base, Allowed: 'true' }, ok: false },
    { name: 'datetime without offset', row: { ...base, TimeGenerated: '2026-01-01T10:00:00' }, ok: false },
    { name: 'datetime as epoch number', row: { ...base, TimeGenerated: 1767261600000 }, ok: false },
    { name: 'datetime that is no date', row: { ...base, TimeGenerated: '2026-13-45T99:00:00Z' }, ok: false },
    { name: 'undeclared column', row: { ...base, Actoin: 'typo' }, ok: false },
    { name: 'missing TimeGenerated', row: { EventId: 'e1' }, ok: false },
  ];
  for (const c of cases) {
    it(`strict: ${c.name} → ${c.ok ? 'accepted' : 'refused'}`, () => {
      const result = checkRows([c.row], audit(), SCHEMA_POLICIES.strict, RECEIVED);
      expect(result.rejecting.length === 0).toBe(c.ok);
    });
  }

  it('azure policy keeps the row: drops undeclared columns, nulls bad values, stamps TimeGenerated', () => {
    const result = checkRows(
      [{ EventId: 'e1', Attempts: 'three', Extra: 1 }],
      audit(),
      SCHEMA_POLICIES.azure,
      RECEIVED,
    );
    expect(result.rejecting).toEqual([]);
    expect(result.rows).toEqual([{ EventId: 'e1', Attempts: null, TimeGenerated: RECEIVED }]);
    expect(result.issues.map((i) => i.problem).sort()).toEqual([
      'extra_column',
      'missing_time_generated',
      'type_mismatch',
    ]);
  });

  it('truncates values over 64 KB on a character boundary, under either policy', () => {
    const long = `${'a'.repeat(65_535)}é${'b'.repeat(10)}`; // the 2-byte é straddles the limit
    const result = checkRows([{ ...base, Action: long }], audit(), SCHEMA_POLICIES.strict, RECEIVED);
    expect(result.rejecting).toEqual([]);
    expect(result.rows[0]?.Action).toBe('a'.repeat(65_535));
    expect(result.issues).toMatchObject([{ column: 'Action', problem: 'truncated' }]);
  });

  it('restamps a TimeGenerated over two days old or over a day ahead with the time received, as Log Analytics does', () => {
    const rows = [
      { ...base, EventId: 'old', TimeGenerated: '2025-12-29T23:59:59Z' },
      { ...base, EventId: 'edge', TimeGenerated: '2025-12-30T00:00:00Z' },
      { ...base, EventId: 'ahead', TimeGenerated: '2026-01-02T00:00:01Z' },
    ];
    const result = checkRows(rows, audit(), SCHEMA_POLICIES.strict, RECEIVED);
    expect(result.rejecting).toEqual([]);
    expect(result.rows.map((r) => r.TimeGenerated)).toEqual([RECEIVED, '2025-12-30T00:00:00Z', RECEIVED]);
    expect(result.issues.map((i) => [i.row, i.problem])).toEqual([
      [0, 'restamped'],
      [2, 'restamped'],
    ]);
    const kept = checkRows(rows, audit(), { ...SCHEMA_POLICIES.strict, restampTimeGenerated: false }, RECEIVED);
    expect(kept.rows[0]?.TimeGenerated).toBe('2025-12-29T23:59:59Z');
  });

  it('refuses rows that are not objects', () => {
    const result = checkRows([1, [base], null], audit(), SCHEMA_POLICIES.azure, RECEIVED);
    expect(result.rejecting.map((i) => i.row)).toEqual([0, 1, 2]);
  });
});
