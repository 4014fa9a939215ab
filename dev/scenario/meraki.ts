/**
 * The Meraki side of the scenario: organizations, networks (sites), devices, their uplink and device
 * statuses as functions of time, background appliance events, and the LTE failover that the
 * `meraki.uplink.public-ip-change` detection must see (uplink statuses over time + webhook alerts).
 *
 * The background is an ordinary network's: the retail stores' WAN1 is a DHCP line whose ISP hands
 * out a new public IP when the lease renews (every few days; wan1 stays active, no failover), and the
 * New York MG on wan2 (standby) drops out for about ten minutes once a week (two status changes, under
 * the flapping threshold). Both are functions of time like the background events, built into
 * `uplinkStatusesAt`/`deviceStatusesAt`; `backgroundUplinkChangesBetween` lists them as changes.
 *
 * Appliance event type names for failover/cellular are not published (UNVERIFIED:
 * docs/reference/meraki-api.md, "Unverified points"), so they live in MERAKI_EVENT_TYPES for
 * emulators to remap. Webhook alertTypeIds are the documented ones
 * (`failover_event`, `cellular_up`, `cellular_down`); the meaning of `alertData.uplink` is assumed to be
 * the index of the uplink now carrying traffic (0 = wan1, 1 = wan2, 2 = cellular) — UNVERIFIED.
 */
import { hash32, IdSpace, Rng, unique64 } from './prng';
import { mac } from './data';
import type {
  MerakiCellularUplink,
  MerakiDevice,
  MerakiDeviceStatus,
  MerakiNetwork,
  MerakiNetworkEvent,
  MerakiOrganization,
  MerakiUplinkChange,
  MerakiUplinkStatus,
  MerakiWanUplink,
  MerakiWebhookPayload,
} from './wire-types';

export const MERAKI_EVENT_TYPES = {
  failover: { type: 'failover_event', category: 'Uplink', description: 'Uplink status changed' },
  cellularUp: { type: 'cellular_up', category: 'Cellular', description: 'Cellular connection up' },
  cellularDown: { type: 'cellular_down', category: 'Cellular', description: 'Cellular connection down' },
  dhcpLease: { type: 'dhcp_lease', category: 'DHCP', description: 'DHCP lease' },
  vpnConnectivity: { type: 'vpn_connectivity_change', category: 'VPN', description: 'VPN connectivity changed' },
} as const;

export const MERAKI_ALERT_TYPES = {
  failover: { alertTypeId: 'failover_event', alertType: 'Uplink status changed', alertLevel: 'warning' },
  cellularUp: { alertTypeId: 'cellular_up', alertType: 'Cellular came up', alertLevel: 'informational' },
  cellularDown: { alertTypeId: 'cellular_down', alertType: 'Cellular went down', alertLevel: 'warning' },
} as const;

export interface WanModel {
  ip: string;
  gateway: string;
  publicIp: string;
  primaryDns: string;
  secondaryDns: string;
  ipAssignedBy: 'static' | 'dhcp';
}

export interface CellularModel {
  ip: string;
  gateway: string;
  publicIp: string;
  provider: string;
  apn: string;
  iccid: string;
  imsi: string;
  mcc: string;
  mnc: string;
}

/** Lease renewals at `offsetMs + k * periodMs` (epoch ms), each with a new address from the ISP. */
export interface LeaseModel {
  periodMs: number;
  offsetMs: number;
  /** Second octet and seed of the ISP's addresses for this line. */
  salt: number;
}

/** Down (`failed`) during [offsetMs + k * periodMs, + durationMs). */
export interface FlapModel {
  periodMs: number;
  offsetMs: number;
  durationMs: number;
}

export interface MerakiSiteModel {
  key: string;
  organizationId: string;
  network: MerakiNetwork;
  tzOffsetSec: number;
  mx: MerakiDevice;
  devices: MerakiDevice[];
  wan1: WanModel;
  wan2: WanModel;
  /** Integrated cellular (MX67C/MX68CW); null when the second WAN is an MG cellular gateway. */
  cellular: CellularModel | null;
  /** WAN1 on a DHCP line: its public IP changes at every lease renewal (`wan1At`); null when static. */
  wan1Lease: LeaseModel | null;
  /** A standby wan2 that drops out briefly now and then (`wan2DownAt`); null when steady. */
  wan2Flap: FlapModel | null;
  /** LAN clients that take DHCP leases in background events. */
  clients: { id: string; mac: string; description: string; ip: string }[];
}

