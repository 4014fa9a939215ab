/**
 * Wire shapes of the Meraki Dashboard API v1 objects the emulator serves (api-facts.md §4.5–4.7).
 * State holds these plain objects as the API returns them, so a scenario generator can seed them
 * directly; the few emulator-only fields are named below and stripped on the way out.
 */

export type ProductType =
  | 'appliance'
  | 'switch'
  | 'wireless'
  | 'camera'
  | 'cellularGateway'
  | 'sensor'
  | 'systemsManager'
  | 'wirelessController'
  | 'campusGateway'
  | 'secureConnect';

export interface Organization {
  id: string;
  name: string;
  url: string;
  api: { enabled: boolean };
  licensing: { model: string };
  cloud: { region: { name: string; host?: { name: string } } };
  management: { details: { name: string; value: string }[] };
}

export interface Network {
  id: string;
  organizationId: string;
  name: string;
  productTypes: ProductType[];
  timeZone: string;
  tags: string[];
  enrollmentString: string | null;
  url: string;
  notes: string;
  isBoundToConfigTemplate: boolean;
  configTemplateId?: string;
}

/**
 * One item of `GET /organizations/{orgId}/devices`: the inventory. It has no status, `publicIp`,
 * `gateway` or `lastReportedAt` (those are `DeviceStatus` fields, `/devices/statuses`); routes.ts
 * serves exactly `DEVICE_FIELDS` (docs/reference/meraki-api.md).
 */
export interface Device {
  name: string;
  serial: string;
  mac: string;
  model: string;
  networkId: string | null;
  productType: ProductType;
  lanIp: string | null;
  firmware: string;
  tags: string[];
  address: string;
  lat: number;
  lng: number;
  notes: string;
  url: string;
  details: { name: string; value: string }[];
  imei?: string | null;
  configurationUpdatedAt?: string;
}

/** The fields `/devices` serves (inventory only); anything else a seed put on a device stays out. */
export const DEVICE_FIELDS = [
  'name',
  'lat',
  'lng',
  'address',
  'notes',
  'tags',
  'networkId',
  'serial',
  'model',
  'imei',
  'mac',
  'lanIp',
  'firmware',
  'productType',
  'details',
  'url',
  'configurationUpdatedAt',
] as const satisfies readonly (keyof Device)[];

export type DeviceStatusValue = 'online' | 'alerting' | 'offline' | 'dormant';

/** One item of `GET /organizations/{orgId}/devices/statuses` (routes.ts serves `DEVICE_STATUS_FIELDS`). */
export interface DeviceStatus {
  name: string;
  serial: string;
  mac: string;
  publicIp: string | null;
  networkId: string | null;
  status: DeviceStatusValue;
  lastReportedAt: string | null;
  lanIp: string | null;
  gateway: string | null;
  ipType: string | null;
  primaryDns: string | null;
  secondaryDns: string | null;
  productType: ProductType;
  model: string;
  tags: string[];
  components?: { powerSupplies: unknown[] };
}

export const DEVICE_STATUS_FIELDS = [
  'name',
  'serial',
  'mac',
  'publicIp',
  'networkId',
  'status',
  'lastReportedAt',
  'lanIp',
  'gateway',
  'ipType',
  'primaryDns',
  'secondaryDns',
  'productType',
  'model',
  'tags',
  'components',
] as const satisfies readonly (keyof DeviceStatus)[];

/**
 * `active` working, `ready` standby, `connecting`, `not connected` (nothing plugged in), `failed`
 * (was working). The spaced spelling `not connected` is [UNVERIFIED] (api-facts §4.5).
 */
export type UplinkState = 'active' | 'ready' | 'connecting' | 'not connected' | 'failed';

