/**
 * Every stream Sentry lands, declared once: key, DCR input stream, Log Analytics table and the zod
 * row schema built with `col.*`. The DCR stream declarations, data flows and table definitions under
 * `infra/bicep/generated/` are generated from this file (`npm run gen:streams`), and the row types
 * other modules use are inferred from it.
 *
 * Conventions: every table has `TimeGenerated` (event time), `EventId` (source id or stable hash) and
 * `SourceOrg`. Absent values are omitted, never sent as "" or null (Log Analytics bills every non-empty
 * value). Table names never collide with Sentinel's own `SlackAudit_CL` / `SlackAuditV2_CL`.
 */
import { z } from 'zod';
import { type ColumnSpec, col, columnsOf } from './columns';

export type StreamKey =
  | 'slackAudit'
  | 'merakiUplink'
  | 'merakiDevice'
  | 'merakiEvent'
  | 'merakiSecurity'
  | 'quarantine'
  | 'finding'
  | 'response'
  | 'dimension';

export interface StreamDefinition<Shape extends Record<string, z.ZodType> = Record<string, z.ZodType>> {
  key: StreamKey;
  /** Log Analytics custom table, `Sentry…_CL`. */
  table: string;
  /** DCR input stream the uploader posts to: `Custom-<table without _CL>`. */
  stream: string;
  /** DCR output stream: `Custom-<table>`. */
  outputStream: string;
  description: string;
  /** Strict: a row carrying an undeclared column fails, so schema and DCR cannot drift apart. */
  schema: z.ZodObject<Shape, z.core.$strict>;
  columns: readonly ColumnSpec[];
}

function defineStream<Shape extends Record<string, z.ZodType>>(
  key: StreamKey,
  table: `Sentry${string}_CL`,
  description: string,
  shape: Shape,
): StreamDefinition<Shape> {
  const base = table.slice(0, -'_CL'.length);
  return {
    key,
    table,
    stream: `Custom-${base}`,
    outputStream: `Custom-${table}`,
    description,
    schema: z.strictObject(shape),
    columns: Object.freeze(columnsOf(shape, table)),
  };
}

const ID = 256;
const NAME = 1024;
const IP = 64;

/** Columns every table starts with. */
function common(timeDescription: string, idDescription: string) {
  return {
    TimeGenerated: col.datetime(timeDescription, { required: true }),
    EventId: col.string(idDescription, { required: true, maxBytes: ID }),
    SourceOrg: col.string('Configured key of the source organization (Slack enterprise or Meraki org)', {
      required: true,
      maxBytes: ID,
    }),
  };
}

const slackAudit = defineStream('slackAudit', 'SentrySlackAudit_CL', 'Slack Enterprise audit log entries', {
  ...common('Event time: the entry date_create', 'Slack audit entry id'),
  DateCreate: col.long(
    'Event time again, as Slack sent it (Unix seconds): Log Analytics restamps TimeGenerated on records days old',
    { required: true },
  ),
  Action: col.string('Audit action, e.g. file_downloaded (unknown actions land as-is)', {
    required: true,
    maxBytes: NAME,
  }),
  ActorType: col.string('actor.type: user for people and bot users; other types are kept', { maxBytes: ID }),
  ActorUserId: col.string('Id of the acting user (or of the actor object for non-user types)', { maxBytes: ID }),
  ActorUserName: col.string('Name of the acting user', { maxBytes: NAME }),
  ActorEmail: col.string('Email of the acting user', { maxBytes: NAME }),
  ActorTeam: col.string('Workspace (T…) or enterprise (E…) the actor belongs to', { maxBytes: ID }),
  SrcIpAddr: col.string('context.ip_address', { maxBytes: IP }),
  UserAgent: col.string(
    'context.ua. Sentry lands it once per UTC day in SentryDimension_CL and only its key here (UserAgentKey); the SentrySlackAudit parser joins it back. Values under 32 characters, and rows landed before that, carry it here',
    { maxBytes: 8192 },
  ),
  UserAgentKey: col.string(
    'Key of context.ua in SentryDimension_CL (Kind userAgent): base64url of the first 9 bytes of its SHA-256',
    { maxBytes: ID },
  ),
  SessionId: col.string('context.session_id as digits; Slack sends a number, a string or null', { maxBytes: ID }),
  LocationType: col.string('context.location.type: workspace or enterprise', { maxBytes: ID }),
  LocationId: col.string('context.location.id', { maxBytes: ID }),
  LocationName: col.string('context.location.name', { maxBytes: NAME }),
  LocationDomain: col.string('context.location.domain', { maxBytes: NAME }),
  App: col.dynamic('context.app: the app that acted for a bot user', { maxBytes: 16384 }),
  ActingAgent: col.string('context.acting_agent, e.g. Slackbot', { maxBytes: NAME }),
  EntityType: col.string('entity.type (unknown types land as-is)', { maxBytes: ID }),
  EntityId: col.string('Id of the target entity', { maxBytes: ID }),
  EntityName: col.string('Name of the target entity; absent when the entity is the actor (EntityId = ActorUserId)', {
    maxBytes: NAME,
  }),
  Entity: col.dynamic(
    'Other fields of the entity object (a file title only when it differs from the name); absent when the entity is the actor',
    { maxBytes: 32768 },
  ),
  Details: col.dynamic('details, compact, as Slack sent it'),
  Extra: col.dynamic('Fields Sentry does not map yet, keyed by their dotted path (e.g. actor.user.account_type)', {
    maxBytes: 32768,
  }),
  TruncatedColumns: col.dynamic('Columns whose value was cut to its size cap', { maxBytes: 1024 }),
});

