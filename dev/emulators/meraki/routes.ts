/**
 * The Dashboard API v1 routes. Every call passes the same gate Meraki applies: API key (either
 * `X-Cisco-Meraki-API-Key` or `Authorization: Bearer`) → 401; an organization or network the key
 * cannot reach → 404 (Meraki does not say 403 for foreign orgs); the per-IP and per-organization
 * budgets → 429 + `Retry-After` (network-scoped calls count against the network's organization).
 * Errors are `{"errors":[…]}`. Message texts marked [UNVERIFIED] are configurable through `messages`.
 */
import type { FaultInjector } from '../common/faults';
import { json, Router, type EmulatorRequest, type EmulatorResponse } from '../common/server';
import { isoMicro, parseInstant } from './builders';
import { keyLinks, linkHeader, pageByKey, pageByTime, readPerPage, type LinkTargets, type PerPageSpec } from './paging';
import type { TokenBuckets } from './rate-limit';
import type { MerakiState } from './state';
import {
  type ApiKey,
  type Device,
  DEVICE_FIELDS,
  DEVICE_STATUS_FIELDS,
  type DevicePolicy,
  type DeviceStatus,
  type L3FirewallRule,
  type Network,
  type NetworkClient,
  type NetworkEvent,
  type Organization,
  type ProductType,
  type SecurityEvent,
  type StoredEvent,
} from './types';

export interface MerakiMessages {
  invalidKey: string;
  /** [UNVERIFIED] the v1 troubleshooting page says "Missing API key". */
  missingKey: string;
  rateLimited: string;
  /** [UNVERIFIED] */
  ipRateLimited: string;
  /** [UNVERIFIED] body of the 404 for unknown or foreign resources; `null` sends an empty body. */
  notFound: string | null;
  apiDisabled: string;
  /** [UNVERIFIED] events on a multi-product network without `productType`. */
  productTypeRequired: (valid: readonly string[]) => string;
  /** [UNVERIFIED] firewall routes on a network without an appliance. */
  notApplianceNetwork: string;
  /** [UNVERIFIED] PUT l3FirewallRules whose list ends with the implicit default rule. */
  defaultRuleInPut: string;
}

export const DEFAULT_MESSAGES: MerakiMessages = {
  invalidKey: 'Invalid API key',
  missingKey: 'Missing API key',
  rateLimited: 'API rate limit exceeded for organization',
  ipRateLimited: 'API rate limit exceeded for IP address',
  notFound: 'Not found',
  apiDisabled:
    'API access is disabled for this organization. To make API requests for this organization you must first enable API access.',
  productTypeRequired: (valid) =>
    `productType is required for networks with multiple device types. Valid productTypes for this network are: ${valid.join(', ')}`,
  notApplianceNetwork: 'This endpoint only supports networks with an MX appliance',
  defaultRuleInPut: 'The default rule cannot be modified or included in the list of rules',
};

export interface RouteContext {
  state: MerakiState;
  faults: FaultInjector;
  now: () => number;
  messages: MerakiMessages;
  orgBuckets: TokenBuckets | undefined;
  ipBuckets: TokenBuckets | undefined;
  /** Overrides the computed `Retry-After` seconds. */
  retryAfterSec: number | undefined;
  linkRelQuoted: boolean;
  /** What PUT l3FirewallRules does with a trailing default rule: 400 (`reject`) or drop it (`strip`). */
  firewallDefaultRuleInPut: 'reject' | 'strip';
}

interface Gate {
  key: ApiKey;
  org: Organization | undefined;
  network: Network | undefined;
}

type Scope = 'none' | 'org' | 'network';

const PER_PAGE = {
  organizations: { min: 3, max: 9000, default: 9000 },
  networks: { min: 3, max: 100000, default: 1000 },
  devices: { min: 3, max: 5000, default: 1000 },
  deviceStatuses: { min: 3, max: 1000, default: 1000 },
  uplinkStatuses: { min: 3, max: 1000, default: 1000 },
  events: { min: 3, max: 1000, default: 10 },
  securityEvents: { min: 3, max: 1000, default: 100 },
} satisfies Record<string, PerPageSpec>;

/** Sentinel tokens of the first/last links: below and above every key of that kind. */
const ID_SENTINELS = { first: '0', last: 'z'.repeat(48) };
const SERIAL_SENTINELS = { first: '0000-0000-0000', last: 'ZZZZ-ZZZZ-ZZZZ' };