export interface MerakiModel {
  organizations: MerakiOrganization[];
  sites: MerakiSiteModel[];
  webhookSharedSecret: string;
}

interface SiteSpec {
  key: string;
  org: 0 | 1;
  name: string;
  tz: string;
  tzOffsetSec: number;
  address: string;
  lat: number;
  lng: number;
  mxModel: 'MX85' | 'MX68CW' | 'MX67C';
  withMg: boolean;
  switches: number;
  aps: number;
  provider: string;
  /** Days between DHCP lease renewals that change WAN1's public IP (absent: static WAN1). */
  leaseDays?: number;
  /** Days between short wan2 drop-outs (absent: none). */
  wan2FlapDays?: number;
}

const SITE_SPECS: readonly SiteSpec[] = [
  {
    key: 'nyc',
    org: 0,
    name: 'New York HQ',
    tz: 'America/New_York',
    tzOffsetSec: -5 * 3600,
    address: '250 Park Ave S, New York, NY',
    lat: 40.7385,
    lng: -73.9873,
    mxModel: 'MX85',
    withMg: true,
    switches: 3,
    aps: 6,
    provider: 'Verizon Wireless',
    wan2FlapDays: 7,
  },
  {
    key: 'chi',
    org: 0,
    name: 'Chicago Office',
    tz: 'America/Chicago',
    tzOffsetSec: -6 * 3600,
    address: '222 W Merchandise Mart Plaza, Chicago, IL',
    lat: 41.8885,
    lng: -87.6354,
    mxModel: 'MX68CW',
    withMg: false,
    switches: 1,
    aps: 3,
    provider: 'AT&T',
  },
  {
    key: 'aus',
    org: 0,
    name: 'Austin Office',
    tz: 'America/Chicago',
    tzOffsetSec: -6 * 3600,
    address: '500 W 2nd St, Austin, TX',
    lat: 30.2655,
    lng: -97.7494,
    mxModel: 'MX67C',
    withMg: false,
    switches: 1,
    aps: 2,
    provider: 'T-Mobile',
  },
  {
    key: 'lon',
    org: 0,
    name: 'London Office',
    tz: 'Europe/London',
    tzOffsetSec: 0,
    address: '1 Finsbury Ave, London',
    lat: 51.5196,
    lng: -0.0845,
    mxModel: 'MX68CW',
    withMg: false,
    switches: 1,
    aps: 3,
    provider: 'Vodafone UK',
  },
  {
    key: 'store-101',
    org: 1,
    name: 'Store 101 Brooklyn',
    tz: 'America/New_York',
    tzOffsetSec: -5 * 3600,
    address: '445 Albee Square W, Brooklyn, NY',
    lat: 40.6913,
    lng: -73.9836,
    mxModel: 'MX67C',
    withMg: false,
    switches: 1,
    aps: 1,
    provider: 'Verizon Wireless',
    leaseDays: 6,
  },
  {
    key: 'store-102',
    org: 1,
    name: 'Store 102 Jersey City',
    tz: 'America/New_York',
    tzOffsetSec: -5 * 3600,
    address: '30 Mall Dr W, Jersey City, NJ',
    lat: 40.7359,
    lng: -74.0573,
    mxModel: 'MX68CW',
    withMg: false,
    switches: 1,
    aps: 1,
    provider: 'AT&T',
    leaseDays: 9,
  },
];

/** Sites whose Slack users work from the office (org 0). */
export const OFFICE_SITE_KEYS = ['nyc', 'chi', 'aus', 'lon'] as const;

const FIRMWARE: Record<string, string> = {
  appliance: 'wired-18-211-2',
  switch: 'switch-16-8',
  wireless: 'wireless-30-7',
  cellularGateway: 'cellular-gateway-2-1',
};

const CARRIER_V4: Record<string, string> = {
  'Verizon Wireless': '174.224.',
  'AT&T': '166.170.',
  'T-Mobile': '172.59.',
  'Vodafone UK': '89.241.',
};

function serial(rng: Rng, prefix: string): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const part = (): string => Array.from({ length: 4 }, () => alphabet.charAt(rng.int(0, alphabet.length - 1))).join('');
  return `${prefix}-${part()}-${part()}`;
}

