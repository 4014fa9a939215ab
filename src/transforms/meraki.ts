/**
 * Meraki Dashboard records → rows. Pure; never throws.
 *
 * - Appliance uplink statuses: one item per device holding `uplinks[]`; we land one snapshot row per
 *   (device, interface). Down uplinks report `ip`/`publicIp` as null, cellular ones add provider,
 *   signal and SIM fields and name their DNS servers `dns1`/`dns2`.
 * - Network events carry no id, so EventId is a hash of the event's identifying fields; webhooks
 *   carry `alertId` (the sample template sends all zeros, which we treat as absent).
 * - Webhook bodies carry the `sharedSecret` in clear: it never reaches a row or a quarantine record.
 * Unmapped fields land in `Extra`, so new Meraki fields are kept.
 */
import { z } from 'zod';
import { ISO_DATETIME } from './columns';
import { type Bag, RowBuilder, type TransformResult, describeIssues, errorReason } from './row-builder';
import { stableHash } from './safe-json';
import { type MerakiDeviceRow, type MerakiEventRow, type MerakiUplinkRow, columnCaps, streams } from './streams';

export interface MerakiSnapshotOptions {
  /** Configured key of the Meraki organization. */
  sourceOrg: string;
  /** ISO-8601 time the snapshot was taken (the caller's clock; transforms stay pure). */
  at: string;
}

export interface MerakiEventOptions {
  sourceOrg: string;
  /** Network the events page was read from, used when an event omits `networkId`. */
  networkId?: string;
}

const s = z.string().nullish();
const isoTime = z.string().regex(ISO_DATETIME);

export const MerakiUplinkSchema = z.object({
  interface: z.string().min(1),
  status: s,
  ip: s,
  gateway: s,
  publicIp: s,
  primaryDns: s,
  secondaryDns: s,
  ipAssignedBy: s,
  provider: s,
  signalType: s,
  signalStat: z.unknown().optional(),
  connectionType: s,
  apn: s,
  iccid: s,
  dns1: s,
  dns2: s,
});

export const MerakiUplinkStatusSchema = z.object({
  networkId: s,
  serial: z.string().min(1),
  model: s,
  lastReportedAt: s,
  highAvailability: z.object({ enabled: z.boolean().nullish(), role: s }).nullish(),
  uplinks: z.array(MerakiUplinkSchema),
});
export type MerakiUplinkStatus = z.infer<typeof MerakiUplinkStatusSchema>;

/**
 * A device from either listing: `/devices` (inventory: name, model, firmware, address…) or
 * `/devices/statuses` (status, lastReportedAt, publicIp, lanIp, gateway), or one overlaid with the
 * other by the collector (docs/reference/meraki-api.md). The statuses' ipType and DNS land in Extra.
 */
export const MerakiDeviceSchema = z.object({
  serial: z.string().min(1),
  name: s,
  mac: s,
  model: s,
  productType: s,
  networkId: s,
  status: s,
  lastReportedAt: s,
  lanIp: s,
  publicIp: s,
  gateway: s,
  firmware: s,
  tags: z.unknown().optional(),
  address: s,
  lat: z.number().nullish(),
  lng: z.number().nullish(),
  notes: s,
});
export type MerakiDevice = z.infer<typeof MerakiDeviceSchema>;

export const MerakiNetworkEventSchema = z.object({
  occurredAt: isoTime,
  networkId: s,
  type: z.string().min(1),
  description: s,
  category: s,
  clientId: s,
  clientDescription: s,
  clientMac: s,
  deviceSerial: s,
  deviceName: s,
  ssidNumber: z.number().int().nullish(),
  eventData: z.unknown().optional(),
});
export type MerakiNetworkEvent = z.infer<typeof MerakiNetworkEventSchema>;

export const MerakiWebhookSchema = z
  .object({
    sentAt: s,
    organizationId: s,
    networkId: s,
    networkName: s,
    deviceSerial: s,
    deviceMac: s,
    deviceName: s,
    deviceModel: s,
    alertId: s,
    alertType: s,
    alertTypeId: s,
    alertLevel: s,
    occurredAt: isoTime,
    alertData: z.unknown().optional(),
  })
  .refine((w) => (w.alertTypeId ?? '') !== '' || (w.alertType ?? '') !== '', {
    message: 'alertTypeId or alertType is required',
    path: ['alertTypeId'],
  });
export type MerakiWebhook = z.infer<typeof MerakiWebhookSchema>;

const UPLINK_CAPS = columnCaps(streams.merakiUplink);
const DEVICE_CAPS = columnCaps(streams.merakiDevice);
const EVENT_CAPS = columnCaps(streams.merakiEvent);

