/**
 * The emulator's world: plain wire objects (types.ts) plus mutators a scenario drives, e.g. a WAN
 * failover to cellular with a new public IP. `snapshot()`/`restore()` move the whole world as JSON
 * so the local stack can persist it between runs.
 */
import {
  buildDevice,
  buildDeviceStatus,
  buildEvent,
  buildNetwork,
  buildOrganization,
  buildUplinkStatus,
  isoSeconds,
} from './builders';
import type {
  ApiKey,
  ApplianceUplinkStatus,
  Device,
  DevicePolicy,
  DeviceStatus,
  GroupPolicy,
  L3FirewallConfig,
  MerakiStateData,
  Network,
  NetworkClient,
  NetworkEvent,
  Organization,
  SecurityEvent,
  StoredEvent,
  Uplink,
} from './types';

export interface UplinkTransition {
  interface: string;
  from: string | undefined;
  to: string | undefined;
}

export interface UplinkChange {
  serial: string;
  networkId: string;
  organizationId: string;
  at: string;
  previous: Uplink[];
  current: Uplink[];
  transitions: UplinkTransition[];
  /** The interface carrying traffic before and after (first `active` one), if any. */
  activeBefore: string | undefined;
  activeAfter: string | undefined;
  /** Whether listeners should fire the matching webhook alerts (`undefined`: emulator default). */
  webhook: boolean | undefined;
}

export interface SetUplinksOptions {
  /** Fire the matching webhook alerts (default: the emulator's `webhooks.onUplinkChange`). */
  webhook?: boolean;
}

export interface FailoverOptions extends SetUplinksOptions {
  /** Interface that takes over, e.g. `cellular` or `wan2`. */
  to: string;
  /** Status the previously active interfaces move to (default `failed`). */
  fromStatus?: string;
  /** New public IP seen on the interface that takes over. */
  publicIp?: string;
  ip?: string;
  at?: number | Date | string;
}

export function emptyState(): MerakiStateData {
  return {
    organizations: [],
    networks: [],
    devices: [],
    deviceStatuses: [],
    uplinkStatuses: [],
    events: {},
    eventTypes: [],
    securityEvents: {},
    l3FirewallRules: {},
    groupPolicies: {},
    clients: {},
    apiKeys: [],
  };
}

const clone = <T>(value: T): T => structuredClone(value);

/** `2026-03-01T12:00:00Z` or `…00.5Z` → `2026-03-01T12:00:00.500000Z`; six digits stay as they are. */
function toMicroIso(ts: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(ts);
  if (m === null) return ts;
  return `${m[1] ?? ''}.${(m[2] ?? '').padEnd(6, '0')}Z`;
}

/** Interface order an MX prefers when several are active (wan1 first, cellular last). */
function activeInterface(uplinks: readonly Uplink[]): string | undefined {
  return uplinks.find((uplink) => uplink.status === 'active')?.interface;
}

export class MerakiState {
  data: MerakiStateData;
  private readonly listeners = new Set<(change: UplinkChange) => void>();

  constructor(
    initial: Partial<MerakiStateData> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.data = { ...emptyState(), ...clone(initial) };
  }

  /** A deep copy of the whole world, JSON-safe. */
  snapshot(): MerakiStateData {
    return clone(this.data);
  }

  /** Replaces the whole world (missing collections become empty). */
  restore(data: Partial<MerakiStateData>): void {
    this.data = { ...emptyState(), ...clone(data) };
  }

  // ---- lookups -------------------------------------------------------------------------------

  organization(id: string): Organization | undefined {
    return this.data.organizations.find((org) => org.id === id);
  }

  network(id: string): Network | undefined {
    return this.data.networks.find((network) => network.id === id);
  }

  device(serial: string): Device | undefined {
    return this.data.devices.find((device) => device.serial === serial);
  }

  deviceStatus(serial: string): DeviceStatus | undefined {
    return this.data.deviceStatuses.find((status) => status.serial === serial);
  }

  uplinkStatus(serial: string): ApplianceUplinkStatus | undefined {
    return this.data.uplinkStatuses.find((status) => status.serial === serial);
  }

  apiKey(key: string): ApiKey | undefined {
    return this.data.apiKeys.find((entry) => entry.key === key);
  }

  canAccess(key: ApiKey, organizationId: string): boolean {
    return key.organizationIds === '*' || key.organizationIds.includes(organizationId);
  }

