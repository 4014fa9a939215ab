// Startup failures first (they register nothing, so the process may still start a host), then one
// successful load of the ES module fixture. Registrations are process-global: one app per file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { HostStartupError, startHost } from './index';
import { applyLocalSettings, globToRegExp, readHostConfig, readLocalHostSettings, resolveEntryPoints } from './loader';
import { createMemoryLogger } from './logger';

const scratch = mkdtempSync(join(tmpdir(), 'sentry-host-loader-'));
let counter = 0;

function appWith(files: Record<string, string>): string {
  const dir = join(scratch, `app-${++counter}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('local.settings.json', () => {
  it('fills unset variables only', () => {
    const dir = appWith({
      'local.settings.json': JSON.stringify({ IsEncrypted: false, Values: { A: 'file', B: 'file' } }),
    });
    const env: Record<string, string | undefined> = { A: 'shell' };
    expect(applyLocalSettings(dir, env)).toEqual(['B']);
    expect(env).toEqual({ A: 'shell', B: 'file' });
  });

  it('is optional, but must be well-formed when present', () => {
    expect(applyLocalSettings(appWith({ 'host.json': '{}' }), {})).toEqual([]);
    expect(() => applyLocalSettings(appWith({ 'local.settings.json': '{ nope' }), {})).toThrow(/not valid JSON/);
    expect(() => applyLocalSettings(appWith({ 'local.settings.json': '{"Values":{"N":5}}' }), {})).toThrow(
      /Values.N must be a string/,
    );
    expect(() =>
      applyLocalSettings(appWith({ 'local.settings.json': '{"IsEncrypted":true,"Values":{}}' }), {}),
    ).toThrow(/encrypted/);
  });
});

describe('local.settings.json Host section', () => {
  it('reads LocalHttpPort and CORS, and defaults to none', () => {
    const dir = appWith({
      'local.settings.json': JSON.stringify({
        Values: {},
        Host: { LocalHttpPort: 7072, CORS: 'http://a.test, http://b.test/', CORSCredentials: true },
      }),
    });
    expect(readLocalHostSettings(dir)).toEqual({
      localHttpPort: 7072,
      cors: ['http://a.test', 'http://b.test'],
      corsCredentials: true,
    });
    expect(readLocalHostSettings(appWith({ 'host.json': '{}' }))).toEqual({
      localHttpPort: undefined,
      cors: [],
      corsCredentials: false,
    });
    expect(() => readLocalHostSettings(appWith({ 'local.settings.json': '{"Host":{"LocalHttpPort":"x"}}' }))).toThrow(
      /LocalHttpPort/,
    );
  });
});

describe('host.json', () => {
  it('defaults the route prefix to api and the hub to WEBSITE_SITE_NAME, else TestHubName', () => {
    const dir = appWith({ 'host.json': '{"version":"2.0"}' });
    expect(readHostConfig(dir, {})).toMatchObject({ routePrefix: 'api', durable: { hubName: 'TestHubName' } });
    expect(readHostConfig(dir, { WEBSITE_SITE_NAME: 'sentryprod' }).durable.hubName).toBe('sentryprod');
  });

  it('reads routePrefix, %SETTING% hub names and concurrency limits', () => {
    const dir = appWith({
      'host.json': JSON.stringify({
        version: '2.0',
        extensions: {
          http: { routePrefix: '/' },
          durableTask: { hubName: '%HUB%', maxConcurrentOrchestratorFunctions: 4 },
        },
      }),
    });
    const config = readHostConfig(dir, { HUB: 'SentryHub' });
    expect(config.routePrefix).toBe('');
    expect(config.durable).toMatchObject({ hubName: 'SentryHub', maxConcurrentOrchestratorFunctions: 4 });
    expect(() => readHostConfig(dir, {})).toThrow(/'%HUB%' does not resolve to a value/);
  });

  it.each([
    ['{"version":"1.0"}', /"version" must be "2.0"/],
    ['{"version":"2.0","extensions":{"durableTask":{"hubName":"bad-name"}}}', /Task hub name "bad-name" is invalid/],
    ['{"version":"2.0","extensions":{"durableTask":{"maxConcurrentActivityFunctions":0}}}', /positive integer/],
  ])('rejects %s', (hostJson, message) => {
    expect(() => readHostConfig(appWith({ 'host.json': hostJson }), {})).toThrow(message);
  });

  it('is required, as for the real host', () => {
    expect(() => readHostConfig(appWith({ 'package.json': '{}' }), {})).toThrow(/No host.json/);
  });
});

describe('package.json main', () => {
  it('matches globs like the worker (**, *, ?, braces)', () => {
    expect(globToRegExp('dist/**/*.js').test('dist/a/b/c.js')).toBe(true);
    expect(globToRegExp('dist/**/*.js').test('dist/c.js')).toBe(true);
    expect(globToRegExp('dist/*.js').test('dist/a/c.js')).toBe(false);
    expect(globToRegExp('dist/{a,b}.?s').test('dist/b.js')).toBe(true);
  });

  it('resolves a glob to sorted files and a plain path to itself', () => {
    const dir = appWith({
      'dist/functions/b.js': '',
      'dist/functions/a.js': '',
      'dist/functions/a.js.map': '',
      'dist/index.js': '',
    });
    expect(resolveEntryPoints(dir, 'dist/functions/*.js')).toEqual([
      join(dir, 'dist/functions/a.js'),
      join(dir, 'dist/functions/b.js'),
    ]);
    expect(resolveEntryPoints(dir, './dist/index.js')).toEqual([join(dir, 'dist/index.js')]);
    expect(resolveEntryPoints(dir, 'dist/missing.js')).toEqual([]);
  });
});

describe('starting a host', () => {
  const memory = createMemoryLogger();
  const start = (fixture: string) =>
    startHost({ appDir: join(__dirname, 'fixtures', fixture), port: 0, durable: false, logger: memory.logger });

  it('fails clearly when main matches nothing', async () => {
    await expect(start('empty-main-app')).rejects.toThrow(
      /Found zero files matching the package.json "main" pattern "dist\/functions\/\*.js"/,
    );
  });

  it('fails clearly when the app throws while loading', async () => {
    const failure = start('throwing-app');
    await expect(failure).rejects.toBeInstanceOf(HostStartupError);
    await expect(failure).rejects.toThrow(/unable to load entry point "index.js": SENTRY_SOMETHING is not set/);
  });

  it('loads an ES module app with import() once earlier failures registered nothing', async () => {
    const host = await start('esm-app');
    try {
      expect(host.invoker.list().map((f) => f.name)).toEqual(['esmHello']);
      const response = await fetch(`${host.url}/api/esmHello`);
      expect(await response.json()).toEqual({ module: 'esm' });
    } finally {
      await host.stop();
    }
  });
});
