/**
 * Wire shapes of the Meraki Dashboard API v1 objects the emulator serves (docs/reference/meraki-api.md).
 * State holds these plain objects as the API returns them, so a scenario generator can seed them
 * directly; the few emulator-only fields are named below and stripped on the way out. The wire
 * objects are `z.infer` of the zod schemas in scenario/wire-schemas.ts, which the scenario's types
 * and tests use too; this file gives them the emulator's names and adds the emulator-only shapes.
 */
import {
  type MerakiCellularUplink,
  type MerakiDevice,
  MerakiDeviceSchema,
  type MerakiDeviceStatus,
  MerakiDeviceStatusSchema,
  type MerakiDeviceStatusValue,
  type MerakiNetwork,
  type MerakiNetworkEvent,
  type MerakiOrganization,
  type MerakiProductType,
  type MerakiSecurityEvent,
  type MerakiUplinkState,
  type MerakiUplinkStatus,
  type MerakiWanUplink,
  type MerakiWebhookPayload,
} from '../../scenario/wire-schemas';

export type ProductType = MerakiProductType;

export type Organization = MerakiOrganization;

export interface Network extends MerakiNetwork {
  /** Emulator-only: what the `configTemplateId` filter of `/networks` matches (no seed sets it). */
  configTemplateId?: string;
}

/**
 * One item of `GET /organizations/{orgId}/devices`: the inventory. It has no status, `publicIp`,
 * `gateway` or `lastReportedAt` (those are `DeviceStatus` fields, `/devices/statuses`); routes.ts
 * serves exactly `DEVICE_FIELDS` (docs/reference/meraki-api.md).
 */
export type Device = MerakiDevice;

/** The fields `/devices` serves (inventory only); anything else a seed put on a device stays out. */
export const DEVICE_FIELDS = MerakiDeviceSchema.keyof().options;

export type DeviceStatusValue = MerakiDeviceStatusValue;

/** One item of `GET /organizations/{orgId}/devices/statuses` (routes.ts serves `DEVICE_STATUS_FIELDS`). */
export type DeviceStatus = MerakiDeviceStatus;

export const DEVICE_STATUS_FIELDS = MerakiDeviceStatusSchema.keyof().options;

export type UplinkState = MerakiUplinkState;

/**
 * An uplink as state holds it: any documented field of a WAN or cellular uplink (all optional but
 * `interface`, `status` and `ip`) and any status, so tests and faults can set partial or unverified
 * ones (`not connected`). Served as stored.
 */
export type Uplink = Partial<Omit<MerakiWanUplink, Fixed> & Omit<MerakiCellularUplink, Fixed>> & {
  interface: string;
  status: UplinkState | (string & {});
  ip: string | null;
  [extra: string]: unknown;
};
type Fixed = 'interface' | 'status' | 'ip';

/** One item of `GET /organizations/{orgId}/appliance/uplink/statuses`, with stored uplinks. */
export interface ApplianceUplinkStatus extends Omit<MerakiUplinkStatus, 'uplinks'> {
  uplinks: Uplink[];
}

export type NetworkEvent = MerakiNetworkEvent;

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

/** One item of `GET /organizations/{orgId}/appliance/security/events`: an IDS alert or a file scan. */
export type SecurityEvent = MerakiSecurityEvent;

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
  /** Appliance security events by organization id, any order (the route sorts by `ts`). */
  securityEvents: Record<string, SecurityEvent[]>;
  /** By network id; networks without an entry have only the default rule. */
  l3FirewallRules: Record<string, L3FirewallConfig>;
  groupPolicies: Record<string, GroupPolicy[]>;
  clients: Record<string, NetworkClient[]>;
  apiKeys: ApiKey[];
}

/** The default webhook payload (template `meraki/body.liquid`). */
export type WebhookAlert = MerakiWebhookPayload;