function publicV4(rng: Rng, prefixes: readonly string[]): string {
  const prefix = rng.pick(prefixes);
  const missing = 4 - (prefix.split('.').length - 1);
  const octets = Array.from({ length: missing }, (_, i) => (i === missing - 1 ? rng.int(2, 250) : rng.int(1, 254)));
  return prefix + octets.join('.');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Builds both organizations, their sites and devices; deterministic in `seed`. */
export function buildMerakiModel(
  seed: number,
  opts: { organizations: 1 | 2; webhookSharedSecret: string },
): MerakiModel {
  const rng = Rng.for(seed, 'meraki');
  const orgNames = ['Acme Corp', 'Acme Retail'];
  const organizations: MerakiOrganization[] = orgNames.slice(0, opts.organizations).map((name, i) => {
    const id = String(500_000 + (hash32(seed, 'org', i) % 400_000) + i);
    const shard = 100 + (hash32(seed, 'shard', i) % 300);
    return {
      id,
      name,
      url: `https://n${shard}.meraki.com/o/${rng.hex(6)}/manage/organization/overview`,
      api: { enabled: true },
      licensing: { model: 'co-term' },
      cloud: { region: { name: 'North America', host: { name: 'United States' } } },
      management: {
        details: [{ name: 'customer number', value: String(10_000_000 + (hash32(seed, 'cust', i) % 89_999_999)) }],
      },
    };
  });

  const usedPublic = new Set<string>();
  const freshPublic = (prefixes: readonly string[]): string => {
    for (;;) {
      const ip = publicV4(rng, prefixes);
      if (!usedPublic.has(ip)) {
        usedPublic.add(ip);
        return ip;
      }
    }
  };

  const sites: MerakiSiteModel[] = [];
  for (const spec of SITE_SPECS) {
    const org = organizations[spec.org];
    if (org === undefined) continue;
    const netId = `L_${(BigInt(hash32(seed, 'net', spec.key)) * 1_000_000_007n + 646_829_496_481_105_433n).toString().slice(0, 18)}`;
    const shard = org.url.slice(8, org.url.indexOf('.'));
    const slug = spec.name.replace(/\s+/g, '-');
    const network: MerakiNetwork = {
      id: netId,
      organizationId: org.id,
      name: spec.name,
      productTypes: spec.withMg
        ? ['appliance', 'cellularGateway', 'switch', 'wireless']
        : ['appliance', 'switch', 'wireless'],
      timeZone: spec.tz,
      tags: spec.org === 0 ? ['office'] : ['retail'],
      enrollmentString: null,
      url: `https://${shard}.meraki.com/${slug}/n/${rng.hex(8)}/manage/usage/list`,
      notes: '',
      isBoundToConfigTemplate: spec.org === 1,
    };
    const lanBase = `10.${10 + sites.length}.`;
    const device = (
      model: string,
      productType: MerakiDevice['productType'],
      name: string,
      lanIp: string | null,
      serialPrefix: string,
    ): MerakiDevice => {
      const s = serial(rng, serialPrefix);
      const d: MerakiDevice = {
        name,
        serial: s,
        mac: mac(
          rng,
          productType === 'appliance'
            ? 'e0:cb:bc'
            : productType === 'wireless'
              ? '0c:8d:db'
              : productType === 'switch'
                ? 'ac:17:c8'
                : '98:18:88',
        ),
        model,
        networkId: netId,
        productType,
        lanIp,
        firmware: FIRMWARE[productType] ?? 'unknown',
        tags: productType === 'appliance' ? ['edge'] : [],
        address: spec.address,
        lat: spec.lat,
        lng: spec.lng,
        notes: '',
        url: `https://${shard}.meraki.com/${slug}/n/${rng.hex(8)}/manage/nodes/new_list/${String(hash32(seed, s) % 1_000_000_000_000)}`,
        configurationUpdatedAt: '2026-01-15T10:20:30Z',
        details: [],
      };
      if (model === 'MX67C' || model === 'MX68CW' || productType === 'cellularGateway')
        d.imei = String(350_000_000_000_000 + (hash32(seed, 'imei', s) % 99_999_999));
      return d;
    };
    const mx = device(
      spec.mxModel,
      'appliance',
      `${spec.key.toUpperCase()}-MX01`,
      null,
      spec.mxModel === 'MX85' ? 'Q2KY' : spec.mxModel === 'MX67C' ? 'Q2EY' : 'Q2GY',
    );
    const devices: MerakiDevice[] = [mx];
    if (spec.withMg)
      devices.push(device('MG41', 'cellularGateway', `${spec.key.toUpperCase()}-MG01`, `${lanBase}0.3`, 'Q3AB'));
    for (let i = 1; i <= spec.switches; i++)
      devices.push(
        device(
          i === 1 && spec.switches > 1 ? 'MS225-48FP' : 'MS120-8LP',
          'switch',
          `${spec.key.toUpperCase()}-MS0${i}`,
          `${lanBase}0.${10 + i}`,
          'Q2HP',
        ),
      );
    for (let i = 1; i <= spec.aps; i++)
      devices.push(
        device(
          spec.org === 0 ? 'MR46' : 'MR36',
          'wireless',
          `${spec.key.toUpperCase()}-AP${String(i).padStart(2, '0')}`,
          `${lanBase}0.${100 + i}`,
          'Q3AJ',
        ),
      );

    const wan1Public = freshPublic(['38.104.', '64.125.', '65.207.', '208.185.', '72.14.']);
    const wan1: WanModel = {
      ip: wan1Public,
      gateway: wan1Public.replace(/\.\d+$/, '.1'),
      publicIp: wan1Public,
      primaryDns: '8.8.8.8',
      secondaryDns: '8.8.4.4',
      ipAssignedBy: spec.leaseDays === undefined ? 'static' : 'dhcp',
    };
    const wan1Lease: LeaseModel | null =
      spec.leaseDays === undefined
        ? null
        : {
            periodMs: spec.leaseDays * DAY_MS,
            offsetMs: hash32(seed, 'lease', spec.key) % (spec.leaseDays * DAY_MS),
            salt: 200 + (hash32(seed, 'lease-isp', spec.key) % 50),
          };
    const wan2Flap: FlapModel | null =
      spec.wan2FlapDays === undefined
        ? null
        : {
            periodMs: spec.wan2FlapDays * DAY_MS,
            offsetMs: hash32(seed, 'flap', spec.key) % (spec.wan2FlapDays * DAY_MS),
            durationMs: (8 + (hash32(seed, 'flap-for', spec.key) % 5)) * 60_000,
          };
    const wan2Public = spec.withMg
      ? freshPublic([CARRIER_V4[spec.provider] ?? '174.224.'])
      : freshPublic(['73.', '98.', '76.', '24.']);
    const wan2: WanModel = {
      ip: spec.withMg ? '192.168.0.2' : `192.168.100.${rng.int(10, 200)}`,
      gateway: spec.withMg ? '192.168.0.1' : '192.168.100.1',
      publicIp: wan2Public,
      primaryDns: spec.withMg ? '192.168.0.1' : '75.75.75.75',
      secondaryDns: spec.withMg ? '8.8.8.8' : '75.75.76.76',
      ipAssignedBy: 'dhcp',
    };
    const cellular: CellularModel | null = spec.withMg
      ? null
      : {
          ip: `100.${rng.int(64, 127)}.${rng.int(0, 255)}.${rng.int(2, 254)}`,
          gateway: '100.64.0.1',
          publicIp: freshPublic([CARRIER_V4[spec.provider] ?? '174.224.']),
          provider: spec.provider,
          apn:
            spec.provider === 'AT&T'
              ? 'broadband'
              : spec.provider === 'T-Mobile'
                ? 'fast.t-mobile.com'
                : spec.provider === 'Vodafone UK'
                  ? 'internet'
                  : 'vzwinternet',
          iccid: `8901${String(hash32(seed, 'iccid', spec.key)).padStart(10, '0')}${String(hash32(seed, 'iccid2', spec.key) % 1_000_000).padStart(6, '0')}`,
          imsi: `310${String(hash32(seed, 'imsi', spec.key))
            .padStart(12, '0')
            .slice(0, 12)}`,
          mcc: spec.provider === 'Vodafone UK' ? '234' : '310',
          mnc:
            spec.provider === 'AT&T'
              ? '410'
              : spec.provider === 'T-Mobile'
                ? '260'
                : spec.provider === 'Vodafone UK'
                  ? '15'
                  : '480',
        };
    const clients = Array.from({ length: spec.org === 0 ? 40 : 8 }, (_, i) => ({
      id: `k${(hash32(seed, 'client', spec.key, i) % 0xfffffff).toString(36)}`,
      mac: mac(rng, rng.pick(['f0:18:98', '3c:22:fb', 'a4:83:e7', 'dc:a6:32', '8c:85:90'])),
      description:
        rng.pick(['MacBook-Pro', 'DESKTOP-', 'iPhone', 'Galaxy-S24', 'Polycom-VVX', 'ZebraScanner']) +
        (i + 1).toString(),
      ip: `${lanBase}${rng.int(1, 3)}.${20 + i}`,
    }));
    sites.push({
      key: spec.key,
      organizationId: org.id,
      network,
      tzOffsetSec: spec.tzOffsetSec,
      mx,
      devices,
      wan1,
      wan2,
      cellular,
      wan1Lease,
      wan2Flap,
      clients,
    });
  }
  return { organizations, sites, webhookSharedSecret: opts.webhookSharedSecret };
}

const DAY_MS = 86_400_000;

/**
 * WAN1 as the MX sees it at a time: on a DHCP line the ISP hands out a new address (and gateway) at
 * each lease renewal; the addresses come from a 50.x/16 of their own, used by nothing else.
 */
export function wan1At(site: MerakiSiteModel, atMs: number): WanModel {
  const lease = site.wan1Lease;
  if (lease === null) return site.wan1;
  const epoch = Math.floor((atMs - lease.offsetMs) / lease.periodMs);
  // Consecutive leases differ in the third octet, so every renewal really changes the address.
  const third = 2 + ((((epoch * 37) % 250) + 250) % 250);
  const fourth = 2 + (hash32(lease.salt, epoch) % 250);
  const ip = `50.${String(lease.salt)}.${String(third)}.${String(fourth)}`;
  return { ...site.wan1, ip, publicIp: ip, gateway: ip.replace(/\.\d+$/, '.1') };
}

/** Whether the site's standby wan2 is in one of its short drop-outs at a time. */
export function wan2DownAt(site: MerakiSiteModel, atMs: number): boolean {
  const flap = site.wan2Flap;
  if (flap === null) return false;
  const phase = (((atMs - flap.offsetMs) % flap.periodMs) + flap.periodMs) % flap.periodMs;
  return phase < flap.durationMs;
}

/** Times in [fromMs, toMs) of `offsetMs + k * periodMs` (+ `shiftMs`). */
function periodicBetween(periodMs: number, offsetMs: number, shiftMs: number, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil((fromMs - offsetMs - shiftMs) / periodMs); ; k++) {
    const at = offsetMs + k * periodMs + shiftMs;
    if (at >= toMs) break;
    if (at >= fromMs) out.push(at);
  }
  return out;
}

