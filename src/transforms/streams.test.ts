import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { col, columnRegistry, columnsOf } from './columns';
import { streamList, streams } from './streams';

describe('col builder', () => {
  it('records type, description, requiredness and cap for each column kind', () => {
    const shape = {
      A: col.string('a', { required: true, maxBytes: 8 }),
      B: col.datetime('b'),
      C: col.long('c'),
      D: col.int('d'),
      E: col.real('e'),
      F: col.boolean('f'),
      G: col.dynamic('g', { maxBytes: 32 }),
    };
    expect(columnsOf(shape, 'T_CL').map((c) => [c.name, c.type, c.required, c.maxBytes])).toEqual([
      ['A', 'string', true, 8],
      ['B', 'datetime', false, 65_536],
      ['C', 'long', false, 65_536],
      ['D', 'int', false, 65_536],
      ['E', 'real', false, 65_536],
      ['F', 'boolean', false, 65_536],
      ['G', 'dynamic', false, 32],
    ]);
    const schema = z.strictObject(shape);
    expect(schema.safeParse({ A: 'abc' }).success).toBe(true);
    expect(schema.safeParse({}).success).toBe(false);
    expect(schema.safeParse({ A: 'ééééé' }).success).toBe(false);
    expect(schema.safeParse({ A: 'a', G: { k: 'x'.repeat(40) } }).success).toBe(false);
    expect(schema.safeParse({ A: 'a', Z: 1 }).success).toBe(false);
  });

  it('refuses undeclared, reserved, illegal and case-colliding column names', () => {
    expect(() => columnsOf({ Plain: z.string() }, 'T_CL')).toThrow(/col\.\*/);
    expect(() => columnsOf({ Title: col.string('t') }, 'T_CL')).toThrow(/legal/);
    expect(() => columnsOf({ TENANTID: col.string('t') }, 'T_CL')).toThrow(/legal/);
    expect(() => columnsOf({ 'Bad-Name': col.string('t') }, 'T_CL')).toThrow(/legal/);
    expect(() => columnsOf({ ['X'.repeat(46)]: col.string('t') }, 'T_CL')).toThrow(/legal/);
    expect(() => columnsOf({ Name: col.string('a'), NAME: col.string('b') }, 'T_CL')).toThrow(/collides/);
  });
});

describe('stream registry', () => {
  it('declares the nine streams with the agreed names', () => {
    expect(streamList.map((s) => [s.key, s.stream, s.table, s.outputStream])).toEqual([
      ['slackAudit', 'Custom-SentrySlackAudit', 'SentrySlackAudit_CL', 'Custom-SentrySlackAudit_CL'],
      ['merakiUplink', 'Custom-SentryMerakiUplink', 'SentryMerakiUplink_CL', 'Custom-SentryMerakiUplink_CL'],
      ['merakiDevice', 'Custom-SentryMerakiDevice', 'SentryMerakiDevice_CL', 'Custom-SentryMerakiDevice_CL'],
      ['merakiEvent', 'Custom-SentryMerakiEvent', 'SentryMerakiEvent_CL', 'Custom-SentryMerakiEvent_CL'],
      ['merakiSecurity', 'Custom-SentryMerakiSecurity', 'SentryMerakiSecurity_CL', 'Custom-SentryMerakiSecurity_CL'],
      ['quarantine', 'Custom-SentryQuarantine', 'SentryQuarantine_CL', 'Custom-SentryQuarantine_CL'],
      ['finding', 'Custom-SentryFinding', 'SentryFinding_CL', 'Custom-SentryFinding_CL'],
      ['response', 'Custom-SentryResponse', 'SentryResponse_CL', 'Custom-SentryResponse_CL'],
      ['dimension', 'Custom-SentryDimension', 'SentryDimension_CL', 'Custom-SentryDimension_CL'],
    ]);
    for (const s of streamList) expect(['SlackAudit_CL', 'SlackAuditV2_CL']).not.toContain(s.table);
  });

  it('every stream starts with required TimeGenerated (datetime), EventId and SourceOrg', () => {
    for (const s of streamList) {
      expect(s.columns.slice(0, 3).map((c) => [c.name, c.type, c.required])).toEqual([
        ['TimeGenerated', 'datetime', true],
        ['EventId', 'string', true],
        ['SourceOrg', 'string', true],
      ]);
    }
  });

  it('a row at every column cap still fits one 1 MB ingestion request', () => {
    for (const s of streamList) {
      // Dynamic caps are measured on their JSON text already; a string's JSON escaping is at most 6×
      // (\u0000 for a control character); numbers, booleans and dates stay under 40 characters.
      const worst = s.columns.reduce((sum, c) => {
        const value = c.type === 'dynamic' ? c.maxBytes : c.type === 'string' ? c.maxBytes * 6 : 40;
        return sum + value + c.name.length + 4;
      }, 2);
      expect(worst, s.table).toBeLessThan(1_000_000);
    }
  });

  it('the Slack audit row keeps the event time in a column of its own', () => {
    const col = streams.slackAudit.columns.find((c) => c.name === 'DateCreate');
    expect(col).toMatchObject({ type: 'long', required: true });
  });

  it('every column schema carries its registry entry', () => {
    for (const s of streamList) {
      for (const [name, schema] of Object.entries(s.schema.shape)) {
        expect(columnRegistry.get(schema)?.type, `${s.table}.${name}`).toBeDefined();
      }
    }
  });
});
