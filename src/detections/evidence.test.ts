import { describe, expect, it } from 'vitest';

import { MAX_FACT, smallFacts } from './evidence';

describe('smallFacts', () => {
  it('keeps the entries that have a value, as text, and cuts outside strings to MAX_FACT', () => {
    const facts = smallFacts({
      ip: '203.0.113.5',
      port: 443,
      blocked: false,
      empty: '',
      none: undefined,
      message: 'x'.repeat(5000),
    });
    expect(facts).toEqual({
      ip: '203.0.113.5',
      port: '443',
      blocked: 'false',
      message: `${'x'.repeat(MAX_FACT - 1)}…`,
    });
  });
});
