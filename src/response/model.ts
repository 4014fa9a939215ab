/**
 * The incident's data model: what a finding hands the incident workflow, the responder actions, and
 * the incident state the orchestration keeps (plain JSON, so it survives replay and continueAsNew).
 *
 * A finding crosses from detection as a `FindingSummary`: its entities (who, by role and stance: the
 * only source of response targets), its where/how context and its evidence as labelled facts. It is
 * read tolerantly for display (over-long strings and lists are cut rather than rejected: an alert with
 * a shortened user agent beats no alert) and strictly for entities (an entity that does not parse
 * rejects the finding, so no action can ever aim at half of one).
 */
import { z } from 'zod';

import { ENTITY_ROLES, type FindingEntity, ROLE_TYPES, STANCES } from '../detections/entities';

import { SEVERITIES, type Severity } from '../domain/severity';

export { SEVERITIES, type Severity };

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
/** Slack session ids are integers. */
export const SLACK_SESSION_ID = /^\d{1,20}$/;
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
  ips: list(20, 64),
  userAgents: list(10, 1024),
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

/** Where/how of a finding (who is in `entities`); every field optional (detections fill what they know). */
export interface IncidentContext {
  source?: string | undefined;
  org?: string | undefined;
  ips?: string[] | undefined;
  userAgents?: string[] | undefined;
  files?: string[] | undefined;
  channels?: string[] | undefined;
  actions?: string[] | undefined;
  meraki?: MerakiContext | undefined;
}

/** An entity of a finding as the incident keeps it (see detections/entities.ts). */
export type IncidentEntity = FindingEntity;

const NetworkSchema = z.object({
  organizationId: z.string().max(64).optional(),
  networkId: z.string().max(64).optional(),
  networkName: text(256).optional(),
});

export const IncidentEntitySchema = z
  .object({
    role: z.enum(ENTITY_ROLES),
    type: z.enum(['user', 'ip', 'device', 'client']),
    stance: z.enum(STANCES),
    id: z.string().min(1).max(256),
    name: text(256).optional(),
    email: text(256).optional(),
    sessions: z.array(z.string().regex(SLACK_SESSION_ID)).max(3).optional(),
    network: NetworkSchema.optional(),
    firstSeen: z.number(),
    lastSeen: z.number(),
  })
  .refine((e) => ROLE_TYPES[e.role] === e.type, { message: 'entity type does not match its role' });

/** At most this many entities cross into an incident (10 per role of five roles). */
export const MAX_ENTITIES = 50;

const SubjectSchema = z.object({ type: text(32), id: text(256), name: optionalText(256) });

const EvidenceSchema = z
  .array(z.object({ label: z.string(), value: z.union([z.string(), z.number(), z.boolean()]) }))
  .optional()
  .transform((value) =>
    value
      ?.slice(0, 20)
      .map((entry) => ({ label: entry.label.slice(0, 100), value: String(entry.value).slice(0, 2000) })),
  );

/** What dispatchIncidents accepts per finding: the `FindingSummary` detection produces. */
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
  why: optionalText(500),
  subject: SubjectSchema.optional(),
  entities: z.array(IncidentEntitySchema).max(MAX_ENTITIES).optional(),
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
  /** One sentence from the detection: why it fired. */
  why?: string | undefined;
  count: number;
  firstSeen: string;
  lastSeen: string;
  subject: { type: string; id: string; name?: string | undefined };
  /** Who the finding is about, by role and stance; the only source of response targets. */
  entities: IncidentEntity[];
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
  why: z.string().optional(),
  count: z.number(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  subject: z.object({ type: z.string(), id: z.string(), name: z.string().optional() }),
  // States carried from before entities existed have none: such incidents offer no targeted action.
  entities: z.array(IncidentEntitySchema).max(MAX_ENTITIES).default([]),
  context: IncidentContextSchema,
  evidence: z.array(z.object({ label: z.string(), value: z.string() })),
  eventIds: z.array(z.string()),
  mitre: z.array(z.string()),
  isNew: z.boolean().optional(),
});

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Parses one finding; throws a ZodError naming the bad field. */
export function normalizeFinding(raw: unknown): IncidentFinding {
  const input = IncidentFindingInput.parse(raw);
  const context = withoutUndefined({ ...(input.context ?? {}) }) as IncidentContext;
  if (context.meraki !== undefined) {
    const meraki = withoutUndefined(context.meraki);
    if (Object.keys(meraki).length === 0) delete context.meraki;
    else context.meraki = meraki;
  }
  const subject: IncidentFinding['subject'] = input.subject ?? { type: 'key', id: input.dedupeKey };
  return {
    detectionId: input.detectionId,
    ...(input.detectionTitle === undefined ? {} : { detectionTitle: input.detectionTitle }),
    dedupeKey: input.dedupeKey,
    incidentId: input.incidentId,
    ...(input.findingId === undefined ? {} : { findingId: input.findingId }),
    severity: input.severity,
    title: input.title,
    ...(input.why === undefined ? {} : { why: input.why }),
    count: input.count,
    firstSeen: input.firstSeen,
    lastSeen: input.lastSeen,
    subject: subject.name === undefined ? { type: subject.type, id: subject.id } : subject,
    entities: (input.entities ?? []).map((e) => withoutUndefined(e)),
    context,
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
export const EXTERNAL_ACTIONS = [
  'resetSessions',
  'invalidateSession',
  'deactivateUser',
  'blockIp',
  'blockClient',
  'snooze',
] as const satisfies readonly ActionKind[];

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
  /**
   * HMAC over the incident id and every other field, by the interactivity endpoint (proofs.ts). The
   * incident acts only on events whose proof verifies and is fresh; anything else is recorded as denied.
   */
  proof: z.string().max(128).optional(),
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
  why: z.string().max(500).optional(),
  /** The finding's entities now, with the grant dispatch signed over the charter they give (both or neither). */
  entities: z.array(IncidentEntitySchema).max(MAX_ENTITIES).optional(),
  grant: z.string().max(128).optional(),
});
export type FindingUpdatedEvent = z.infer<typeof FindingUpdatedEvent>;

/**
 * `refused`: a guardrail stopped the action before it reached the outside system (a protected
 * account or address, an untrusted request, the automatic-action limit); never offered again.
 */
export type OutcomeStatus = 'succeeded' | 'failed' | 'skipped' | 'refused';

/** The result of one action, as the runResponseAction activity returns it. */
export interface ActionOutcome {
  status: OutcomeStatus;
  /** One line for the message and the thread ("Sessions reset for bob", "Already blocked"). */
  summary: string;
  error?: { code: string; message: string; retriable: boolean } | undefined;
  details?: Record<string, string | number | boolean> | undefined;
}
export const ActionOutcomeSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'skipped', 'refused']),
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
  /** An escalated or acknowledged incident with no activity for this long closes as stale. */
  staleAfterHours: z.number().int().positive().default(72),
  /** The automatic action is skipped when the finding's newest event is older than this at escalation. */
  autoActionMaxAgeMinutes: z.number().int().positive().default(240),
});
export type IncidentPolicy = z.output<typeof IncidentPolicySchema>;
