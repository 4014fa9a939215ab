/**
 * The only module that reads process.env. The environment is parsed once with zod, frozen, and
 * every problem is reported at once, each naming the setting and the fix. In Azure, secrets arrive
 * as Key Vault references that the platform resolves; a value still starting with
 * `@Microsoft.KeyVault(` means the resolution failed, which we report instead of using it as a token.
 */
import { z } from 'zod';

import { SEVERITIES, type Severity } from '../domain/severity';

import { ConfigError } from '../errors';
import { parseCidr } from '../net/ip';

const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

/** Settings whose values must never be logged or returned by an endpoint. */
export const SECRET_SETTINGS = [
  'SENTRY_SLACK_AUDIT_TOKEN',
  'SENTRY_SLACK_BOT_TOKEN',
  'SENTRY_SLACK_SIGNING_SECRET',
  'SENTRY_SLACK_SCIM_TOKEN',
  'SENTRY_SLACK_ADMIN_TOKEN',
  'SENTRY_MERAKI_API_KEY',
  'SENTRY_MERAKI_WEBHOOK_SECRET',
  'SENTRY_RESPONSE_SIGNING_KEY',
  'AZURE_CLIENT_SECRET',
  'AzureWebJobsStorage',
  'SENTRY_STORAGE_CONNECTION',
] as const;

const csv = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  );

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const urlWithDefault = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value): string => (value === undefined || value.trim() === '' ? fallback : value.trim()))
    .pipe(z.url());

const optionalUrl = optionalText.pipe(z.url().optional());

const intSetting = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? fallback : Number(value)))
    .pipe(z.number().int().min(min).max(max));

const SOURCES = ['slackAudit', 'meraki'] as const;

export type ConfigSeverity = Severity;

/** Response actions an incident may take on its own when nobody acts before the escalation timeout. */
export const AUTOMATIC_ACTIONS = [
  'resetSessions',
  'invalidateSession',
  'deactivateUser',
  'blockIp',
  'blockClient',
] as const;
export type AutomaticAction = (typeof AUTOMATIC_ACTIONS)[number];

/** `detection[@severity[+]]=action`: detection is an id or a prefix ending in `*`; `+` means "or higher". */
export interface AutoActionRule {
  readonly detection: string;
  readonly severity: ConfigSeverity | undefined;
  readonly orHigher: boolean;
  readonly action: AutomaticAction;
}

/**
 * Slack's anomaly engine at medium or higher (session fingerprint mismatch, malware uploads, an
 * unexpected admin action, or reasons configured as high): sign the flagged account out everywhere.
 */
const DEFAULT_AUTO_ACTIONS = 'slack.audit.anomaly@medium+=resetSessions';

/** Where Slack's response_url points (https://api.slack.com/interactivity/handling#message_responses). */
const DEFAULT_RESPONSE_URL_ORIGINS = 'https://hooks.slack.com,https://hooks.slack-gov.com';

const boolSetting = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = (value ?? '').trim().toLowerCase();
      if (text === '') return fallback;
      if (text === 'true' || text === '1' || text === 'yes') return true;
      if (text === 'false' || text === '0' || text === 'no') return false;
      ctx.addIssue({ code: 'custom', message: `"${value ?? ''}" is not true or false` });
      return z.NEVER;
    });

const originList = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const out: string[] = [];
      for (const part of (value === undefined || value.trim() === '' ? fallback : value).split(',')) {
        const text = part.trim();
        if (text === '') continue;
        let url: URL;
        try {
          url = new URL(text);
        } catch {
          ctx.addIssue({ code: 'custom', message: `"${text}" is not a URL origin` });
          return z.NEVER;
        }
        if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== text.replace(/\/$/, '')) {
          ctx.addIssue({ code: 'custom', message: `"${text}" is not an origin such as https://hooks.slack.com` });
          return z.NEVER;
        }
        out.push(url.origin);
      }
      return out;
    });