const KNOWN_UPLINK_ITEM = new Set(['networkId', 'serial', 'model', 'lastReportedAt', 'highAvailability', 'uplinks']);
const KNOWN_UPLINK = new Set(Object.keys(MerakiUplinkSchema.shape));
const KNOWN_DEVICE = new Set(Object.keys(MerakiDeviceSchema.shape));
const KNOWN_EVENT = new Set(Object.keys(MerakiNetworkEventSchema.shape));
/** Webhook fields mapped to columns, plus the secret, which is dropped on purpose. */
const KNOWN_WEBHOOK = new Set([
  'sentAt',
  'organizationId',
  'networkId',
  'networkName',
  'deviceSerial',
  'deviceMac',
  'deviceName',
  'deviceModel',
  'alertId',
  'alertType',
  'alertTypeId',
  'alertLevel',
  'occurredAt',
  'alertData',
  'sharedSecret',
]);

function isoOrKeep(b: RowBuilder, column: string, value: string | null | undefined, extraKey: string): void {
  if (value === undefined || value === null || value === '') return;
  if (ISO_DATETIME.test(value)) b.row[column] = value;
  else b.keep(extraKey, value);
}

function invalid(kind: string, error: z.ZodError): { ok: false; reason: string } {
  return { ok: false, reason: `invalid Meraki ${kind}: ${describeIssues(error)}` };
}

/** One appliance uplink status item → one snapshot row per uplink interface. */
export function toMerakiUplinkRows(raw: unknown, options: MerakiSnapshotOptions): TransformResult<MerakiUplinkRow[]> {
  try {
    const parsed = MerakiUplinkStatusSchema.safeParse(raw);
    if (!parsed.success) return invalid('uplink status', parsed.error);
    const item = parsed.data;
    const source = raw as Bag;
    const rawUplinks = source.uplinks as Bag[];
    const rows = item.uplinks.map((uplink, i) => {
      const b = new RowBuilder(UPLINK_CAPS);
      b.row.TimeGenerated = options.at;
      b.row.EventId = stableHash([options.sourceOrg, item.serial, uplink.interface, options.at]);
      b.row.SourceOrg = options.sourceOrg;
      b.str('NetworkId', item.networkId);
      b.str('Serial', item.serial);
      b.str('Model', item.model);
      isoOrKeep(b, 'LastReportedAt', item.lastReportedAt, 'lastReportedAt');
      const ha = item.highAvailability;
      if (typeof ha?.enabled === 'boolean') b.row.HighAvailabilityEnabled = ha.enabled;
      b.str('HighAvailabilityRole', ha?.role);
      b.str('Interface', uplink.interface);
      b.str('Status', uplink.status);
      b.str('Ip', uplink.ip);
      b.str('Gateway', uplink.gateway);
      b.str('PublicIp', uplink.publicIp);
      b.str('PrimaryDns', uplink.primaryDns ?? uplink.dns1);
      b.str('SecondaryDns', uplink.secondaryDns ?? uplink.dns2);
      // Both spellings present: keep the cellular one too rather than drop it.
      if ((uplink.primaryDns ?? '') !== '') b.keep('dns1', uplink.dns1);
      if ((uplink.secondaryDns ?? '') !== '') b.keep('dns2', uplink.dns2);
      b.str('IpAssignedBy', uplink.ipAssignedBy);
      b.str('Provider', uplink.provider);
      b.str('SignalType', uplink.signalType);
      b.dyn('SignalStat', uplink.signalStat);
      b.str('ConnectionType', uplink.connectionType);
      b.str('Apn', uplink.apn);
      b.str('Iccid', uplink.iccid);
      const rawUplink = rawUplinks[i];
      if (rawUplink) b.keepUnknown('', rawUplink, KNOWN_UPLINK);
      b.keepUnknown('device.', source, KNOWN_UPLINK_ITEM);
      return b.finish() as MerakiUplinkRow;
    });
    return { ok: true, row: rows };
  } catch (error) {
    return { ok: false, reason: errorReason('Meraki uplink status could not be mapped', error) };
  }
}