/** Security events: `t0` at most 365 days back, `t1` at most 365 days after `t0`, default span 31 days. */
const SECURITY_EVENTS_MAX_SPAN_MS = 365 * 86_400_000;
const SECURITY_EVENTS_DEFAULT_SPAN_MS = 31 * 86_400_000;

const DEVICE_POLICIES: readonly DevicePolicy[] = ['Group policy', 'Allowed', 'Blocked', 'Per connection', 'Normal'];

function errors(status: number, ...messages: string[]): EmulatorResponse {
  return json(status, { errors: messages });
}

function arrayParam(query: URLSearchParams, name: string): string[] | undefined {
  const values = query.getAll(`${name}[]`).filter((value) => value !== '');
  return values.length === 0 ? undefined : values;
}

function matchTags(itemTags: readonly string[], query: URLSearchParams): boolean {
  const tags = arrayParam(query, 'tags');
  if (tags === undefined) return true;
  return query.get('tagsFilterType') === 'withAllTags'
    ? tags.every((tag) => itemTags.includes(tag))
    : tags.some((tag) => itemTags.includes(tag));
}

function origin(req: EmulatorRequest): string {
  return `${req.url.protocol}//${req.headers.host ?? req.url.host}`;
}

function bySerial<T extends { serial: string }>(a: T, b: T): number {
  return a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0;
}

function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Items that break the documented shape, for the `invalidRecords` fault. */
const corrupt: Record<string, (item: Record<string, unknown>) => Record<string, unknown>> = {
  organizations: (item) => ({ ...item, id: 12345, name: null }),
  networks: (item) => ({ ...item, id: null, productTypes: 'appliance' }),
  devices: ({ serial: _serial, ...item }) => ({ ...item, networkId: 42, tags: 'not-a-list' }),
  deviceStatuses: ({ serial: _serial, ...item }) => ({ ...item, status: 'exploded', lastReportedAt: 'yesterday' }),
  uplinkStatuses: ({ serial: _serial, ...item }) => ({
    ...item,
    lastReportedAt: 'not-a-date',
    uplinks: [{ interface: 'wan1', status: 42, publicIp: 'not-an-ip' }],
  }),
  events: ({ occurredAt: _at, ...item }) => ({ ...item, type: null, eventData: 'oops' }),
  securityEvents: (item) => ({ ...item, ts: 'not-a-time', blocked: 'maybe' }),
};

