/**
 * The incident's data model: what a finding hands the incident workflow, the responder actions, and
 * the incident state the orchestration keeps (plain JSON, so it survives replay and continueAsNew).
 *
 * A finding crosses from detection as a `FindingSummary` plus optional context. The context is read
 * tolerantly: over-long strings and lists are cut rather than rejected (an alert with a shortened user
 * agent beats no alert), and the detections' `subject`/`facts`/`evidence` shapes are folded into one
 * `IncidentContext`, so the alert does not depend on how a detection spells its facts.
 */
import { z } from 'zod';

export const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Severity order, for "this severity or higher" rules. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

const text = (max: number) => z.string().transform((value) => value.slice(0, max));
const optionalText = (max: number) =>
  z
    .union([z.string(), z.number(), z.null()])
    .optional()
    .transform((value) =>
      value === undefined || value === null || value === '' ? undefined : String(value).slice(0, max),
    );
const list = (max: number, itemMax: number) =>
  z
    .array(z.union([z.string(), z.number()]))
    .optional()
    .transform((items) =>
      items === undefined
        ? undefined
        : [...new Set(items.map((item) => String(item).slice(0, itemMax)).filter((item) => item !== ''))].slice(0, max),
    );

/** Slack user ids (`U…`, `W…`); only these can be targeted by Slack actions. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
export function isIpv4(value: string): boolean {
  return IPV4.test(value);
}

export const MerakiContextSchema = z.object({
  organizationId: optionalText(64),
  networkId: optionalText(64),
  networkName: optionalText(256),
  deviceSerial: optionalText(64),
  deviceName: optionalText(256),
  deviceModel: optionalText(64),
  uplink: optionalText(64),
  publicIps: list(10, 64),
  clientId: optionalText(64),
  clientMac: optionalText(64),
  clientDescription: optionalText(256),
});

export const IncidentContextSchema = z.object({
  source: optionalText(64),
  org: optionalText(256),
  user: z.object({ id: text(64), name: optionalText(256), email: optionalText(256) }).optional(),
  ips: list(20, 64),
  userAgents: list(10, 1024),
  sessionIds: list(10, 32),
  files: list(20, 512),
  channels: list(20, 256),
  actions: list(20, 128),
  meraki: MerakiContextSchema.optional(),
});
export interface MerakiContext {
  organizationId?: string | undefined;
  networkId?: string | undefined;
  networkName?: string | undefined;
  deviceSerial?: string | undefined;
  deviceName?: string | undefined;
  deviceModel?: string | undefined;
  uplink?: string | undefined;
  publicIps?: string[] | undefined;
  clientId?: string | undefined;
  clientMac?: string | undefined;
  clientDescription?: string | undefined;
}

/** Who/what/where of a finding; every field optional (detections fill what they know). */
export interface IncidentContext {
  source?: string | undefined;
  org?: string | undefined;
  user?: { id: string; name?: string | undefined; email?: string | undefined } | undefined;
  ips?: string[] | undefined;
  userAgents?: string[] | undefined;
  /** Slack `context.session_id`s (digits) of the audit entries. */
  sessionIds?: string[] | undefined;
  files?: string[] | undefined;
  channels?: string[] | undefined;
  actions?: string[] | undefined;
  meraki?: MerakiContext | undefined;
}

const SubjectSchema = z.object({ type: text(32), id: text(256), name: optionalText(256) });

const EvidenceSchema = z
  .union([z.array(z.object({ label: z.string(), value: z.unknown() })), z.record(z.string(), z.unknown())])
  .optional()
  .transform((value) => {
    if (value === undefined) return undefined;
    const pairs = Array.isArray(value)
      ? value.map((entry) => [entry.label, entry.value] as const)
      : Object.entries(value);
    return pairs
      .slice(0, 20)
      .map(([label, raw]) => ({ label: label.slice(0, 100), value: renderValue(raw).slice(0, 2000) }));
  });

function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value);
  } catch {
    return '[unserializable]';
  }
}

/** What dispatchIncidents accepts per finding: `FindingSummary` plus optional context. */
export const IncidentFindingInput = z.object({
  detectionId: text(256).pipe(z.string().min(1)),
  dedupeKey: text(1024).pipe(z.string().min(1)),
  incidentId: z
    .string()
    .regex(/^incident-[A-Za-z0-9._:-]{1,200}$/, 'incidentId must be incident-<detection id>-<hash>'),
  /** One separate finding of the dedupe key (several can share the incident id, e.g. after a backfill). */
  findingId: optionalText(512),
  severity: z.enum(SEVERITIES),
  title: text(1024),
  count: z.number().int().nonnegative(),
  firstSeen: z.string().min(1),
  lastSeen: z.string().min(1),
  isNew: z.boolean().default(true),
  detectionTitle: optionalText(256),
  subject: SubjectSchema.optional(),
  facts: z.record(z.string(), z.unknown()).optional(),
  context: IncidentContextSchema.optional(),
  evidence: EvidenceSchema,
  eventIds: list(20, 256),
  mitre: list(10, 32),
});
export type IncidentFindingInput = z.input<typeof IncidentFindingInput>;