/** A device from `/organizations/{id}/devices` or `/devices/statuses` → one snapshot row. */
export function toMerakiDeviceRow(raw: unknown, options: MerakiSnapshotOptions): TransformResult<MerakiDeviceRow> {
  try {
    const parsed = MerakiDeviceSchema.safeParse(raw);
    if (!parsed.success) return invalid('device', parsed.error);
    const d = parsed.data;
    const b = new RowBuilder(DEVICE_CAPS);
    b.row.TimeGenerated = options.at;
    b.row.EventId = stableHash([options.sourceOrg, d.serial, options.at]);
    b.row.SourceOrg = options.sourceOrg;
    b.str('Serial', d.serial);
    b.str('Name', d.name);
    b.str('Mac', d.mac);
    b.str('Model', d.model);
    b.str('ProductType', d.productType);
    b.str('NetworkId', d.networkId);
    b.str('Status', d.status);
    isoOrKeep(b, 'LastReportedAt', d.lastReportedAt, 'lastReportedAt');
    b.str('LanIp', d.lanIp);
    b.str('PublicIp', d.publicIp);
    b.str('Gateway', d.gateway);
    b.str('Firmware', d.firmware);
    if (!(Array.isArray(d.tags) && d.tags.length === 0)) b.dyn('Tags', d.tags);
    b.str('Address', d.address);
    if (typeof d.lat === 'number' && Number.isFinite(d.lat)) b.row.Latitude = d.lat;
    if (typeof d.lng === 'number' && Number.isFinite(d.lng)) b.row.Longitude = d.lng;
    b.str('Notes', d.notes);
    b.keepUnknown('', raw as Bag, KNOWN_DEVICE);
    return { ok: true, row: b.finish() as MerakiDeviceRow };
  } catch (error) {
    return { ok: false, reason: errorReason('Meraki device could not be mapped', error) };
  }
}

/** An event from `GET /networks/{id}/events` → one event row. */
export function toMerakiNetworkEventRow(raw: unknown, options: MerakiEventOptions): TransformResult<MerakiEventRow> {
  try {
    const parsed = MerakiNetworkEventSchema.safeParse(raw);
    if (!parsed.success) return invalid('network event', parsed.error);
    const e = parsed.data;
    const networkId = e.networkId ?? options.networkId;
    const b = new RowBuilder(EVENT_CAPS);
    b.row.TimeGenerated = e.occurredAt;
    b.row.EventId = stableHash([
      networkId,
      e.occurredAt,
      e.type,
      e.deviceSerial,
      e.clientId,
      e.clientMac,
      e.description,
      e.eventData,
    ]);
    b.row.SourceOrg = options.sourceOrg;
    b.row.EventSource = 'networkEvent';
    b.str('EventType', e.type);
    b.str('Description', e.description);
    b.str('Category', e.category);
    b.str('NetworkId', networkId);
    b.str('DeviceSerial', e.deviceSerial);
    b.str('DeviceName', e.deviceName);
    b.str('ClientId', e.clientId);
    b.str('ClientMac', e.clientMac);
    b.str('ClientDescription', e.clientDescription);
    if (typeof e.ssidNumber === 'number' && Math.abs(e.ssidNumber) < 2 ** 31) b.row.SsidNumber = e.ssidNumber;
    b.dyn('EventData', e.eventData);
    b.keepUnknown('', raw as Bag, KNOWN_EVENT);
    return { ok: true, row: b.finish() as MerakiEventRow };
  } catch (error) {
    return { ok: false, reason: errorReason('Meraki network event could not be mapped', error) };
  }
}

function webhookEventId(w: MerakiWebhook): string {
  const id = w.alertId ?? '';
  if (id !== '' && !/^0+$/.test(id) && id.length <= 256) return id;
  return stableHash([
    w.organizationId,
    w.networkId,
    w.deviceSerial,
    w.alertTypeId,
    w.alertType,
    w.occurredAt,
    w.alertData,
  ]);
}

/** A webhook alert body → one event row (alert type in EventType/Description); the shared secret is dropped. */
export function toMerakiWebhookEventRow(raw: unknown, options: { sourceOrg: string }): TransformResult<MerakiEventRow> {
  try {
    const parsed = MerakiWebhookSchema.safeParse(raw);
    if (!parsed.success) return invalid('webhook alert', parsed.error);
    const w = parsed.data;
    const b = new RowBuilder(EVENT_CAPS);
    b.row.TimeGenerated = w.occurredAt;
    b.row.EventId = webhookEventId(w);
    b.row.SourceOrg = options.sourceOrg;
    b.row.EventSource = 'webhook';
    b.str('EventType', w.alertTypeId);
    b.str('Description', w.alertType);
    b.str('AlertLevel', w.alertLevel);
    b.str('OrganizationId', w.organizationId);
    b.str('NetworkId', w.networkId);
    b.str('NetworkName', w.networkName);
    b.str('DeviceSerial', w.deviceSerial);
    b.str('DeviceName', w.deviceName);
    b.str('DeviceMac', w.deviceMac);
    b.str('DeviceModel', w.deviceModel);
    b.dyn('EventData', w.alertData);
    isoOrKeep(b, 'SentAt', w.sentAt, 'sentAt');
    b.keepUnknown('', raw as Bag, KNOWN_WEBHOOK);
    return { ok: true, row: b.finish() as MerakiEventRow };
  } catch (error) {
    return { ok: false, reason: errorReason('Meraki webhook alert could not be mapped', error) };
  }
}