export function merakiRouter(ctx: RouteContext): Router {
  const { state, messages } = ctx;
  const router = new Router();

  const notFound = (): EmulatorResponse =>
    messages.notFound === null ? { status: 404 } : errors(404, messages.notFound);

  const apiKeyOf = (req: EmulatorRequest): string | undefined => {
    const header = req.headers['x-cisco-meraki-api-key'];
    const legacy = Array.isArray(header) ? header[0] : header;
    if (legacy !== undefined && legacy !== '') return legacy;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    return bearer?.[1]?.trim();
  };

  const throttle = (buckets: TokenBuckets | undefined, key: string, message: string): EmulatorResponse | undefined => {
    const decision = buckets?.take(key);
    if (decision === undefined || decision.allowed) return undefined;
    return json(429, { errors: [message] }, { 'Retry-After': String(ctx.retryAfterSec ?? decision.retryAfterSec) });
  };

  /** The auth → scope → budget gate in front of every API route. */
  const api =
    (scope: Scope, handler: (req: EmulatorRequest, gate: Gate) => EmulatorResponse) =>
    (req: EmulatorRequest): EmulatorResponse => {
      const ipLimited = throttle(ctx.ipBuckets, req.raw.socket.remoteAddress ?? 'local', messages.ipRateLimited);
      if (ipLimited !== undefined) return ipLimited;
      const presented = apiKeyOf(req);
      if (presented === undefined) return errors(401, messages.missingKey);
      const expired = ctx.faults.take('tokenExpiry', req.raw);
      if (expired !== undefined) {
        const message = expired.params?.message;
        return errors(expired.status ?? 401, typeof message === 'string' ? message : messages.invalidKey);
      }
      const key = state.apiKey(presented);
      if (key === undefined) return errors(401, messages.invalidKey);

      let network: Network | undefined;
      let organizationId: string | undefined;
      if (scope === 'network') {
        network = state.network(req.params.networkId ?? '');
        if (network === undefined) return notFound();
        organizationId = network.organizationId;
      } else if (scope === 'org') {
        organizationId = req.params.organizationId ?? '';
      }
      let org: Organization | undefined;
      if (organizationId !== undefined) {
        org = state.organization(organizationId);
        if (org === undefined || !state.canAccess(key, org.id)) return notFound();
        if (!org.api.enabled) return errors(404, messages.apiDisabled);
        const limited = throttle(ctx.orgBuckets, org.id, messages.rateLimited);
        if (limited !== undefined) return limited;
      }
      return handler(req, { key, org, network });
    };

  /** A key-paged list response, with the `invalidRecords` fault appended after the real items. */
  const listPage = <T extends object>(
    req: EmulatorRequest,
    kind: keyof typeof PER_PAGE,
    sorted: T[],
    keyOf: (item: T) => string,
    sentinels: { first: string; last: string },
  ): EmulatorResponse => {
    const perPage = readPerPage(req.query, PER_PAGE[kind]);
    if (typeof perPage === 'string') return errors(400, perPage);
    const page = pageByKey(sorted, keyOf, perPage, req.query.get('startingAfter'), req.query.get('endingBefore'));
    const body: unknown[] = [...page.items];
    const fault = ctx.faults.take('invalidRecords', req.raw);
    if (fault !== undefined) {
      const count = typeof fault.params?.count === 'number' ? fault.params.count : 1;
      const template = (page.items[0] ?? {}) as Record<string, unknown>;
      for (let i = 0; i < count; i++) body.push(corrupt[kind]?.(structuredClone(template)) ?? { broken: true });
    }
    return withLinks(req, body, keyLinks(page, keyOf, sentinels));
  };

  const withLinks = (req: EmulatorRequest, body: unknown, targets: LinkTargets): EmulatorResponse => {
    const link = linkHeader(req.url, origin(req), targets, ctx.linkRelQuoted);
    return json(200, body, link === undefined ? {} : { Link: link });
  };

  // ---- organizations --------------------------------------------------------------------------

  router.on(
    'GET',
    '/api/v1/organizations',
    api('none', (req, { key }) => {
      const visible = state.data.organizations.filter((org) => state.canAccess(key, org.id)).sort(byId);
      return listPage(req, 'organizations', visible, (org) => org.id, ID_SENTINELS);
    }),
  );

  router.on(
    'GET',
    '/api/v1/organizations/{organizationId}',
    api('org', (_req, { org }) => json(200, org)),
  );

  router.on(
    'GET',
    '/api/v1/organizations/{organizationId}/networks',
    api('org', (req, { org }) => {
      const q = req.query;
      const productTypes = arrayParam(q, 'productTypes');
      const template = q.get('configTemplateId');
      const bound = q.get('isBoundToConfigTemplate');
      const networks = state.data.networks
        .filter((n) => n.organizationId === org?.id)
        .filter((n) => matchTags(n.tags, q))
        .filter((n) => productTypes === undefined || n.productTypes.some((type) => productTypes.includes(type)))
        .filter((n) => template === null || n.configTemplateId === template)
        .filter((n) => bound === null || String(n.isBoundToConfigTemplate) === bound)
        .sort(byId);
      return listPage(req, 'networks', networks, (n) => n.id, ID_SENTINELS);
    }),
  );

  const networksOf = (orgId: string | undefined): Set<string> =>
    new Set(state.data.networks.filter((n) => n.organizationId === orgId).map((n) => n.id));

  router.on(
    'GET',
    '/api/v1/organizations/{organizationId}/devices',
    api('org', (req, { org }) => {
      const q = req.query;
      const inOrg = networksOf(org?.id);
      const networkIds = arrayParam(q, 'networkIds');
      const productTypes = arrayParam(q, 'productTypes');
      const serials = arrayParam(q, 'serials');
      const macs = arrayParam(q, 'macs')?.map((mac) => mac.toLowerCase());
      const models = arrayParam(q, 'models');
      const name = q.get('name');
      const model = q.get('model');
      const devices = state.data.devices
        .filter((d) => d.networkId !== null && inOrg.has(d.networkId))
        .filter((d) => networkIds === undefined || (d.networkId !== null && networkIds.includes(d.networkId)))
        .filter((d) => productTypes === undefined || productTypes.includes(d.productType))
        .filter((d) => serials === undefined || serials.includes(d.serial))
        .filter((d) => macs === undefined || macs.includes(d.mac.toLowerCase()))
        .filter((d) => models === undefined || models.includes(d.model))
        .filter((d) => model === null || d.model === model)
        .filter((d) => name === null || d.name.includes(name))
        .filter((d) => matchTags(d.tags, q))
        .sort(bySerial)
        .map((d) => pick(d, DEVICE_FIELDS));
      return listPage(req, 'devices', devices, (d) => d.serial, SERIAL_SENTINELS);
    }),
  );

  router.on(
    'GET',
    '/api/v1/organizations/{organizationId}/devices/statuses',
    api('org', (req, { org }) => {
      const q = req.query;
      const inOrg = networksOf(org?.id);
      const networkIds = arrayParam(q, 'networkIds');
      const serials = arrayParam(q, 'serials');
      const statuses = arrayParam(q, 'statuses');
      const productTypes = arrayParam(q, 'productTypes');
      const models = arrayParam(q, 'models');
      const items = state.data.deviceStatuses
        .filter((s) => s.networkId !== null && inOrg.has(s.networkId))
        .filter((s) => networkIds === undefined || (s.networkId !== null && networkIds.includes(s.networkId)))
        .filter((s) => serials === undefined || serials.includes(s.serial))
        .filter((s) => statuses === undefined || statuses.includes(s.status))
        .filter((s) => productTypes === undefined || productTypes.includes(s.productType))
        .filter((s) => models === undefined || models.includes(s.model))
        .filter((s) => matchTags(s.tags, q))
        .sort(bySerial)
        .map((s) => pick(s, DEVICE_STATUS_FIELDS));
      return listPage(req, 'deviceStatuses', items, (s) => s.serial, SERIAL_SENTINELS);
    }),
  );

  router.on(
    'GET',
    '/api/v1/organizations/{organizationId}/appliance/uplink/statuses',
    api('org', (req, { org }) => {
      const q = req.query;
      const inOrg = networksOf(org?.id);
      const networkIds = arrayParam(q, 'networkIds');
      const serials = arrayParam(q, 'serials');
      const iccids = arrayParam(q, 'iccids');
      const items = state.data.uplinkStatuses
        .filter((s) => inOrg.has(s.networkId))
        .filter((s) => networkIds === undefined || networkIds.includes(s.networkId))
        .filter((s) => serials === undefined || serials.includes(s.serial))
        .filter((s) => iccids === undefined || s.uplinks.some((u) => u.iccid !== undefined && iccids.includes(u.iccid)))
        .sort(bySerial);
      return listPage(req, 'uplinkStatuses', items, (s) => s.serial, SERIAL_SENTINELS);
    }),
  );

  router.on(
    'GET',
    '/api/v1/organizations/{organizationId}/appliance/security/events',
    api('org', (req, { org }) => securityEvents(req, org?.id ?? '')),
  );

  /**
   * Security events of one org between `t0` (exclusive: "data is gathered after t0") and `t1`
   * (inclusive), key-paged in `ts` order; the key is `ts~<position>` so events sharing a microsecond
   * keep one order and a page boundary never drops one. [UNVERIFIED] the 400 message texts.
   */
  const securityEvents = (req: EmulatorRequest, orgId: string): EmulatorResponse => {
    const q = req.query;
    const perPage = readPerPage(q, PER_PAGE.securityEvents);
    if (typeof perPage === 'string') return errors(400, perPage);
    const sortOrder = q.get('sortOrder') ?? 'ascending';
    if (sortOrder !== 'ascending' && sortOrder !== 'descending') {
      return errors(400, "'sortOrder' must be one of: 'ascending', 'descending'");
    }
    const window = securityWindow(q, ctx.now());
    if (typeof window === 'string') return errors(400, window);
    const keyed = (state.data.securityEvents[orgId] ?? [])
      .map((event, index) => ({ event, key: `${event.ts}~${String(index).padStart(9, '0')}`, at: microsOf(event.ts) }))
      .filter((item) => item.at > window.t0 && item.at <= window.t1)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const descending = sortOrder === 'descending';
    if (descending) keyed.reverse();
    const keyOf = (item: { key: string }) => item.key;
    const page = pageByKey(keyed, keyOf, perPage, q.get('startingAfter'), q.get('endingBefore'), descending);
    const body: unknown[] = page.items.map((item) => structuredClone<SecurityEvent>(item.event));
    const fault = ctx.faults.take('invalidRecords', req.raw);
    if (fault !== undefined) {
      const count = typeof fault.params?.count === 'number' ? fault.params.count : 1;
      const template = (body[0] ?? { eventType: 'IDS Alert' }) as Record<string, unknown>;
      for (let i = 0; i < count; i++) body.push(corrupt.securityEvents?.(structuredClone(template)));
    }
    const sentinels = descending ? { first: ID_SENTINELS.last, last: ID_SENTINELS.first } : ID_SENTINELS;
    return withLinks(req, body, keyLinks(page, keyOf, sentinels));
  };

  // ---- networks -------------------------------------------------------------------------------

  router.on(
    'GET',
    '/api/v1/networks/{networkId}',
    api('network', (_req, { network }) => json(200, network)),
  );

  const eventProductType = (event: StoredEvent, network: Network): ProductType | undefined => {
    if (event.productType !== undefined) return event.productType;
    if (event.deviceSerial !== null) {
      const device = state.device(event.deviceSerial);
      if (device !== undefined) return device.productType;
    }
    return network.productTypes.length === 1 ? network.productTypes[0] : undefined;
  };

  router.on(
    'GET',
    '/api/v1/networks/{networkId}/events',
    api('network', (req, { network }) => {
      if (network === undefined) return notFound();
      const q = req.query;
      const perPage = readPerPage(q, PER_PAGE.events);
      if (typeof perPage === 'string') return errors(400, perPage);
      const productType = q.get('productType');
      if (productType === null && network.productTypes.length > 1) {
        return errors(400, messages.productTypeRequired(network.productTypes));
      }
      if (productType !== null && !network.productTypes.includes(productType as ProductType)) {
        return errors(400, `'productType' must be one of: ${network.productTypes.map((t) => `'${t}'`).join(', ')}`);
      }
      const bounds: Record<'startingAfter' | 'endingBefore', number | undefined> = {
        startingAfter: undefined,
        endingBefore: undefined,
      };
      for (const name of ['startingAfter', 'endingBefore'] as const) {
        const raw = q.get(name);
        if (raw === null || raw === '') continue;
        const at = parseInstant(raw);
        if (Number.isNaN(at)) return errors(400, `'${name}' must be an ISO 8601 timestamp`);
        bounds[name] = at;
      }
      const included = arrayParam(q, 'includedEventTypes');
      const excluded = arrayParam(q, 'excludedEventTypes');
      const deviceSerial = q.get('deviceSerial');
      const deviceMac = q.get('deviceMac')?.toLowerCase();
      const deviceName = q.get('deviceName');
      const clientMac = q.get('clientMac')?.toLowerCase();
      const clientName = q.get('clientName');
      const wantedType = productType ?? network.productTypes[0];
      const events = (state.data.events[network.id] ?? [])
        .filter((e) => eventProductType(e, network) === wantedType)
        .filter((e) => included === undefined || included.includes(e.type))
        .filter((e) => !excluded?.includes(e.type))
        .filter((e) => deviceSerial === null || e.deviceSerial === deviceSerial)
        .filter((e) => deviceMac === undefined || state.device(e.deviceSerial ?? '')?.mac.toLowerCase() === deviceMac)
        .filter((e) => deviceName === null || e.deviceName === deviceName)
        .filter((e) => clientMac === undefined || e.clientMac?.toLowerCase() === clientMac)
        .filter((e) => clientName === null || e.clientDescription === clientName)
        .map((event) => ({ at: Date.parse(event.occurredAt), event }))
        .sort((a, b) => a.at - b.at);
      const page = pageByTime(events, perPage, bounds.startingAfter, bounds.endingBefore, ctx.now());
      const body: unknown[] = page.items.map(({ event }) => wireEvent(event));
      const fault = ctx.faults.take('invalidRecords', req.raw);
      if (fault !== undefined) {
        const count = typeof fault.params?.count === 'number' ? fault.params.count : 1;
        const template = (body[0] ?? { networkId: network.id }) as Record<string, unknown>;
        for (let i = 0; i < count; i++) body.push(corrupt.events?.(structuredClone(template)));
      }
      const targets: LinkTargets = {};
      if (page.hasOlder) targets.prev = { endingBefore: isoMicro(page.pageStartAt) };
      targets.next = { startingAfter: isoMicro(page.pageEndAt) };
      return withLinks(
        req,
        { message: null, pageStartAt: isoMicro(page.pageStartAt), pageEndAt: isoMicro(page.pageEndAt), events: body },
        targets,
      );
    }),
  );

  router.on(
    'GET',
    '/api/v1/networks/{networkId}/events/eventTypes',
    api('network', (_req, { network }) => {
      const types = state.data.eventTypes
        .filter((t) => t.productType === undefined || network?.productTypes.includes(t.productType))
        .map(({ productType: _p, ...type }) => type);
      return json(200, types);
    }),
  );

  const firewallBody = (networkId: string) => {
    const config = state.firewall(networkId);
    return {
      rules: [
        ...structuredClone(config.rules),
        {
          comment: 'Default rule',
          policy: 'allow',
          protocol: 'Any',
          srcPort: 'Any',
          srcCidr: 'Any',
          destPort: 'Any',
          destCidr: 'Any',
          syslogEnabled: config.syslogDefaultRule,
        },
      ],
    };
  };

  router.on(
    'GET',
    '/api/v1/networks/{networkId}/appliance/firewall/l3FirewallRules',
    api('network', (_req, { network }) => {
      if (network === undefined) return notFound();
      if (!network.productTypes.includes('appliance')) return errors(400, messages.notApplianceNetwork);
      return json(200, firewallBody(network.id));
    }),
  );

  router.on(
    'PUT',
    '/api/v1/networks/{networkId}/appliance/firewall/l3FirewallRules',
    api('network', (req, { network }) => {
      if (network === undefined) return notFound();
      if (!network.productTypes.includes('appliance')) return errors(400, messages.notApplianceNetwork);
      const body = parseJsonObject(req);
      if (typeof body === 'string') return errors(400, body);
      const current = state.firewall(network.id);
      let rules = current.rules;
      if (body.rules !== undefined) {
        if (!Array.isArray(body.rules)) return errors(400, "'rules' must be an array");
        const raw = [...(body.rules as unknown[])];
        const last = raw[raw.length - 1];
        if (isDefaultRule(last)) {
          if (ctx.firewallDefaultRuleInPut === 'reject') return errors(400, messages.defaultRuleInPut);
          raw.pop();
        }
        const parsed: L3FirewallRule[] = [];
        for (const [index, rule] of raw.entries()) {
          const result = parseRule(rule, index);
          if (typeof result === 'string') return errors(400, result);
          parsed.push(result);
        }
        rules = parsed;
      }
      let syslogDefaultRule = current.syslogDefaultRule;
      if (body.syslogDefaultRule !== undefined) {
        if (typeof body.syslogDefaultRule !== 'boolean') return errors(400, "'syslogDefaultRule' must be a boolean");
        syslogDefaultRule = body.syslogDefaultRule;
      }
      state.setFirewall(network.id, { rules, syslogDefaultRule });
      return json(200, firewallBody(network.id));
    }),
  );

  router.on(
    'GET',
    '/api/v1/networks/{networkId}/groupPolicies',
    api('network', (_req, { network }) =>
      json(200, structuredClone(state.data.groupPolicies[network?.id ?? ''] ?? [])),
    ),
  );

  const policyBody = (client: NetworkClient) =>
    client.devicePolicy === 'Group policy'
      ? { mac: client.mac, devicePolicy: client.devicePolicy, groupPolicyId: client.groupPolicyId }
      : { mac: client.mac, devicePolicy: client.devicePolicy };

  router.on(
    'GET',
    '/api/v1/networks/{networkId}/clients/{clientId}/policy',
    api('network', (req, { network }) => {
      const client = state.client(network?.id ?? '', req.params.clientId ?? '');
      return client === undefined ? notFound() : json(200, policyBody(client));
    }),
  );

  router.on(
    'PUT',
    '/api/v1/networks/{networkId}/clients/{clientId}/policy',
    api('network', (req, { network }) => {
      if (network === undefined) return notFound();
      const client = state.client(network.id, req.params.clientId ?? '');
      if (client === undefined) return notFound();
      const body = parseJsonObject(req);
      if (typeof body === 'string') return errors(400, body);
      if (body.devicePolicy === undefined) return errors(400, "Missing the following parameters: 'devicePolicy'");
      const policy = DEVICE_POLICIES.find(
        (p) => typeof body.devicePolicy === 'string' && p.toLowerCase() === body.devicePolicy.toLowerCase(),
      );
      if (policy === undefined) {
        return errors(400, `'devicePolicy' must be one of: ${DEVICE_POLICIES.map((p) => `'${p}'`).join(', ')}`);
      }
      let groupPolicyId: string | undefined;
      if (policy === 'Group policy') {
        const id = body.groupPolicyId;
        if (typeof id !== 'string' && typeof id !== 'number') {
          return errors(400, "'groupPolicyId' is required when 'devicePolicy' is 'Group policy'");
        }
        groupPolicyId = String(id);
        if (!(state.data.groupPolicies[network.id] ?? []).some((gp) => gp.groupPolicyId === groupPolicyId)) {
          return errors(400, `Group policy ${groupPolicyId} does not exist in this network`);
        }
      }
      return json(200, policyBody(state.setClientPolicy(network.id, client.id, policy, groupPolicyId)));
    }),
  );

  // Unknown operations under the API base answer like Meraki: 404 with an errors body.
  router.on(
    '*',
    '/api/v1/{rest*}',
    api('none', () => notFound()),
  );

  return router;
}

