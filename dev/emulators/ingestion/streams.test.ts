import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  checkRows,
  loadStreamDeclarations,
  SCHEMA_POLICIES,
  type SchemaIssue,
  type SchemaPolicy,
  type StreamDeclaration,
} from './streams';

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

/**
 * The previous per-row algorithm, kept as the oracle for the compiled fast path: every row copied
 * column by column, each issue named. `checkRows` must answer exactly what it answers.
 */
function referenceCheck(
  rows: readonly unknown[],
  declaration: StreamDeclaration,
  policy: SchemaPolicy,
  receivedAt: string,
): { rows: Record<string, unknown>[]; issues: string[]; rejecting: string[] } {
  const columns = new Map(declaration.columns.map((c) => [c.name, c.type]));
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
  const ok: Record<string, (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string',
    int: (v) => typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v <= 2 ** 31 - 1,
    long: (v) => typeof v === 'number' && Number.isSafeInteger(v),
    real: (v) => typeof v === 'number' && Number.isFinite(v),
    boolean: (v) => typeof v === 'boolean',
    datetime: (v) => typeof v === 'string' && iso.test(v) && !Number.isNaN(Date.parse(v)),
    dynamic: () => true,
  };
  const issues: string[] = [];
  const rejecting: string[] = [];
  const out: Record<string, unknown>[] = [];
  const note = (issue: string, reject: boolean) => {
    issues.push(issue);
    if (reject) rejecting.push(issue);
  };
  const received = Date.parse(receivedAt);
  rows.forEach((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      note(`${index}::not_an_object`, true);
      return;
    }
    const row: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      const type = columns.get(name);
      if (type === undefined) {
        note(`${index}:${name}:extra_column`, policy.extraColumns === 'reject');
        continue;
      }
      if (value === null) {
        row[name] = null;
        continue;
      }
      if (!(ok[type] ?? (() => false))(value)) {
        note(`${index}:${name}:type_mismatch`, policy.typeMismatch === 'reject');
        row[name] = null;
        continue;
      }
      if (typeof value === 'string' && Buffer.byteLength(value) > policy.maxFieldBytes) {
        note(`${index}:${name}:truncated`, false);
        row[name] = Buffer.from(value)
          .subarray(0, policy.maxFieldBytes)
          .toString()
          .replace(/\uFFFD$/, '');
        continue;
      }
      row[name] = value;
    }
    if (columns.has('TimeGenerated') && (row.TimeGenerated === undefined || row.TimeGenerated === null)) {
      note(`${index}:TimeGenerated:missing_time_generated`, policy.missingTimeGenerated === 'reject');
      row.TimeGenerated = receivedAt;
    } else if (policy.restampTimeGenerated && typeof row.TimeGenerated === 'string') {
      const generated = Date.parse(row.TimeGenerated);
      if (generated < received - 2 * 86_400_000 || generated > received + 86_400_000) {
        note(`${index}:TimeGenerated:restamped`, false);
        row.TimeGenerated = receivedAt;
      }
    }
    out.push(row);
  });
  return { rows: out, issues, rejecting };
}

