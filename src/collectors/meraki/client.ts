/**
 * Cisco Meraki Dashboard API v1 transport. Vendor quirks handled here:
 * - rate limit is 10 req/s per organization, shared by every app and key of that org (plus a burst),
 *   so each org has one process-wide RequestBudget; calls outside an org (`/organizations`) use a
 *   separate one. 429 carries `Retry-After` (seconds).
 * - paging follows the `Link` header (`rel=next`) verbatim, never built by us; a missing next link or
 *   a 204 ends it. A next link on another host is re-based onto `baseUrl` so the key never leaves it.
 * - lists are bare arrays or `{ items: [...] }`; `/networks/{id}/events` is an object paged by time
 *   (`startingAfter` ISO timestamps) whose `next` chain runs up to "now"; the org's appliance security
 *   events are a bare array bounded by `t0` (exclusive, at most 365 days back) and `t1`.
 * Items stay `unknown`: the transforms validate them.
 */
import { AppError, ErrorCode } from '../../errors';
import { type RequestBudget, sharedBudget } from '../budget';
import {
  type FetchLike,
  type ReceivedResponse,
  type RetryInfo,
  type Sleep,
  type TransportConfig,
  MalformedBodyError,
  isRecord,
  parseJsonBody,
  sendWithRetry,
  transportConfig,
} from '../http';
import { parseLinkHeader } from './link-header';

export type MerakiAuthHeader = 'bearer' | 'x-cisco-meraki-api-key' | 'both';