/**
 * A device or device status as its listing documents it: the inventory carries no status and the
 * statuses no inventory fields, whatever a seed stored (docs/reference/meraki-api.md). Absent
 * optional fields stay absent.
 */
function pick<T extends Device | DeviceStatus, K extends keyof T>(item: T, fields: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const field of fields) if (item[field] !== undefined) out[field] = structuredClone(item[field]);
  return out;
}

export function wireEvent(event: StoredEvent): NetworkEvent {
  const { productType: _productType, ...wire } = event;
  return structuredClone(wire);
}

/** Epoch microseconds of an ISO instant (Date.parse drops the digits past milliseconds); NaN if not one. */
function microsOf(value: string): number {
  const at = parseInstant(value);
  if (Number.isNaN(at)) return Number.NaN;
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  return Math.floor(at / 1000) * 1_000_000 + Number(fraction.slice(0, 6).padEnd(6, '0'));
}

/**
 * The `[t0, t1]` of a security events request, in epoch microseconds: `timespan` (seconds, at most
 * 365 days, not with `t0`/`t1`), else `t0`/`t1`, else the last 31 days; `t0` at most 365 days back
 * from now and `t1` at most 365 days after `t0`. A string is the 400 message.
 */
function securityWindow(q: URLSearchParams, now: number): { t0: number; t1: number } | string {
  const nowMicros = now * 1000;
  const maxSpan = SECURITY_EVENTS_MAX_SPAN_MS * 1000;
  const raw = { t0: q.get('t0'), t1: q.get('t1'), timespan: q.get('timespan') };
  if (raw.timespan !== null && raw.timespan !== '') {
    if (raw.t0 !== null || raw.t1 !== null) return "'timespan' cannot be used with 't0' or 't1'";
    const seconds = Number(raw.timespan);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds * 1000 > SECURITY_EVENTS_MAX_SPAN_MS) {
      return "'timespan' must be a number of seconds no greater than 31536000";
    }
    return { t0: nowMicros - Math.round(seconds * 1_000_000), t1: nowMicros };
  }
  const t1 = raw.t1 === null || raw.t1 === '' ? nowMicros : microsOf(raw.t1);
  if (Number.isNaN(t1)) return "'t1' must be an ISO 8601 timestamp";
  const t0 = raw.t0 === null || raw.t0 === '' ? t1 - SECURITY_EVENTS_DEFAULT_SPAN_MS * 1000 : microsOf(raw.t0);
  if (Number.isNaN(t0)) return "'t0' must be an ISO 8601 timestamp";
  if (t0 < nowMicros - maxSpan) return "'t0' must be within the last 365 days";
  if (t1 < t0) return "'t1' must be after 't0'";
  if (t1 - t0 > maxSpan) return "'t1' can be at most 365 days after 't0'";
  return { t0, t1 };
}