/** Which uplink carries traffic; `down` means both WANs failed and cellular is still connecting. */
export type UplinkMode = 'normal' | 'down' | 'cellular';

export function uplinkStatusItem(site: MerakiSiteModel, mode: UplinkMode, atMs: number): MerakiUplinkStatus {
  const wan = (iface: 'wan1' | 'wan2', w: WanModel, status: MerakiWanUplink['status']): MerakiWanUplink => ({
    interface: iface,
    status,
    ip: status === 'failed' ? null : w.ip,
    gateway: status === 'failed' ? null : w.gateway,
    publicIp: status === 'failed' ? null : w.publicIp,
    primaryDns: status === 'failed' ? null : w.primaryDns,
    secondaryDns: status === 'failed' ? null : w.secondaryDns,
    ipAssignedBy: status === 'failed' ? null : w.ipAssignedBy,
  });
  const uplinks: MerakiUplinkStatus['uplinks'] = [
    wan('wan1', wan1At(site, atMs), mode === 'normal' ? 'active' : 'failed'),
    wan('wan2', site.wan2, mode === 'normal' && !wan2DownAt(site, atMs) ? 'ready' : 'failed'),
  ];
  const c = site.cellular;
  if (c !== null) {
    const status: MerakiCellularUplink['status'] =
      mode === 'normal' ? 'ready' : mode === 'down' ? 'connecting' : 'active';
    uplinks.push({
      interface: 'cellular',
      status,
      ip: status === 'connecting' ? null : c.ip,
      provider: c.provider,
      publicIp: status === 'connecting' ? null : c.publicIp,
      model: 'integrated',
      signalStat: { rsrp: mode === 'cellular' ? '-97' : '-101', rsrq: mode === 'cellular' ? '-9' : '-11' },
      connectionType: '4g',
      apn: c.apn,
      gateway: status === 'connecting' ? null : c.gateway,
      dns1: status === 'connecting' ? null : '198.224.166.135',
      dns2: status === 'connecting' ? null : '198.224.167.135',
      signalType: '4G',
      iccid: c.iccid,
      imsi: c.imsi,
      mcc: c.mcc,
      mnc: c.mnc,
      roaming: { status: 'home' },
    });
  }
  return {
    networkId: site.network.id,
    serial: site.mx.serial,
    model: site.mx.model,
    lastReportedAt: iso(Math.floor(atMs / 60_000) * 60_000),
    highAvailability: { enabled: false, role: 'primary' },
    uplinks,
  };
}

