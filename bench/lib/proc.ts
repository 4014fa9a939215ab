/**
 * Child processes of the bench: a TypeScript entry run by Node with the tsx loader, or compiled to
 * JavaScript first and run by plain Node (`compiled`), optionally pinned to CPUs with `taskset -c`,
 * talking over an IPC channel (`{ type: 'ready' | 'result' | 'error' }`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

import type * as TypeScript from 'typescript';

const REPO = resolve(__dirname, '..', '..');
/** The app as `npm run build` compiles it (`npm run bench` builds first). */
export const APP_DIST = join(REPO, 'dist', 'src');

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
  /**
   * Run the entry as compiled JavaScript on plain Node (see `compileWorker`), as production runs the
   * app, instead of through tsx. Memory measurements want this: tsx's loader thread and transpiler
   * add ~25 MB of RSS that production never has.
   */
  compiled?: boolean;
}

export function spawnTs(entry: string, options: SpawnOptions = {}): ChildProcess {
  const node = [
    ...(options.nodeArgs ?? []),
    ...(options.compiled === true ? [compileWorker(entry)] : ['--import', 'tsx', entry]),
  ];
  const env = { ...process.env, ...(options.compiled === true ? { BENCH_APP_DIST: APP_DIST } : {}), ...options.env };
  const pinned = options.cpus !== undefined && hasTaskset();
  const [command, args] = pinned
    ? ['taskset', ['-c', options.cpus ?? '0', process.execPath, ...node]]
    : [process.execPath, node];
  const child = spawn(command, args, {
    env,
    stdio: ['ignore', options.quiet === true ? 'ignore' : 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return child;
}

/** One folder per checkout: two trees benching at once must not overwrite each other's harness. */
function defaultCompileDir(): string {
  const tree = createHash('sha256').update(resolve(__dirname, '../..')).digest('hex').slice(0, 12);
  return join(tmpdir(), `sentry-bench-js-${tree}`);
}

/**
 * Transpiles a bench worker entry, and every bench/test/dev module it requires at run time, to
 * CommonJS under `outDir` (types are not checked here: `npm run typecheck` does that); returns the
 * compiled entry. Requires of the app (`src/…`) are pointed at its build in dist/src, so the worker
 * loads exactly the JavaScript production deploys, one copy of each module, shared with `app.ts`.
 */
export function compileWorker(entry: string, outDir = defaultCompileDir()): string {
  // Loaded here, not at the top: workers import this module too, and must not carry the compiler.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const ts = require('typescript') as typeof TypeScript;
  const options: TypeScript.CompilerOptions = {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
    sourceMap: false,
  };
  const outputOf = (file: string) => join(outDir, relative(REPO, file).replace(/\.ts$/, '.js'));
  const done = new Set<string>();
  const queue = [resolve(entry)];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (done.has(file)) continue;
    done.add(file);
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file });
    const text = outputText.replace(/require\("(\.\.?\/[^"]+)"\)/g, (_call, specifier: string) => {
      const target = resolve(dirname(file), specifier);
      const inApp = relative(join(REPO, 'src'), target);
      if (!inApp.startsWith('..')) return `require(${JSON.stringify(join(APP_DIST, inApp))})`;
      const source = [`${target}.ts`, join(target, 'index.ts')].find((candidate) => existsSync(candidate));
      // Not TypeScript (JSON, JavaScript): required where it is.
      if (source === undefined) return `require(${JSON.stringify(target)})`;
      queue.push(source);
      return `require(${JSON.stringify(outputOf(source))})`;
    });
    mkdirSync(dirname(outputOf(file)), { recursive: true });
    writeFileSync(outputOf(file), text);
  }
  return outputOf(resolve(entry));
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
