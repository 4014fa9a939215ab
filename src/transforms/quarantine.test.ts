import { describe, expect, it } from 'vitest';
import { FIELD_LIMIT_BYTES, utf8Length } from './columns';
import { toQuarantineRow } from './quarantine';
import { streams } from './streams';

const OPTS = { sourceOrg: 'E02N1QXMZ7K', at: '2026-11-22T10:00:00Z' };

describe('toQuarantineRow', () => {
  it('keeps a small record whole, with its source id and reason', () => {
    const raw = { id: 'abc-123', date_create: 'yesterday' };
    const row = toQuarantineRow('slackAudit', raw, 'date_create: expected number', OPTS);
    expect(row).toEqual({
      TimeGenerated: '2026-11-22T10:00:00Z',
      EventId: 'abc-123',
      SourceOrg: 'E02N1QXMZ7K',
      Source: 'slackAudit',
      Reason: 'date_create: expected number',
      Raw: '{"id":"abc-123","date_create":"yesterday"}',
      RawBytes: 42,
    });
    expect(JSON.parse(row.Raw)).toEqual(raw);
    expect(streams.quarantine.schema.safeParse(row).success).toBe(true);
  });

  it('uses a stable hash as EventId when the record has no usable id', () => {
    const a = toQuarantineRow('merakiEvent', { type: 'x' }, 'r', OPTS);
    const b = toQuarantineRow('merakiEvent', { type: 'x' }, 'r', { ...OPTS, at: '2026-11-23T00:00:00Z' });
    const c = toQuarantineRow('merakiEvent', { type: 'y' }, 'r', OPTS);
    expect(a.EventId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.EventId).toBe(b.EventId);
    expect(a.EventId).not.toBe(c.EventId);
    expect(toQuarantineRow('merakiEvent', { alertId: '0000000000000000' }, 'r', OPTS).EventId).toMatch(
      /^[0-9a-f]{32}$/,
    );
  });

  it('cuts the raw text to the 64 KB field limit without splitting a character', () => {
    const raw = { id: 'big', blob: '€🚀'.repeat(40_000) };
    const row = toQuarantineRow('slackAudit', raw, 'too big', OPTS);
    expect(utf8Length(row.Raw)).toBeLessThanOrEqual(FIELD_LIMIT_BYTES);
    expect(utf8Length(row.Raw)).toBeGreaterThan(FIELD_LIMIT_BYTES - 4);
    expect(row.Raw.startsWith('{"id":"big","blob":"€🚀')).toBe(true);
    expect(row.Raw).not.toMatch(/[\uD800-\uDBFF]$/);
    expect(row.RawTruncated).toBe(true);
    expect(row.RawBytes).toBe(-1);
    expect(streams.quarantine.schema.safeParse(row).success).toBe(true);
  });

  it('does not flag a record that fits exactly', () => {
    const raw = 'a'.repeat(FIELD_LIMIT_BYTES - 2);
    const row = toQuarantineRow('slackAudit', raw, 'r', OPTS);
    expect(utf8Length(row.Raw)).toBe(FIELD_LIMIT_BYTES);
    expect(row).not.toHaveProperty('RawTruncated');
    expect(row.RawBytes).toBe(FIELD_LIMIT_BYTES);
  });

  it('redacts secrets at any depth', () => {
    const row = toQuarantineRow(
      'merakiEvent',
      { sharedSecret: 'hunter2', nested: { token: 'xoxp-123', keep: 'me' } },
      'bad webhook',
      OPTS,
    );
    expect(row.Raw).not.toContain('hunter2');
    expect(row.Raw).not.toContain('xoxp-123');
    expect(JSON.parse(row.Raw)).toEqual({ sharedSecret: '[redacted]', nested: { token: '[redacted]', keep: 'me' } });
  });

  it('redacts secrets in a record kept as text because it was not valid JSON', () => {
    const text = '{"id":"e1","token" : "xoxp-123\\"456","nested":{"password":"hunter2"},"keep":"me",}';
    const row = toQuarantineRow('slackAudit', text, 'invalid Slack audit entry: not valid JSON', OPTS);
    expect(row.Raw).not.toContain('xoxp-123');
    expect(row.Raw).not.toContain('456');
    expect(row.Raw).not.toContain('hunter2');
    expect(JSON.parse(row.Raw)).toBe(
      '{"id":"e1","token" : "[redacted]","nested":{"password":"[redacted]"},"keep":"me",}',
    );
  });

  it('serializes what JSON cannot hold into markers', () => {
    const cyclic: Record<string, unknown> = { n: Number.NaN, big: 10n, when: new Date(0), fn: () => 1 };
    cyclic.self = cyclic;
    const row = toQuarantineRow('slackAudit', cyclic, 'odd', OPTS);
    expect(JSON.parse(row.Raw)).toEqual({
      n: '[NaN]',
      big: '10n',
      when: '1970-01-01T00:00:00.000Z',
      self: '[Circular]',
    });
  });

  it('never throws on throwing getters, Proxies or very deep nesting', () => {
    const getter = Object.defineProperty({ id: 'g' }, 'boom', {
      enumerable: true,
      get() {
        throw new Error('x');
      },
    });
    expect(JSON.parse(toQuarantineRow('slackAudit', getter, 'r', OPTS).Raw)).toEqual({ id: 'g', boom: '[Unreadable]' });

    const proxy = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('trap');
        },
        get: () => {
          throw new Error('trap');
        },
      },
    );
    expect(toQuarantineRow('slackAudit', proxy, 'r', OPTS).Source).toBe('slackAudit');

    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    const row = toQuarantineRow('slackAudit', deep, 'deep', OPTS);
    expect(row.Raw).toContain('"[MaxDepth]"');
    expect(streams.quarantine.schema.safeParse(row).success).toBe(true);
  });
});
