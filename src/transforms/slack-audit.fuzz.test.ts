/**
 * Fuzz: 10,000 mutated or hostile entries through the Slack audit transform. Each mutation is known
 * to either break the entry (→ quarantine with a reason) or leave it valid (→ a row), so the
 * expected outcome is known without re-implementing the schema. Seeded, so failures reproduce.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELD_LIMIT_BYTES, utf8Length } from './columns';
import { toQuarantineRow } from './quarantine';
import { toSlackAuditRow } from './slack-audit';
import { type SlackAuditRow, streams } from './streams';

const FIXTURES = resolve(__dirname, '../../test/fixtures/slack-audit');
const TEXTS = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => readFileSync(join(FIXTURES, f), 'utf8'));
const OPTS = { sourceOrg: 'E02N1QXMZ7K', at: '2026-11-22T10:00:00Z' };

/** mulberry32: small, seeded, good enough for choosing mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

function unicodeGarbage(rand: Rand, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const r = rand();
    if (r < 0.1)
      s += String.fromCharCode(0xd800 + Math.floor(rand() * 0x800)); // lone surrogates
    else if (r < 0.2)
      s += String.fromCharCode(Math.floor(rand() * 0x20)); // control characters
    else if (r < 0.3) s += '"\\';
    else s += String.fromCodePoint(Math.floor(rand() * 0x10ffff) & ~0x800 || 0x41);
  }
  return s;
}

function deepNest(rand: Rand, depth: number): unknown {
  let v: unknown = unicodeGarbage(rand, 3);
  for (let i = 0; i < depth; i++) v = rand() < 0.5 ? [v] : { n: v };
  return v;
}

/** Any value at all, including what JSON cannot express. */
function garbage(rand: Rand): unknown {
  switch (Math.floor(rand() * 16)) {
    case 0:
      return 'x'.repeat(Math.floor(rand() * 300_000));
    case 1:
      return unicodeGarbage(rand, 1 + Math.floor(rand() * 2000));
    case 2:
      return pick(rand, [Number.NaN, Number.POSITIVE_INFINITY, -0, 1e308, -1, 0, 2 ** 53 + 1]);
    case 3:
      return null;
    case 4:
      return [1, 'two', { three: [null] }];
    case 5:
      return deepNest(rand, 1 + Math.floor(rand() * 5000));
    case 6:
      return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown;
    case 7:
      return rand() < 0.5;
    case 8:
      return 10n ** 30n;
    case 9: {
      const cyclic: Record<string, unknown> = { k: 1 };
      cyclic.self = cyclic;
      return cyclic;
    }
    case 10:
      return Object.defineProperty({}, 'trap', {
        enumerable: true,
        get() {
          throw new Error('getter trap');
        },
      });
    case 11:
      return {
        toJSON: () => {
          throw new Error('toJSON trap');
        },
      };
    case 12:
      return new Date(Number.NaN);
    case 13:
      return Symbol('s');
    case 14:
      return () => 'fn';
    default:
      return Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, unicodeGarbage(rand, 20)]));
  }
}

type Entry = Record<string, unknown>;

/** Sets or deletes a nested field; does nothing (returns false) when a parent is missing or not an object. */
function mutate(entry: Entry, path: readonly string[], value: unknown, remove = false): boolean {
  let parent: unknown = entry;
  for (const key of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null || Array.isArray(parent) || !Object.hasOwn(parent, key)) {
      return false;
    }
    parent = (parent as Entry)[key];
  }
  if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) return false;
  const last = path.at(-1) ?? '';
  if (remove) {
    if (!Object.hasOwn(parent, last)) return false;
    Reflect.deleteProperty(parent, last);
  } else {
    // defineProperty, not assignment: `__proto__` must become an own key, as JSON.parse makes it.
    Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  }
  return true;
}

interface Mutation {
  breaks: boolean;
  /** The field touched; undefined when it does not apply to this entry. */
  path(entry: Entry, rand: Rand): readonly string[] | undefined;
  /** The new value, or REMOVE to delete the field. */
  value(rand: Rand): unknown;
}

const REMOVE = Symbol('remove');
const notString = (rand: Rand): unknown => pick(rand, [42, null, true, [], { id: 'x' }, Number.NaN]);
const notObject = (rand: Rand): unknown => pick(rand, ['text', 7, true, [1, 2], Number.NaN]);
const at =
  (...path: string[]) =>
  (): readonly string[] =>
    path;
const m = (breaks: boolean, path: Mutation['path'], value: Mutation['value']): Mutation => ({ breaks, path, value });

