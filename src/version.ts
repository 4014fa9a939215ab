import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The app's version from its package.json, found by walking up from the compiled file (dist/src/… or src/…). */
function readVersion(): string {
  let dir = __dirname;
  for (let depth = 0; depth < 5; depth += 1) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sentry-security-pipeline' && typeof pkg.version === 'string') return pkg.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export const APP_VERSION = readVersion();
