/**
 * Durable state stores. The file store keeps one JSON document per instance under its directory and
 * replaces it atomically (write a temp file, fsync it, rename it over the old one, fsync the
 * directory), so a kill -9 at any instant leaves every document either fully old or fully new.
 * Writes are synchronous on purpose: callers persist before they let any effect escape (reply to a
 * client, dispatch an activity, deliver a message), and ordering per document is trivially kept.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

import type { InstanceDoc } from './model';

export interface DurableStore {
  /** Every stored document; unreadable ones are reported through `onCorrupt` and skipped. */
  loadAll(): InstanceDoc[];
  save(doc: InstanceDoc): void;
  remove(instanceId: string): void;
  readonly description: string;
}

const FORMAT = 'sentry-local-durable/1';

export class MemoryStore implements DurableStore {
  readonly description = 'memory';
  private readonly docs = new Map<string, string>();

  loadAll(): InstanceDoc[] {
    return [...this.docs.values()].map((text) => JSON.parse(text) as InstanceDoc);
  }

  save(doc: InstanceDoc): void {
    // Serialized like the file store, so in-memory runs catch the same non-JSON values.
    this.docs.set(doc.instanceId, JSON.stringify(doc));
  }

  remove(instanceId: string): void {
    this.docs.delete(instanceId);
  }
}

export class FileStore implements DurableStore {
  readonly description: string;
  private readonly known = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly onCorrupt: (file: string, error: unknown) => void = () => undefined,
  ) {
    this.description = dir;
    mkdirSync(dir, { recursive: true });
  }

  loadAll(): InstanceDoc[] {
    const docs: InstanceDoc[] = [];
    for (const entry of readdirSync(this.dir)) {
      const path = join(this.dir, entry);
      if (entry.includes('.tmp-')) {
        // A write that never reached its rename: the previous version (if any) is still in place.
        rmSync(path, { force: true });
        continue;
      }
      if (!entry.endsWith('.json')) continue;
      try {
        const parsed = JSON.parse(readFileSync(path, 'utf8')) as { format?: string; doc?: InstanceDoc };
        if (parsed.format !== FORMAT || parsed.doc === undefined)
          throw new Error(`unknown format ${String(parsed.format)}`);
        docs.push(parsed.doc);
        this.known.add(parsed.doc.instanceId);
      } catch (error) {
        this.onCorrupt(path, error);
      }
    }
    return docs;
  }

  save(doc: InstanceDoc): void {
    const target = join(this.dir, fileNameFor(doc.instanceId));
    const temp = `${target}.tmp-${process.pid}`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, JSON.stringify({ format: FORMAT, doc }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
    if (!this.known.has(doc.instanceId)) {
      this.syncDir();
      this.known.add(doc.instanceId);
    }
  }

  remove(instanceId: string): void {
    try {
      unlinkSync(join(this.dir, fileNameFor(instanceId)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    this.known.delete(instanceId);
    this.syncDir();
  }

  private syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** Instance ids may hold any character (`:`, `@`, `/`): percent-encode them; hash very long ones. */
export function fileNameFor(instanceId: string): string {
  const encoded = encodeURIComponent(instanceId).replace(
    /[!'()*~.]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  if (encoded.length <= 180) return `${encoded}.json`;
  return `h-${createHash('sha256').update(instanceId).digest('hex')}.json`;
}
