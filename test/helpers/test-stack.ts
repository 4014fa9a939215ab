/**
 * The local stack (dev/stack) for one end-to-end test file: a fresh data folder, a free port,
 * every line the host prints kept, and a poll helper whose timeout shows the host's last lines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type Stack, type StackOptions, startStack } from '../../dev/stack';

export interface TestStack {
  readonly stack: Stack;
  /** Every line the host printed, in order (tests may add their own notes). */
  readonly lines: string[];
  /**
   * Polls `probe` every 250 ms until it returns a value. On timeout (default 45 s) it fails with
   * what it waited for, `detail()` and the host's last 30 lines.
   */
  waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined> | T | undefined,
    timeoutMs?: number,
    detail?: () => string,
  ): Promise<T>;
  /** Stops the stack and removes its data folder; `E2E_LOG_FILE=path` keeps the host's output. */
  stop(): Promise<void>;
}

/** Starts the stack with a fresh data folder named after `name` (defaults: reset, a free port, 2 days of history). */
export async function startTestStack(name: string, options: StackOptions = {}): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), `sentry-e2e-${name}-`));
  const lines: string[] = [];
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir,
      reset: true,
      port: 0,
      days: 2,
      ...options,
      onHostOutput: (line, stream) => {
        lines.push(line);
        options.onHostOutput?.(line, stream);
      },
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    stack,
    lines,
    async waitFor(what, probe, timeoutMs = 45_000, detail = () => '') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) {
          throw new Error(
            `Timed out after ${timeoutMs} ms waiting for ${what}${detail()}\n--- host output (last 30 lines) ---\n${lines.slice(-30).join('\n')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async stop() {
      if (process.env.E2E_LOG_FILE !== undefined) writeFileSync(process.env.E2E_LOG_FILE, lines.join('\n'));
      try {
        await stack.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
