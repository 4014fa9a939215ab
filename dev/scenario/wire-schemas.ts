/**
 * Small zod schemas of the wire formats (docs/reference/slack-api.md, docs/reference/meraki-api.md),
 * strict where the fact is sourced and loose (`.loose()`, unlisted keys allowed, or optional) where
 * Slack or Meraki are known to vary. Used by the scenario's tests; the Meraki schemas are also the source of the scenario's and the Meraki
 * emulator's TypeScript types (`z.infer`), and the Slack ones of the Slack types they fully describe.
 */
import { z } from 'zod';

const unixSeconds = z.number().int().min(1_520_000_000).max(4_102_444_800);
const isoTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
const ipv4 = z.string().regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/);
const ipv6 = z.string().regex(/^[0-9a-f]{1,4}(:[0-9a-f]{1,4}){7}$/);
export const IpAddress = z.union([ipv4, ipv6]);

export const AuditUserSchema = z.object({
  id: z.string().regex(/^[UW][A-Z0-9]{8,}$/),
  name: z.string().min(1),
  email: z.string(),
  team: z.string().regex(/^[ET][A-Z0-9]{8,}$/),
});
export type AuditUser = z.infer<typeof AuditUserSchema>;

const location = z.object({
  type: z.enum(['workspace', 'enterprise']),
  id: z.string().regex(/^[ET][A-Z0-9]{8,}$/),
  name: z.string(),
  domain: z.string(),
});
export type AuditLocation = z.infer<typeof location>;

export const AuditEntitySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('user'), user: AuditUserSchema }),
  z.object({
    type: z.literal('file'),
    file: z
      .object({
        id: z.string().regex(/^F[A-Z0-9]{8,}$/),
        name: z.string().min(1),
        filetype: z.string(),
        title: z.string(),
      })
      .strict(),
  }),
  z.object({
    type: z.literal('channel'),
    channel: z.object({
      id: z.string().regex(/^[CG][A-Z0-9]{8,}$/),
      name: z.string(),
      privacy: z.enum(['public', 'private']),
      is_shared: z.boolean(),
      is_org_shared: z.boolean(),
    }),
  }),
  z.object({
    type: z.literal('app'),
    app: z.object({
      id: z.string().regex(/^A[A-Z0-9]{8,}$/),
      name: z.string(),
      is_distributed: z.boolean(),
      is_directory_approved: z.boolean(),
      is_workflow_app: z.boolean(),
      scopes: z.array(z.string()),
    }),
  }),
  z.object({
    type: z.literal('workspace'),
    workspace: location.omit({ type: true }).extend({ type: z.string().optional() }),
  }),
  z.object({
    type: z.literal('enterprise'),
    enterprise: location.omit({ type: true }).extend({ type: z.string().optional() }),
  }),
]);

