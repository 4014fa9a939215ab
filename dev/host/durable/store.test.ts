import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { EntityDoc } from './model';
import { fileNameFor, FileStore } from './store';

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'durable-store-'));
  dirs.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function entity(instanceId: string, state: string): EntityDoc {
  return {
    kind: 'entity',
    instanceId,
    name: 'counter',
    key: instanceId.split('@')[2] ?? '',
    exists: true,
    state,
    queue: [],
    recentRequestIds: [],
    outbox: [],
    createdTime: '2026-01-01T00:00:00.000Z',
    lastOperationTime: null,
  };
}

describe('FileStore', () => {
  it('replaces documents whole and leaves no temp files behind', () => {
    const dir = freshDir();
    const store = new FileStore(dir);
    store.save(entity('@counter@a/b:c', '1'));
    store.save(entity('@counter@a/b:c', '2'));
    expect(readdirSync(dir)).toEqual([fileNameFor('@counter@a/b:c')]);
    expect(new FileStore(dir).loadAll()).toEqual([entity('@counter@a/b:c', '2')]);
  });

  it('discards a write that never reached its rename and reports unreadable documents', () => {
    const dir = freshDir();
    const store = new FileStore(dir);
    store.save(entity('@counter@kept', '7'));
    writeFileSync(
      join(dir, `${fileNameFor('@counter@kept')}.tmp-999`),
      '{"format":"sentry-local-durable/1","doc":{"trunc',
    );
    writeFileSync(join(dir, 'stranger.json'), 'not json');
    const corrupt: string[] = [];
    const docs = new FileStore(dir, (file) => corrupt.push(file)).loadAll();
    expect(docs.map((d) => d.instanceId)).toEqual(['@counter@kept']);
    expect(corrupt).toEqual([join(dir, 'stranger.json')]);
    expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('maps any instance id to a safe, distinct file name', () => {
    const ids = ['a/b', 'a%2Fb', '..', 'x:1', 'x*1', 'é', 'y'.repeat(400), 'y'.repeat(401)];
    const names = ids.map(fileNameFor);
    expect(new Set(names).size).toBe(ids.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9%_-]+\.json$/);
  });
});
