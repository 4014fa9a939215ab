// The CLI as a child process, the way crash tests and `npm start` use it.
import { type ChildProcess, type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'sentry-host-cli-'));
const children: ChildProcess[] = [];

function startCli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcessByStdio<null, Readable, Readable>; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'cli.ts'), ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let text = '';
  const append = (chunk: Buffer): void => {
    text += chunk.toString();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', resolve);
  });
  return { child, output: () => text, exited };
}

/** Waits for a line from the child; gives up early if it exits first. */
async function waitFor(
  cli: { child: ChildProcess; output: () => string },
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(cli.output());
    if (match !== null) return match;
    if (cli.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(
        `No ${String(pattern)} (exit code ${String(cli.child.exitCode)}); output so far:\n${cli.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('cli', () => {
  it('prints the function URLs, serves them, and exits 0 after appTerminate on SIGINT', async () => {
    const cli = startCli(['dev/host/fixtures/http-app', '--port', '0', '--data', dataDir, '--no-durable']);
    const [, url] = await waitFor(cli, /Host listening on (http:\/\/localhost:\d+)/);
    expect(cli.output()).toContain(`itemById: [GET] ${url ?? ''}/svc/items/{id:int}`);
    expect(cli.output()).toMatch(/secured: \[GET\] .*\/svc\/secured \(authLevel function: needs a key\)/);
    expect(cli.output()).toContain('nightly: timerTrigger');
    const response = await fetch(`${url ?? ''}/svc/items/7`);
    expect(await response.json()).toEqual({ kind: 'int', id: '7' });
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('appTerminate hook ran (startedBy=appStart)');
    expect(cli.output()).toContain('Host stopped.');
  });

  it('exits 0 on SIGTERM too', async () => {
    const cli = startCli(['dev/host/fixtures/timer-app', '--port', '0', '--data', dataDir, '--no-durable'], {
      FIXTURE_TIMER_SCHEDULE: '00:01:00',
    });
    await waitFor(cli, /Host listening on/);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('exits 1 with the reason when the app cannot start', async () => {
    const cli = startCli(['dev/host/fixtures/does-not-exist', '--port', '0']);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/Host failed to start: The function app directory .*does-not-exist does not exist/);
  });
});
