/**
 * What the incident activities talk to, built once per process from configuration: the Slack bot and
 * admin clients, SCIM, Meraki, the incident and snooze tables, and the response-stream uploader.
 * Tests replace the whole set with `setIncidentDepsForTests` (emulators, in-memory stores).
 */
import { getConfig, type Config } from '../config';
import { MerakiClient } from '../collectors/meraki/client';
import { ingestionClient } from '../ingestion/client';
import { StreamUploader } from '../ingestion/uploader';
import type { MerakiActions } from '../response/actions';
import { ScimClient } from '../response/scim';
import { type SlackApi, slackWebClient } from '../slack/web-client';
import { IncidentStore } from '../state/incidents';
import { SnoozeStore } from '../state/snoozes';
import { type ResponseRow, streams } from '../transforms/streams';

export interface IncidentDeps {
  config: Config;
  /** Bot token client; throws a config error when SENTRY_SLACK_BOT_TOKEN is missing. */
  bot(): SlackApi;
  /** Admin user token client, or undefined when no admin/audit token is configured. */
  admin(): SlackApi | undefined;
  scim(): ScimClient | undefined;
  meraki(): MerakiActions | undefined;
  incidents: IncidentStore;
  snoozes: SnoozeStore;
  /** Lands response rows; throws if any could not be landed. */
  landResponses(rows: ResponseRow[]): Promise<void>;
  /** POSTs JSON to a Slack response_url. */
  postJson(url: string, body: unknown): Promise<number>;
  now: () => Date;
}

export function productionDeps(config: Config): IncidentDeps {
  let meraki: MerakiClient | undefined;
  let scim: ScimClient | undefined;
  return {
    config,
    bot: () => slackWebClient(config, 'bot') as unknown as SlackApi,
    admin: () =>
      config.slack.adminToken === undefined ? undefined : (slackWebClient(config, 'admin') as unknown as SlackApi),
    scim: () => {
      if (config.slack.scimToken === undefined) return undefined;
      scim ??= new ScimClient({ baseUrl: config.slack.scimApiUrl, token: config.slack.scimToken });
      return scim;
    },
    meraki: () => {
      if (config.meraki.apiKey === undefined) return undefined;
      meraki ??= new MerakiClient({ baseUrl: config.meraki.baseUrl, apiKey: config.meraki.apiKey, maxRetries: 2 });
      return meraki;
    },
    incidents: new IncidentStore(config),
    snoozes: new SnoozeStore(config),
    landResponses: async (rows) => {
      const uploader = new StreamUploader({
        client: ingestionClient(config),
        dcrImmutableId: config.ingestion.dcrImmutableId,
        stream: streams.response.stream,
        concurrency: 1,
      });
      await uploader.addAll(rows);
      await uploader.flush();
    },
    postJson: async (url, body) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      return response.status;
    },
    now: () => new Date(),
  };
}

let override: IncidentDeps | undefined;
let cached: { config: Config; deps: IncidentDeps } | undefined;

export function incidentDeps(): IncidentDeps {
  if (override !== undefined) return override;
  const config = getConfig();
  if (cached?.config !== config) cached = { config, deps: productionDeps(config) };
  return cached.deps;
}

/** Test seam: use these dependencies instead of the configured ones (undefined restores them). */
export function setIncidentDepsForTests(deps: IncidentDeps | undefined): void {
  override = deps;
}