const MUTATIONS: readonly Mutation[] = [
  // Breaking: required fields missing or of the wrong type.
  ...['id', 'date_create', 'action', 'actor', 'entity'].map((k) => m(true, at(k), () => REMOVE)),
  m(true, at('id'), (r) => pick(r, [notString(r), '', 'i'.repeat(300)])),
  m(true, at('date_create'), (r) => pick(r, ['1732262400', Number.NaN, 1.7e12, -5, null, Infinity])),
  m(true, at('action'), (r) => pick(r, [notString(r), '', 'a'.repeat(2000)])),
  m(true, at('actor'), notObject),
  m(true, at('entity'), notObject),
  m(true, at('actor', 'type'), (r) => pick(r, [notString(r), ''])),
  m(true, at('entity', 'type'), (r) => pick(r, [notString(r), ''])),
  m(true, at('actor', 'user', 'id'), (r) => pick(r, [42, true, [], { id: 1 }])),
  m(true, at('context'), notObject),
  m(true, at('context', 'ua'), (r) => pick(r, [42, [], { ua: 'x' }])),
  m(true, at('context', 'session_id'), (r) => pick(r, [{}, [], true, Number.NaN])),
  m(true, at('context', 'location'), (r) => pick(r, ['T1', 7, [1]])),
  // Benign: Slack's real variations and hostile content in free-form places.
  m(false, at('details'), garbage),
  m(false, at('context', 'app'), garbage),
  m(false, (_e, r) => [`x_${Math.floor(r() * 5)}`], garbage),
  m(false, at('__proto__'), garbage),
  m(false, at('context', 'future_field'), garbage),
  m(false, at('actor', 'user', 'account_type'), garbage),
  m(
    false,
    (e) => {
      const type = (e.entity as Entry | undefined)?.type;
      return typeof type === 'string' && type !== 'type' ? ['entity', type] : undefined;
    },
    garbage,
  ),
  m(false, at('context', 'ua'), (r) => pick(r, ['x'.repeat(500_000), unicodeGarbage(r, 5000), '', null])),
  m(false, at('actor', 'user', 'name'), (r) => pick(r, [unicodeGarbage(r, 100), 'n'.repeat(100_000), null])),
  m(false, at('context', 'session_id'), (r) => pick(r, [0, -1, 1.5, 'abc', '', null, 2 ** 60, REMOVE])),
  m(false, at('context'), (r) => pick(r, [REMOVE, null])),
  m(false, at('date_create'), (r) => 1_000_000_000 + r() * 3_000_000_000),
  m(false, at('action'), (r) => unicodeGarbage(r, 50) || 'a'),
  m(false, at('actor', 'type'), (r) => pick(r, ['app', 'bot', 'user', 'workflow'])),
  m(false, at('entity', 'type'), (r) => pick(r, ['type', 'canvas', '__proto__', 'x'])),
];

const overlaps = (a: readonly string[], b: readonly string[]): boolean =>
  a.slice(0, Math.min(a.length, b.length)).every((k, i) => k === b[i]);

/** Applies 1–3 mutations on distinct, non-nested fields, so no later one can undo an earlier break. */
function mutateEntry(e: Entry, rand: Rand): { breaks: boolean; applied: string[] } {
  const touched: (readonly string[])[] = [];
  const applied: string[] = [];
  let breaks = false;
  const count = 1 + Math.floor(rand() * 3);
  for (let n = 0; n < count; n++) {
    const index = Math.floor(rand() * MUTATIONS.length);
    const mutation = MUTATIONS[index];
    if (mutation === undefined) continue;
    const path = mutation.path(e, rand);
    if (path === undefined || touched.some((t) => overlaps(t, path))) continue;
    const value = mutation.value(rand);
    if (!mutate(e, path, value, value === REMOVE)) continue;
    touched.push(path);
    breaks ||= mutation.breaks;
    applied.push(`#${index}:${path.join('.')}`);
  }
  return { breaks, applied };
}

const NON_OBJECT_ENTRIES: readonly (() => unknown)[] = [
  () => null,
  () => undefined,
  () => 'entry',
  () => 42,
  () => [JSON.parse(TEXTS[0] ?? '{}') as unknown],
  () =>
    new Proxy(
      {},
      {
        get() {
          throw new Error('proxy trap');
        },
      },
    ),
];

describe('Slack audit transform under 10,000 malformed or hostile entries', () => {
  it('quarantines exactly the broken ones with a reason, lands the rest, never throws', () => {
    const rand = prng(0x5e57);
    const baselines = TEXTS.map((t) => toSlackAuditRow(JSON.parse(t), OPTS));
    let rows = 0;
    let quarantined = 0;

    for (let i = 0; i < 10_000; i++) {
      const which = i % TEXTS.length;
      const pristine = i % 10 === 0;
      let entry: unknown;
      let breaks = false;
      const applied: string[] = [];

      if (pristine) {
        entry = JSON.parse(TEXTS[which] ?? '{}');
      } else if (rand() < 0.05) {
        entry = pick(rand, NON_OBJECT_ENTRIES)();
        breaks = true;
        applied.push('non-object entry');
      } else {
        const e = JSON.parse(TEXTS[which] ?? '{}') as Entry;
        const outcome = mutateEntry(e, rand);
        breaks = outcome.breaks;
        applied.push(...outcome.applied);
        entry = e;
      }

      let result: ReturnType<typeof toSlackAuditRow> | undefined;
      expect(() => (result = toSlackAuditRow(entry, OPTS)), `entry ${i} threw`).not.toThrow();
      const context = `entry ${i} (fixture ${which}, mutations ${applied.join(',') || 'none'})`;

      if (breaks) {
        expect(result?.ok, context).toBe(false);
        if (result && !result.ok) {
          expect(result.reason.length, context).toBeGreaterThan(0);
          const q = toQuarantineRow('slackAudit', entry, result.reason, OPTS);
          expect(streams.quarantine.schema.safeParse(q).success, context).toBe(true);
          expect(utf8Length(q.Raw)).toBeLessThanOrEqual(FIELD_LIMIT_BYTES);
          quarantined++;
        }
      } else {
        expect(result?.ok, `${context}: ${result && !result.ok ? result.reason : ''}`).toBe(true);
        if (result?.ok) {
          const row: SlackAuditRow = result.row;
          expect(streams.slackAudit.schema.safeParse(row).success, context).toBe(true);
          const json = JSON.stringify(row);
          expect(json.length, context).toBeLessThan(1_000_000);
          expect(row.EventId).toBe((entry as Entry).id);
          if (pristine) expect(result, context).toEqual(baselines[which]);
          rows++;
        }
      }
    }

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(rows + quarantined).toBe(10_000);
    // The generator exercises both outcomes substantially.
    expect(rows).toBeGreaterThan(2_000);
    expect(quarantined).toBeGreaterThan(2_000);
  });
});
