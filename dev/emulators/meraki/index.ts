/**
 * Cisco Meraki Dashboard API v1 emulator (plain HTTP, base path `/api/v1`) with a webhook sender.
 * See routes.ts for the gate every call passes, paging.ts for Link paging, state.ts for the world a
 * scenario drives. Control routes under `/_meraki` let another process seed and change that world.
 */
import { FaultInjector } from '../common/faults';
import {
  json,
  startEmulatorServer,
  type EmulatorRequest,
  type EmulatorResponse,
  type RecordedRequest,
} from '../common/server';
import { TokenBuckets, type BucketSpec } from './rate-limit';
import { DEFAULT_MESSAGES, merakiRouter, type MerakiMessages } from './routes';
import { MerakiState, type FailoverOptions } from './state';
import type { MerakiStateData, SecurityEvent, StoredEvent, Uplink } from './types';
import { WebhookSender, type AlertInput, type WebhookOptions } from './webhooks';

export interface MerakiEmulatorOptions {
  port?: number;
  host?: string;
  /** Initial world; empty when absent (see `demoState()` in seed.ts for a ready one). */
  state?: Partial<MerakiStateData>;
  /** Clock for event paging ("now"), rate limiting and timestamps; default `Date.now`. */
  now?: () => number;
  /**
   * Budgets; `false` turns them off. Defaults: per organization 10/s with a burst of 10, per source
   * IP 100/s with a burst of 100.
   */
  rateLimit?: false | { perOrg?: BucketSpec | false; perIp?: BucketSpec | false; retryAfterSec?: number };
  webhooks?: WebhookOptions;
  /** Emit `rel="next"` instead of Meraki's `rel=next` (to test a client's Link parser). */
  linkRelQuoted?: boolean;
  /** PUT l3FirewallRules ending with the default rule: 400 (`reject`, default) or drop it (`strip`). */
  firewallDefaultRuleInPut?: 'reject' | 'strip';
  messages?: Partial<MerakiMessages>;
  faults?: FaultInjector;
  recordLimit?: number;
}

export interface MerakiEmulator {
  /** API base including `/api/v1`, e.g. `http://127.0.0.1:51234/api/v1`. */
  url: string;
  /** Scheme, host and port only (control routes `/_meraki/…`, `/_faults`). */
  origin: string;
  port: number;
  close(): Promise<void>;
  faults: FaultInjector;
  requests: RecordedRequest[];
  state: MerakiState;
  webhooks: WebhookSender;
  rateLimits: { reset(): void };
}