/** The public IP an MX egresses from in a mode at a time (null while nothing is up). */
export function activePublicIp(site: MerakiSiteModel, mode: UplinkMode, atMs: number): string | null {
  if (mode === 'normal') return wan1At(site, atMs).publicIp;
  if (mode === 'cellular') return site.cellular?.publicIp ?? null;
  return null;
}

export function modeOf(status: MerakiUplinkStatus): UplinkMode {
  const active = status.uplinks.find((u) => u.status === 'active');
  if (active === undefined) return 'down';
  return active.interface === 'cellular' ? 'cellular' : 'normal';
}

/** Uplink statuses of one organization's MXs at a time, after applying the given changes. */
export function uplinkStatusesAt(
  model: MerakiModel,
  changes: readonly MerakiUplinkChange[],
  organizationId: string,
  atMs: number,
): MerakiUplinkStatus[] {
  return model.sites
    .filter((s) => s.organizationId === organizationId)
    .map((site) => {
      let mode: UplinkMode = 'normal';
      let lastAt = -Infinity;
      for (const c of changes) {
        if (c.status.serial === site.mx.serial && c.at <= atMs && c.at >= lastAt) {
          lastAt = c.at;
          mode = modeOf(c.status);
        }
      }
      return uplinkStatusItem(site, mode, atMs);
    });
}