function parseJsonObject(req: EmulatorRequest): Record<string, unknown> | string {
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString('utf8') || '{}');
  } catch {
    return 'The request body is not valid JSON';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'The request body must be a JSON object';
  return body as Record<string, unknown>;
}

function isDefaultRule(rule: unknown): boolean {
  if (typeof rule !== 'object' || rule === null) return false;
  const r = rule as Record<string, unknown>;
  const any = (value: unknown) => typeof value === 'string' && value.toLowerCase() === 'any';
  return r.comment === 'Default rule' && any(r.protocol) && any(r.srcCidr) && any(r.destCidr) && r.policy === 'allow';
}

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmp6', 'any'];

/** A CIDR list as Meraki takes it: `Any`, or comma-separated IPv4 addresses/subnets or object refs. */
function validCidrList(value: string): boolean {
  if (value.toLowerCase() === 'any') return true;
  return value.split(',').every((part) => {
    const item = part.trim();
    if (/^(OBJ|GRP|VLAN)\(.+\)$/.test(item)) return true;
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(item);
    if (m === null) return false;
    const octets = m.slice(1, 5).map(Number);
    const prefix = m[5] === undefined ? 32 : Number(m[5]);
    return octets.every((o) => o <= 255) && prefix <= 32;
  });
}

function validPortList(value: string): boolean {
  if (value.toLowerCase() === 'any') return true;
  return value.split(',').every((part) => {
    const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part.trim());
    if (range === null) return false;
    const low = Number(range[1]);
    const high = range[2] === undefined ? low : Number(range[2]);
    return low >= 1 && high <= 65535 && low <= high;
  });
}

