/**
 * The embedded local stack behind `npm start` and the end-to-end tests: Azurite, the Slack, Meraki,
 * Entra ID and Logs Ingestion emulators (in this process), the seeded scenario and its live feed, and
 * the local Functions host running the unmodified compiled app in a child process.
 *
 * The app is a separate process on purpose: it must trust the local CA through NODE_EXTRA_CA_CERTS,
 * which Node reads only at start (the app itself gets no TLS options: it cannot tell it is local),
 * and crash tests kill it with SIGKILL. Everything is written under one data folder; emulator state
 * is snapshotted there so a restart continues where it stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { type AzuriteInstance, startAzurite } from '../emulators/azurite';
import { DEFAULT_MANAGED_IDENTITIES, type EntraEmulator, startEntraEmulator } from '../emulators/entra';
import { type IngestionEmulator, startIngestionEmulator } from '../emulators/ingestion';
import { type MerakiEmulator, startMerakiEmulator } from '../emulators/meraki';
import { type SlackEmulator, startSlackEmulator } from '../emulators/slack';
import { ensureLocalCa, type LocalCa } from '../emulators/tls';
import { DEFAULT_HOST_KEYS } from '../host/http';
import { createLiveFeed, generateScenario, type LiveFeed, type Scenario } from '../scenario';
import { type OpsPage, startOpsPage } from './ops-page';
import { applyLiveBatch, incidentChannelOf, merakiSeed, slackOrg, slackSeed, type StackSecrets } from './seed';

export const REPO_ROOT = resolve(__dirname, '../..');
export const DEFAULT_DATA_DIR = join(REPO_ROOT, '.sentry-data');

export interface StackOptions {
  dataDir?: string;
  /** Delete the data folder first. */
  reset?: boolean;
  /** Host port (default 7071; 0 picks a free one). */
  port?: number;
  seed?: number;
  /** Days of backdated history the scenario generates on first start (default 14). */
  days?: number;
  /** Fixed clock for the scenario's history (default: now). */
  now?: number;
  pollIntervalSeconds?: number;
  /** Feed the scenario's live events into the emulators every `liveTickMs` (default on, 5 s). */
  live?: boolean;
  liveTickMs?: number;
  /** Start the app host (default true); tests of the emulators alone can skip it. */
  host?: boolean;
  /** Extra app settings (override the stack's). */
  appSettings?: Record<string, string>;
  /** Extra app settings that depend on the generated scenario (e.g. its detections configuration); applied last. */
  scenarioAppSettings?: (scenario: Scenario) => Record<string, string>;
  /** Receives every line the host prints (default: process stdout/stderr). */
  onHostOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  hostStartTimeoutMs?: number;
  /** Serve the ops page (default: when the host starts). */
  opsPage?: boolean;
  /** Ops page port (default: the host port + 10, or a free one). */
  opsPagePort?: number;
}

export interface StackUrls {
  app: string;
  health: string;
  channelPage: string;
  slack: string;
  meraki: string;
  ingestion: string;
  ingestionTables: string;
  durableStatus: string;
  ops: string;
  /** The local ops page ('' when it is not served). */
  opsPage: string;
}

export interface Stack {
  dataDir: string;
  urls: StackUrls;
  secrets: StackSecrets;
  /** App settings the host runs with (secrets included: never print them). */
  appSettings: Record<string, string>;
  scenario: Scenario;
  slack: SlackEmulator;
  meraki: MerakiEmulator;
  entra: EntraEmulator;
  ingestion: IngestionEmulator;
  azurite: AzuriteInstance;
  ca: LocalCa;
  liveFeed: LiveFeed;
  host: HostProcess | undefined;
  opsPage: OpsPage | undefined;
  /** Applies the live feed up to now (or a given time) at once; the timer does the same every tick. */
  tick(toMs?: number): Promise<void>;
  /** Writes the emulators' state to the data folder. */
  persist(): void;
  /** Kills the host with SIGKILL and starts it again on the same data folder (crash tests). */
  crashHost(): Promise<void>;
  restartHost(): Promise<void>;
  stop(): Promise<void>;
}

