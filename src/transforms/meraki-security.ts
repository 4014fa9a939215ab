/**
 * Meraki appliance security events (`GET /organizations/{id}/appliance/security/events`) → rows.
 * Pure; never throws.
 *
 * - Two documented kinds share the listing: `IDS Alert` (appliance `deviceMac`, `srcIp`/`destIp` as
 *   `ip:port`, `priority` as a string of digits) and `File Scanned` (bare addresses,
 *   `destinationPort`, no appliance). Other kinds land as-is, their fields in `Extra`.
 * - Items carry no id and no network (docs/reference/meraki-api.md, "Appliance security events"):
 *   EventId is a hash of the source identity, so a re-read lands the same EventId and the parser
 *   dedupes it; the network comes from the caller (the appliance the collector mapped `deviceMac` to).
 */
import { z } from 'zod';
import { ISO_DATETIME } from './columns';
import { type Bag, RowBuilder, type TransformResult, describeIssues, errorReason } from './row-builder';
import { stableHash } from './safe-json';
import { type MerakiSecurityRow, columnCaps, streams } from './streams';

/** The appliance an IDS alert's `deviceMac` belongs to, as the collector's inventory knows it. */
export interface MerakiAppliance {
  networkId: string;
  networkName?: string | undefined;
  serial?: string | undefined;
  name?: string | undefined;
}

export interface MerakiSecurityOptions {
  /** Configured key of the Meraki organization. */
  sourceOrg: string;
  /** The appliance of `deviceMac`, when the inventory knows it. */
  appliance?: MerakiAppliance | undefined;
}

const s = z.string().nullish();
const count = z.union([z.number().int(), z.string().regex(/^\d+$/)]).nullish();

export const MerakiSecurityEventSchema = z.object({
  ts: z.string().regex(ISO_DATETIME),
  eventType: z.string().min(1),
  deviceMac: s,
  clientMac: s,
  clientName: s,
  clientIp: s,
  srcIp: s,
  destIp: s,
  protocol: s,
  priority: count,
  classification: z.union([z.string(), z.number()]).nullish(),
  blocked: z.boolean().nullish(),
  message: s,
  signature: s,
  sigSource: s,
  ruleId: s,
  uri: s,
  canonicalName: s,
  destinationPort: count,
  fileHash: s,
  fileType: s,
  fileSizeBytes: count,
  disposition: s,
  action: s,
});
export type MerakiSecurityEventItem = z.infer<typeof MerakiSecurityEventSchema>;

const CAPS = columnCaps(streams.merakiSecurity);
const KNOWN = new Set(Object.keys(MerakiSecurityEventSchema.shape));
const INT32_MAX = 2 ** 31 - 1;

/** `45.137.23.246:42101` → address and port; a bare IPv4 or IPv6 address has no port. */
export function splitHostPort(value: string | null | undefined): { ip?: string; port?: number } {
  if (value === null || value === undefined || value === '') return {};
  const bracketed = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(value);
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(value);
  const m = bracketed ?? v4;
  if (m?.[1] !== undefined && m[2] !== undefined) return { ip: m[1], port: Number(m[2]) };
  return { ip: value };
}

function int(value: number | string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isSafeInteger(n) && Math.abs(n) <= INT32_MAX ? n : undefined;
}

/** The source identity of an event: what makes two reads of it the same event. */
export function merakiSecurityEventId(sourceOrg: string, e: MerakiSecurityEventItem): string {
  return stableHash([
    sourceOrg,
    e.ts,
    e.eventType,
    e.srcIp,
    e.destIp,
    e.signature ?? e.fileHash,
    e.clientMac?.toLowerCase(),
  ]);
}

/** A security event → one row; an item without a valid `ts` or `eventType` is refused with the reason. */
export function toMerakiSecurityEventRow(
  raw: unknown,
  options: MerakiSecurityOptions,
): TransformResult<MerakiSecurityRow> {
  try {
    const parsed = MerakiSecurityEventSchema.safeParse(raw);
    if (!parsed.success) {
      return { ok: false, reason: `invalid Meraki security event: ${describeIssues(parsed.error)}` };
    }
    const e = parsed.data;
    const b = new RowBuilder(CAPS);
    b.row.TimeGenerated = e.ts;
    b.row.EventId = merakiSecurityEventId(options.sourceOrg, e);
    b.row.SourceOrg = options.sourceOrg;
    b.row.EventType = e.eventType;
    const appliance = options.appliance;
    b.str('NetworkId', appliance?.networkId);
    b.str('NetworkName', appliance?.networkName);
    b.str('DeviceMac', e.deviceMac?.toLowerCase());
    b.str('DeviceSerial', appliance?.serial);
    b.str('DeviceName', appliance?.name);
    b.str('ClientMac', e.clientMac?.toLowerCase());
    b.str('ClientName', e.clientName);
    b.str('ClientIp', e.clientIp);
    const src = splitHostPort(e.srcIp);
    const dest = splitHostPort(e.destIp);
    b.str('SrcIp', src.ip);
    if (src.port !== undefined) b.row.SrcPort = src.port;
    b.str('DestIp', dest.ip);
    const destPort = dest.port ?? int(e.destinationPort);
    if (destPort !== undefined) b.row.DestPort = destPort;
    b.str('Protocol', e.protocol);
    const priority = int(e.priority);
    if (priority !== undefined) b.row.Priority = priority;
    b.str(
      'Classification',
      e.classification === null || e.classification === undefined ? undefined : String(e.classification),
    );
    if (typeof e.blocked === 'boolean') b.row.Blocked = e.blocked;
    b.str('Message', e.message);
    b.str('Signature', e.signature);
    b.str('SigSource', e.sigSource);
    b.str('RuleId', e.ruleId);
    b.str('Uri', e.uri);
    b.str('CanonicalName', e.canonicalName);
    b.str('FileHash', e.fileHash);
    b.str('FileType', e.fileType);
    const size = e.fileSizeBytes === null || e.fileSizeBytes === undefined ? undefined : Number(e.fileSizeBytes);
    if (size !== undefined && Number.isSafeInteger(size)) b.row.FileSizeBytes = size;
    b.str('Disposition', e.disposition);
    b.str('Action', e.action);
    b.keepUnknown('', raw as Bag, KNOWN);
    return { ok: true, row: b.finish() as MerakiSecurityRow };
  } catch (error) {
    return { ok: false, reason: errorReason('Meraki security event could not be mapped', error) };
  }
}
