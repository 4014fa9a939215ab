import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'sentry-start-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolvePort(true);
    });
    socket.once('error', () => {
      resolvePort(false);
    });
  });
}

describe('npm start (the script `npm start` runs after building)', () => {
  it('brings the stack up, prints its URLs, serves the app and the channel page, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/start.ts', '--reset', '--port', '0', '--no-live', '--data', dataDir], {
      cwd: root,
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));

    const deadline = Date.now() + 90_000;
    while (!output.includes('Ctrl-C stops everything.') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output, output).toContain('Sentry local stack is up:');
    const url = (label: string) => new RegExp(`${label}\\s+(\\S+)`).exec(output)?.[1] ?? '';
    const health = await fetch(url('Health'));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', config: { loaded: true } });
    const page = await fetch(url('Slack channel page'));
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const appPort = Number(new URL(url('App \\(local Functions host\\)')).port);
    const slackPort = Number(new URL(url('Slack emulator')).port);
    expect(await portOpen(appPort)).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopped.');
    expect(await portOpen(appPort)).toBe(false);
    expect(await portOpen(slackPort)).toBe(false);
    // Secrets of the stack never reach its output.
    expect(output).not.toMatch(/xox[pb]-local-[0-9a-f]{8}/);
  }, 120_000);
});