export interface HostProcess {
  child: ChildProcess;
  url: string;
  port: number;
  lines: string[];
  exited: Promise<number | null>;
}

interface PersistedState {
  scenario: { seed: number; days: number; now: number };
  liveCursorMs: number;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

function writeJsonAtomic(path: string, value: unknown): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(value));
  renameSync(temp, path);
}

function loadSecrets(dataDir: string): StackSecrets {
  const path = join(dataDir, 'secrets.json');
  const existing = readJson(path) as StackSecrets | undefined;
  if (existing !== undefined) return existing;
  const token = (prefix: string) => `${prefix}${randomBytes(18).toString('hex')}`;
  const secrets: StackSecrets = {
    slackAuditToken: token('xoxp-local-'),
    slackBotToken: token('xoxb-local-'),
    slackScimToken: token('xoxp-scim-local-'),
    slackSigningSecret: randomBytes(16).toString('hex'),
    merakiApiKey: randomBytes(20).toString('hex'),
    merakiWebhookSecret: randomBytes(12).toString('hex'),
  };
  writeJsonAtomic(path, secrets);
  return secrets;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  if (options.reset === true) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(join(dataDir, 'emulators'), { recursive: true });
  const secrets = loadSecrets(dataDir);
  const statePath = join(dataDir, 'stack.json');
  const slackPath = join(dataDir, 'emulators', 'slack.json');
  const merakiPath = join(dataDir, 'emulators', 'meraki.json');

  const persisted = readJson(statePath) as PersistedState | undefined;
  const scenarioParams = persisted?.scenario ?? {
    seed: options.seed ?? 42,
    days: options.days ?? 14,
    now: options.now ?? Date.now(),
  };
  const scenario = generateScenario(scenarioParams);
  const liveFeed = createLiveFeed(scenario);
  let liveCursorMs = persisted?.liveCursorMs ?? scenarioParams.now;

  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // keep stopping the rest
      }
    }
  };

  try {
    const ca = await ensureLocalCa(join(dataDir, 'tls'));
    const azurite = await startAzurite({ location: join(dataDir, 'azurite') });
    cleanups.push(() => azurite.stop());
    const entra = await startEntraEmulator({ tls: { key: ca.key, cert: ca.cert }, dataDir: join(dataDir, 'entra') });
    cleanups.push(() => entra.close());
    const ingestion = await startIngestionEmulator({
      tls: { key: ca.key, cert: ca.cert },
      verifyToken: (token, audience) => entra.verifyToken(token, audience),
      dataDir: join(dataDir, 'ingestion'),
      streamsFile: join(REPO_ROOT, 'infra/bicep/generated/streams.json'),
    });
    cleanups.push(() => ingestion.close());

    const slackSnapshot = readJson(slackPath) as Record<string, unknown> | undefined;
    const slack = await startSlackEmulator({
      org: slackOrg(scenario),
      seed: slackSnapshot ?? slackSeed(scenario),
      tokens: { audit: secrets.slackAuditToken, bot: secrets.slackBotToken, scim: secrets.slackScimToken },
      interactivity: { signingSecret: secrets.slackSigningSecret },
    });
    cleanups.push(() => slack.close());

    const merakiSnapshot = readJson(merakiPath) as Record<string, unknown> | undefined;
    const meraki = await startMerakiEmulator({
      state: merakiSnapshot ?? merakiSeed(scenario, secrets.merakiApiKey),
      webhooks: { sharedSecret: secrets.merakiWebhookSecret, onUplinkChange: false },
    });
    cleanups.push(() => meraki.close());

    const persist = () => {
      writeJsonAtomic(slackPath, slack.state.snapshot());
      writeJsonAtomic(merakiPath, meraki.state.snapshot());
      writeJsonAtomic(statePath, { scenario: scenarioParams, liveCursorMs } satisfies PersistedState);
    };
    persist();

    const identity = DEFAULT_MANAGED_IDENTITIES[0];
    const appSettings: Record<string, string> = {
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsStorage: azurite.connectionString,
      SENTRY_TASK_HUB: 'SentryLocal',
      SENTRY_POLL_INTERVAL_SECONDS: String(options.pollIntervalSeconds ?? 60),
      ...ingestion.env(),
      ...entra.managedIdentityEnv(identity?.clientId),
      SENTRY_SLACK_AUDIT_TOKEN: secrets.slackAuditToken,
      SENTRY_SLACK_BOT_TOKEN: secrets.slackBotToken,
      SENTRY_SLACK_SCIM_TOKEN: secrets.slackScimToken,
      SENTRY_SLACK_SIGNING_SECRET: secrets.slackSigningSecret,
      SENTRY_SLACK_API_URL: slack.apiUrl,
      SENTRY_SLACK_AUDIT_API_URL: slack.auditUrl,
      SENTRY_SLACK_SCIM_API_URL: slack.scimUrl,
      SENTRY_SLACK_INCIDENT_CHANNEL: incidentChannelOf(scenario),
      SENTRY_SLACK_RESPONDER_GROUP: scenario.meta.responderGroupId,
      SENTRY_SLACK_ONCALL_GROUP: scenario.meta.oncallGroupId,
      // The emulator serves response_url on its own origin (Slack's is https://hooks.slack.com).
      SENTRY_SLACK_RESPONSE_URL_ORIGINS: new URL(slack.url).origin,
      SENTRY_MERAKI_API_KEY: secrets.merakiApiKey,
      SENTRY_MERAKI_BASE_URL: `${meraki.url}/`,
      SENTRY_MERAKI_ORG_IDS: scenario.meta.merakiOrganizationIds.join(','),
      SENTRY_MERAKI_WEBHOOK_SECRET: secrets.merakiWebhookSecret,
      ...options.appSettings,
      ...options.scenarioAppSettings?.(scenario),
    };

    let host: HostProcess | undefined;
    const startApp = async (port: number) => {
      host = await startHostProcess({
        port,
        dataDir: join(dataDir, 'host'),
        env: { ...appSettings, NODE_EXTRA_CA_CERTS: ca.caPath },
        onOutput: options.onHostOutput,
        timeoutMs: options.hostStartTimeoutMs ?? 60_000,
      });
      slack.setInteractivity({
        requestUrl: `${host.url}/api/slack/interactivity`,
        signingSecret: secrets.slackSigningSecret,
      });
      meraki.webhooks.configure({ url: `${host.url}/api/meraki/webhook`, sharedSecret: secrets.merakiWebhookSecret });
    };
    const stopApp = async (signal: NodeJS.Signals) => {
      const current = host;
      host = undefined;
      if (current === undefined) return;
      current.child.kill(signal);
      await current.exited;
    };
    if (options.host !== false) {
      await startApp(options.port ?? 7071);
      cleanups.push(() => stopApp('SIGTERM'));
    }

    let opsPage: OpsPage | undefined;
    if (options.opsPage ?? options.host !== false) {
      const appBase = () => host?.url ?? `http://localhost:${options.port ?? 7071}`;
      const pageOptions = {
        appUrl: appBase,
        functionKey:
          appSettings.SENTRY_HOST_FUNCTION_KEY ?? process.env.SENTRY_HOST_FUNCTION_KEY ?? DEFAULT_HOST_KEYS.function,
        links: {
          channelPage: `${slack.url}/`,
          ingestionTables: `${ingestion.url}/_tables`,
          health: `${appBase()}/api/health`,
        },
      };
      const preferred = options.opsPagePort ?? (options.port === 0 ? 0 : (options.port ?? 7071) + 10);
      try {
        opsPage = await startOpsPage({ ...pageOptions, port: preferred });
      } catch (error) {
        if ((error as { code?: string }).code !== 'EADDRINUSE' || options.opsPagePort !== undefined) throw error;
        opsPage = await startOpsPage({ ...pageOptions, port: 0 });
      }
      const page = opsPage;
      cleanups.push(() => page.close());
    }

    let ticking = Promise.resolve();
    const tick = (toMs = Date.now()) => {
      ticking = ticking.then(async () => {
        if (toMs <= liveCursorMs) return;
        const batch = liveFeed.next(liveCursorMs, toMs);
        liveCursorMs = toMs;
        await applyLiveBatch(batch, slack, meraki, secrets.merakiWebhookSecret);
      });
      return ticking;
    };
    if (options.live !== false) {
      const timer = setInterval(() => {
        void tick().catch((error: unknown) => {
          process.stderr.write(`stack: live feed tick failed: ${String(error)}\n`);
        });
      }, options.liveTickMs ?? 5_000);
      timer.unref();
      cleanups.push(() => {
        clearInterval(timer);
      });
    }
    const persistTimer = setInterval(persist, 30_000);
    persistTimer.unref();
    cleanups.push(async () => {
      clearInterval(persistTimer);
      await ticking.catch(() => undefined);
      persist();
    });

    const appUrl = () => host?.url ?? `http://localhost:${options.port ?? 7071}`;
    const urls: StackUrls = {
      get app() {
        return appUrl();
      },
      get health() {
        return `${appUrl()}/api/health`;
      },
      channelPage: `${slack.url}/`,
      slack: slack.url,
      meraki: meraki.url,
      ingestion: ingestion.url,
      ingestionTables: `${ingestion.url}/_tables`,
      get durableStatus() {
        return `${appUrl()}/runtime/webhooks/durabletask/instances?taskHub=SentryLocal&code=<system key>`;
      },
      get ops() {
        return `${appUrl()}/api/ops/status`;
      },
      opsPage: opsPage?.url ?? '',
    };

    return {
      dataDir,
      urls,
      secrets,
      appSettings,
      scenario,
      slack,
      meraki,
      entra,
      ingestion,
      azurite,
      ca,
      liveFeed,
      get host() {
        return host;
      },
      opsPage,
      tick,
      persist,
      crashHost: async () => {
        const port = host?.port ?? 0;
        await stopApp('SIGKILL');
        await startApp(port);
      },
      restartHost: async () => {
        const port = host?.port ?? 0;
        await stopApp('SIGTERM');
        await startApp(port);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export interface HostProcessOptions {
  port: number;
  dataDir: string;
  env: Record<string, string>;
  onOutput?: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined;
  timeoutMs: number;
}

/** Starts `dev/host/cli.ts` on the compiled app and resolves once it listens. */
export async function startHostProcess(options: HostProcessOptions): Promise<HostProcess> {
  // tsx as a loader in one node process (its CLI wrapper would spawn a second one, and a SIGKILL
  // meant to crash the host would orphan the real host instead).
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'dev/host/cli.ts'),
      REPO_ROOT,
      '--port',
      String(options.port),
      '--data',
      options.dataDir,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => {
      resolveExit(code);
    }),
  );
  const emit =
    options.onOutput ??
    ((line: string, stream: 'stdout' | 'stderr') =>
      (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`));
  let url: string | undefined;
  const listening = new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`The local host did not start within ${options.timeoutMs} ms:\n${lines.slice(-20).join('\n')}`));
    }, options.timeoutMs);
    const onLine = (line: string, stream: 'stdout' | 'stderr') => {
      lines.push(line);
      if (lines.length > 5_000) lines.splice(0, 1_000);
      emit(line, stream);
      const match = /Host listening on (\S+)/.exec(line);
      if (match?.[1] !== undefined && url === undefined) {
        url = match[1];
        clearTimeout(timer);
        resolveUrl(url);
      }
    };
    for (const [stream, name] of [
      [child.stdout, 'stdout'],
      [child.stderr, 'stderr'],
    ] as const) {
      let buffer = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffer += chunk;
        let index: number;
        while ((index = buffer.indexOf('\n')) >= 0) {
          onLine(buffer.slice(0, index), name);
          buffer = buffer.slice(index + 1);
        }
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      if (url === undefined)
        reject(
          new Error(
            `The local host exited with code ${String(code)} before listening:\n${lines.slice(-20).join('\n')}`,
          ),
        );
    });
  });
  const hostUrl = await listening;
  return { child, url: hostUrl, port: Number(new URL(hostUrl).port), lines, exited };
}
