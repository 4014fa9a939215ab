import { describe, expect, it } from 'vitest';

import { matchesPattern, wordsOf } from './common';

describe('file name patterns', () => {
  it('splits names into words at separators, camelCase and digit boundaries', () => {
    expect(wordsOf('Q3-SalaryBands_final v2.xlsx')).toEqual(['q', '3', 'salary', 'bands', 'final', 'v', '2', 'xlsx']);
  });

  it('matches whole words, never a word inside another one', () => {
    expect(matchesPattern('Keynote.pdf', ['key'])).toBeUndefined();
    expect(matchesPattern('Keyboard shortcuts.pdf', ['key'])).toBeUndefined();
    expect(matchesPattern('Secretary rota.docx', ['secret'])).toBeUndefined();
    expect(matchesPattern('Lessons learned.docx', ['ssn'])).toBeUndefined();
    expect(matchesPattern('deploy key.txt', ['key'])).toBe('key');
    expect(matchesPattern('ssn-list.csv', ['ssn'])).toBe('ssn');
  });

  it('matches a phrase as consecutive words, whatever separates them', () => {
    for (const name of ['bank details.pdf', 'Bank_Details_2026.xlsx', 'BankDetails.csv', 'bank-details'])
      expect(matchesPattern(name, ['bank details']), name).toBe('bank details');
    expect(matchesPattern('bank holiday details.pdf', ['bank details'])).toBeUndefined();
    expect(matchesPattern('id_rsa.pub', ['id_rsa'])).toBe('id_rsa');
  });

  it('matches `.ext` against the last extension or a dotfile name, and `/re/` as a regular expression', () => {
    expect(matchesPattern('prod.PEM', ['.pem'])).toBe('.pem');
    expect(matchesPattern('pem notes.txt', ['.pem'])).toBeUndefined();
    expect(matchesPattern('.netrc', ['.netrc'])).toBe('.netrc');
    expect(matchesPattern('INV-2026-0042.pdf', ['/^inv-\\d{4}-\\d+/'])).toBe('/^inv-\\d{4}-\\d+/');
    expect(matchesPattern('invoice.pdf', ['/^inv-\\d{4}/'])).toBeUndefined();
    // A broken expression matches nothing rather than failing the collector.
    expect(matchesPattern('anything', ['/([/'])).toBeUndefined();
  });
});