describe('checkRows compiled per stream', () => {
  /** A small deterministic PRNG, so a failure names a reproducible seed. */
  const prng = (seed: number) => () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const values: unknown[] = [
    'text',
    '',
    'é 漢字 😀',
    'x'.repeat(30_000), // long, ASCII: under the limit
    'é'.repeat(33_000), // 66,000 UTF-8 bytes in 33,000 code units: over the limit
    `${'a'.repeat(65_535)}é`,
    0,
    -1,
    2 ** 31,
    2 ** 40,
    2 ** 60,
    1.5,
    Number.NaN,
    true,
    false,
    null,
    { nested: [1, 'two'] },
    [1, 2],
    '2026-01-01T10:00:00Z',
    '2026-01-01T10:00:00.1234567+02:00',
    '2025-12-29T23:59:59Z', // over two days old: restamped
    '2026-01-02T00:00:01Z', // over a day ahead: restamped
    '2026-01-01T10:00:00', // no offset
    '2026-13-45T99:00:00Z',
  ];
  const names = ['TimeGenerated', 'EventId', 'Action', 'Attempts', 'Bytes', 'Score', 'Allowed', 'Details', 'Actoin'];

  for (const [policyName, policy] of Object.entries(SCHEMA_POLICIES)) {
    it(`${policyName}: answers exactly what the per-row algorithm answers, over 3,000 generated rows`, () => {
      const random = prng(policyName.length * 7_919);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
      const rows: unknown[] = [];
      for (let i = 0; i < 3_000; i += 1) {
        const shape = random();
        if (shape < 0.02) {
          rows.push(pick([1, 'row', null, [base]]));
          continue;
        }
        // Mostly well-formed rows (the hot path), some with one or more bad columns.
        const row: Record<string, unknown> = { ...base, EventId: `e${i}`, Action: 'a', Attempts: 1, Score: 0.5 };
        const broken = shape < 0.5 ? 0 : 1 + Math.floor(random() * 3);
        for (let k = 0; k < broken; k += 1) {
          const name = pick(names);
          if (random() < 0.15) Reflect.deleteProperty(row, name);
          else row[name] = pick(values);
        }
        rows.push(row);
      }
      const got = checkRows(rows, audit(), policy, RECEIVED);
      const want = referenceCheck(rows, audit(), policy, RECEIVED);
      const key = (i: SchemaIssue) => `${i.row}:${i.column}:${i.problem}`;
      expect(got.issues.map(key)).toEqual(want.issues);
      expect(got.rejecting.map(key)).toEqual(want.rejecting);
      expect(got.rows).toEqual(want.rows);
      // The generator did reach every outcome.
      for (const problem of ['extra_column', 'type_mismatch', 'truncated', 'restamped', 'not_an_object']) {
        expect(want.issues.some((i) => i.endsWith(`:${problem}`))).toBe(true);
      }
      // …and the hot path: most rows came back as the very objects sent.
      expect(got.rows.filter((row) => rows.includes(row)).length).toBeGreaterThan(1_000);
    });
  }

  it('hands back a row that needs no change as the very object received, and copies one that does', () => {
    const clean = { ...base, Action: 'a' };
    const extra = { ...base, Extra: 1 };
    const result = checkRows([clean, extra], audit(), SCHEMA_POLICIES.azure, RECEIVED);
    expect(result.rows[0]).toBe(clean);
    expect(result.rows[1]).not.toBe(extra);
    expect(result.rows[1]).toEqual(base);
    expect(extra).toEqual({ ...base, Extra: 1 });
  });

  it('strict: refuses extra columns, wrong types and a missing TimeGenerated; truncates oversize strings', () => {
    const rows = [
      { ...base, EventId: 'ok' },
      { ...base, EventId: 'extra', Extra: 'x' },
      { ...base, EventId: 'type', Attempts: '3' },
      { EventId: 'no-time' },
      { ...base, EventId: 'big', Details: 'é'.repeat(33_000) },
      { ...base, EventId: 'proto', ['__proto__']: 'x' },
    ];
    const parsed = JSON.parse(JSON.stringify(rows)) as unknown[]; // as the emulator gets them (own __proto__)
    const result = checkRows(parsed, audit(), SCHEMA_POLICIES.strict, RECEIVED);
    expect(result.rejecting.map((i) => [i.row, i.problem])).toEqual([
      [1, 'extra_column'],
      [2, 'type_mismatch'],
      [3, 'missing_time_generated'],
      [5, 'extra_column'],
    ]);
    expect(result.issues.filter((i) => i.problem === 'truncated').map((i) => i.row)).toEqual([4]);
    expect(Buffer.byteLength(String(result.rows[4]?.Details))).toBeLessThanOrEqual(65_536);
  });
});