  /** The organization a device belongs to, through its network. */
  organizationOfDevice(serial: string): string | undefined {
    const networkId = this.device(serial)?.networkId;
    return networkId === null || networkId === undefined ? undefined : this.network(networkId)?.organizationId;
  }

  client(networkId: string, clientId: string): NetworkClient | undefined {
    const wanted = clientId.toLowerCase();
    return (this.data.clients[networkId] ?? []).find(
      (client) => client.id === clientId || client.mac.toLowerCase() === wanted,
    );
  }

  firewall(networkId: string): L3FirewallConfig {
    return this.data.l3FirewallRules[networkId] ?? { rules: [], syslogDefaultRule: false };
  }

  // ---- seeding -------------------------------------------------------------------------------

  addOrganization(partial: Partial<Organization> & Pick<Organization, 'id' | 'name'>): Organization {
    const org = buildOrganization(partial);
    this.data.organizations.push(org);
    return org;
  }

  addNetwork(partial: Partial<Network> & Pick<Network, 'id' | 'organizationId' | 'name' | 'productTypes'>): Network {
    if (this.organization(partial.organizationId) === undefined) {
      throw new Error(`unknown organization ${partial.organizationId}`);
    }
    const network = buildNetwork(partial);
    this.data.networks.push(network);
    return network;
  }

  /**
   * Adds a device with its status (unless `status: false`) and, for appliances given `uplinks`,
   * its uplink status item.
   */
  addDevice(
    partial: Partial<Device> & Pick<Device, 'serial' | 'model' | 'productType' | 'networkId'>,
    options: { status?: Partial<DeviceStatus> | false; uplinks?: Uplink[]; at?: number | Date | string } = {},
  ): Device {
    if (partial.networkId !== null && this.network(partial.networkId) === undefined) {
      throw new Error(`unknown network ${partial.networkId}`);
    }
    const device = buildDevice(partial);
    this.data.devices.push(device);
    const at = isoSeconds(options.at ?? this.now());
    if (options.status !== false) {
      const active = options.uplinks?.find((uplink) => uplink.status === 'active');
      this.data.deviceStatuses.push(
        buildDeviceStatus(device, {
          lastReportedAt: at,
          publicIp: active?.publicIp ?? null,
          gateway: active?.gateway ?? null,
          primaryDns: active?.primaryDns ?? null,
          secondaryDns: active?.secondaryDns ?? null,
          ...options.status,
        }),
      );
    }
    if (options.uplinks !== undefined) {
      this.data.uplinkStatuses.push(buildUplinkStatus(device, clone(options.uplinks), at));
    }
    return device;
  }

  addApiKey(key: string, organizationIds: string[] | '*', label?: string): ApiKey {
    const entry: ApiKey = label === undefined ? { key, organizationIds } : { key, organizationIds, label };
    this.data.apiKeys = this.data.apiKeys.filter((existing) => existing.key !== key);
    this.data.apiKeys.push(entry);
    return entry;
  }

  removeApiKey(key: string): void {
    this.data.apiKeys = this.data.apiKeys.filter((existing) => existing.key !== key);
  }

  /** Appends events (filled with defaults) to a network's log. */
  addEvents(
    networkId: string,
    events: (Partial<StoredEvent> & Pick<NetworkEvent, 'occurredAt' | 'type'>)[],
  ): StoredEvent[] {
    if (this.network(networkId) === undefined) throw new Error(`unknown network ${networkId}`);
    const built = events.map((event) => buildEvent({ ...event, networkId }));
    (this.data.events[networkId] ??= []).push(...built);
    return built;
  }

  /**
   * Appends appliance security events to an organization's log; `ts` is normalized to the wire's
   * microsecond form so the listing sorts and pages by it.
   */
  addSecurityEvents(organizationId: string, events: SecurityEvent[]): SecurityEvent[] {
    if (this.organization(organizationId) === undefined) throw new Error(`unknown organization ${organizationId}`);
    const built = events.map((event) => ({ ...clone(event), ts: toMicroIso(event.ts) }));
    (this.data.securityEvents[organizationId] ??= []).push(...built);
    return built;
  }

  addGroupPolicy(networkId: string, policy: GroupPolicy): void {
    (this.data.groupPolicies[networkId] ??= []).push(policy);
  }

  addClient(networkId: string, client: Partial<NetworkClient> & Pick<NetworkClient, 'id' | 'mac'>): NetworkClient {
    const built: NetworkClient = { devicePolicy: 'Normal', ...client };
    (this.data.clients[networkId] ??= []).push(built);
    return built;
  }