export interface MerakiClientOptions {
  /** `https://api.meraki.com/api/v1` (or a regional host) in production; an emulator locally. */
  baseUrl: string;
  apiKey: string;
  fetch?: FetchLike;
  sleep?: Sleep;
  now?: () => number;
  random?: () => number;
  timeoutMs?: number;
  maxRetries?: number;
  maxRetryAfterSec?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Meraki allows 10/s per org; lower it when other tools share the org. */
  perOrgRatePerSec?: number;
  /** Requests allowed back to back per org (default = perOrgRatePerSec). */
  perOrgBurst?: number;
  /** A call that would wait longer than this for its org budget fails with RateLimitedError. */
  maxBudgetWaitMs?: number;
  /** `Authorization: Bearer` (v1 standard, default) and/or the legacy `X-Cisco-Meraki-API-Key`. */
  authHeader?: MerakiAuthHeader;
  /** Default page cap for `paginate`. */
  maxPages?: number;
  onRetry?: (info: RetryInfo) => void;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Record<string, QueryValue>;

export interface MerakiPage {
  items: unknown[];
  /** 0-based page number. */
  index: number;
  /** The next page's URL, or null on the last page. Non-null on the final yielded page = capped. */
  next: string | null;
}

export interface MerakiList {
  items: unknown[];
  pages: number;
  /** False when the page cap stopped paging before the last page. */
  complete: boolean;
}

export interface NetworkEventsQuery {
  productType?: string;
  startingAfter?: string;
  endingBefore?: string;
  /** 3..1000 (Meraki's default is 10; ours is 1000). */
  perPage?: number;
  includedEventTypes?: readonly string[];
  excludedEventTypes?: readonly string[];
}

export interface MerakiEventsPage {
  message: string | null;
  pageStartAt: string | null;
  pageEndAt: string | null;
  events: unknown[];
  /** `startingAfter` of the `rel=next` link (newer events), if any. */
  nextStartingAfter: string | null;
  /** `endingBefore` of the `rel=prev` link (older events), if any. */
  prevEndingBefore: string | null;
}

/** Budget key for calls that are not about one organization. */
const NO_ORG = '*';

/** Largest `perPage` each list endpoint accepts (docs/reference/meraki-api.md). */
export const MERAKI_PER_PAGE_MAX = {
  organizations: 9000,
  networks: 100_000,
  devices: 5000,
  deviceStatuses: 1000,
  uplinkStatuses: 1000,
  networkEvents: 1000,
  securityEvents: 1000,
} as const;

/** The process-wide Meraki budget for one organization. */
export function merakiOrgBudget(
  orgId: string,
  options: { ratePerSec?: number; burst?: number; maxWaitMs?: number; now?: () => number } = {},
): RequestBudget {
  const rate = options.ratePerSec ?? 10;
  return sharedBudget(`meraki:${orgId}`, {
    ratePerSec: rate,
    capacity: options.burst ?? rate,
    maxWaitMs: options.maxWaitMs ?? 60_000,
    label: orgId === NO_ORG ? 'Meraki budget (no organization)' : `Meraki budget for organization ${orgId}`,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}

export class MerakiClient {
  private readonly transport: TransportConfig;
  private readonly base: URL;
  private readonly headers: Record<string, string>;
  private readonly options: MerakiClientOptions;
  private readonly calls = new Map<string, number>();

  constructor(options: MerakiClientOptions) {
    if (options.apiKey.trim() === '') {
      throw new AppError(ErrorCode.ConfigInvalid, 'MerakiClient: apiKey is empty (set SENTRY_MERAKI_API_KEY)');
    }
    this.options = options;
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.transport = transportConfig('Meraki', [options.apiKey], options);
    const auth = options.authHeader ?? 'bearer';
    this.headers = { accept: 'application/json' };
    if (auth !== 'x-cisco-meraki-api-key') this.headers.authorization = `Bearer ${options.apiKey}`;
    if (auth !== 'bearer') this.headers['x-cisco-meraki-api-key'] = options.apiKey;
  }

  /** The shared budget this client draws from for `orgId` (undefined = calls outside an org). */
  budgetFor(orgId: string | undefined): RequestBudget {
    return merakiOrgBudget(orgId ?? NO_ORG, {
      ...(this.options.perOrgRatePerSec === undefined ? {} : { ratePerSec: this.options.perOrgRatePerSec }),
      ...(this.options.perOrgBurst === undefined ? {} : { burst: this.options.perOrgBurst }),
      ...(this.options.maxBudgetWaitMs === undefined ? {} : { maxWaitMs: this.options.maxBudgetWaitMs }),
      ...(this.options.now === undefined ? {} : { now: this.options.now }),
    });
  }

  /** HTTP requests this client sent for `orgId` since the last `resetCalls` (retries included). */
  callsUsed(orgId: string): number {
    return this.calls.get(orgId) ?? 0;
  }

  /** Starts a new accounting cycle for one org, or for all. */
  resetCalls(orgId?: string): void {
    if (orgId === undefined) this.calls.clear();
    else this.calls.delete(orgId);
  }

  /** Every page of a list endpoint, following `rel=next`, at most `maxPages` requests. */
  async *paginate(
    path: string,
    query: Query,
    orgId: string | undefined,
    options: { maxPages?: number } = {},
  ): AsyncGenerator<MerakiPage> {
    const maxPages = options.maxPages ?? this.options.maxPages ?? 100;
    let url: URL | null = this.url(path, query);
    for (let index = 0; url !== null && index < maxPages; index += 1) {
      const { value, response }: { value: unknown[]; response: ReceivedResponse } = await this.send(
        'GET',
        url,
        orgId,
        undefined,
        parseList,
      );
      const next = parseLinkHeader(response.headers.get('link')).next;
      url = response.status === 204 || next === undefined ? null : this.rebase(next);
      yield { items: value, index, next: url === null ? null : url.toString() };
    }
  }

  /** All items of a list endpoint (bounded by the page cap; `complete` says whether it was hit). */
  async list(path: string, query: Query, orgId: string | undefined, maxPages?: number): Promise<MerakiList> {
    const items: unknown[] = [];
    let pages = 0;
    let complete = true;
    for await (const page of this.paginate(path, query, orgId, maxPages === undefined ? {} : { maxPages })) {
      items.push(...page.items);
      pages += 1;
      complete = page.next === null;
    }
    return { items, pages, complete };
  }

  getOrganizations(): Promise<MerakiList> {
    return this.list('organizations', { perPage: MERAKI_PER_PAGE_MAX.organizations }, undefined);
  }

  getNetworks(orgId: string): Promise<MerakiList> {
    return this.list(`organizations/${seg(orgId)}/networks`, { perPage: MERAKI_PER_PAGE_MAX.networks }, orgId);
  }

  /** The device inventory (names, models, networks, firmware): no status fields, see `getDeviceStatuses`. */
  getDevices(
    orgId: string,
    options: { productTypes?: readonly string[]; maxPages?: number } = {},
  ): Promise<MerakiList> {
    return this.list(
      `organizations/${seg(orgId)}/devices`,
      { perPage: MERAKI_PER_PAGE_MAX.devices, 'productTypes[]': options.productTypes },
      orgId,
      options.maxPages,
    );
  }

  /**
   * Device statuses for the whole org (`status`, `lastReportedAt`, `publicIp`, `lanIp`, `gateway`…),
   * which the inventory listing does not carry: 1 request for up to 1000 devices of `productTypes`.
   */
  getDeviceStatuses(
    orgId: string,
    options: { productTypes?: readonly string[]; maxPages?: number } = {},
  ): Promise<MerakiList> {
    return this.list(
      `organizations/${seg(orgId)}/devices/statuses`,
      { perPage: MERAKI_PER_PAGE_MAX.deviceStatuses, 'productTypes[]': options.productTypes },
      orgId,
      options.maxPages,
    );
  }

  /** Appliance uplink statuses for the whole org: 1 request for up to 1000 appliances. */
  getUplinkStatuses(orgId: string, options: { maxPages?: number } = {}): Promise<MerakiList> {
    return this.list(
      `organizations/${seg(orgId)}/appliance/uplink/statuses`,
      { perPage: MERAKI_PER_PAGE_MAX.uplinkStatuses },
      orgId,
      options.maxPages,
    );
  }

  /**
   * The org's appliance security events (IDS alerts, file scans) after `t0` up to `t1`, oldest first
   * (`sortOrder=ascending`), following `Link` paging for at most `maxPages` requests; `complete` is
   * false when the cap stopped it (the newest items are then still to come).
   */
  getApplianceSecurityEvents(
    orgId: string,
    options: { t0: string; t1: string; perPage?: number; maxPages?: number },
  ): Promise<MerakiList> {
    return this.list(
      `organizations/${seg(orgId)}/appliance/security/events`,
      {
        t0: options.t0,
        t1: options.t1,
        perPage: options.perPage ?? MERAKI_PER_PAGE_MAX.securityEvents,
        sortOrder: 'ascending',
      },
      orgId,
      options.maxPages,
    );
  }

  /**
   * One time-based page of a network's event log (1 request). Events inside a page are newest-first.
   * Forward paging: pass the previous `nextStartingAfter` (≈ `pageEndAt`) as `startingAfter`; Meraki's
   * next chain never ends before "now", so stop when `events` is empty or `pageEndAt` is recent, and
   * advance the events checkpoint only after the page's rows are uploaded.
   */
  async getNetworkEvents(networkId: string, orgId: string, query: NetworkEventsQuery = {}): Promise<MerakiEventsPage> {
    const url = this.url(`networks/${seg(networkId)}/events`, {
      productType: query.productType ?? 'appliance',
      perPage: query.perPage ?? MERAKI_PER_PAGE_MAX.networkEvents,
      startingAfter: query.startingAfter,
      endingBefore: query.endingBefore,
      'includedEventTypes[]': query.includedEventTypes,
      'excludedEventTypes[]': query.excludedEventTypes,
    });
    const { value, response } = await this.send('GET', url, orgId, undefined, parseEvents);
    const links = parseLinkHeader(response.headers.get('link'));
    return {
      ...value,
      nextStartingAfter: paramOf(links.next, 'startingAfter'),
      prevEndingBefore: paramOf(links.prev, 'endingBefore'),
    };
  }

  async getL3FirewallRules(networkId: string, orgId: string): Promise<unknown> {
    return (
      await this.send(
        'GET',
        this.url(`networks/${seg(networkId)}/appliance/firewall/l3FirewallRules`, {}),
        orgId,
        undefined,
        parseAny,
      )
    ).value;
  }

  /** Replaces the MX L3 rules. Meraki appends its own default rule: do not send it back. */
  async putL3FirewallRules(networkId: string, orgId: string, rules: readonly unknown[]): Promise<unknown> {
    const url = this.url(`networks/${seg(networkId)}/appliance/firewall/l3FirewallRules`, {});
    return (await this.send('PUT', url, orgId, { rules }, parseAny)).value;
  }

  async getGroupPolicies(networkId: string, orgId: string): Promise<unknown[]> {
    return (
      await this.send('GET', this.url(`networks/${seg(networkId)}/groupPolicies`, {}), orgId, undefined, parseList)
    ).value;
  }

  async getClientPolicy(networkId: string, orgId: string, clientId: string): Promise<unknown> {
    const url = this.url(`networks/${seg(networkId)}/clients/${seg(clientId)}/policy`, {});
    return (await this.send('GET', url, orgId, undefined, parseAny)).value;
  }

  /** Sets a client's policy (`devicePolicy`: 'Blocked' | 'Normal' | 'Allowed' | 'Group policy', + `groupPolicyId`). */
  async putClientPolicy(
    networkId: string,
    orgId: string,
    clientId: string,
    policy: { devicePolicy: string; groupPolicyId?: string },
  ): Promise<unknown> {
    const url = this.url(`networks/${seg(networkId)}/clients/${seg(clientId)}/policy`, {});
    return (await this.send('PUT', url, orgId, policy, parseAny)).value;
  }

  private async send<T>(
    method: 'GET' | 'PUT',
    url: URL,
    orgId: string | undefined,
    body: unknown,
    parse: (response: ReceivedResponse) => T,
  ): Promise<{ value: T; response: ReceivedResponse }> {
    const account = orgId ?? NO_ORG;
    const headers = body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' };
    return sendWithRetry(
      this.transport,
      {
        method,
        url,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        budget: this.budgetFor(orgId),
        onAttempt: () => {
          this.calls.set(account, (this.calls.get(account) ?? 0) + 1);
        },
        errorDetail: merakiErrorDetail,
      },
      parse,
    );
  }

  private url(path: string, query: Query): URL {
    const url = new URL(path.replace(/^\/+/, ''), this.base);
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined) continue;
      if (typeof value === 'object') for (const item of value) url.searchParams.append(name, item);
      else url.searchParams.set(name, String(value));
    }
    return url;
  }

  private rebase(link: string): URL {
    const next = new URL(link, this.base);
    if (next.origin === this.base.origin) return next;
    return new URL(`${next.pathname}${next.search}`, this.base.origin);
  }
}

function seg(id: string): string {
  return encodeURIComponent(id);
}

function paramOf(link: string | undefined, name: string): string | null {
  if (link === undefined) return null;
  try {
    return new URL(link).searchParams.get(name);
  } catch {
    return null;
  }
}

function parseAny(response: ReceivedResponse): unknown {
  return response.status === 204 ? null : parseJsonBody(response);
}

function parseList(response: ReceivedResponse): unknown[] {
  if (response.status === 204) return [];
  const body = parseJsonBody(response);
  if (Array.isArray(body)) return body as unknown[];
  if (isRecord(body) && Array.isArray(body.items)) return body.items as unknown[];
  throw new MalformedBodyError('expected a JSON array or { items: [...] }');
}

function parseEvents(response: ReceivedResponse): Omit<MerakiEventsPage, 'nextStartingAfter' | 'prevEndingBefore'> {
  const body = parseJsonBody(response);
  if (!isRecord(body) || !Array.isArray(body.events)) throw new MalformedBodyError('expected { events: [...] }');
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    message: text(body.message),
    pageStartAt: text(body.pageStartAt),
    pageEndAt: text(body.pageEndAt),
    events: body.events as unknown[],
  };
}

function merakiErrorDetail(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (isRecord(body) && Array.isArray(body.errors)) {
      return body.errors.filter((error): error is string => typeof error === 'string').join('; ');
    }
  } catch {
    // not JSON: fall back to the raw (truncated, redacted) text
  }
  return undefined;
}