export const AuditEntrySchema = z
  .object({
    id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    date_create: unixSeconds,
    action: z.string().regex(/^[a-z_.]+$/),
    actor: z.object({ type: z.literal('user'), user: AuditUserSchema }),
    entity: AuditEntitySchema,
    context: z.object({
      location,
      ua: z.string(),
      ip_address: IpAddress,
      session_id: z.union([z.number().int(), z.string(), z.null()]).optional(),
    }),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const SlackUserSchema = z
  .object({
    id: z.string().regex(/^W[A-Z0-9]{8,}$/),
    team_id: z.string().regex(/^T[A-Z0-9]{8,}$/),
    name: z.string().min(1),
    deleted: z.boolean(),
    real_name: z.string(),
    tz: z.string(),
    tz_offset: z.number().int(),
    profile: z.object({ email: z.string(), display_name: z.string(), real_name: z.string(), team: z.string() }).loose(),
    is_admin: z.boolean(),
    is_owner: z.boolean(),
    is_primary_owner: z.boolean(),
    is_restricted: z.boolean(),
    is_ultra_restricted: z.boolean(),
    is_bot: z.boolean(),
    updated: unixSeconds,
    enterprise_user: z.object({
      id: z.string(),
      enterprise_id: z.string().regex(/^E[A-Z0-9]{8,}$/),
      enterprise_name: z.string(),
      is_admin: z.boolean(),
      is_owner: z.boolean(),
      is_primary_owner: z.boolean(),
      teams: z.array(z.string().regex(/^T[A-Z0-9]{8,}$/)).min(1),
    }),
  })
  .loose();

export const SlackFileSchema = z
  .object({
    id: z.string().regex(/^F[A-Z0-9]{8,}$/),
    created: unixSeconds,
    timestamp: unixSeconds,
    name: z.string().min(1),
    title: z.string(),
    mimetype: z.string(),
    filetype: z.string(),
    user: z.string().regex(/^W[A-Z0-9]{8,}$/),
    size: z.number().int().positive(),
    is_public: z.boolean(),
    url_private: z.url(),
    permalink: z.url(),
    channels: z.array(z.string().regex(/^C[A-Z0-9]{8,}$/)),
    groups: z.array(z.string()),
    ims: z.array(z.string()),
  })
  .loose();

export const SlackChannelSchema = z
  .object({
    id: z.string().regex(/^C[A-Z0-9]{8,}$/),
    name: z.string().regex(/^[a-z0-9_-]+$/),
    is_channel: z.boolean(),
    is_private: z.boolean(),
    is_archived: z.boolean(),
    context_team_id: z.string(),
    created: unixSeconds,
    creator: z.string(),
    num_members: z.number().int().nonnegative(),
  })
  .loose();

const sessionDevice = z.object({
  device_hardware: z.string(),
  os: z.string(),
  os_version: z.string(),
  slack_client_version: z.string(),
  ip: IpAddress,
});
export type SlackSessionDevice = z.infer<typeof sessionDevice>;

export const SlackSessionSchema = z
  .object({
    user_id: z.string().regex(/^W[A-Z0-9]{8,}$/),
    team_id: z.string().regex(/^T[A-Z0-9]{8,}$/),
    session_id: z.number().int().positive(),
    created: sessionDevice,
    recent: sessionDevice.optional(),
  })
  .strict();
/** admin.users.session.list `active_sessions[]` item. */
export type SlackSession = z.infer<typeof SlackSessionSchema>;

export const SlackUsergroupSchema = z
  .object({
    id: z.string().regex(/^S[A-Z0-9]{8,}$/),
    team_id: z.string(),
    is_usergroup: z.literal(true),
    name: z.string(),
    handle: z.string().regex(/^[a-z0-9-]+$/),
    date_create: unixSeconds,
    date_delete: z.number().int(),
    users: z.array(z.string()),
    user_count: z.number().int(),
  })
  .loose();

// ---------- Meraki Dashboard API v1 ----------
// The one definition of the Meraki wire objects: the scenario's types (wire-types.ts) and the Meraki
// emulator's (emulators/meraki/types.ts) are these schemas' `z.infer`. Fields and their order follow
// docs/reference/meraki-api.md; the emulator serves devices and device statuses in this key order.

export const MerakiProductTypeSchema = z.enum([
  'appliance',
  'switch',
  'wireless',
  'camera',
  'cellularGateway',
  'sensor',
  'systemsManager',
  'wirelessController',
  'campusGateway',
  'secureConnect',
]);
export type MerakiProductType = z.infer<typeof MerakiProductTypeSchema>;

const serial = z.string().regex(/^Q[A-Z0-9]{3}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
const macAddr = z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
const ipv4OrNull = z.union([ipv4, z.null()]);
const nameValues = z.array(z.object({ name: z.string(), value: z.string() }));

export const MerakiOrganizationSchema = z
  .object({
    id: z.string().regex(/^\d+$/),
    name: z.string(),
    url: z.url(),
    api: z.object({ enabled: z.boolean() }),
    licensing: z.object({ model: z.string() }),
    cloud: z.object({ region: z.object({ name: z.string(), host: z.object({ name: z.string() }) }) }),
    management: z.object({ details: nameValues }),
  })
  .strict();
export type MerakiOrganization = z.infer<typeof MerakiOrganizationSchema>;

export const MerakiNetworkSchema = z.object({
  id: z.string().regex(/^[LN]_\d+$/),
  organizationId: z.string(),
  name: z.string(),
  productTypes: z.array(MerakiProductTypeSchema).min(1),
  timeZone: z.string(),
  tags: z.array(z.string()),
  enrollmentString: z.union([z.string(), z.null()]),
  url: z.url(),
  notes: z.string(),
  isBoundToConfigTemplate: z.boolean(),
});
export type MerakiNetwork = z.infer<typeof MerakiNetworkSchema>;

/**
 * One item of `GET /organizations/{orgId}/devices`: the inventory. It has no status, `publicIp`,
 * `gateway` or `lastReportedAt` (those are `MerakiDeviceStatus` fields, `/devices/statuses`).
 */
export const MerakiDeviceSchema = z.object({
  name: z.string(),
  lat: z.number(),
  lng: z.number(),
  address: z.string(),
  notes: z.string(),
  tags: z.array(z.string()),
  /** null only in emulator state: a device in no network, which `/devices` never lists. */
  networkId: z.union([z.string(), z.null()]),
  serial,
  model: z.string(),
  imei: z.union([z.string(), z.null()]).optional(),
  mac: macAddr,
  lanIp: ipv4OrNull,
  firmware: z.string(),
  productType: MerakiProductTypeSchema,
  details: nameValues,
  url: z.url(),
  /** Listed apart in meraki-api.md ("and `configurationUpdatedAt`"); not every device has one. */
  configurationUpdatedAt: isoTime.optional(),
});
export type MerakiDevice = z.infer<typeof MerakiDeviceSchema>;

export const MerakiDeviceStatusValueSchema = z.enum(['online', 'alerting', 'offline', 'dormant']);
export type MerakiDeviceStatusValue = z.infer<typeof MerakiDeviceStatusValueSchema>;

/** One item of `GET /organizations/{orgId}/devices/statuses`. */
export const MerakiDeviceStatusSchema = z.object({
  name: z.string(),
  serial,
  mac: macAddr,
  publicIp: ipv4OrNull,
  /** null only in emulator state, like `MerakiDevice.networkId`. */
  networkId: z.union([z.string(), z.null()]),
  status: MerakiDeviceStatusValueSchema,
  /** null only for a device that never reported (the emulator's default; meraki-api.md does not say). */
  lastReportedAt: z.union([isoTime, z.null()]),
  lanIp: ipv4OrNull,
  gateway: ipv4OrNull,
  /** meraki-api.md names the field without its values (the scenario and the emulator send `dhcp`/`static`). */
  ipType: z.union([z.string(), z.null()]),
  primaryDns: ipv4OrNull,
  secondaryDns: ipv4OrNull,
  productType: MerakiProductTypeSchema,
  model: z.string(),
  tags: z.array(z.string()),
  /** Listed by meraki-api.md, absent on most devices. */
  components: z.object({ powerSupplies: z.array(z.unknown()) }).optional(),
});
export type MerakiDeviceStatus = z.infer<typeof MerakiDeviceStatusSchema>;

/**
 * `active` working, `ready` standby, `connecting`, `not connected` (nothing plugged in), `failed`
 * (was working). The spaced spelling `not connected` is [UNVERIFIED] (docs/reference/meraki-api.md,
 * "Uplink statuses").
 */
export const MerakiUplinkStateSchema = z.enum(['active', 'ready', 'connecting', 'not connected', 'failed']);
export type MerakiUplinkState = z.infer<typeof MerakiUplinkStateSchema>;

export const MerakiWanUplinkSchema = z
  .object({
    interface: z.enum(['wan1', 'wan2']),
    status: MerakiUplinkStateSchema,
    ip: ipv4OrNull,
    gateway: ipv4OrNull,
    publicIp: ipv4OrNull,
    primaryDns: ipv4OrNull,
    secondaryDns: ipv4OrNull,
    ipAssignedBy: z.union([z.enum(['static', 'dhcp']), z.null()]),
  })
  .strict();
export type MerakiWanUplink = z.infer<typeof MerakiWanUplinkSchema>;

/** Cellular uplinks carry provider, signal and SIM fields, and `dns1`/`dns2` instead of primaryDns/secondaryDns. */
export const MerakiCellularUplinkSchema = z.object({
  interface: z.literal('cellular'),
  status: MerakiUplinkStateSchema,
  ip: ipv4OrNull,
  provider: z.string(),
  publicIp: ipv4OrNull,
  model: z.string(),
  signalStat: z.object({ rsrp: z.string(), rsrq: z.string() }),
  connectionType: z.string(),
  apn: z.string(),
  gateway: ipv4OrNull,
  dns1: ipv4OrNull,
  dns2: ipv4OrNull,
  signalType: z.string(),
  iccid: z.string(),
  // Only in newer answers (docs/reference/meraki-api.md, "Uplink statuses").
  imsi: z.string().optional(),
  mcc: z.string().optional(),
  mnc: z.string().optional(),
  roaming: z.object({ status: z.string() }).optional(),
});
export type MerakiCellularUplink = z.infer<typeof MerakiCellularUplinkSchema>;

export const MerakiUplinkSchema = z.union([MerakiWanUplinkSchema, MerakiCellularUplinkSchema]);
export type MerakiUplink = z.infer<typeof MerakiUplinkSchema>;

/** One item of `GET /organizations/{orgId}/appliance/uplink/statuses`. */
export const MerakiUplinkStatusSchema = z
  .object({
    networkId: z.string(),
    serial,
    model: z.string(),
    lastReportedAt: isoTime,
    // `spare` is [UNVERIFIED]; non-HA appliances report `enabled: false, role: "primary"`
    // (docs/reference/meraki-api.md, "Uplink statuses").
    highAvailability: z.object({ enabled: z.boolean(), role: z.enum(['primary', 'spare']) }),
    uplinks: z.array(MerakiUplinkSchema).min(2),
  })
  .strict();
export type MerakiUplinkStatus = z.infer<typeof MerakiUplinkStatusSchema>;

/**
 * `GET /networks/{networkId}/events` → `events[]` item (docs/reference/meraki-api.md, "Network events
 * and webhooks").
 */
export const MerakiNetworkEventSchema = z
  .object({
    occurredAt: isoTime,
    networkId: z.string(),
    type: z.string().min(1),
    description: z.string().min(1),
    category: z.string(),
    clientId: z.union([z.string(), z.null()]),
    clientDescription: z.union([z.string(), z.null()]),
    clientMac: z.union([macAddr, z.null()]),
    deviceSerial: z.union([serial, z.null()]),
    deviceName: z.union([z.string(), z.null()]),
    /** Documented on every event (null off wireless); the scenario's appliance events leave it out. */
    ssidNumber: z.union([z.number().int(), z.null()]).optional(),
    eventData: z.record(z.string(), z.unknown()),
  })
  .strict();
export type MerakiNetworkEvent = z.infer<typeof MerakiNetworkEventSchema>;

/** A MAC as the security events carry it: either case (the documented example mixes them), or "". */
const anyCaseMac = z.union([z.string().regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/), z.literal('')]);
/** An address as the IDS alerts carry it: `ip:port` (docs/reference/meraki-api.md). */
const ipPort = z.string().regex(/^[0-9a-fA-F.:]+:\d{1,5}$/);
/** `ts` of a security event: ISO-8601 with microseconds. */
const isoMicroTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);

/**
 * `GET /organizations/{organizationId}/appliance/security/events` item, `eventType: 'IDS Alert'`
 * (docs/reference/meraki-api.md, "Appliance security events"). No `networkId`: the appliance is
 * `deviceMac`. `priority` and `classification` are strings of digits.
 */
export const MerakiIdsAlertSchema = z
  .object({
    ts: isoMicroTime,
    eventType: z.literal('IDS Alert'),
    deviceMac: anyCaseMac,
    clientMac: anyCaseMac,
    srcIp: ipPort,
    destIp: ipPort,
    protocol: z.string(),
    priority: z.string().regex(/^\d+$/),
    classification: z.string().regex(/^\d+$/),
    blocked: z.boolean(),
    message: z.string(),
    signature: z.string(),
    sigSource: z.string(),
    ruleId: z.string(),
  })
  .strict();
export type MerakiIdsAlert = z.infer<typeof MerakiIdsAlertSchema>;

/** The same listing's `eventType: 'File Scanned'` item (AMP file scan): no device, a bare destination IP. */
export const MerakiFileScanSchema = z
  .object({
    ts: isoMicroTime,
    eventType: z.literal('File Scanned'),
    clientName: z.string(),
    clientMac: anyCaseMac,
    clientIp: z.string(),
    srcIp: z.string(),
    destIp: z.string(),
    protocol: z.string(),
    uri: z.string(),
    canonicalName: z.string(),
    destinationPort: z.number().int(),
    fileHash: z.string(),
    fileType: z.string(),
    fileSizeBytes: z.number().int().nonnegative(),
    disposition: z.string(),
    action: z.string(),
  })
  .strict();
export type MerakiFileScan = z.infer<typeof MerakiFileScanSchema>;

export const MerakiSecurityEventSchema = z.discriminatedUnion('eventType', [
  MerakiIdsAlertSchema,
  MerakiFileScanSchema,
]);
export type MerakiSecurityEvent = z.infer<typeof MerakiSecurityEventSchema>;

/** Default-template webhook alert body (meraki/webhook-payload-templates `body.liquid`). */
export const MerakiWebhookSchema = z
  .object({
    version: z.literal('0.1'),
    sharedSecret: z.string(),
    sentAt: isoTime,
    organizationId: z.string(),
    organizationName: z.string(),
    organizationUrl: z.url(),
    networkId: z.string(),
    networkName: z.string(),
    networkUrl: z.url(),
    networkTags: z.array(z.string()),
    deviceSerial: serial,
    deviceMac: macAddr,
    deviceName: z.string(),
    deviceUrl: z.url(),
    deviceTags: z.array(z.string()),
    deviceModel: z.string(),
    alertId: z.string().regex(/^\d{16}$/),
    alertType: z.string(),
    alertTypeId: z.string(),
    alertLevel: z.string(),
    occurredAt: isoTime,
    alertData: z.record(z.string(), z.unknown()),
  })
  .strict();
export type MerakiWebhookPayload = z.infer<typeof MerakiWebhookSchema>;
