/**
 * The Functions worker's Node arguments live in one file, infra/bicep/node-arguments.json: main.bicep
 * loads it into `languageWorkers__node__arguments`, and the backfill bench runs its verdict with the
 * same list. These tests keep the three (file, Bicep, bench) and the deploy guide from drifting, and
 * check that the Node running the tests accepts every flag (a flag Node rejects stops the worker
 * from starting at all).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { productionNodeArguments } from '../../bench/backfill';
import { declaration, objectEntries, readBicep, REPO } from './bicep-reader';
import { documentedSettings } from './repo-facts';

const FILE = resolve(REPO, 'infra', 'bicep', 'node-arguments.json');
const fileArguments = (JSON.parse(readFileSync(FILE, 'utf8')) as { arguments: string[] }).arguments;

describe('Node worker arguments', () => {
  const main = readBicep('main.bicep');

  it('main.bicep sets languageWorkers__node__arguments from node-arguments.json, joined by spaces', () => {
    expect(declaration(main, 'var', 'nodeArguments').body.trim()).toBe(
      "loadJsonContent('./node-arguments.json').arguments",
    );
    const settings = new Map(
      objectEntries(declaration(main, 'var', 'appSettings').body).map(({ key, value }) => [key, value]),
    );
    expect(settings.get('languageWorkers__node__arguments')).toBe("join(nodeArguments, ' ')");
  });

  it('the backfill bench runs with exactly the list Azure gets', () => {
    expect(productionNodeArguments()).toEqual(fileArguments);
  });

  it('every argument is one --flag or --flag=value (the host splits the setting on spaces)', () => {
    for (const arg of fileArguments) expect(arg).toMatch(/^--[a-z0-9-]+(=\S+)?$/);
  });

  it('no hard heap cap: a larger live set must slow the GC down, not crash the worker', () => {
    expect(fileArguments.filter((arg) => /^--max-(old-space|heap)-size\b/.test(arg))).toEqual([]);
  });

  it('Node accepts every flag', () => {
    const run = spawnSync(process.execPath, [...fileArguments, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // And a flag Node does not know really is refused, so the check above can fail.
    const bad = spawnSync(process.execPath, ['--heap-growing-percentage=50', '-e', 'process.exit(0)'], {
      encoding: 'utf8',
    });
    expect(bad.status).not.toBe(0);
  });

  it('docs/deploy.md documents the setting as set by main.bicep, with the current flags', () => {
    const row = documentedSettings().find((d) => d.name === 'languageWorkers__node__arguments');
    expect(row?.how).toBe('set');
    for (const arg of fileArguments) expect(row?.notes).toContain(arg);
  });
});
