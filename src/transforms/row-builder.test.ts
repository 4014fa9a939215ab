import { describe, expect, it } from 'vitest';

import { RowBuilder } from './row-builder';

const CAPS = { TimeGenerated: 64, EventId: 256, Name: 1024, Details: 32_768, Extra: 32_768, TruncatedColumns: 1024 };

describe('RowBuilder', () => {
  it('returns only the columns that were set, in declaration order whatever the order of setting', () => {
    const b = new RowBuilder(CAPS);
    b.dyn('Details', { a: 1 });
    b.str('Name', 'ada');
    b.str('EventId', '');
    b.row.TimeGenerated = '2026-11-23T10:00:00Z';
    const row = b.finish();
    expect(Object.keys(row)).toEqual(['TimeGenerated', 'Name', 'Details']);
    expect(row).toEqual({ TimeGenerated: '2026-11-23T10:00:00Z', Name: 'ada', Details: { a: 1 } });
    expect(row).not.toHaveProperty('EventId');
  });

  it('gives every builder its own values', () => {
    const first = new RowBuilder(CAPS);
    first.str('Name', 'one');
    const second = new RowBuilder(CAPS);
    second.str('EventId', 'e2');
    expect(first.finish()).toEqual({ Name: 'one' });
    expect(second.finish()).toEqual({ EventId: 'e2' });
  });

  it('keeps Extra and TruncatedColumns when the stream declares them', () => {
    const b = new RowBuilder(CAPS);
    b.keep('actor.user.account_type', 'regular');
    b.str('TimeGenerated', 'x'.repeat(100));
    expect(b.finish()).toEqual({
      TimeGenerated: 'x'.repeat(64),
      Extra: { 'actor.user.account_type': 'regular' },
      TruncatedColumns: ['TimeGenerated'],
    });
  });

  it('refuses a column the stream does not declare instead of dropping it', () => {
    const b = new RowBuilder(CAPS);
    b.row.Undeclared = 'value';
    expect(() => b.finish()).toThrow(/Undeclared/);
  });

  it('refuses column names that are not identifiers (they would reach the generated copy)', () => {
    expect(() => new RowBuilder({ 'odd-name': 64, plain: 64 })).toThrow(/odd-name/);
    expect(() => new RowBuilder({ 'a = 1; globalThis.x': 64 })).toThrow(/not an identifier/);
  });
});
