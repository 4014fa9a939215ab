/**
 * `npm start [-- --reset] [-- --port N --seed N --days N --poll SECONDS --no-live]`
 *
 * Without a local.settings.json: the whole embedded stack (Azurite, emulators, scenario, the app on
 * the local host). With a local.settings.json: only the local host, running the app against the
 * services its settings name (real credentials; no emulator is started).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { DEFAULT_DATA_DIR, REPO_ROOT, type Stack, startHostProcess, startStack } from './stack';

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      reset: { type: 'boolean' },
      port: { type: 'string' },
      seed: { type: 'string' },
      days: { type: 'string' },
      poll: { type: 'string' },
      'no-live': { type: 'boolean' },
      data: { type: 'string' },
    },
  });
  const port = values.port === undefined ? 7071 : Number(values.port);
  const dataDir = values.data ?? DEFAULT_DATA_DIR;

  if (existsSync(join(REPO_ROOT, 'local.settings.json'))) {
    process.stdout.write('local.settings.json found: running the app on the local host against the services it configures (no emulators).\n');
    const host = await startHostProcess({ port, dataDir: join(dataDir, 'host'), env: {}, timeoutMs: 120_000 });
    const stop = () => {
      host.child.kill('SIGTERM');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.exitCode = (await host.exited) ?? 0;
    return;
  }

  process.stdout.write(`Starting the local stack (data in ${dataDir}${values.reset === true ? ', reset' : ''})…\n`);
  const stack: Stack = await startStack({
    dataDir,
    reset: values.reset === true,
    port,
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    ...(values.days === undefined ? {} : { days: Number(values.days) }),
    ...(values.poll === undefined ? {} : { pollIntervalSeconds: Number(values.poll) }),
    live: values['no-live'] !== true,
  });
  const { urls } = stack;
  process.stdout.write(
    [
      '',
      'Sentry local stack is up:',
      `  App (local Functions host)   ${urls.app}`,
      `  Health                       ${urls.health}`,
      `  Ops status                   ${urls.ops}`,
      ...(urls.opsPage === '' ? [] : [`  Ops page                     ${urls.opsPage}`]),
      `  Slack channel page           ${urls.channelPage}`,
      `  Landed rows (ingestion)      ${urls.ingestionTables}`,
      `  Slack emulator               ${urls.slack}`,
      `  Meraki emulator              ${urls.meraki}`,
      `  Data folder                  ${stack.dataDir}`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local stack…\n`);
    void stack.stop().then(() => {
      process.stdout.write('Stopped.\n');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
