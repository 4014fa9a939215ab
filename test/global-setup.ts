import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** End-to-end tests run the compiled app exactly as Azure would (package.json `main`), so build it once. */
export default function setup(): void {
  const root = resolve(__dirname, '..');
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}