/** [UNVERIFIED] message texts; the checks follow the spec's field descriptions. */
function parseRule(rule: unknown, index: number): L3FirewallRule | string {
  const where = `rule ${index + 1}`;
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
    return `At least one of your firewall rules is invalid: ${where} is not an object`;
  const r = rule as Record<string, unknown>;
  const missing = ['policy', 'protocol', 'destCidr'].filter((field) => r[field] === undefined);
  if (missing.length > 0) return `Missing the following parameters: ${missing.map((f) => `'${f}'`).join(', ')}`;
  const text = (field: string): string | undefined => (typeof r[field] === 'string' ? r[field] : undefined);
  const policy = text('policy')?.toLowerCase();
  if (policy !== 'allow' && policy !== 'deny')
    return `At least one of your firewall rules is invalid: ${where} has an invalid policy`;
  const protocol = text('protocol')?.toLowerCase();
  if (protocol === undefined || !PROTOCOLS.includes(protocol)) {
    return `At least one of your firewall rules is invalid: ${where} has an invalid protocol`;
  }
  const cidr = (field: string): string | undefined => {
    const value = r[field] === undefined ? 'Any' : text(field);
    if (value === undefined || !validCidrList(value)) return undefined;
    return value.toLowerCase() === 'any' ? 'Any' : value;
  };
  const port = (field: string): string | undefined => {
    const raw = r[field] === undefined ? 'Any' : typeof r[field] === 'number' ? String(r[field]) : text(field);
    if (raw === undefined || !validPortList(raw)) return undefined;
    if (raw.toLowerCase() !== 'any' && (protocol === 'icmp' || protocol === 'icmp6' || protocol === 'any'))
      return undefined;
    return raw.toLowerCase() === 'any' ? 'Any' : raw;
  };
  const srcCidr = cidr('srcCidr');
  const destCidr = cidr('destCidr');
  if (srcCidr === undefined || destCidr === undefined) {
    return `At least one of your firewall rules is invalid: ${where} has an invalid IP address or subnet`;
  }
  const srcPort = port('srcPort');
  const destPort = port('destPort');
  if (srcPort === undefined || destPort === undefined)
    return `At least one of your firewall rules is invalid: ${where} has an invalid port`;
  if (r.comment !== undefined && typeof r.comment !== 'string')
    return `At least one of your firewall rules is invalid: ${where} has an invalid comment`;
  if (r.syslogEnabled !== undefined && typeof r.syslogEnabled !== 'boolean') {
    return `At least one of your firewall rules is invalid: ${where} has an invalid syslogEnabled`;
  }
  return {
    comment: typeof r.comment === 'string' ? r.comment : '',
    policy,
    protocol,
    srcPort,
    srcCidr,
    destPort,
    destCidr,
    syslogEnabled: r.syslogEnabled === true,
  };
}