const merakiUplink = defineStream(
  'merakiUplink',
  'SentryMerakiUplink_CL',
  'Meraki appliance uplink status snapshots, one row per device and interface',
  {
    ...common(
      'Snapshot time (when Sentry observed the status)',
      'Stable hash of org, serial, interface and snapshot time',
    ),
    NetworkId: col.string('Network id', { maxBytes: ID }),
    Serial: col.string('Device serial', { required: true, maxBytes: ID }),
    Model: col.string('Device model, e.g. MX68C', { maxBytes: ID }),
    LastReportedAt: col.datetime('When the device last reported to the Meraki cloud'),
    HighAvailabilityEnabled: col.boolean('highAvailability.enabled'),
    HighAvailabilityRole: col.string('highAvailability.role', { maxBytes: ID }),
    Interface: col.string('Uplink interface: wan1, wan2, cellular…', { required: true, maxBytes: ID }),
    Status: col.string('active, ready, connecting, not connected or failed', { maxBytes: ID }),
    Ip: col.string('Uplink IP address', { maxBytes: IP }),
    Gateway: col.string('Uplink gateway', { maxBytes: IP }),
    PublicIp: col.string('Public IP seen by the Meraki cloud', { maxBytes: IP }),
    PrimaryDns: col.string('Primary DNS (dns1 on cellular)', { maxBytes: IP }),
    SecondaryDns: col.string('Secondary DNS (dns2 on cellular)', { maxBytes: IP }),
    IpAssignedBy: col.string('static or dhcp', { maxBytes: ID }),
    Provider: col.string('Cellular provider', { maxBytes: NAME }),
    SignalType: col.string('Cellular signal type, e.g. 4G', { maxBytes: ID }),
    SignalStat: col.dynamic('Cellular signal statistics (rsrp, rsrq)', { maxBytes: 4096 }),
    ConnectionType: col.string('Cellular connection type', { maxBytes: ID }),
    Apn: col.string('Cellular APN', { maxBytes: NAME }),
    Iccid: col.string('SIM ICCID', { maxBytes: ID }),
    Extra: col.dynamic('Uplink fields Sentry does not map yet', { maxBytes: 16384 }),
    TruncatedColumns: col.dynamic('Columns whose value was cut to its size cap', { maxBytes: 1024 }),
  },
);