/** `GET /organizations/{orgId}/devices/statuses` at a time: every device egresses via the MX. */
export function deviceStatusesAt(
  model: MerakiModel,
  changes: readonly MerakiUplinkChange[],
  organizationId: string,
  atMs: number,
): MerakiDeviceStatus[] {
  const uplinks = uplinkStatusesAt(model, changes, organizationId, atMs);
  const out: MerakiDeviceStatus[] = [];
  for (const site of model.sites.filter((s) => s.organizationId === organizationId)) {
    const status = uplinks.find((u) => u.serial === site.mx.serial);
    const mode = status === undefined ? 'normal' : modeOf(status);
    const publicIp = activePublicIp(site, mode, atMs);
    const wan1 = wan1At(site, atMs);
    for (const d of site.devices) {
      const isMx = d.productType === 'appliance';
      out.push({
        name: d.name,
        serial: d.serial,
        mac: d.mac,
        publicIp: d.productType === 'cellularGateway' ? site.wan2.publicIp : publicIp,
        networkId: d.networkId,
        status: 'online',
        lastReportedAt: iso(Math.floor(atMs / 60_000) * 60_000 - (hash32(d.serial) % 50) * 1000),
        lanIp: isMx ? (mode === 'normal' ? wan1.ip : (site.cellular?.ip ?? null)) : d.lanIp,
        gateway: isMx
          ? mode === 'normal'
            ? wan1.gateway
            : (site.cellular?.gateway ?? null)
          : (d.lanIp?.replace(/\.\d+\.\d+$/, '.0.1') ?? null),
        ipType: isMx ? (mode === 'normal' ? wan1.ipAssignedBy : 'dhcp') : 'dhcp',
        primaryDns: isMx ? wan1.primaryDns : (d.lanIp?.replace(/\.\d+\.\d+$/, '.0.1') ?? null),
        secondaryDns: '8.8.8.8',
        productType: d.productType,
        model: d.model,
        tags: d.tags,
      });
    }
  }
  return out;
}

/**
 * The background's uplink changes in [fromMs, toMs), ascending: each store WAN1 lease renewal (new
 * public IP, wan1 still active) and each start and end of a wan2 drop-out, as the MX's whole status
 * at that time (so they agree with `uplinkStatusesAt` over `changes`, the incidents' changes).
 */
export function backgroundUplinkChangesBetween(
  model: MerakiModel,
  changes: readonly MerakiUplinkChange[],
  fromMs: number,
  toMs: number,
): MerakiUplinkChange[] {
  const out: MerakiUplinkChange[] = [];
  for (const site of model.sites) {
    const times: [number, string][] = [];
    const lease = site.wan1Lease;
    if (lease !== null)
      for (const at of periodicBetween(lease.periodMs, lease.offsetMs, 0, fromMs, toMs)) times.push([at, 'lease']);
    const flap = site.wan2Flap;
    if (flap !== null) {
      for (const at of periodicBetween(flap.periodMs, flap.offsetMs, 0, fromMs, toMs)) times.push([at, 'wan2-down']);
      for (const at of periodicBetween(flap.periodMs, flap.offsetMs, flap.durationMs, fromMs, toMs))
        times.push([at, 'wan2-up']);
    }
    for (const [at, what] of times) {
      const status = uplinkStatusesAt(model, changes, site.organizationId, at).find((u) => u.serial === site.mx.serial);
      if (status === undefined) continue;
      out.push({
        key: `meraki-uplink-bg:${site.mx.serial}:${String(at)}:${what}`,
        at,
        organizationId: site.organizationId,
        status,
      });
    }
  }
  return out.sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : 1));
}

