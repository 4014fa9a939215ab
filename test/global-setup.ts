import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * End-to-end tests run the compiled app exactly as Azure would (package.json `main`), so build it
 * once. Type errors do not stop the emit; they are reported by the typecheck test instead, so one
 * broken file does not hide every other test's result.
 */
export default function setup(): void {
  const root = resolve(__dirname, '..');
  const result = spawnSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) process.stderr.write(`tsc reported errors while building the app:\n${result.stdout}${result.stderr}\n`);
  if (!existsSync(resolve(root, 'dist/src/index.js'))) throw new Error('The app did not build: dist/src/index.js is missing.');
}