const merakiDevice = defineStream(
  'merakiDevice',
  'SentryMerakiDevice_CL',
  'Meraki device inventory and status snapshots',
  {
    ...common('Snapshot time (when Sentry observed the device)', 'Stable hash of org, serial and snapshot time'),
    Serial: col.string('Device serial', { required: true, maxBytes: ID }),
    Name: col.string('Device name', { maxBytes: NAME }),
    Mac: col.string('Device MAC', { maxBytes: ID }),
    Model: col.string('Device model', { maxBytes: ID }),
    ProductType: col.string('appliance, wireless, switch…', { maxBytes: ID }),
    NetworkId: col.string('Network id', { maxBytes: ID }),
    Status: col.string('online, alerting, offline or dormant (from device statuses)', { maxBytes: ID }),
    LastReportedAt: col.datetime('When the device last reported (from device statuses)'),
    LanIp: col.string('LAN IP', { maxBytes: IP }),
    PublicIp: col.string('Public IP (from device statuses)', { maxBytes: IP }),
    Gateway: col.string('Gateway (from device statuses)', { maxBytes: IP }),
    Firmware: col.string('Firmware version', { maxBytes: NAME }),
    Tags: col.dynamic('Device tags', { maxBytes: 8192 }),
    Address: col.string('Street address', { maxBytes: 4096 }),
    Latitude: col.real('lat'),
    Longitude: col.real('lng'),
    Notes: col.string('Notes', { maxBytes: 8192 }),
    Extra: col.dynamic('Device fields Sentry does not map yet (details[], imei, components…)', { maxBytes: 16384 }),
    TruncatedColumns: col.dynamic('Columns whose value was cut to its size cap', { maxBytes: 1024 }),
  },
);

const merakiEvent = defineStream(
  'merakiEvent',
  'SentryMerakiEvent_CL',
  'Meraki network events (GET /networks/{id}/events) and webhook alerts',
  {
    ...common('Event time: occurredAt', 'Webhook alertId, else a stable hash of the event'),
    EventSource: col.string('networkEvent or webhook', { required: true, maxBytes: ID }),
    EventType: col.string('Event type, or the webhook alertTypeId', { maxBytes: NAME }),
    Description: col.string('Event description, or the webhook alertType text', { maxBytes: 4096 }),
    Category: col.string('Event category', { maxBytes: NAME }),
    AlertLevel: col.string('Webhook alertLevel', { maxBytes: ID }),
    OrganizationId: col.string('Meraki organization id (webhook)', { maxBytes: ID }),
    NetworkId: col.string('Network id', { maxBytes: ID }),
    NetworkName: col.string('Network name (webhook)', { maxBytes: NAME }),
    DeviceSerial: col.string('Device serial', { maxBytes: ID }),
    DeviceName: col.string('Device name', { maxBytes: NAME }),
    DeviceMac: col.string('Device MAC (webhook)', { maxBytes: ID }),
    DeviceModel: col.string('Device model (webhook)', { maxBytes: ID }),
    ClientId: col.string('Client id', { maxBytes: ID }),
    ClientMac: col.string('Client MAC', { maxBytes: ID }),
    ClientDescription: col.string('Client description', { maxBytes: NAME }),
    SsidNumber: col.int('SSID number'),
    EventData: col.dynamic('eventData, or the webhook alertData'),
    SentAt: col.datetime('Webhook sentAt'),
    Extra: col.dynamic('Fields Sentry does not map yet (URLs, tags…); never the shared secret', { maxBytes: 16384 }),
    TruncatedColumns: col.dynamic('Columns whose value was cut to its size cap', { maxBytes: 1024 }),
  },
);

