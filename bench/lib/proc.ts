/**
 * Child processes of the bench: a TypeScript entry run by Node with the tsx loader, optionally
 * pinned to CPUs with `taskset -c`, talking over an IPC channel (`{ type: 'ready' | 'result' | 'error' }`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

let tasksetChecked: boolean | undefined;

export function hasTaskset(): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked;
}

/** CPUs this process may run on (`taskset -p`), e.g. "0" or "0,1", or undefined without taskset. */
export function currentAffinity(): string | undefined {
  if (!hasTaskset()) return undefined;
  const out = execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  return /:\s*(\S+)\s*$/.exec(out.trim())?.[1];
}

export interface SpawnOptions {
  /** `taskset -c` list, e.g. "0", "1", "0-1"; ignored (with one warning) without taskset. */
  cpus?: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** Where the child's stdout goes (default: this process's stderr, so results stay clean). */
  quiet?: boolean;
}

export function spawnTs(entry: string, options: SpawnOptions = {}): ChildProcess {
  const node = [...(options.nodeArgs ?? []), '--import', 'tsx', entry];
  const pinned = options.cpus !== undefined && hasTaskset();
  const [command, args] = pinned
    ? ['taskset', ['-c', options.cpus ?? '0', process.execPath, ...node]]
    : [process.execPath, node];
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', options.quiet === true ? 'ignore' : 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return child;
}

/** Resolves with the first message of `type` (`error` messages and early exits reject). */
export function nextMessage<T>(child: ChildProcess, type: string, timeoutMs = 600_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`child did not send '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: { type?: string; error?: string } & Record<string, unknown>) => {
      if (message.type === 'error') {
        cleanup();
        reject(new Error(message.error ?? 'child failed'));
      } else if (message.type === type) {
        cleanup();
        resolve(message as unknown as T);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited with code ${String(code)} before sending '${type}'`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Runs a worker to completion and returns its `result` message's `result`. */
export async function runWorker<T>(entry: string, options: SpawnOptions & { timeoutMs?: number }): Promise<T> {
  const child = spawnTs(entry, options);
  try {
    const message = await nextMessage<{ result: T }>(child, 'result', options.timeoutMs);
    return message.result;
  } finally {
    if (child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.disconnect();
      });
    }
  }
}

/** In a worker: report the result (or the failure) to the parent and exit. */
export function reportAndExit(work: () => Promise<unknown>): void {
  work()
    .then((result) => {
      process.send?.({ type: 'result', result }, () => process.exit(0));
    })
    .catch((error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`${text}\n`);
      process.send?.({ type: 'error', error: text }, () => process.exit(1));
    });
}
