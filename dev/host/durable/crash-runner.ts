/**
 * Child-process host for the crash test: loads a fixture app, starts the durable extension on a data
 * directory and serves its management API on 127.0.0.1. Run with `node --import tsx crash-runner.ts
 * <app.js> <dataDir> [port]`; prints `READY <port>` once it accepts requests. Made to be killed.
 */
import { resolve } from 'node:path';

import { startHarness } from './harness';

async function main(): Promise<void> {
  const [appPath, dataDir, port] = process.argv.slice(2);
  if (appPath === undefined || dataDir === undefined)
    throw new Error('usage: crash-runner.ts <app.js> <dataDir> [port]');
  const harness = await startHarness({
    appPath: resolve(appPath),
    dataDir: resolve(dataDir),
    port: port === undefined ? 0 : Number(port),
    echoLogs: process.env.DURABLE_RUNNER_ECHO === '1',
    settings: {
      hubName: 'CrashHub',
      maxConcurrentActivityFunctions: 4,
      maxConcurrentOrchestratorFunctions: 4,
      maxConcurrentEntityFunctions: 4,
    },
  });
  process.stdout.write(`READY ${harness.port}\n`);
  process.on('SIGTERM', () => {
    void harness.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `crash-runner failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
