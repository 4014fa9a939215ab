/**
 * Builders that fill a complete wire object from the few fields a scenario cares about, plus the
 * time formats Meraki uses (seconds for uplink `lastReportedAt`, microseconds for events/webhooks).
 */
import type {
  ApplianceUplinkStatus,
  Device,
  DeviceStatus,
  EventType,
  Network,
  NetworkEvent,
  Organization,
  StoredEvent,
  Uplink,
} from './types';
import type { MerakiFileScan, MerakiIdsAlert } from '../../scenario/wire-schemas';

/** `2018-02-11T00:00:00Z`, as in uplink statuses and device statuses. */
export function isoSeconds(at: number | Date | string): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `2018-02-11T00:00:00.123450Z`, as in events and webhook payloads (JS time has ms precision). */
export function isoMicro(at: number | Date | string): string {
  return new Date(at).toISOString().replace(/Z$/, '000Z');
}

/** Parses any ISO-8601 instant Meraki accepts; NaN when it is not one. */
export function parseInstant(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) return Number.NaN;
  return Date.parse(value);
}

export function buildOrganization(partial: Partial<Organization> & Pick<Organization, 'id' | 'name'>): Organization {
  return {
    url: `https://n1.meraki.com/o/${partial.id}/manage/organization/overview`,
    api: { enabled: true },
    licensing: { model: 'co-term' },
    cloud: { region: { name: 'North America', host: { name: 'United States' } } },
    management: { details: [] },
    ...partial,
  };
}

export function buildNetwork(
  partial: Partial<Network> & Pick<Network, 'id' | 'organizationId' | 'name' | 'productTypes'>,
): Network {
  return {
    timeZone: 'America/Los_Angeles',
    tags: [],
    enrollmentString: null,
    url: `https://n1.meraki.com/${encodeURIComponent(partial.name)}/n/${partial.id}/manage/usage/list`,
    notes: '',
    isBoundToConfigTemplate: false,
    ...partial,
  };
}

export function buildDevice(
  partial: Partial<Device> & Pick<Device, 'serial' | 'model' | 'productType' | 'networkId'>,
): Device {
  return {
    name: partial.serial,
    mac: macFromSerial(partial.serial),
    lanIp: null,
    firmware: 'Not running configured version',
    tags: [],
    address: '',
    lat: 37.4180951010362,
    lng: -122.098531723022,
    notes: '',
    url: `https://n1.meraki.com/n/${partial.networkId ?? ''}/manage/nodes/new_list/${partial.serial}`,
    details: [],
    ...partial,
  };
}

export function buildDeviceStatus(device: Device, partial: Partial<DeviceStatus> = {}): DeviceStatus {
  return {
    name: device.name,
    serial: device.serial,
    mac: device.mac,
    publicIp: null,
    networkId: device.networkId,
    status: 'online',
    lastReportedAt: null,
    lanIp: device.lanIp,
    gateway: null,
    ipType: 'dhcp',
    primaryDns: null,
    secondaryDns: null,
    productType: device.productType,
    model: device.model,
    tags: [...device.tags],
    ...partial,
  };
}

export function buildUplinkStatus(
  device: Device,
  uplinks: Uplink[],
  lastReportedAt: string,
  partial: Partial<ApplianceUplinkStatus> = {},
): ApplianceUplinkStatus {
  if (device.networkId === null) throw new Error(`device ${device.serial} is not in a network`);
  return {
    networkId: device.networkId,
    serial: device.serial,
    model: device.model,
    lastReportedAt,
    highAvailability: { enabled: false, role: 'primary' },
    uplinks,
    ...partial,
  };
}

export function buildEvent(
  partial: Partial<StoredEvent> & Pick<NetworkEvent, 'occurredAt' | 'networkId' | 'type'>,
): StoredEvent {
  return {
    description: partial.type,
    category: 'Other',
    clientId: null,
    clientDescription: null,
    clientMac: null,
    deviceSerial: null,
    deviceName: null,
    ssidNumber: null,
    eventData: {},
    ...partial,
  };
}