export async function startMerakiEmulator(options: MerakiEmulatorOptions = {}): Promise<MerakiEmulator> {
  const now = options.now ?? Date.now;
  const faults = options.faults ?? new FaultInjector();
  const state = new MerakiState(options.state ?? {}, now);
  const webhooks = new WebhookSender(state, now, options.webhooks);
  state.onUplinkChange((change) => {
    if (!(change.webhook ?? webhooks.onUplinkChange)) return;
    for (const alert of webhooks.alertsFor(change)) webhooks.enqueue(alert);
  });

  const limits = options.rateLimit === false ? { perOrg: false as const, perIp: false as const } : options.rateLimit;
  const orgSpec = limits?.perOrg ?? { perSecond: 10, burst: 10 };
  const ipSpec = limits?.perIp ?? { perSecond: 100, burst: 100 };
  const orgBuckets = orgSpec === false ? undefined : new TokenBuckets(orgSpec, now);
  const ipBuckets = ipSpec === false ? undefined : new TokenBuckets(ipSpec, now);

  const router = merakiRouter({
    state,
    faults,
    now,
    messages: { ...DEFAULT_MESSAGES, ...options.messages },
    orgBuckets,
    ipBuckets,
    retryAfterSec: limits === undefined ? undefined : limits.retryAfterSec,
    linkRelQuoted: options.linkRelQuoted ?? false,
    firewallDefaultRuleInPut: options.firewallDefaultRuleInPut ?? 'reject',
  });

  const control =
    (handler: (req: EmulatorRequest, body: unknown) => unknown) =>
    async (req: EmulatorRequest): Promise<EmulatorResponse> => {
      try {
        const text = req.body.toString('utf8');
        const result = await handler(req, text === '' ? undefined : (JSON.parse(text) as unknown));
        return result === undefined ? { status: 204 } : json(200, result);
      } catch (error) {
        return json(400, { error: error instanceof Error ? error.message : String(error) });
      }
    };
  const record = (body: unknown): Record<string, unknown> => {
    if (typeof body !== 'object' || body === null) throw new Error('expected a JSON object');
    return body as Record<string, unknown>;
  };

  router
    .on(
      'GET',
      '/_meraki/state',
      control(() => state.snapshot()),
    )
    .on(
      'PUT',
      '/_meraki/state',
      control((_req, body) => {
        state.restore(record(body));
      }),
    )
    .on(
      'POST',
      '/_meraki/uplinks/{serial}',
      control((req, body) => {
        const input = record(body) as { uplinks: Uplink[]; at?: string; webhook?: boolean };
        if (!Array.isArray(input.uplinks)) throw new Error('expected { uplinks: [...] }');
        return state.setUplinks(
          req.params.serial ?? '',
          input.uplinks,
          input.at,
          input.webhook === undefined ? {} : { webhook: input.webhook },
        );
      }),
    )
    .on(
      'POST',
      '/_meraki/failover/{serial}',
      control((req, body) => state.failover(req.params.serial ?? '', record(body) as unknown as FailoverOptions)),
    )
    .on(
      'POST',
      '/_meraki/events/{networkId}',
      control((req, body) => {
        if (!Array.isArray(body)) throw new Error('expected an array of events');
        return state.addEvents(req.params.networkId ?? '', body as StoredEvent[]);
      }),
    )
    .on(
      'POST',
      '/_meraki/securityEvents/{organizationId}',
      control((req, body) => {
        if (!Array.isArray(body)) throw new Error('expected an array of security events');
        return state.addSecurityEvents(req.params.organizationId ?? '', body as SecurityEvent[]);
      }),
    )
    .on(
      'PUT',
      '/_meraki/webhooks',
      control((_req, body) => {
        webhooks.configure(record(body));
      }),
    )
    .on(
      'POST',
      '/_meraki/webhooks',
      control((_req, body) => webhooks.send(record(body) as unknown as AlertInput)),
    )
    .on(
      'GET',
      '/_meraki/webhooks',
      control(() => ({ deliveries: webhooks.deliveries, skipped: webhooks.skipped })),
    )
    .on(
      'POST',
      '/_meraki/rate-limits/reset',
      control(() => {
        orgBuckets?.reset();
        ipBuckets?.reset();
      }),
    );

  const server = await startEmulatorServer({
    name: 'meraki',
    router,
    faults,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.recordLimit === undefined ? {} : { recordLimit: options.recordLimit }),
  });

  return {
    url: `${server.url}/api/v1`,
    origin: server.url,
    port: server.port,
    close: async () => {
      await webhooks.idle();
      await server.close();
    },
    faults,
    requests: server.requests,
    state,
    webhooks,
    rateLimits: {
      reset: () => {
        orgBuckets?.reset();
        ipBuckets?.reset();
      },
    },
  };
}

export { MerakiState, emptyState, type FailoverOptions, type UplinkChange, type UplinkTransition } from './state';
export {
  WebhookSender,
  DEFAULT_ALERT_TYPES,
  DEFAULT_UPLINK_INDEX,
  type AlertInput,
  type WebhookDelivery,
  type WebhookOptions,
} from './webhooks';
export { DEFAULT_MESSAGES, type MerakiMessages } from './routes';
export type { BucketSpec } from './rate-limit';
export * from './builders';
export * from './seed';
export type * from './types';
