/**
 * Crash safety: a host process running the crash fixture app is killed with SIGKILL mid-flight
 * (between activities, during a timer with an event pending, at random instants), restarted on the
 * same data directory, and must finish with the right output. Activities write start/done markers:
 * an activity whose completion was recorded must never run again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

const runner = join(__dirname, 'crash-runner.ts');
const app = join(__dirname, 'fixtures/crash-app/index.js');
const dirs: string[] = [];
const children = new Set<ChildProcess>();

interface Host {
  child: ChildProcess;
  port: number;
  output: string[];
}

function workspace(): { dataDir: string; marker: string } {
  const dir = mkdtempSync(join(tmpdir(), 'durable-crash-'));
  dirs.push(dir);
  const marker = join(dir, 'markers.txt');
  writeFileSync(marker, '');
  return { dataDir: join(dir, 'data'), marker };
}

async function startHost(dataDir: string, marker: string): Promise<Host> {
  const child = spawn(process.execPath, ['--import', 'tsx', runner, app, dataDir], {
    env: { ...process.env, DURABLE_MARKER_FILE: marker },
    stdio: ['ignore', 'pipe', 'pipe'] as const,
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const output: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      reject(new Error(`host did not start: ${output.join('')}`));
    }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const match = /READY (\d+)/.exec(buffered);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited (${String(code)}): ${output.join('')}`));
    });
  });
  return { child, port, output };
}

async function kill(host: Host): Promise<void> {
  if (host.child.exitCode !== null) return;
  const exited = new Promise((resolve) => host.child.once('exit', resolve));
  host.child.kill('SIGKILL');
  await exited;
}

async function api(
  host: Host,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${host.port}/durabletask/${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

interface Status {
  runtimeStatus: string;
  output: unknown;
  historyEvents?: { EventType: string; Input?: string }[];
}

async function status(host: Host, id: string): Promise<Status> {
  return (await api(host, 'GET', `instances/${id}?showHistory=true`)).body as Status;
}

async function until(host: Host, id: string, predicate: (s: Status) => boolean, timeoutMs = 15_000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await status(host, id);
    if (predicate(current)) return current;
    if (Date.now() > deadline)
      throw new Error(`timed out; last status ${JSON.stringify(current)}; host log: ${host.output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

function markers(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean))
    counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

const completedStep = (name: string) => (s: Status) =>
  (s.historyEvents ?? []).some((e) => e.EventType === 'TaskCompleted' && (e.Input ?? '').includes(`"name":"${name}"`));

afterEach(async () => {
  await Promise.all([...children].map((child) => kill({ child, port: 0, output: [] })));
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('kill -9 and restart', () => {
  it('resumes between activities, during a timer and with a pending event, without re-running completed activities', async () => {
    const { dataDir, marker } = workspace();
    let host = await startHost(dataDir, marker);
    const started = await api(host, 'POST', 'orchestrators/Pipeline', { timerMs: 900, hold: 250 });
    expect(started.status).toBe(202);
    const id = (started.body as { id: string }).id;

    // 1. Between activities: `a` is recorded as completed, `b` is in flight.
    await until(host, id, completedStep('a'));
    await kill(host);
    expect(markers(marker).get('done:b')).toBeUndefined();
    host = await startHost(dataDir, marker);

    // 2. During the timer, with the external event already accepted (202) but not yet consumed.
    await until(host, id, (s) => (s.historyEvents ?? []).some((e) => e.EventType === 'TimerCreated'));
    expect((await api(host, 'POST', `instances/${id}/raiseEvent/Go`, { approved: true })).status).toBe(202);
    await kill(host);
    const killedAt = Date.now();
    // Stay down until the timer is overdue: it must fire at once on restart.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 950 - (Date.now() - killedAt))));
    host = await startHost(dataDir, marker);

    const done = await until(host, id, (s) => s.runtimeStatus === 'Completed' || s.runtimeStatus === 'Failed');
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual(['a-done', 'b-done', { approved: true }, 'c-done']);
    const counts = markers(marker);
    expect(counts.get('done:a')).toBe(1);
    expect(counts.get('done:b')).toBe(1);
    expect(counts.get('done:c')).toBe(1);
    // `b` had not finished at the first kill, so it finished only because the restart re-dispatched it.
    expect(counts.get('start:b')).toBeGreaterThanOrEqual(1);
    await kill(host);
  });

  it('survives kills at arbitrary instants with a readable store and the right result', async () => {
    const { dataDir, marker } = workspace();
    let host = await startHost(dataDir, marker);
    const started = await api(host, 'POST', 'orchestrators/Chain', { steps: 4, hold: 40 });
    const id = (started.body as { id: string }).id;
    for (const delay of [60, 170, 110, 230]) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      await kill(host);
      // No temp file may ever be taken for a document, and every document must parse.
      for (const file of readdirSync(join(dataDir, 'CrashHub')).filter((f) => f.endsWith('.json'))) {
        expect(() => JSON.parse(readFileSync(join(dataDir, 'CrashHub', file), 'utf8')) as unknown).not.toThrow();
      }
      host = await startHost(dataDir, marker);
    }
    const done = await until(host, id, (s) => s.runtimeStatus === 'Completed' || s.runtimeStatus === 'Failed', 20_000);
    expect(done.output).toEqual([
      's0-done',
      's1-done',
      's2-done',
      's3-done',
      'f0-done',
      'f1-done',
      'f2-done',
      'f3-done',
      'child-done',
    ]);
    const counts = markers(marker);
    for (const name of ['s0', 's1', 's2', 's3', 'f0', 'f1', 'f2', 'f3', 'child']) {
      // At-least-once: an activity can only run twice if a kill hit between its return and the
      // write of its completion, a window of one synchronous file write.
      expect(counts.get(`done:${name}`) ?? 0).toBeGreaterThanOrEqual(1);
      expect(counts.get(`done:${name}`) ?? 0).toBeLessThanOrEqual(2);
    }
    await kill(host);
  });
});
