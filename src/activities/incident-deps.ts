/**
 * What the incident activities talk to, built once per process from configuration: the Slack bot and
 * admin clients, SCIM, Meraki, the incident and snooze tables, the response-stream uploader, the
 * guardrails' lookups (users.info, auth.test of every configured token, responders, the uplink
 * snapshot; each cached briefly), the automatic-action breaker and the response key.
 * Tests replace the whole set with `setIncidentDepsForTests` (emulators, in-memory stores).
 */
import { getConfig, type Config } from '../config';
import { MerakiClient } from '../collectors/meraki/client';
import { AppError, ErrorCode } from '../errors';
import { ingestionClient } from '../ingestion/client';
import { StreamUploader } from '../ingestion/uploader';
import type { MerakiActions } from '../response/actions';
import { groupMembers } from '../response/authorization';
import { type GuardrailDeps, type SlackUserFacts, TtlCache, userFactsOf } from '../response/guardrails';
import { responseKey } from '../response/proofs';
import { ScimClient } from '../response/scim';
import { callSlack, type SlackApi, slackErrorOf, slackTokenClient, slackWebClient } from '../slack/web-client';
import { type AutoActionBreaker, TableAutoActionBreaker } from '../state/auto-actions';
import { IncidentStore } from '../state/incidents';
import { UplinkSnapshotStore } from '../state/meraki-state';
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
  /** HMAC key of responder proofs and charters (proofs.ts); undefined when not configured. */
  responseKey: Buffer | undefined;
  guardrails: GuardrailDeps;
  breaker: AutoActionBreaker;
}

/** How long guardrail lookups are reused: a burst of clicks costs one users.info per user. */
export const GUARDRAIL_CACHE_MS = 60_000;
const TOKEN_OWNER_CACHE_MS = 10 * 60_000;
/** auth.test answers for a token that no longer works: it cannot act, so it protects nobody. */
const DEAD_TOKEN_ERRORS = new Set(['invalid_auth', 'token_revoked', 'account_inactive', 'not_authed', 'token_expired']);

/** The guardrails' lookups against Slack and the uplink snapshot, cached per process. */
export function productionGuardrails(config: Config, bot: () => SlackApi, now: () => number = Date.now): GuardrailDeps {
  const users = new TtlCache<SlackUserFacts | undefined>(GUARDRAIL_CACHE_MS, now);
  const owners = new TtlCache<ReadonlySet<string>>(TOKEN_OWNER_CACHE_MS, now);
  const uplinks = new TtlCache<ReadonlySet<string>>(GUARDRAIL_CACHE_MS, now);
  const snapshots = new UplinkSnapshotStore(config);
  return {
    protectAdmins: config.response.protectAdmins,
    protectedUsers: config.response.protectedUsers,
    protectedIps: config.response.protectedIps,
    protectedClients: config.response.protectedClients,
    userFacts: (userId) =>
      users.get(userId, async () => {
        try {
          const result = await callSlack(bot(), 'users.info', { user: userId });
          return userFactsOf((result.user ?? {}) as Record<string, unknown>);
        } catch (error) {
          if (slackErrorOf(error) === 'user_not_found') return undefined;
          throw error;
        }
      }),
    tokenOwners: () =>
      owners.get('owners', async () => {
        const tokens = [
          ...new Set(
            [config.slack.botToken, config.slack.auditToken, config.slack.adminToken, config.slack.scimToken].filter(
              (t): t is string => t !== undefined,
            ),
          ),
        ];
        const ids = new Set<string>();
        for (const token of tokens) {
          try {
            const result = await callSlack(slackTokenClient(config, token) as unknown as SlackApi, 'auth.test', {});
            if (typeof result.user_id === 'string') ids.add(result.user_id);
          } catch (error) {
            if (DEAD_TOKEN_ERRORS.has(slackErrorOf(error) ?? '')) continue;
            throw error;
          }
        }
        return ids;
      }),
    responders: async () => {
      const ids = new Set(config.slack.responderIds);
      if (config.slack.responderGroup !== undefined) {
        for (const id of await groupMembers(bot(), config.slack.responderGroup, now())) ids.add(id);
      }
      return ids;
    },
    uplinkIps: () =>
      uplinks.get('uplinks', async () => {
        const ips = new Set<string>();
        for (const org of config.meraki.orgIds) {
          const snapshot = await snapshots.load(org);
          // Fails closed (and is not cached): without the snapshot Sentry cannot tell the
          // organization's own addresses, so it blocks none until the next collection.
          if (snapshot === undefined) {
            throw new AppError(
              ErrorCode.StateUnavailable,
              `There is no uplink snapshot of Meraki organization ${org} yet, so Sentry cannot tell its own addresses; retry after the next collection cycle`,
              { retriable: false },
            );
          }
          for (const uplink of Object.values(snapshot.uplinks)) if (uplink.publicIp !== null) ips.add(uplink.publicIp);
        }
        return ips;
      }),
  };
}

export function productionDeps(config: Config): IncidentDeps {
  let meraki: MerakiClient | undefined;
  let scim: ScimClient | undefined;
  const bot = (): SlackApi => slackWebClient(config, 'bot') as unknown as SlackApi;
  return {
    config,
    bot,
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
    responseKey: responseKey({
      responseSigningKey: config.response.signingKey,
      signingSecret: config.slack.signingSecret,
    }),
    guardrails: productionGuardrails(config, bot),
    breaker: new TableAutoActionBreaker(config),
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
