/**
 * `tsx dev/host/cli.ts [appDir] [--port N] [--data DIR] [--no-auth] [--no-durable] [--verbose]`
 *
 * Runs the local Functions host in the foreground. Prints the function URLs, then one line
 * `Host listening on <url>` that child-process tests wait for. SIGINT/SIGTERM stop it cleanly
 * (timers drained, appTerminate hooks run, durable extension stopped) and exit 0; a second signal
 * exits at once with 1. Startup failures print the reason and exit 1.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { createConsoleLogger, type Host, startHost } from './index';

const USAGE =
  'Usage: tsx dev/host/cli.ts [appDir] [--port N (default: local.settings.json Host.LocalHttpPort, else 7071)] [--data DIR] [--no-auth] [--no-durable] [--verbose]';

interface CliOptions {
  appDir: string;
  port: number | undefined;
  dataDir: string;
  auth: boolean;
  durable: boolean;
  verbose: boolean;
}

export function parseCliArgs(argv: string[]): CliOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', short: 'p' },
      data: { type: 'string' },
      'no-auth': { type: 'boolean' },
      'no-durable': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (positionals.length > 1) throw new Error(`Expected at most one app directory.\n${USAGE}`);
  const appDir = resolve(positionals[0] ?? '.');
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new Error(`--port must be 0-65535 (got "${values.port ?? ''}").`);
  return {
    appDir,
    port,
    dataDir: resolve(values.data ?? resolve(appDir, '.sentry-data')),
    auth: values['no-auth'] !== true,
    durable: values['no-durable'] !== true,
    verbose: values.verbose === true,
  };
}

function describeFunctions(host: Host): string {
  const lines: string[] = ['', 'Functions:', ''];
  const http = new Map(host.httpFunctions.map((f) => [f.name, f]));
  for (const fn of host.invoker.list()) {
    const route = http.get(fn.name);
    if (route === undefined) {
      lines.push(`\t${fn.name}: ${fn.trigger.type}`);
    } else {
      const auth =
        route.authLevel === 'anonymous' || host.keys === undefined
          ? ''
          : ` (authLevel ${route.authLevel}: needs a key)`;
      lines.push(`\t${fn.name}: [${route.methods.join(',')}] ${route.url}${auth}`);
    }
  }
  lines.push('');
  if (host.keys !== undefined) {
    lines.push(
      'Keys: pass ?code=<key> or x-functions-key (SENTRY_HOST_FUNCTION_KEY / SENTRY_HOST_MASTER_KEY, else the dev defaults); --no-auth turns checks off.',
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = createConsoleLogger({ minLevel: options.verbose ? 'debug' : 'information' });

  let host: Host | undefined;
  const state = { signalled: false };
  const shutdown = (signal: NodeJS.Signals): void => {
    if (state.signalled) {
      process.stderr.write(`Second ${signal}: exiting without a clean stop.\n`);
      process.exit(1);
    }
    state.signalled = true;
    logger('information', `${signal} received: stopping the host.`);
    if (host === undefined) return; // startup finishes first, then stops (below)
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    host = await startHost({
      appDir: options.appDir,
      port: options.port,
      dataDir: options.dataDir,
      keys: options.auth ? undefined : false,
      durable: options.durable ? undefined : false,
      logger,
    });
  } catch (error) {
    process.stderr.write(`Host failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${describeFunctions(host)}\nHost listening on ${host.url}\n`);
  if (state.signalled) {
    await host.stop();
    process.exit(0);
  }
}

if (require.main === module) void main();