/** Meraki webhook alert types that start a collection cycle at once (uplink failover family). */
const DEFAULT_EXPEDITE_ALERT_TYPES = 'failover_event,cellular_up,cellular_down,vrrp';

/** Parses SENTRY_INCIDENT_AUTO_ACTIONS; `none` (or empty list) disables automatic actions. */
export function parseAutoActionRules(text: string): AutoActionRule[] {
  if (/^\s*none\s*$/i.test(text)) return [];
  const rules: AutoActionRule[] = [];
  for (const part of text
    .split(/[,;]/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)) {
    const match = /^([a-z0-9._*-]+)(?:@([a-z]+)(\+)?)?=([a-zA-Z]+)$/.exec(part);
    const severity = match?.[2];
    const action = match?.[4];
    if (
      match === null ||
      (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) ||
      action === undefined ||
      !(AUTOMATIC_ACTIONS as readonly string[]).includes(action)
    ) {
      throw new Error(
        `"${part}" is not detection[@severity[+]]=action with a severity of ${SEVERITIES.join('|')} and an action of ${AUTOMATIC_ACTIONS.join('|')}`,
      );
    }
    rules.push({
      detection: match[1] ?? '',
      severity: severity as ConfigSeverity | undefined,
      orHigher: match[3] === '+',
      action: action as AutomaticAction,
    });
  }
  return rules;
}

