/**
 * Optional vitest globalSetup: generates the shared test CA once and sets NODE_EXTRA_CA_CERTS before
 * vitest starts its workers. With the default `forks` pool the workers are child processes that
 * inherit it at start, so the Azure SDK, MSAL and global fetch trust the emulators with no per-client
 * `tlsOptions` (verified; with `--pool threads` it has no effect, since threads share the parent's
 * already-loaded trust store). Add it to `test.globalSetup` in vitest.config.mts to use it.
 */
import { testCa } from './test-ca';

export default async function setup(): Promise<void> {
  const ca = await testCa();
  process.env.NODE_EXTRA_CA_CERTS = ca.caPath;
}
