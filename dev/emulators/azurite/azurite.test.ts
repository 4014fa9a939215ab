import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startAzurite, type AzuriteInstance } from './azurite';

let location: string;
beforeAll(async () => {
  location = await mkdtemp(join(tmpdir(), 'azurite-test-'));
});
afterAll(async () => {
  await rm(location, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => {
        resolve(false);
      })
      .listen(port, '127.0.0.1', () => {
        probe.close(() => {
          resolve(true);
        });
      });
  });
}

interface Checkpoint {
  partitionKey: string;
  rowKey: string;
  cursor: string;
  pages: number;
}

describe('Azurite', () => {
  let azurite: AzuriteInstance | undefined;
  afterAll(async () => {
    await azurite?.stop();
  });

  it('starts Tables, Blobs and Queues on free ports with data under the given folder', async () => {
    azurite = await startAzurite({ location });
    const { blob, queue, table } = azurite.ports;
    expect(new Set([blob, queue, table]).size).toBe(3);
    for (const port of [blob, queue, table]) expect(port).toBeGreaterThan(0);
    expect(azurite.connectionString).toContain(`TableEndpoint=http://127.0.0.1:${table}/devstoreaccount1`);
    expect(azurite.connectionString).toContain('AccountName=devstoreaccount1');
    const files = await readdir(location);
    expect(files).toEqual(expect.arrayContaining(['__azurite_db_table__.json']));
    // Blob and Queue answer too (unauthenticated requests are refused, which proves they listen).
    expect((await fetch(`${azurite.blobEndpoint}?comp=list`)).status).toBeGreaterThanOrEqual(400);
    expect((await fetch(`${azurite.queueEndpoint}?comp=list`)).status).toBeGreaterThanOrEqual(400);
  });

  it('serves the real TableClient: create, upsert, query', async () => {
    if (azurite === undefined) throw new Error('Azurite did not start');
    const client = TableClient.fromConnectionString(azurite.connectionString, 'checkpoints', {
      allowInsecureConnection: true,
    });
    await client.createTable();
    await client.upsertEntity<Checkpoint>(
      { partitionKey: 'slack-audit', rowKey: 'E0123', cursor: 'c1', pages: 1 },
      'Replace',
    );
    await client.upsertEntity<Checkpoint>(
      { partitionKey: 'slack-audit', rowKey: 'E0123', cursor: 'c2', pages: 2 },
      'Merge',
    );
    await client.upsertEntity<Checkpoint>({ partitionKey: 'meraki', rowKey: 'O1', cursor: 'm1', pages: 7 }, 'Replace');
    const slack: Checkpoint[] = [];
    for await (const entity of client.listEntities<Checkpoint>({
      queryOptions: { filter: "PartitionKey eq 'slack-audit'" },
    }))
      slack.push(entity);
    expect(slack).toMatchObject([{ rowKey: 'E0123', cursor: 'c2', pages: 2 }]);
    const one = await client.getEntity<Checkpoint>('meraki', 'O1');
    expect(one.cursor).toBe('m1');
  });

  it('stops cleanly, frees its ports, and keeps the data for the next start', async () => {
    if (azurite === undefined) throw new Error('Azurite did not start');
    const { pid, ports } = azurite;
    await azurite.stop();
    expect(alive(pid)).toBe(false);
    expect(await portFree(ports.table)).toBe(true);
    await azurite.stop(); // a second stop is harmless

    azurite = await startAzurite({ location });
    const client = TableClient.fromConnectionString(azurite.connectionString, 'checkpoints', {
      allowInsecureConnection: true,
    });
    expect((await client.getEntity<Checkpoint>('slack-audit', 'E0123')).cursor).toBe('c2');
  });

  it('fails with Azurite’s own output when a port is taken', async () => {
    if (azurite === undefined) throw new Error('Azurite did not start');
    const other = await mkdtemp(join(tmpdir(), 'azurite-clash-'));
    try {
      await expect(
        startAzurite({ location: other, tablePort: azurite.ports.table, startTimeoutMs: 20_000 }),
      ).rejects.toThrow(/exited before it was ready[\s\S]*EADDRINUSE/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