/** A stable key for a network event (Meraki events carry no id). */
export function merakiEventKey(e: MerakiNetworkEvent): string {
  return `meraki-event:${e.networkId}:${e.occurredAt}:${e.type}:${hash32(JSON.stringify(e.eventData), e.clientMac ?? '').toString(16)}`;
}

const HOUR_MS = 3_600_000;

/**
 * Background appliance events for one site-hour: DHCP leases during local working hours and the
 * odd AutoVPN peer flap. Never a failover (that is an incident).
 */
export function backgroundSiteHour(seed: number, site: MerakiSiteModel, hourIdx: number): MerakiNetworkEvent[] {
  const rng = Rng.for(seed, 'meraki-bg', site.key, hourIdx);
  const startMs = hourIdx * HOUR_MS;
  const localHour = (((hourIdx + Math.round(site.tzOffsetSec / 3600)) % 24) + 24) % 24;
  const localDay = Math.floor((startMs + site.tzOffsetSec * 1000) / 86_400_000);
  const weekday = (((localDay + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  const working = weekday >= 1 && weekday <= 5 && localHour >= 7 && localHour < 19;
  const events: MerakiNetworkEvent[] = [];
  const leases = rng.poisson(working ? 2.5 : 0.3);
  for (let i = 0; i < leases; i++) {
    const client = rng.pick(site.clients);
    events.push({
      occurredAt: iso(startMs + rng.int(0, HOUR_MS - 1)),
      networkId: site.network.id,
      type: MERAKI_EVENT_TYPES.dhcpLease.type,
      description: MERAKI_EVENT_TYPES.dhcpLease.description,
      category: MERAKI_EVENT_TYPES.dhcpLease.category,
      clientId: client.id,
      clientDescription: client.description,
      clientMac: client.mac,
      deviceSerial: site.mx.serial,
      deviceName: site.mx.name,
      eventData: { ip: client.ip, vlan: '1', leaseDuration: '86400' },
    });
  }
  if (rng.chance(1 / 36)) {
    const t = startMs + rng.int(0, HOUR_MS - 120_000);
    for (const [dt, connectivity] of [
      [0, 'false'],
      [rng.int(20_000, 90_000), 'true'],
    ] as const) {
      events.push({
        occurredAt: iso(t + dt),
        networkId: site.network.id,
        type: MERAKI_EVENT_TYPES.vpnConnectivity.type,
        description: MERAKI_EVENT_TYPES.vpnConnectivity.description,
        category: MERAKI_EVENT_TYPES.vpnConnectivity.category,
        clientId: null,
        clientDescription: null,
        clientMac: null,
        deviceSerial: site.mx.serial,
        deviceName: site.mx.name,
        eventData: { peer_contact: `${site.key === 'nyc' ? 'chi' : 'nyc'}-mx01`, connectivity },
      });
    }
  }
  return events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
}

export function backgroundMerakiBetween(
  seed: number,
  model: MerakiModel,
  fromMs: number,
  toMs: number,
): MerakiNetworkEvent[] {
  const out: MerakiNetworkEvent[] = [];
  for (let h = Math.floor(fromMs / HOUR_MS); h * HOUR_MS < toMs; h++) {
    for (const site of model.sites) {
      for (const e of backgroundSiteHour(seed, site, h)) {
        const t = Date.parse(e.occurredAt);
        if (t >= fromMs && t < toMs) out.push(e);
      }
    }
  }
  return out.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
}

export interface FailoverArtifacts {
  changes: MerakiUplinkChange[];
  events: MerakiNetworkEvent[];
  webhooks: MerakiWebhookPayload[];
  /** Public IP before and during the failover. */
  publicIps: { before: string; during: string };
}

/**
 * Both WANs fail at `startMs`, the integrated LTE modem takes over ~40 s later, and the WANs come
 * back after `durationMs`. Produces the uplink-status changes, appliance events and webhook alerts.
 */
export function buildFailover(
  seed: number,
  model: MerakiModel,
  site: MerakiSiteModel,
  startMs: number,
  durationMs: number,
  alertSeq: number,
): FailoverArtifacts {
  const cell = site.cellular;
  if (cell === null) throw new Error(`site ${site.key} has no integrated cellular uplink to fail over to`);
  const org = model.organizations.find((o) => o.id === site.organizationId);
  if (org === undefined) throw new Error(`site ${site.key} has no organization`);
  const upAt = startMs + 40_000;
  const backAt = startMs + durationMs;
  const change = (at: number, mode: UplinkMode, n: number): MerakiUplinkChange => ({
    key: `meraki-uplink:${site.mx.serial}:${at}:${n}`,
    at,
    organizationId: site.organizationId,
    status: uplinkStatusItem(site, mode, at),
  });
  const changes = [change(startMs, 'down', 0), change(upAt, 'cellular', 1), change(backAt, 'normal', 2)];
  const ev = (
    at: number,
    kind: keyof typeof MERAKI_EVENT_TYPES,
    eventData: Record<string, unknown>,
  ): MerakiNetworkEvent => ({
    occurredAt: iso(at),
    networkId: site.network.id,
    type: MERAKI_EVENT_TYPES[kind].type,
    description: MERAKI_EVENT_TYPES[kind].description,
    category: MERAKI_EVENT_TYPES[kind].category,
    clientId: null,
    clientDescription: null,
    clientMac: null,
    deviceSerial: site.mx.serial,
    deviceName: site.mx.name,
    eventData,
  });
  const events = [
    ev(startMs, 'failover', { uplink: 'wan1', status: 'failed', reason: 'link down' }),
    ev(startMs + 2_000, 'failover', { uplink: 'wan2', status: 'failed', reason: 'link down' }),
    ev(upAt, 'cellularUp', { provider: cell.provider, connection: 'LTE', ip: cell.ip }),
    ev(upAt + 1_000, 'failover', { uplink: 'cellular', status: 'active', reason: 'failover' }),
    ev(backAt, 'failover', { uplink: 'wan1', status: 'active', reason: 'link restored' }),
    ev(backAt + 15_000, 'cellularDown', { provider: cell.provider, connection: 'LTE' }),
  ];
  const hook = (
    at: number,
    kind: keyof typeof MERAKI_ALERT_TYPES,
    alertData: Record<string, unknown>,
    n: number,
  ): MerakiWebhookPayload => ({
    version: '0.1',
    sharedSecret: model.webhookSharedSecret,
    sentAt: iso(at + 4_000 + (hash32(seed, site.key, at, n) % 3_000)),
    organizationId: org.id,
    organizationName: org.name,
    organizationUrl: org.url,
    networkId: site.network.id,
    networkName: site.network.name,
    networkUrl: site.network.url,
    networkTags: site.network.tags,
    deviceSerial: site.mx.serial,
    deviceMac: site.mx.mac,
    deviceName: site.mx.name,
    deviceUrl: site.mx.url,
    deviceTags: site.mx.tags,
    deviceModel: site.mx.model,
    alertId: unique64(seed, IdSpace.merakiAlert, alertSeq & 0x3ffff, n, 0)
      .toString()
      .padStart(20, '0')
      .slice(-16),
    alertType: MERAKI_ALERT_TYPES[kind].alertType,
    alertTypeId: MERAKI_ALERT_TYPES[kind].alertTypeId,
    alertLevel: MERAKI_ALERT_TYPES[kind].alertLevel,
    occurredAt: iso(at),
    alertData,
  });
  const webhooks = [
    hook(upAt, 'failover', { uplink: '2' }, 0),
    hook(
      upAt,
      'cellularUp',
      { provider: cell.provider, model: site.mx.model, local: cell.ip, remote: cell.gateway, connection: 'LTE' },
      1,
    ),
    hook(backAt, 'failover', { uplink: '0' }, 2),
    hook(
      backAt + 15_000,
      'cellularDown',
      {
        provider: cell.provider,
        model: site.mx.model,
        connection: 'LTE',
        bytesIn: 180_000_000 + (hash32(seed, 'in', site.key, startMs) % 400_000_000),
        bytesOut: 40_000_000 + (hash32(seed, 'out', site.key, startMs) % 90_000_000),
        connectTime: Math.round((backAt + 15_000 - upAt) / 1000),
      },
      3,
    ),
  ];
  return { changes, events, webhooks, publicIps: { before: wan1At(site, startMs).publicIp, during: cell.publicIp } };
}