/** The normalized finding the incident keeps. */
export interface IncidentFinding {
  detectionId: string;
  detectionTitle?: string | undefined;
  dedupeKey: string;
  incidentId: string;
  /** Absent for findings dispatched before findings had ids. */
  findingId?: string | undefined;
  severity: Severity;
  title: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  subject: { type: string; id: string; name?: string | undefined };
  context: IncidentContext;
  evidence: { label: string; value: string }[];
  eventIds: string[];
  mitre: string[];
  /** As dispatched: true when this evaluation created the finding. */
  isNew?: boolean | undefined;
}

export const IncidentFindingSchema: z.ZodType<IncidentFinding> = z.object({
  detectionId: z.string(),
  detectionTitle: z.string().optional(),
  dedupeKey: z.string(),
  incidentId: z.string(),
  findingId: z.string().optional(),
  severity: z.enum(SEVERITIES),
  title: z.string(),
  count: z.number(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  subject: z.object({ type: z.string(), id: z.string(), name: z.string().optional() }),
  context: IncidentContextSchema,
  evidence: z.array(z.object({ label: z.string(), value: z.string() })),
  eventIds: z.array(z.string()),
  mitre: z.array(z.string()),
  isNew: z.boolean().optional(),
});

const FACT_ALIASES: Record<string, readonly string[]> = {
  email: ['email', 'actorEmail', 'userEmail'],
  userName: ['userName', 'actorName', 'name'],
  userId: ['userId', 'actorId', 'actorUserId'],
  ip: ['ip', 'ipAddress', 'srcIp', 'SrcIpAddr', 'sourceIp'],
  userAgent: ['userAgent', 'ua', 'UserAgent'],
  sessionId: ['sessionId', 'session_id', 'SessionId'],
  organizationId: ['organizationId', 'orgId', 'merakiOrgId'],
  networkId: ['networkId', 'NetworkId'],
  networkName: ['networkName'],
  deviceSerial: ['deviceSerial', 'serial', 'Serial'],
  deviceName: ['deviceName'],
  deviceModel: ['deviceModel', 'model'],
  uplink: ['uplink', 'interface', 'Interface'],
  publicIp: ['publicIp', 'PublicIp', 'newPublicIp'],
  clientId: ['clientId'],
  clientMac: ['clientMac'],
  clientDescription: ['clientDescription'],
};

function fact(facts: Record<string, unknown> | undefined, name: string): string | undefined {
  if (facts === undefined) return undefined;
  for (const key of FACT_ALIASES[name] ?? [name]) {
    const value = facts[key];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

function merged(...lists: (readonly string[] | undefined)[]): string[] | undefined {
  const out = [...new Set(lists.flatMap((l) => l ?? []).filter((v) => v !== ''))];
  return out.length === 0 ? undefined : out;
}

/** Parses one finding (throws a ZodError naming the bad field) and folds subject/facts into the context. */
export function normalizeFinding(raw: unknown): IncidentFinding {
  const input = IncidentFindingInput.parse(raw);
  const facts = input.facts;
  const context: IncidentContext = { ...(input.context ?? {}) };
  const subject: { type: string; id: string; name?: string | undefined } = input.subject ?? {
    type: 'key',
    id: input.dedupeKey,
  };

  const userId = context.user?.id ?? (subject.type === 'user' ? subject.id : fact(facts, 'userId'));
  if (userId !== undefined) {
    context.user = {
      id: userId.slice(0, 64),
      name:
        context.user?.name ??
        (subject.type === 'user' ? subject.name : undefined) ??
        fact(facts, 'userName')?.slice(0, 256),
      email: context.user?.email ?? fact(facts, 'email')?.slice(0, 256),
    };
  }
  context.ips = merged(
    context.ips,
    [fact(facts, 'ip') ?? '', subject.type === 'ip' ? subject.id : ''].map((v) => v.slice(0, 64)),
  );
  context.userAgents = merged(context.userAgents, [fact(facts, 'userAgent')?.slice(0, 1024) ?? '']);
  const sessionId = fact(facts, 'sessionId');
  context.sessionIds = merged(
    context.sessionIds,
    sessionId !== undefined && /^\d{1,20}$/.test(sessionId) ? [sessionId] : [],
  );
  const meraki: MerakiContext = { ...(context.meraki ?? {}) };
  for (const key of [
    'organizationId',
    'networkId',
    'networkName',
    'deviceSerial',
    'deviceName',
    'deviceModel',
    'uplink',
    'clientId',
    'clientMac',
    'clientDescription',
  ] as const) {
    meraki[key] ??= fact(facts, key)?.slice(0, 256);
  }
  if (subject.type === 'device') meraki.deviceSerial ??= subject.id;
  meraki.publicIps = merged(meraki.publicIps, [fact(facts, 'publicIp') ?? '']);
  const hasMeraki = Object.values(meraki).some((v) => v !== undefined);
  if (hasMeraki) context.meraki = meraki;
  else delete context.meraki;
  const cleaned = Object.fromEntries(
    Object.entries(context).filter(([, value]) => value !== undefined),
  ) as IncidentContext;

  return {
    detectionId: input.detectionId,
    ...(input.detectionTitle === undefined ? {} : { detectionTitle: input.detectionTitle }),
    dedupeKey: input.dedupeKey,
    incidentId: input.incidentId,
    ...(input.findingId === undefined ? {} : { findingId: input.findingId }),
    severity: input.severity,
    title: input.title,
    count: input.count,
    firstSeen: input.firstSeen,
    lastSeen: input.lastSeen,
    subject: subject.name === undefined ? { type: subject.type, id: subject.id } : subject,
    context: cleaned,
    evidence: input.evidence ?? [],
    eventIds: input.eventIds ?? [],
    mitre: input.mitre ?? [],
    isNew: input.isNew,
  };
}

/** The responder's buttons (and the automatic actions). */
export const ACTION_KINDS = [
  'acknowledge',
  'resetSessions',
  'invalidateSession',
  'deactivateUser',
  'blockIp',
  'blockClient',
  'closeFalsePositive',
  'closeBenignPositive',
  'snooze',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Actions that reach an outside system (and can fail); the rest only change the incident. */
export const EXTERNAL_ACTIONS: readonly ActionKind[] = [
  'resetSessions',
  'invalidateSession',
  'deactivateUser',
  'blockIp',
  'blockClient',
  'snooze',
];

export const CLOSING_ACTIONS: readonly ActionKind[] = ['closeFalsePositive', 'closeBenignPositive', 'snooze'];

export interface Actor {
  id: string;
  name?: string | undefined;
  /** The incident acted on its own (escalation policy). */
  automatic?: boolean | undefined;
}
export const ActorSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().max(256).optional(),
  automatic: z.boolean().optional(),
});

/** What the interactivity endpoint raises on the incident (`responderAction`). */
export const ResponderActionEvent = z.object({
  kind: z.enum(ACTION_KINDS),
  target: z.string().max(256).optional(),
  user: z.object({ id: z.string().min(1).max(64), name: z.string().max(256).optional() }),
  responseUrl: z.url().max(2048).optional(),
  channel: z.string().max(64).optional(),
  messageTs: z.string().max(64).optional(),
  receivedAt: z.string(),
});
export type ResponderActionEvent = z.infer<typeof ResponderActionEvent>;

/**
 * What dispatchIncidents raises on an open incident (`findingUpdated`): growth of the finding the
 * incident shows, or (another `findingId`) a separate occurrence of the same dedupe key.
 */
export const FindingUpdatedEvent = z.object({
  findingId: z.string().min(1).max(512).optional(),
  count: z.number().int().nonnegative(),
  lastSeen: z.string(),
  firstSeen: z.string().optional(),
  title: z.string().max(1024).optional(),
  severity: z.enum(SEVERITIES).optional(),
  evidence: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
  eventIds: z.array(z.string()).optional(),
});
export type FindingUpdatedEvent = z.infer<typeof FindingUpdatedEvent>;

export type OutcomeStatus = 'succeeded' | 'failed' | 'skipped';

/** The result of one action, as the runResponseAction activity returns it. */
export interface ActionOutcome {
  status: OutcomeStatus;
  /** One line for the message and the thread ("Sessions reset for bob", "Already blocked"). */
  summary: string;
  error?: { code: string; message: string; retriable: boolean } | undefined;
  details?: Record<string, string | number | boolean> | undefined;
}
export const ActionOutcomeSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'skipped']),
  summary: z.string(),
  error: z.object({ code: z.string(), message: z.string(), retriable: z.boolean() }).optional(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

/** Per-incident policy, resolved from configuration by dispatchIncidents (orchestrators read no settings). */
export const IncidentPolicySchema = z.object({
  channel: z.string().min(1),
  escalateAfterMinutes: z.number().int().positive(),
  oncallGroup: z.string().optional(),
  automaticAction: z
    .enum(['resetSessions', 'invalidateSession', 'deactivateUser', 'blockIp', 'blockClient'])
    .optional(),
  snoozeDays: z.number().int().positive(),
});
export type IncidentPolicy = z.infer<typeof IncidentPolicySchema>;
