/**
 * `compileWorker`: the backfill bench's worker runs as compiled JavaScript on plain Node, loading
 * the app from dist/src (the global setup builds it), never through tsx.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { APP_DIST, compileWorker } from './lib/proc';

describe('compileWorker', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'compile-worker-'));
  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it('transpiles the entry and the bench/test modules it requires; app modules come from dist/src', () => {
    const entry = compileWorker(join(__dirname, 'backfill.ts'), outDir);
    expect(entry).toBe(join(outDir, 'bench', 'backfill.js'));
    const measure = readFileSync(join(outDir, 'bench', 'lib', 'measure.js'), 'utf8');
    expect(measure).toContain(`require(${JSON.stringify(join(APP_DIST, 'transforms', 'billable-size'))})`);
    expect(readFileSync(join(outDir, 'test', 'helpers', 'seed-logstash-row.js'), 'utf8')).toContain(
      JSON.stringify(join(APP_DIST, 'transforms', 'slack-audit')),
    );
    // Type-only imports (the emulators, durable-functions' types) leave nothing behind.
    expect(readFileSync(entry, 'utf8')).not.toMatch(/require\("[^"]*(emulators|durable-functions)/);
  });

  it('the compiled worker runs on plain Node, without tsx, against the built app', () => {
    const entry = compileWorker(join(__dirname, 'backfill.ts'), outDir);
    const script = [
      `const worker = require(${JSON.stringify(entry)});`,
      `const { app } = require(${JSON.stringify(join(outDir, 'bench', 'lib', 'app.js'))});`,
      'const names = app.names();',
      'const loaded = Object.keys(require.cache);',
      'process.stdout.write(JSON.stringify({',
      '  measure: typeof worker.measureBackfill,',
      '  activity: names.ActivityNames.collectSlackAudit,',
      "  tsx: loaded.some((f) => f.includes('/tsx/')),",
      `  appFromDist: loaded.some((f) => f.startsWith(${JSON.stringify(APP_DIST)})),`,
      "  appFromSources: loaded.some((f) => f.endsWith('.ts')),",
      '}));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { ...process.env, BENCH_APP_DIST: APP_DIST, NODE_OPTIONS: '' },
    });
    expect(JSON.parse(out)).toEqual({
      measure: 'function',
      activity: 'collectSlackAudit',
      tsx: false,
      appFromDist: true,
      appFromSources: false,
    });
  });
});