export interface Uplink {
  interface: string;
  status: UplinkState | (string & {});
  ip: string | null;
  gateway?: string | null;
  publicIp?: string | null;
  primaryDns?: string | null;
  secondaryDns?: string | null;
  ipAssignedBy?: string | null;
  /** Cellular uplinks carry these instead of primaryDns/secondaryDns. */
  provider?: string;
  model?: string;
  signalStat?: { rsrp?: string; rsrq?: string };
  connectionType?: string;
  apn?: string;
  dns1?: string | null;
  dns2?: string | null;
  signalType?: string;
  iccid?: string;
  [extra: string]: unknown;
}

/** One item of `GET /organizations/{orgId}/appliance/uplink/statuses`. */
export interface ApplianceUplinkStatus {
  networkId: string;
  serial: string;
  model: string;
  lastReportedAt: string;
  highAvailability: { enabled: boolean; role: string };
  uplinks: Uplink[];
}

export interface NetworkEvent {
  occurredAt: string;
  networkId: string;
  type: string;
  description: string;
  category: string;
  clientId: string | null;
  clientDescription: string | null;
  clientMac: string | null;
  deviceSerial: string | null;
  deviceName: string | null;
  ssidNumber: number | null;
  eventData: Record<string, unknown>;
}

/**
 * A network event as stored. `productType` is emulator-only (stripped on output): the product log
 * the event belongs to. When absent it is the device's product type, else the network's only one.
 */
export interface StoredEvent extends NetworkEvent {
  productType?: ProductType;
}

/** `GET /networks/{id}/events/eventTypes` item; `productType` is emulator-only (which log lists it). */
export interface EventType {
  category: string;
  type: string;
  description: string;
  productType?: ProductType;
}

export interface L3FirewallRule {
  comment: string;
  policy: 'allow' | 'deny';
  protocol: string;
  srcPort: string;
  srcCidr: string;
  destPort: string;
  destCidr: string;
  syslogEnabled: boolean;
}

/** User rules only; the implicit default rule is appended on output. */
export interface L3FirewallConfig {
  rules: L3FirewallRule[];
  syslogDefaultRule: boolean;
}

export interface GroupPolicy {
  groupPolicyId: string;
  name: string;
  [setting: string]: unknown;
}

export type DevicePolicy = 'Group policy' | 'Allowed' | 'Blocked' | 'Per connection' | 'Normal';

/** A client seen on a network, with its policy (`GET /networks/{id}/clients/{clientId}/policy`). */
export interface NetworkClient {
  id: string;
  mac: string;
  ip?: string | null;
  description?: string | null;
  devicePolicy: DevicePolicy;
  groupPolicyId?: string;
}

export interface ApiKey {
  key: string;
  /** Organizations the key's admin can reach; `'*'` for all. */
  organizationIds: string[] | '*';
  label?: string;
}

/** Everything the emulator serves; `snapshot()`/`restore()` move exactly this as JSON. */
export interface MerakiStateData {
  organizations: Organization[];
  networks: Network[];
  devices: Device[];
  deviceStatuses: DeviceStatus[];
  uplinkStatuses: ApplianceUplinkStatus[];
  /** By network id, any order (the routes sort by time). */
  events: Record<string, StoredEvent[]>;
  eventTypes: EventType[];
  /** By network id; networks without an entry have only the default rule. */
  l3FirewallRules: Record<string, L3FirewallConfig>;
  groupPolicies: Record<string, GroupPolicy[]>;
  clients: Record<string, NetworkClient[]>;
  apiKeys: ApiKey[];
}

/** The default webhook payload (template `meraki/body.liquid`). */
export interface WebhookAlert {
  version: string;
  sharedSecret: string;
  sentAt: string;
  organizationId: string;
  organizationName: string;
  organizationUrl: string;
  networkId: string;
  networkName: string;
  networkUrl: string;
  networkTags: string[];
  deviceSerial: string;
  deviceMac: string;
  deviceName: string;
  deviceUrl: string;
  deviceTags: string[];
  deviceModel: string;
  alertId: string;
  alertType: string;
  alertTypeId: string;
  alertLevel: string;
  occurredAt: string;
  alertData: Record<string, unknown>;
}
