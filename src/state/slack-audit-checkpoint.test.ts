import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  landedCount,
  landedKey,
  MAX_LANDED_KEYS,
  planSlackAuditWindow,
  type SlackAuditCheckpoint,
} from '../collectors/slack-audit/pages';
import { AppError, ErrorCode } from '../errors';
import { useTestAzurite } from '../../test/helpers/state';
import { CheckpointStore } from './checkpoints';
import {
  capCheckpoint,
  LANDED_CHUNK_CHARS,
  parseLanded,
  serializeLanded,
  SLACK_AUDIT_SOURCE,
  SlackAuditCheckpoints,
} from './slack-audit-checkpoint';
import { safeKey, stateTable } from './tables';

const t = useTestAzurite();

const now = new Date('2026-11-23T10:00:00Z');
const org = () => `org-${randomUUID().slice(0, 8)}`;

function cp(at: number, since: number, landed: Record<number, string[]> = {}): SlackAuditCheckpoint {
  return {
    at,
    since,
    landed: Object.fromEntries(Object.entries(landed).map(([s, ids]) => [s, ids.map(landedKey).sort()])),
  };
}

/** `count` random ids spread over the seconds [at − spread + 1, at]. */
function many(at: number, spread: number, count: number): SlackAuditCheckpoint {
  const landed: Record<number, string[]> = {};
  for (let i = 0; i < count; i += 1) (landed[at - (i % spread)] ??= []).push(randomUUID());
  return cp(at, at - spread + 1, landed);
}

async function rawEntity(key: string): Promise<Record<string, unknown>> {
  const table = await stateTable(t.config, 'checkpoints');
  return table.getEntity(SLACK_AUDIT_SOURCE, safeKey(key));
}