/** A stable, plausible MAC derived from a serial (Meraki OUI 0c:8d:db is real; the rest is a hash). */
export function macFromSerial(serial: string): string {
  let hash = 2166136261;
  for (const char of serial) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  const bytes = [(hash >>> 16) & 0xff, (hash >>> 8) & 0xff, hash & 0xff];
  return ['0c', '8d', 'db', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/**
 * A seed catalogue for `GET /networks/{id}/events/eventTypes`. Meraki's real appliance type names
 * for failover and cellular events were not found in any source ([UNVERIFIED]:
 * docs/reference/meraki-api.md, "Network events and webhooks"); these are placeholders so collectors
 * discover types at runtime instead of hard-coding them.
 */
export const DEFAULT_EVENT_TYPES: EventType[] = [
  { category: 'Uplinks', type: 'uplink_change', description: 'WAN uplink status changed', productType: 'appliance' },
  { category: 'Uplinks', type: 'cellular_up', description: 'Cellular connection up', productType: 'appliance' },
  { category: 'Uplinks', type: 'cellular_down', description: 'Cellular connection down', productType: 'appliance' },
  { category: 'DHCP', type: 'dhcp_lease', description: 'DHCP lease', productType: 'appliance' },
  { category: 'Security', type: 'ids_alert', description: 'IDS alert', productType: 'appliance' },
  { category: 'Client', type: 'client_blocked', description: 'Client blocked by policy', productType: 'appliance' },
  { category: 'Port', type: 'port_status', description: 'Port status change', productType: 'switch' },
  { category: 'STP', type: 'stp_port_role_change', description: 'Spanning-tree role change', productType: 'switch' },
  { category: '802.11', type: 'association', description: '802.11 association', productType: 'wireless' },
  { category: '802.11', type: 'disassociation', description: '802.11 disassociation', productType: 'wireless' },
  { category: 'WPA', type: 'wpa_auth', description: 'WPA authentication', productType: 'wireless' },
  { category: 'WPA', type: 'wpa_deauth', description: 'WPA deauthentication', productType: 'wireless' },
];

/** An IDS alert as the org security events listing serves it (documented example's shape). */
export function buildIdsAlert(
  partial: Partial<MerakiIdsAlert> & Pick<MerakiIdsAlert, 'ts' | 'deviceMac'>,
): MerakiIdsAlert {
  return {
    eventType: 'IDS Alert',
    clientMac: '',
    srcIp: '45.137.23.246:42101',
    destIp: '10.0.1.23:80',
    protocol: 'tcp/ip',
    priority: '1',
    classification: '9',
    blocked: false,
    message: 'SERVER-OTHER RealTek UDPServer command injection attempt',
    signature: '1:58853:1',
    sigSource: 'ids-vrt-balanced',
    ruleId: 'meraki:intrusion/snort/GID/1/SID/58853',
    ...partial,
  };
}

/** A file scan (AMP) as the org security events listing serves it. */
export function buildFileScan(partial: Partial<MerakiFileScan> & Pick<MerakiFileScan, 'ts'>): MerakiFileScan {
  return {
    eventType: 'File Scanned',
    clientName: 'laptop-alice',
    clientMac: '22:33:44:55:66:77',
    clientIp: '10.0.1.23',
    srcIp: '10.0.1.23',
    destIp: '119.192.233.48',
    protocol: 'http',
    uri: 'http://downloads.example.net/setup.exe',
    canonicalName: 'PUA.Win.Dropper.Kraddare::1201',
    destinationPort: 80,
    fileHash: '3ec1b9a95fe62aa25fc959643a0f227b76d253094681934daaf628d3574b3463',
    fileType: 'MS_EXE',
    fileSizeBytes: 193688,
    disposition: 'Malicious',
    action: 'Blocked',
    ...partial,
  };
}