const merakiSecurity = defineStream(
  'merakiSecurity',
  'SentryMerakiSecurity_CL',
  'Meraki appliance security events (GET /organizations/{id}/appliance/security/events): IDS alerts and file scans',
  {
    ...common(
      'Event time: ts (microseconds)',
      'Stable hash of org, ts, eventType, srcIp, destIp, signature or fileHash and clientMac',
    ),
    EventType: col.string('eventType: IDS Alert or File Scanned (others land as-is)', { required: true, maxBytes: ID }),
    NetworkId: col.string(
      'Network of the appliance (deviceMac mapped through the device inventory; Meraki sends none)',
      {
        maxBytes: ID,
      },
    ),
    NetworkName: col.string('Name of that network', { maxBytes: NAME }),
    DeviceMac: col.string('deviceMac: the appliance that raised the IDS alert', { maxBytes: ID }),
    DeviceSerial: col.string('Serial of that appliance (from the device inventory)', { maxBytes: ID }),
    DeviceName: col.string('Name of that appliance (from the device inventory)', { maxBytes: NAME }),
    ClientMac: col.string('clientMac (lowercase)', { maxBytes: ID }),
    ClientName: col.string('clientName (file scans)', { maxBytes: NAME }),
    ClientIp: col.string('clientIp (file scans)', { maxBytes: IP }),
    SrcIp: col.string('srcIp without its port', { maxBytes: IP }),
    SrcPort: col.int('Port of srcIp (IDS alerts send ip:port)'),
    DestIp: col.string('destIp without its port', { maxBytes: IP }),
    DestPort: col.int('Port of destIp, or destinationPort (file scans)'),
    Protocol: col.string('protocol, e.g. tcp/ip, udp/ip, http', { maxBytes: ID }),
    Priority: col.int('IDS priority (Snort: 1 high … 4 very low)'),
    Classification: col.string('IDS classification id', { maxBytes: ID }),
    Blocked: col.boolean('IDS: whether the appliance blocked the traffic'),
    Message: col.string('IDS rule message', { maxBytes: 4096 }),
    Signature: col.string('IDS signature gid:sid:rev', { maxBytes: ID }),
    SigSource: col.string('IDS signature source (ruleset)', { maxBytes: ID }),
    RuleId: col.string('IDS ruleId, e.g. meraki:intrusion/snort/GID/1/SID/58853', { maxBytes: NAME }),
    Uri: col.string('File scan: the URI the file came from', { maxBytes: 8192 }),
    CanonicalName: col.string('File scan: AMP canonical name of the threat', { maxBytes: NAME }),
    FileHash: col.string('File scan: SHA-256', { maxBytes: ID }),
    FileType: col.string('File scan: file type, e.g. MS_EXE', { maxBytes: ID }),
    FileSizeBytes: col.long('File scan: size in bytes'),
    Disposition: col.string('File scan: AMP disposition, e.g. Malicious, Clean', { maxBytes: ID }),
    Action: col.string('File scan: what the appliance did, e.g. Blocked, Allowed', { maxBytes: ID }),
    Extra: col.dynamic('Fields Sentry does not map yet', { maxBytes: 16384 }),
    TruncatedColumns: col.dynamic('Columns whose value was cut to its size cap', { maxBytes: 1024 }),
  },
);

const quarantine = defineStream('quarantine', 'SentryQuarantine_CL', 'Records that failed validation, kept raw', {
  ...common('When the record was quarantined', 'Source id when the record has one, else a hash of the raw record'),
  Source: col.string('Stream key the record was meant for, e.g. slackAudit', { required: true, maxBytes: ID }),
  Reason: col.string('Why it failed validation', { required: true, maxBytes: 4096 }),
  Raw: col.string('The record serialized as JSON, cut to the 64 KB field limit', { required: true }),
  RawBytes: col.long('UTF-8 size of the full serialization (-1 when not serializable in full)', { required: true }),
  RawTruncated: col.boolean('Raw was cut (absent when complete)'),
});

const finding = defineStream('finding', 'SentryFinding_CL', 'Detection findings (ids and counts, not rows)', {
  ...common('When the finding was raised', 'Finding id'),
  DetectionId: col.string('Detection id, e.g. slack.audit.user-privilege-escalation', { required: true, maxBytes: ID }),
  FindingTitle: col.string('Human title of the finding', { required: true, maxBytes: 4096 }),
  Severity: col.string('informational, low, medium, high or critical', { required: true, maxBytes: ID }),
  DedupeKey: col.string('Key incidents are grouped by', { required: true, maxBytes: 1024 }),
  SubjectType: col.string('What the finding is about: user, device, ip…', { maxBytes: ID }),
  SubjectId: col.string('Id of the subject', { maxBytes: ID }),
  SubjectName: col.string('Name of the subject', { maxBytes: NAME }),
  Count: col.long('Number of matching events'),
  WindowStart: col.datetime('Start of the evaluated window'),
  WindowEnd: col.datetime('End of the evaluated window'),
  EventIds: col.dynamic('Ids of (a sample of) the matching events', { maxBytes: 16384 }),
  IncidentId: col.string('Durable instance id of the incident', { maxBytes: ID }),
  Tactics: col.dynamic('MITRE ATT&CK tactics/techniques', { maxBytes: 1024 }),
  Context: col.dynamic('Alert context (actor, ip, user agent…)', { maxBytes: 16384 }),
});