  setClientPolicy(
    networkId: string,
    clientId: string,
    devicePolicy: DevicePolicy,
    groupPolicyId?: string,
  ): NetworkClient {
    const client = this.client(networkId, clientId);
    if (client === undefined) throw new Error(`unknown client ${clientId} in ${networkId}`);
    client.devicePolicy = devicePolicy;
    if (devicePolicy === 'Group policy' && groupPolicyId !== undefined) client.groupPolicyId = groupPolicyId;
    else delete client.groupPolicyId;
    return client;
  }

  setFirewall(networkId: string, config: L3FirewallConfig): void {
    this.data.l3FirewallRules[networkId] = clone(config);
  }

  setDeviceStatus(serial: string, patch: Partial<DeviceStatus>): DeviceStatus {
    const status = this.deviceStatus(serial);
    if (status === undefined) throw new Error(`no device status for ${serial}`);
    Object.assign(status, patch);
    return status;
  }

  // ---- uplinks -------------------------------------------------------------------------------

  /** Called after every uplink change (the emulator fires webhooks from here). */
  onUplinkChange(listener: (change: UplinkChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Replaces an appliance's uplinks as of `at` (default now): the next uplink-status poll sees them,
   * and the device status follows the active uplink (public IP; offline when none is active).
   */
  setUplinks(
    serial: string,
    uplinks: Uplink[],
    at?: number | Date | string,
    options: SetUplinksOptions = {},
  ): UplinkChange {
    const status = this.uplinkStatus(serial);
    if (status === undefined) throw new Error(`no appliance uplink status for ${serial}`);
    const organizationId = this.network(status.networkId)?.organizationId;
    if (organizationId === undefined) throw new Error(`network ${status.networkId} of ${serial} is unknown`);
    const previous = status.uplinks;
    const current = clone(uplinks);
    const when = isoSeconds(at ?? this.now());
    status.uplinks = current;
    status.lastReportedAt = when;

    const active = current.find((uplink) => uplink.status === 'active');
    const deviceStatus = this.deviceStatus(serial);
    if (deviceStatus !== undefined) {
      deviceStatus.lastReportedAt = when;
      if (active === undefined) deviceStatus.status = 'offline';
      else {
        if (deviceStatus.status === 'offline') deviceStatus.status = 'online';
        deviceStatus.publicIp = active.publicIp ?? null;
        deviceStatus.gateway = active.gateway ?? null;
        deviceStatus.primaryDns = active.primaryDns ?? active.dns1 ?? null;
        deviceStatus.secondaryDns = active.secondaryDns ?? active.dns2 ?? null;
      }
    }

    const names = [...new Set([...previous.map((u) => u.interface), ...current.map((u) => u.interface)])];
    const transitions = names
      .map((name) => ({
        interface: name,
        from: previous.find((u) => u.interface === name)?.status,
        to: current.find((u) => u.interface === name)?.status,
      }))
      .filter((transition) => transition.from !== transition.to);
    const change: UplinkChange = {
      serial,
      networkId: status.networkId,
      organizationId,
      at: when,
      previous,
      current: clone(current),
      transitions,
      activeBefore: activeInterface(previous),
      activeAfter: activeInterface(current),
      webhook: options.webhook,
    };
    for (const listener of this.listeners) listener(change);
    return change;
  }

  /**
   * A failover as an MX does it: the active interfaces move to `fromStatus` (default `failed`) and
   * `to` becomes active, optionally with a new public IP; other interfaces keep their status.
   */
  failover(serial: string, options: FailoverOptions): UplinkChange {
    const status = this.uplinkStatus(serial);
    if (status === undefined) throw new Error(`no appliance uplink status for ${serial}`);
    if (!status.uplinks.some((uplink) => uplink.interface === options.to)) {
      throw new Error(`${serial} has no ${options.to} uplink`);
    }
    const uplinks = status.uplinks.map((uplink): Uplink => {
      if (uplink.interface === options.to) {
        return {
          ...uplink,
          status: 'active',
          ...(options.publicIp === undefined ? {} : { publicIp: options.publicIp }),
          ...(options.ip === undefined ? {} : { ip: options.ip }),
        };
      }
      if (uplink.status === 'active') return { ...uplink, status: options.fromStatus ?? 'failed' };
      return { ...uplink };
    });
    return this.setUplinks(
      serial,
      uplinks,
      options.at,
      options.webhook === undefined ? {} : { webhook: options.webhook },
    );
  }
}
