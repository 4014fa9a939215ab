import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');

function run(script: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [resolve(root, script), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** `npm test` is the one command CI runs, so type errors and lint errors fail it too. */
describe('code quality gates', () => {
  it('the whole tree typechecks (strict, noUncheckedIndexedAccess)', () => {
    const { status, output } = run('node_modules/typescript/bin/tsc', ['-p', 'tsconfig.json', '--noEmit']);
    expect(output.split('\n').filter((line) => line.includes('error TS'))).toEqual([]);
    expect(status).toBe(0);
  }, 180_000);

  it('the whole tree passes ESLint (typescript-eslint strict, only config reads process.env in src/)', () => {
    const { status, output } = run('node_modules/eslint/bin/eslint.js', ['.', '--max-warnings', '0']);
    // The default formatter prints each file, then one `line:col  error  message  rule` line per problem.
    expect(
      output.split('\n').filter((line) => /^\s+\d+:\d+\s+(error|warning)\s/.test(line) || line.startsWith('/')),
    ).toEqual([]);
    expect(status).toBe(0);
  }, 300_000);
});
