/**
 * The CA for tests: generated once under the OS temp folder and reused by every test file and
 * worker (ensureLocalCa locks and re-validates), so a run pays for key generation at most once.
 * Children that must trust it are started with `trustingEnv(ca)` (NODE_EXTRA_CA_CERTS).
 */
import { userInfo, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureLocalCa, type LocalCa } from './local-ca';

let shared: Promise<LocalCa> | undefined;

/** Folder of the shared test CA (per OS user, so two users on one machine do not collide). */
export function testCaDir(): string {
  return join(tmpdir(), `sentry-test-ca-${userInfo().username}`);
}

export function testCa(): Promise<LocalCa> {
  shared ??= ensureLocalCa(testCaDir());
  return shared;
}