describe('Slack audit checkpoints', () => {
  it('starts empty, creates once, then advances only with the ETag it read', async () => {
    const store = new SlackAuditCheckpoints(new CheckpointStore(t.config));
    const key = org();
    expect(await store.load(key)).toEqual({ checkpoint: undefined, etag: undefined });
    const first = cp(100, 0, { 40: ['a'], 100: ['b', 'c'] });
    const etag1 = await store.save(key, first, undefined, now);
    // A second "first save" (a racing first run) loses instead of overwriting.
    await expect(store.save(key, cp(90, 0), undefined, now)).rejects.toMatchObject({
      code: ErrorCode.StateConflict,
      retriable: true,
    });
    const loaded = await store.load(key);
    expect(loaded.checkpoint).toEqual(first);
    expect(loaded.etag).toBe(etag1);
    const second = cp(160, 40, { 150: ['d'] });
    const etag2 = await store.save(key, second, etag1, now);
    // A late run holding the old ETag cannot move it back.
    await expect(store.save(key, cp(130, 10), etag1, now)).rejects.toMatchObject({ code: ErrorCode.StateConflict });
    expect((await store.load(key)).checkpoint).toEqual(second);
    expect(etag2).not.toBe(etag1);
  });

  it('keeps Value small and splits the landed ids over properties within the 64 KiB property limit', async () => {
    const store = new SlackAuditCheckpoints(new CheckpointStore(t.config));
    const key = org();
    const full = many(1_800_000_000, 120, MAX_LANDED_KEYS);
    expect(landedCount(full)).toBe(MAX_LANDED_KEYS);
    await store.save(key, full, undefined, now);
    expect((await store.load(key)).checkpoint).toEqual(full);

    const entity = await rawEntity(key);
    expect(JSON.parse(String(entity.Value))).toEqual({ at: full.at, since: full.since, keys: MAX_LANDED_KEYS });
    const chunks = Object.keys(entity).filter((name) => name.startsWith('Landed'));
    expect(chunks.length).toBeGreaterThan(1);
    let chars = 0;
    for (const name of chunks) {
      const length = String(entity[name]).length;
      // UTF-16: 2 bytes a character, under 64 KiB a property.
      expect(length * 2).toBeLessThan(64 * 1024);
      chars += length;
    }
    // The whole entity stays well under 1 MiB.
    expect(chars * 2).toBeLessThan(600 * 1024);

    // A smaller set later replaces every old chunk property.
    const small = cp(full.at + 15, full.at - 100, { [full.at + 10]: ['x'] });
    const etag = (await store.load(key)).etag;
    await store.save(key, small, etag, now);
    expect(Object.keys(await rawEntity(key)).filter((name) => name.startsWith('Landed'))).toEqual(['Landed00']);
    expect((await store.load(key)).checkpoint).toEqual(small);
  });

  it('caps the landed set at MAX_LANDED_KEYS by forgetting the oldest seconds, so nothing re-read can land twice', async () => {
    const store = new SlackAuditCheckpoints(new CheckpointStore(t.config));
    const key = org();
    const over = many(2_000, 100, MAX_LANDED_KEYS + 500);
    await store.save(key, over, undefined, now);
    const saved = (await store.load(key)).checkpoint;
    if (saved === undefined) throw new Error('expected a checkpoint');
    expect(landedCount(saved)).toBeLessThanOrEqual(MAX_LANDED_KEYS);
    expect(saved.since).toBeGreaterThan(over.since);
    // Every second it still covers is complete, and the next window starts at that coverage.
    for (let s = saved.since; s <= saved.at; s += 1) expect(saved.landed[String(s)]).toEqual(over.landed[String(s)]);
    expect(planSlackAuditWindow(saved, 2_100, { lagSeconds: 0, overlapSeconds: 120 })?.oldest).toBe(saved.since);

    const fits = many(5_000, 10, 40);
    expect(capCheckpoint(fits)).toBe(fits);
    // The newest second alone over the cap: the checkpoint closes it (the pre-overlap behaviour).
    expect(capCheckpoint(cp(5, 0, { 5: ['a', 'b', 'c'] }), 2)).toEqual(cp(5, 6));
  });

  it('loads a checkpoint saved before the overlap existed as covering its own second', async () => {
    const key = org();
    await new CheckpointStore(t.config).save(SLACK_AUDIT_SOURCE, key, { at: 700, seenIds: ['a', 'b'] }, undefined, now);
    const loaded = await new SlackAuditCheckpoints(new CheckpointStore(t.config)).load(key);
    expect(loaded.checkpoint).toEqual(cp(700, 700, { 700: ['a', 'b'] }));
    // So the first window after the upgrade re-reads only that second, and skips a and b.
    expect(planSlackAuditWindow(loaded.checkpoint, 800, { lagSeconds: 0, overlapSeconds: 120 })).toEqual({
      oldest: 700,
      latest: 800,
    });
  });

  it('refuses a corrupted checkpoint with a non-retriable error naming the entity', async () => {
    const plain = new CheckpointStore(t.config);
    const cases: [value: unknown, extra: Record<string, string>, why: RegExp][] = [
      [{ at: 'yesterday' }, {}, /Value/],
      [{ at: 100, since: 50, keys: 1 }, { Landed00: '10:not-a-key' }, /<offset>:<keys>/],
      [{ at: 100, since: 50, keys: 2 }, { Landed00: `10:${landedKey('a')}` }, /1 landed keys where its Value says 2/],
      [{ at: 100, since: 50, keys: 1 }, { Landed01: `10:${landedKey('a')}` }, /Landed00 is missing/],
      [{ at: 100, since: 50, keys: 1 }, { Landed00: `60:${landedKey('a')}` }, /after the checkpoint/],
      [{ at: 100, since: 150, keys: 0 }, {}, /since 150/],
    ];
    for (const [value, extra, why] of cases) {
      const key = org();
      await plain.save(SLACK_AUDIT_SOURCE, key, value, undefined, now, extra);
      const error = await new SlackAuditCheckpoints(plain).load(key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: ErrorCode.StateUnavailable, retriable: false });
      expect((error as Error).message).toContain(`slackAudit/${key}`);
      expect((error as Error).message).toMatch(why);
    }
  });

  it('refuses to save a malformed checkpoint and writes nothing', async () => {
    const store = new SlackAuditCheckpoints(new CheckpointStore(t.config));
    const key = org();
    const bad: SlackAuditCheckpoint[] = [
      { at: 100, since: 102, landed: {} },
      { at: 100, since: 50, landed: { '40': [landedKey('a')] } },
      { at: 100, since: 50, landed: { '60': ['raw-id-not-a-key'] } },
    ];
    for (const checkpoint of bad) {
      await expect(store.save(key, checkpoint, undefined, now)).rejects.toMatchObject({
        code: ErrorCode.InputInvalid,
        retriable: false,
      });
    }
    expect((await store.load(key)).checkpoint).toBeUndefined();
  });
});

describe('landed set serialization', () => {
  it('round-trips by second offsets, across chunk boundaries', () => {
    const checkpoint = many(10_000, 50, 6_000);
    const properties = serializeLanded(checkpoint);
    expect(Object.keys(properties)).toEqual(['Landed00', 'Landed01', 'Landed02']);
    for (const text of Object.values(properties)) expect(text.length).toBeLessThanOrEqual(LANDED_CHUNK_CHARS);
    expect(parseLanded(properties, checkpoint.since, checkpoint.at)).toEqual(checkpoint.landed);
    expect(serializeLanded(cp(5, 0))).toEqual({});
    expect(parseLanded({}, 0, 5)).toEqual({});
  });
});
