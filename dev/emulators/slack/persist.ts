/**
 * Keeps the emulator's org in the local stack's data folder: `loadSnapshot` reads it at start
 * (absent file = fresh org), `persistState` rewrites it (atomically, via a temp file) shortly after
 * each change, and its `stop()` flushes the last write.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import type { SlackState, SlackStateData } from './state';

export async function loadSnapshot(file: string): Promise<Partial<SlackStateData> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as Partial<SlackStateData>;
}

export function persistState(state: SlackState, file: string, delayMs = 500): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const write = () => {
    timer = undefined;
    const snapshot = JSON.stringify(state.snapshot());
    writing = writing.then(async () => {
      await mkdir(dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, snapshot);
      await rename(temp, file);
    });
  };
  const unsubscribe = state.onChange(() => {
    timer ??= setTimeout(write, delayMs);
  });
  return {
    async stop() {
      unsubscribe();
      if (timer !== undefined) {
        clearTimeout(timer);
        write();
      }
      await writing;
    },
  };
}