const EnvSchema = z.object({
  SENTRY_TASK_HUB: optionalText,
  SENTRY_SOURCES: csv.pipe(z.array(z.enum(SOURCES))).transform((list) => (list.length === 0 ? [...SOURCES] : list)),
  SENTRY_POLL_INTERVAL_SECONDS: intSetting(60, 15, 3600),

  // State (Table Storage): a connection string locally (Azurite), the account's table endpoint with
  // the managed identity in Azure (identity-based AzureWebJobsStorage has no connection string).
  SENTRY_STORAGE_CONNECTION: optionalText,
  AzureWebJobsStorage: optionalText,
  AzureWebJobsStorage__accountName: optionalText,
  AzureWebJobsStorage__tableServiceUri: optionalText,

  // Logs Ingestion API
  SENTRY_INGESTION_ENDPOINT: optionalUrl,
  SENTRY_DCR_IMMUTABLE_ID: optionalText,
  SENTRY_INGESTION_CONCURRENCY: intSetting(8, 1, 32),

  // Entra ID: the SDK's standard names
  AZURE_CLIENT_ID: optionalText,
  AZURE_TENANT_ID: optionalText,
  AZURE_CLIENT_SECRET: optionalText,
  AZURE_AUTHORITY_HOST: optionalUrl,

  // Slack
  SENTRY_SLACK_AUDIT_TOKEN: optionalText,
  SENTRY_SLACK_BOT_TOKEN: optionalText,
  SENTRY_SLACK_SIGNING_SECRET: optionalText,
  SENTRY_SLACK_SCIM_TOKEN: optionalText,
  SENTRY_SLACK_API_URL: urlWithDefault('https://slack.com/api/'),
  SENTRY_SLACK_AUDIT_API_URL: urlWithDefault('https://api.slack.com/audit/v1/'),
  SENTRY_SLACK_SCIM_API_URL: urlWithDefault('https://api.slack.com/scim/v1/'),
  SENTRY_SLACK_INCIDENT_CHANNEL: optionalText,
  SENTRY_SLACK_RESPONDER_IDS: csv,
  SENTRY_SLACK_RESPONDER_GROUP: optionalText,
  SENTRY_SLACK_ONCALL_GROUP: optionalText,
  // Org-level user token with admin.users:write for session reset/invalidate (defaults to the audit token).
  SENTRY_SLACK_ADMIN_TOKEN: optionalText,

  // Incident response
  SENTRY_INCIDENT_ESCALATION_MINUTES: intSetting(15, 1, 1440),
  SENTRY_INCIDENT_SNOOZE_DAYS: intSetting(7, 1, 90),
  SENTRY_INCIDENT_STALE_HOURS: intSetting(72, 1, 24 * 90),
  SENTRY_INCIDENT_AUTO_ACTION_MAX_AGE_MINUTES: intSetting(240, 1, 7 * 24 * 60),
  SENTRY_INCIDENT_MAX_NEW_PER_DETECTION: intSetting(10, 1, 1000),
  SENTRY_AUTO_ACTIONS_PER_HOUR: intSetting(5, 0, 1000),
  SENTRY_AUTO_ACTIONS_PER_TARGET_PER_HOUR: intSetting(1, 0, 100),
  // Guardrails and the proofs that tie actions to verified Slack clicks and dispatched findings
  SENTRY_RESPONSE_SIGNING_KEY: optionalText,
  SENTRY_RESPONSE_PROTECT_ADMINS: boolSetting(true),
  SENTRY_RESPONSE_PROTECTED_USERS: csv,
  SENTRY_RESPONSE_PROTECTED_IPS: csv.superRefine((list, ctx) => {
    for (const entry of list) {
      if (parseCidr(entry) === undefined) ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP or CIDR` });
    }
  }),
  SENTRY_RESPONSE_PROTECTED_CLIENTS: csv,
  SENTRY_SLACK_RESPONSE_URL_ORIGINS: originList(DEFAULT_RESPONSE_URL_ORIGINS),
  SENTRY_INCIDENT_AUTO_ACTIONS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return parseAutoActionRules(value === undefined || value.trim() === '' ? DEFAULT_AUTO_ACTIONS : value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),

  // Meraki
  SENTRY_MERAKI_API_KEY: optionalText,
  SENTRY_MERAKI_BASE_URL: urlWithDefault('https://api.meraki.com/api/v1/'),
  SENTRY_MERAKI_ORG_IDS: csv,
  SENTRY_MERAKI_WEBHOOK_SECRET: optionalText,
  // Group policy a blocked client is moved to; without it the client's policy becomes `Blocked`.
  SENTRY_MERAKI_BLOCK_GROUP_POLICY_ID: optionalText,

  // Detections: a JSON document of per-detection overrides (validated by the detections module)
  SENTRY_DETECTIONS_CONFIG: optionalText,

  // Application Insights: the Functions host itself sends every log line there when this is set
  // (main.bicep sets it; never needed locally). Read only so the ops status can say whether
  // telemetry is on; its value is never logged or returned.
  APPLICATIONINSIGHTS_CONNECTION_STRING: optionalText,

  // Collection
  SENTRY_SLACK_AUDIT_ORG: optionalText,
  SENTRY_SLACK_AUDIT_ACTIONS: csv,
  SENTRY_SLACK_AUDIT_DENY_ACTIONS: csv,
  SENTRY_SLACK_AUDIT_PAGE_SIZE: intSetting(1000, 1, 9999),
  SENTRY_SLACK_AUDIT_LAG_SECONDS: intSetting(5, 0, 3600),
  SENTRY_SLACK_AUDIT_OVERLAP_SECONDS: intSetting(120, 0, 1800),
  SENTRY_SLACK_AUDIT_LOOKBACK_HOURS: intSetting(24, 1, 24 * 90),
  SENTRY_SLACK_AUDIT_WINDOW_SECONDS: intSetting(3600, 60, 86_400),
  SENTRY_SLACK_AUDIT_RUN_SECONDS: intSetting(120, 10, 540),
  SENTRY_COLLECTOR_TIMEOUT_SECONDS: intSetting(30, 1, 120),
  SENTRY_MIN_CYCLE_GAP_SECONDS: intSetting(15, 1, 3600),
  SENTRY_MERAKI_MAX_CALLS_PER_CYCLE: intSetting(3, 1, 50),
  SENTRY_MERAKI_EVENTS_LOOKBACK_HOURS: intSetting(24, 1, 24 * 31),
  SENTRY_MERAKI_INVENTORY_EVERY_CYCLES: intSetting(60, 1, 100_000),
  SENTRY_MERAKI_UPLINK_FULL_SNAPSHOT_MINUTES: intSetting(15, 1, 1440),
  SENTRY_MERAKI_WEBHOOK_NETWORKS: csv,
  SENTRY_MERAKI_WEBHOOK_MAX_AGE_MINUTES: intSetting(1440, 5, 7 * 24 * 60),
  SENTRY_MERAKI_EXPEDITE_ALERT_TYPES: z
    .string()
    .optional()
    .transform((value) =>
      (value === undefined || value.trim() === '' ? DEFAULT_EXPEDITE_ALERT_TYPES : value)
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0),
    ),
});

type Env = z.infer<typeof EnvSchema>;

export interface Config {
  readonly taskHub: string | undefined;
  readonly sources: readonly (typeof SOURCES)[number][];
  readonly pollIntervalSeconds: number;
  readonly storage:
    | { readonly kind: 'connectionString'; readonly connectionString: string }
    | { readonly kind: 'identity'; readonly tableEndpoint: string };
  readonly ingestion: {
    readonly endpoint: string;
    readonly dcrImmutableId: string;
    /** Upload requests in flight at once per stream of a collector run. */
    readonly concurrency: number;
  };
  readonly azure: {
    readonly clientId: string | undefined;
    readonly tenantId: string | undefined;
    readonly clientSecret: string | undefined;
    readonly authorityHost: string | undefined;
  };
  readonly slack: {
    readonly auditToken: string | undefined;
    readonly botToken: string | undefined;
    readonly signingSecret: string | undefined;
    readonly scimToken: string | undefined;
    readonly apiUrl: string;
    readonly auditApiUrl: string;
    readonly scimApiUrl: string;
    readonly incidentChannel: string | undefined;
    readonly responderIds: readonly string[];
    readonly responderGroup: string | undefined;
    readonly oncallGroup: string | undefined;
    /** Token for admin.users.* (session reset/invalidate): the admin token, else the audit token. */
    readonly adminToken: string | undefined;
  };
  readonly meraki: {
    readonly apiKey: string | undefined;
    readonly baseUrl: string;
    readonly orgIds: readonly string[];
    readonly webhookSecret: string | undefined;
    readonly blockGroupPolicyId: string | undefined;
  };
  readonly incident: {
    readonly escalationMinutes: number;
    readonly snoozeDays: number;
    readonly autoActions: readonly AutoActionRule[];
    /** An escalated or acknowledged incident with no activity for this long closes as stale. */
    readonly staleAfterHours: number;
    /** No automatic action for a finding whose newest event is older than this at escalation. */
    readonly autoActionMaxAgeMinutes: number;
    /** New incidents one detection may open per cycle; the rest are summarized in one message. */
    readonly maxNewPerDetection: number;
  };
  /** Guardrails of response actions (docs/guardrails.md). */
  readonly response: {
    /** HMAC key of responder proofs and charters; derived from the signing secret when absent. */
    readonly signingKey: string | undefined;
    readonly protectAdmins: boolean;
    readonly protectedUsers: readonly string[];
    readonly protectedIps: readonly string[];
    readonly protectedClients: readonly string[];
    readonly autoActionsPerHour: number;
    readonly autoActionsPerTargetPerHour: number;
    /** Origins a click's response_url may point to; anything else falls back to chat.postEphemeral. */
    readonly responseUrlOrigins: readonly string[];
  };
  readonly detectionsConfig: string | undefined;
  /** Telemetry the host sends on its own; only whether it is configured matters to the app. */
  readonly observability: {
    readonly applicationInsightsConnectionString: string | undefined;
  };
  /** Collection tuning (Slack audit windows and filters, Meraki cadences). */
  readonly collection: {
    /** Per-request timeout of the Slack audit and Meraki clients. */
    readonly requestTimeoutSeconds: number;
    /** Shortest time between two cycle starts when a cycle is expedited (Meraki failover webhooks). */
    readonly minCycleGapSeconds: number;
    readonly slackAudit: {
      /** Key of the Slack enterprise: SourceOrg of its rows, checkpoint row, budget key. */
      readonly org: string;
      /** Only these actions (sent to Slack in batches of 30); empty = every action. */
      readonly allowActions: readonly string[];
      readonly denyActions: readonly string[];
      readonly pageSize: number;
      /** Seconds kept between a window's end and now, so entries still being written are read next time. */
      readonly lagSeconds: number;
      /**
       * Seconds before the checkpoint re-read every window, so entries Slack shows late (with an older
       * date_create) still land; those already landed are recognized by their kept ids.
       */
      readonly overlapSeconds: number;
      /** Where the very first run starts. */
      readonly lookbackHours: number;
      /** Longest window read and checkpointed at once. */
      readonly windowSeconds: number;
      /** A collect activity stops starting new windows after this long (a backlog continues next cycle). */
      readonly runSeconds: number;
    };
    readonly meraki: {
      readonly maxCallsPerCycle: number;
      readonly eventsLookbackHours: number;
      /** Cycles between network-list and device-inventory refreshes. */
      readonly inventoryEveryCycles: number;
      /**
       * Every interface lands at least this often; in between only changed interfaces land. Keep it
       * under the shortest uplink detection window (public-IP change: 30 min), so the address an
       * appliance left is still in the window when the new one lands.
       */
      readonly uplinkFullSnapshotMinutes: number;
      /** Networks whose events arrive by webhook (not polled); ['all'] = every network. */
      readonly webhookNetworks: readonly string[];
      /** Webhook alerts whose occurredAt is older than this are quarantined, not detected on. */
      readonly webhookMaxAgeMinutes: number;
      readonly expediteAlertTypes: readonly string[];
    };
  };
}

const FIXES: Record<string, string> = {
  SENTRY_INGESTION_ENDPOINT:
    'set it to the data collection endpoint (or DCR logs ingestion endpoint) URL, e.g. https://<dce>.ingest.monitor.azure.com',
  SENTRY_DCR_IMMUTABLE_ID:
    "set it to the data collection rule's immutableId (dcr-…), an output of the Bicep deployment",
  SENTRY_INGESTION_CONCURRENCY: 'use a whole number of upload requests in flight per stream from 1 to 32 (default 8)',
  SENTRY_SLACK_AUDIT_TOKEN:
    'set it to an org-level user token (xoxp-…) with the auditlogs:read scope, or remove slackAudit from SENTRY_SOURCES',
  SENTRY_MERAKI_API_KEY: 'set it to a Meraki Dashboard API key, or remove meraki from SENTRY_SOURCES',
  SENTRY_MERAKI_ORG_IDS: 'set it to a comma-separated list of Meraki organization ids, e.g. 123456,654321',
  SENTRY_SOURCES: `use a comma-separated subset of ${SOURCES.join(', ')}`,
  SENTRY_POLL_INTERVAL_SECONDS: 'use a whole number of seconds from 15 to 3600 (default 60)',
  SENTRY_INCIDENT_ESCALATION_MINUTES: 'use a whole number of minutes from 1 to 1440 (default 15)',
  SENTRY_INCIDENT_SNOOZE_DAYS: 'use a whole number of days from 1 to 90 (default 7)',
  SENTRY_SLACK_AUDIT_PAGE_SIZE: 'use a whole number of entries per page from 1 to 9999 (default 1000)',
  SENTRY_SLACK_AUDIT_LAG_SECONDS: 'use a whole number of seconds from 0 to 3600 (default 5)',
  SENTRY_SLACK_AUDIT_OVERLAP_SECONDS:
    'use a whole number of seconds from 0 to 1800 (default 120): how far before the checkpoint each window re-reads for audit entries Slack shows late; 0 re-reads only the checkpoint second',
  SENTRY_SLACK_AUDIT_LOOKBACK_HOURS: 'use a whole number of hours from 1 to 2160 (default 24)',
  SENTRY_SLACK_AUDIT_WINDOW_SECONDS: 'use a whole number of seconds from 60 to 86400 (default 3600)',
  SENTRY_SLACK_AUDIT_RUN_SECONDS: 'use a whole number of seconds from 10 to 540 (default 120)',
  SENTRY_COLLECTOR_TIMEOUT_SECONDS: 'use a whole number of seconds from 1 to 120 (default 30)',
  SENTRY_MIN_CYCLE_GAP_SECONDS: 'use a whole number of seconds from 1 to 3600 (default 15)',
  SENTRY_MERAKI_MAX_CALLS_PER_CYCLE:
    'use a whole number of requests per organization per cycle from 1 to 50 (default 3)',
  SENTRY_INCIDENT_AUTO_ACTIONS: `use comma-separated detection[@severity[+]]=action rules, e.g. ${DEFAULT_AUTO_ACTIONS}, or none`,
  SENTRY_INCIDENT_STALE_HOURS: 'use a whole number of hours from 1 to 2160 (default 72)',
  SENTRY_INCIDENT_AUTO_ACTION_MAX_AGE_MINUTES: 'use a whole number of minutes from 1 to 10080 (default 240)',
  SENTRY_INCIDENT_MAX_NEW_PER_DETECTION:
    'use a whole number of incidents per detection per cycle from 1 to 1000 (default 10)',
  SENTRY_AUTO_ACTIONS_PER_HOUR: 'use a whole number from 0 (no automatic actions) to 1000 (default 5)',
  SENTRY_AUTO_ACTIONS_PER_TARGET_PER_HOUR: 'use a whole number from 0 to 100 (default 1)',
  SENTRY_RESPONSE_PROTECT_ADMINS: 'use true (default: admins are never acted on) or false',
  SENTRY_RESPONSE_PROTECTED_IPS: 'use a comma-separated list of IPs or CIDRs, e.g. 198.51.100.0/24,2001:db8::/32',
  SENTRY_SLACK_RESPONSE_URL_ORIGINS: `use comma-separated origins with no path, e.g. ${DEFAULT_RESPONSE_URL_ORIGINS}`,
  SENTRY_MERAKI_WEBHOOK_MAX_AGE_MINUTES: 'use a whole number of minutes from 5 to 10080 (default 1440)',
  storage:
    'set SENTRY_STORAGE_CONNECTION (a Table Storage connection string) or AzureWebJobsStorage, or AzureWebJobsStorage__accountName for identity-based access',
};

function fixFor(setting: string): string {
  return FIXES[setting] ?? 'correct the value or remove the setting to use its default';
}

function storageFrom(env: Env, problems: string[]): Config['storage'] {
  const connection = env.SENTRY_STORAGE_CONNECTION ?? env.AzureWebJobsStorage;
  if (connection !== undefined) return { kind: 'connectionString', connectionString: connection };
  if (env.AzureWebJobsStorage__tableServiceUri !== undefined) {
    return { kind: 'identity', tableEndpoint: env.AzureWebJobsStorage__tableServiceUri };
  }
  if (env.AzureWebJobsStorage__accountName !== undefined) {
    return {
      kind: 'identity',
      tableEndpoint: `https://${env.AzureWebJobsStorage__accountName}.table.core.windows.net`,
    };
  }
  problems.push(`Table Storage is not configured: ${fixFor('storage')}.`);
  return { kind: 'connectionString', connectionString: '' };
}

function required(env: Env, name: keyof Env, problems: string[]): unknown {
  const value = env[name];
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    problems.push(`${name} is missing: ${fixFor(name)}.`);
  }
  return value;
}

/** Parses an environment into a frozen Config, or throws ConfigError listing every problem. */
export function parseConfig(environment: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(environment)) {
    if (value !== undefined && KEY_VAULT_REFERENCE.test(value.trim())) {
      problems.push(
        `${name} is an unresolved Key Vault reference: grant the app's identity the "Key Vault Secrets User" role on the vault, ` +
          'set keyVaultReferenceIdentity to that identity, and check the secret name.',
      );
    }
  }
  const parsed = EnvSchema.safeParse(environment);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const setting = String(issue.path[0] ?? 'unknown');
      problems.push(`${setting} is invalid (${issue.message}): ${fixFor(setting)}.`);
    }
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  const storage = storageFrom(env, problems);
  const endpoint = required(env, 'SENTRY_INGESTION_ENDPOINT', problems) as string;
  const dcrImmutableId = required(env, 'SENTRY_DCR_IMMUTABLE_ID', problems) as string;
  if (env.SENTRY_SOURCES.includes('slackAudit')) required(env, 'SENTRY_SLACK_AUDIT_TOKEN', problems);
  if (env.SENTRY_SOURCES.includes('meraki')) {
    required(env, 'SENTRY_MERAKI_API_KEY', problems);
    required(env, 'SENTRY_MERAKI_ORG_IDS', problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config: Config = {
    taskHub: env.SENTRY_TASK_HUB,
    sources: env.SENTRY_SOURCES,
    pollIntervalSeconds: env.SENTRY_POLL_INTERVAL_SECONDS,
    storage,
    ingestion: { endpoint, dcrImmutableId, concurrency: env.SENTRY_INGESTION_CONCURRENCY },
    azure: {
      clientId: env.AZURE_CLIENT_ID,
      tenantId: env.AZURE_TENANT_ID,
      clientSecret: env.AZURE_CLIENT_SECRET,
      authorityHost: env.AZURE_AUTHORITY_HOST,
    },
    slack: {
      auditToken: env.SENTRY_SLACK_AUDIT_TOKEN,
      botToken: env.SENTRY_SLACK_BOT_TOKEN,
      signingSecret: env.SENTRY_SLACK_SIGNING_SECRET,
      scimToken: env.SENTRY_SLACK_SCIM_TOKEN,
      apiUrl: env.SENTRY_SLACK_API_URL,
      auditApiUrl: env.SENTRY_SLACK_AUDIT_API_URL,
      scimApiUrl: env.SENTRY_SLACK_SCIM_API_URL,
      incidentChannel: env.SENTRY_SLACK_INCIDENT_CHANNEL,
      responderIds: env.SENTRY_SLACK_RESPONDER_IDS,
      responderGroup: env.SENTRY_SLACK_RESPONDER_GROUP,
      oncallGroup: env.SENTRY_SLACK_ONCALL_GROUP,
      adminToken: env.SENTRY_SLACK_ADMIN_TOKEN ?? env.SENTRY_SLACK_AUDIT_TOKEN,
    },
    meraki: {
      apiKey: env.SENTRY_MERAKI_API_KEY,
      baseUrl: env.SENTRY_MERAKI_BASE_URL,
      orgIds: env.SENTRY_MERAKI_ORG_IDS,
      webhookSecret: env.SENTRY_MERAKI_WEBHOOK_SECRET,
      blockGroupPolicyId: env.SENTRY_MERAKI_BLOCK_GROUP_POLICY_ID,
    },
    incident: {
      escalationMinutes: env.SENTRY_INCIDENT_ESCALATION_MINUTES,
      snoozeDays: env.SENTRY_INCIDENT_SNOOZE_DAYS,
      autoActions: env.SENTRY_INCIDENT_AUTO_ACTIONS,
      staleAfterHours: env.SENTRY_INCIDENT_STALE_HOURS,
      autoActionMaxAgeMinutes: env.SENTRY_INCIDENT_AUTO_ACTION_MAX_AGE_MINUTES,
      maxNewPerDetection: env.SENTRY_INCIDENT_MAX_NEW_PER_DETECTION,
    },
    response: {
      signingKey: env.SENTRY_RESPONSE_SIGNING_KEY,
      protectAdmins: env.SENTRY_RESPONSE_PROTECT_ADMINS,
      protectedUsers: env.SENTRY_RESPONSE_PROTECTED_USERS,
      protectedIps: env.SENTRY_RESPONSE_PROTECTED_IPS,
      protectedClients: env.SENTRY_RESPONSE_PROTECTED_CLIENTS,
      autoActionsPerHour: env.SENTRY_AUTO_ACTIONS_PER_HOUR,
      autoActionsPerTargetPerHour: env.SENTRY_AUTO_ACTIONS_PER_TARGET_PER_HOUR,
      responseUrlOrigins: env.SENTRY_SLACK_RESPONSE_URL_ORIGINS,
    },
    detectionsConfig: env.SENTRY_DETECTIONS_CONFIG,
    observability: { applicationInsightsConnectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING },
    collection: {
      requestTimeoutSeconds: env.SENTRY_COLLECTOR_TIMEOUT_SECONDS,
      minCycleGapSeconds: env.SENTRY_MIN_CYCLE_GAP_SECONDS,
      slackAudit: {
        org: env.SENTRY_SLACK_AUDIT_ORG ?? 'slack',
        allowActions: env.SENTRY_SLACK_AUDIT_ACTIONS,
        denyActions: env.SENTRY_SLACK_AUDIT_DENY_ACTIONS,
        pageSize: env.SENTRY_SLACK_AUDIT_PAGE_SIZE,
        lagSeconds: env.SENTRY_SLACK_AUDIT_LAG_SECONDS,
        overlapSeconds: env.SENTRY_SLACK_AUDIT_OVERLAP_SECONDS,
        lookbackHours: env.SENTRY_SLACK_AUDIT_LOOKBACK_HOURS,
        windowSeconds: env.SENTRY_SLACK_AUDIT_WINDOW_SECONDS,
        runSeconds: env.SENTRY_SLACK_AUDIT_RUN_SECONDS,
      },
      meraki: {
        maxCallsPerCycle: env.SENTRY_MERAKI_MAX_CALLS_PER_CYCLE,
        eventsLookbackHours: env.SENTRY_MERAKI_EVENTS_LOOKBACK_HOURS,
        inventoryEveryCycles: env.SENTRY_MERAKI_INVENTORY_EVERY_CYCLES,
        uplinkFullSnapshotMinutes: env.SENTRY_MERAKI_UPLINK_FULL_SNAPSHOT_MINUTES,
        webhookNetworks: env.SENTRY_MERAKI_WEBHOOK_NETWORKS,
        webhookMaxAgeMinutes: env.SENTRY_MERAKI_WEBHOOK_MAX_AGE_MINUTES,
        expediteAlertTypes: env.SENTRY_MERAKI_EXPEDITE_ALERT_TYPES,
      },
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

let cached: { config: Config } | { error: ConfigError } | undefined;

/** The app's configuration, parsed from process.env on first use; throws the same ConfigError on every call if invalid. */
export function getConfig(): Config {
  cached ??= load();
  if ('error' in cached) throw cached.error;
  return cached.config;
}

/** Whether configuration loaded, and the problems if not; never values. */
export function configStatus(): { loaded: true } | { loaded: false; problems: readonly string[] } {
  try {
    getConfig();
    return { loaded: true };
  } catch (error) {
    if (error instanceof ConfigError) return { loaded: false, problems: error.problems };
    throw error;
  }
}

function load(): { config: Config } | { error: ConfigError } {
  try {
    return { config: parseConfig(process.env) };
  } catch (error) {
    if (error instanceof ConfigError) return { error };
    throw error;
  }
}

/** Test seam: forget the cached configuration so the next getConfig() re-reads process.env. */
export function resetConfigForTests(): void {
  cached = undefined;
}

/** Replaces every occurrence of a configured secret in a text; for log lines and error messages. */
export function redactSecrets(text: string, environment: Record<string, string | undefined> = process.env): string {
  let out = text;
  for (const name of SECRET_SETTINGS) {
    const value = environment[name];
    if (value !== undefined && value.length >= 6) out = out.split(value).join(`[${name}]`);
  }
  return out;
}