const response = defineStream('response', 'SentryResponse_CL', 'Response actions: who, what, target, when, result', {
  ...common('When the action finished', 'Idempotency key of the action'),
  IncidentId: col.string('Durable instance id of the incident', { maxBytes: ID }),
  DetectionId: col.string('Detection that raised the incident', { maxBytes: ID }),
  Action: col.string('What was done, e.g. slack.session.reset, meraki.block-ip', { required: true, maxBytes: ID }),
  TargetType: col.string('user, session, ip, device…', { required: true, maxBytes: ID }),
  TargetId: col.string('Id of the target', { required: true, maxBytes: NAME }),
  TargetName: col.string('Name of the target', { maxBytes: NAME }),
  RequestedBy: col.string('Slack user id of the responder who clicked', { required: true, maxBytes: ID }),
  RequestedByName: col.string('Name of the responder', { maxBytes: NAME }),
  RequestedAt: col.datetime('When the responder asked for the action'),
  Result: col.string(
    'succeeded, failed, skipped, refused (a guardrail stopped the action) or denied (a click that was not trusted or not by a responder)',
    { required: true, maxBytes: ID },
  ),
  ErrorCode: col.string('Why it failed, was refused or denied: an AppError, guardrail or proof code', { maxBytes: ID }),
  ErrorMessage: col.string('Secret-free error message when it failed', { maxBytes: 4096 }),
  Details: col.dynamic('Action-specific facts (API ids, counts)', { maxBytes: 16384 }),
});

const dimension = defineStream(
  'dimension',
  'SentryDimension_CL',
  'Long values many rows repeat (user agents), landed once per key and UTC day; rows keep the short key',
  {
    ...common(
      'Time of the first event of the UTC day that referenced the value',
      'The key: base64url of the first 9 bytes of the SHA-256 of Value (12 characters)',
    ),
    Kind: col.string('What the value is: userAgent (SentrySlackAudit_CL.UserAgentKey)', {
      required: true,
      maxBytes: ID,
    }),
    Value: col.string('The value, as the referencing column would have held it', { required: true }),
  },
);

/** The registry: every stream, in generation order. */
export const streams = {
  slackAudit,
  merakiUplink,
  merakiDevice,
  merakiEvent,
  merakiSecurity,
  quarantine,
  finding,
  response,
  dimension,
} as const;

export const streamList: readonly StreamDefinition[] = Object.values(streams);

export type SlackAuditRow = z.infer<typeof slackAudit.schema>;
export type MerakiUplinkRow = z.infer<typeof merakiUplink.schema>;
export type MerakiDeviceRow = z.infer<typeof merakiDevice.schema>;
export type MerakiEventRow = z.infer<typeof merakiEvent.schema>;
export type MerakiSecurityRow = z.infer<typeof merakiSecurity.schema>;
export type QuarantineRow = z.infer<typeof quarantine.schema>;
export type FindingRow = z.infer<typeof finding.schema>;
export type ResponseRow = z.infer<typeof response.schema>;
export type DimensionRow = z.infer<typeof dimension.schema>;

export interface RowsByStream {
  slackAudit: SlackAuditRow;
  merakiUplink: MerakiUplinkRow;
  merakiDevice: MerakiDeviceRow;
  merakiEvent: MerakiEventRow;
  merakiSecurity: MerakiSecurityRow;
  quarantine: QuarantineRow;
  finding: FindingRow;
  response: ResponseRow;
  dimension: DimensionRow;
}

/** Column caps by name, for transforms that cut values to fit. */
export function columnCaps(def: StreamDefinition): Readonly<Record<string, number>> {
  return Object.fromEntries(def.columns.map((c) => [c.name, c.maxBytes]));
}
