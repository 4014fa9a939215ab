/**
 * The durable contracts: every orchestration, activity and external event by name, each activity's
 * input and output and each event's payload as a zod schema, and the typed calls that use them.
 * Orchestrators call activities only through `callActivity`/`activityTask` (the input is checked by
 * the compiler, the output parsed where it returns); activities parse their input with
 * `parseActivityInput` where it arrives. So neither side casts what crosses the durable boundary,
 * and a change to one side that the other does not expect fails at once.
 *
 * Pure: zod and pure modules only, because orchestrators import it.
 */
import type * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { z } from 'zod';

import { SEVERITIES } from './domain/severity';
import { AppError, ErrorCode } from './errors';
import {
  ACTION_KINDS,
  ActionOutcomeSchema,
  ActorSchema,
  EXTERNAL_ACTIONS,
  FindingUpdatedEvent,
  IncidentFindingSchema,
  IncidentPolicySchema,
  ResponderActionEvent,
} from './response/model';
import type { IncidentState } from './response/incident-state';
import type { ReplySpec } from './slack/blocks/replies';
import { streams } from './transforms/streams';

export const OrchestratorNames = {
  cycle: 'cycle',
  backfill: 'backfill',
  incident: 'incident',
} as const;

/** The eternal collection orchestration's fixed instance id. */
export const CYCLE_INSTANCE_ID = 'sentry-cycle';

export const EventNames = {
  /** Raised on the cycle by the Meraki webhook so a failover reaches detection without waiting. */
  expedite: 'expedite',
  /** Raised on an incident by the Slack interactivity endpoint. */
  responderAction: 'responderAction',
  /** Raised on an open incident by dispatchIncidents when its finding grows. */
  findingUpdated: 'findingUpdated',
} as const;

const unixSeconds = z.number().int().min(0).max(4_102_444_800);
const cycleId = z.string().min(1).max(256);
/** The orchestrator's clock, ISO-8601. */
const isoNow = z.iso.datetime({ offset: true });

// ---- collection ----------------------------------------------------------------------------------

export const CycleTargetSchema = z.strictObject({
  source: z.enum(['slackAudit', 'meraki']),
  org: z.string().min(1).max(256),
});
export type CycleTarget = z.infer<typeof CycleTargetSchema>;

export const CyclePlanSchema = z.strictObject({
  targets: z.array(CycleTargetSchema).max(1000),
  pollIntervalSeconds: z.number().int().positive(),
  minGapSeconds: z.number().int().nonnegative(),
});
export type CyclePlan = z.infer<typeof CyclePlanSchema>;

export const CollectSlackAuditInput = z.strictObject({
  cycleId,
  /** The enterprise key; must be the configured one (default). */
  org: z.string().min(1).max(256).optional(),
  /** The cycle's clock (the orchestrator's currentUtcDateTime), ISO-8601. */
  now: isoNow.optional(),
  /** Backfill: read exactly this window (Unix seconds, inclusive) and leave the checkpoint alone. */
  window: z
    .strictObject({ oldest: unixSeconds, latest: unixSeconds })
    .refine((w) => w.latest >= w.oldest, 'window.latest must not be before window.oldest')
    .optional(),
});
export type CollectSlackAuditInput = z.infer<typeof CollectSlackAuditInput>;

export const CollectMerakiInput = z.strictObject({
  cycleId,
  org: z.string().min(1).max(256),
  /** The cycle's clock (the orchestrator's currentUtcDateTime), ISO-8601: snapshot time of the rows. */
  now: isoNow.optional(),
});
export type CollectMerakiInput = z.infer<typeof CollectMerakiInput>;

const count = z.number().int().nonnegative();

/**
 * What every collector run reports: its counts, plus scalar details the cycle records (checkpoint,
 * windows, failovers…). Each collector's result type says the rest.
 */
export const CollectorSummarySchema = z.looseObject({
  rows: count,
  quarantined: count,
  apiCalls: count,
  bytes: count,
});
export type CollectorSummary = z.infer<typeof CollectorSummarySchema>;

const Counts = z.strictObject({ rows: count, quarantined: count, apiCalls: count, bytes: count });

export const CycleOutcomeSchema = z.strictObject({
  source: z.string().min(1).max(64),
  org: z.string().min(1).max(256),
  ok: z.boolean(),
  counts: Counts,
  error: z.strictObject({ code: z.string().max(256), message: z.string().max(4000) }).optional(),
  details: z.record(z.string(), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()])).optional(),
});
export type CycleOutcome = z.infer<typeof CycleOutcomeSchema>;

export const RecordCycleInput = z.strictObject({
  cycleId,
  startedAt: isoNow,
  outcomes: z.array(CycleOutcomeSchema).max(1000),
});
export type RecordCycleInput = z.infer<typeof RecordCycleInput>;

/** Backfills are bounded: at most this many days per request. */
export const MAX_BACKFILL_DAYS = 90;

export const BackfillRequest = z
  .strictObject({
    source: z.literal('slackAudit').default('slackAudit'),
    /** Unix seconds, inclusive. */
    oldest: z.number().int().min(1_520_000_000),
    latest: z.number().int().min(1_520_000_000),
    windowSeconds: z.number().int().min(60).max(86_400).default(3600),
  })
  .refine((r) => r.latest >= r.oldest, { message: 'latest must not be before oldest', path: ['latest'] })
  .refine((r) => r.latest - r.oldest <= MAX_BACKFILL_DAYS * 86_400, {
    message: `a backfill covers at most ${String(MAX_BACKFILL_DAYS)} days`,
    path: ['latest'],
  });
export type BackfillRequest = z.infer<typeof BackfillRequest>;

export const PlanBackfillInput = z.strictObject({
  oldest: z.number().int(),
  latest: z.number().int(),
  windowSeconds: z.number().int().positive(),
  /** Index of the first window to return, and how many. */
  from: z.number().int().nonnegative(),
  limit: z.number().int().min(1).max(500),
});

export const BackfillSliceSchema = z.strictObject({
  total: count,
  windows: z.array(z.strictObject({ oldest: z.number().int(), latest: z.number().int() })).max(500),
});
export type BackfillSlice = z.infer<typeof BackfillSliceSchema>;

// ---- detections ------------------------------------------------------------------------------------

export const EvaluateDetectionsInput = z.strictObject({
  cycleId,
  /** The orchestrator's current time: an ISO-8601 string or epoch milliseconds. */
  now: z.union([isoNow, z.number().int().positive()]),
  /** Judge every live window, not only those touched since the last evaluation (after a configuration change). */
  full: z.boolean().optional(),
});
export type EvaluateDetectionsInput = z.infer<typeof EvaluateDetectionsInput>;

/**
 * Counts only: the findings stay in the findings table (their `updatedCycle` names this cycle), so
 * no result comes near the queue message limit however many a backfill raises.
 */
export const EvaluateDetectionsOutput = z.strictObject({
  /** Findings this cycle created, grew or (on a retry) already reported: what dispatch reads. */
  reported: count,
  created: count,
  grown: count,
  windows: count,
  buckets: count,
});
export type EvaluateDetectionsOutput = z.infer<typeof EvaluateDetectionsOutput>;

export const DispatchIncidentsInput = z.strictObject({
  /** Dispatch the findings this cycle reported (`updatedCycle`). */
  cycleId,
});

export const DispatchResultSchema = z.strictObject({
  started: count,
  updated: count,
  skipped: count,
  heldBack: count,
  rejected: count,
});
export type DispatchCounts = z.infer<typeof DispatchResultSchema>;

// ---- incident response -----------------------------------------------------------------------------

const MessageRef = z.object({ channel: z.string(), ts: z.string() });

const IncidentStateShape = z.looseObject({
  version: z.literal(1),
  incidentId: z.string().min(1),
  status: z.enum(['open', 'acknowledged', 'closed']),
  finding: IncidentFindingSchema,
  policy: IncidentPolicySchema,
  actions: z.record(z.string(), z.unknown()),
  recent: z.array(z.unknown()),
  message: MessageRef.optional(),
});

/**
 * An incident's state as it crosses to activities: response/incident-state.ts owns its shape; here
 * it is checked for the fields an activity reads.
 */
export const IncidentStateWire = z.custom<IncidentState>(
  (value) => IncidentStateShape.safeParse(value).success,
  'not an incident state (version 1 with incidentId, status, finding, policy, actions and recent)',
);

export const PublishIncidentAlertInput = z.object({ state: IncidentStateWire });
export const PublishedAlertSchema = MessageRef;
export type PublishedAlert = z.infer<typeof PublishedAlertSchema>;

/** A thread reply's content (slack/blocks/replies.ts renders it). */
export const ReplySpecSchema: z.ZodType<ReplySpec> = z.union([
  z.object({
    type: z.literal('outcome'),
    kind: z.enum(ACTION_KINDS),
    by: ActorSchema,
    status: z.enum(['succeeded', 'failed', 'skipped', 'refused']),
    summary: z.string(),
    targetName: z.string().max(256).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
  z.object({
    type: z.literal('escalation'),
    oncallGroup: z.string().optional(),
    minutes: z.number(),
    automaticAction: z.enum(ACTION_KINDS).optional(),
    automaticTarget: z.string().max(256).optional(),
    automaticSkipped: z.string().max(1000).optional(),
  }),
  z.object({ type: z.literal('stale'), hours: z.number() }),
  z.object({
    type: z.literal('occurrence'),
    relation: z.enum(['earlier', 'later']),
    findingId: z.string().min(1).max(512),
    count: z.number().int().nonnegative(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    severity: z.enum(SEVERITIES).optional(),
  }),
]);

export const PostIncidentReplyInput = z.object({
  channel: z.string().min(1),
  threadTs: z.string().min(1),
  reply: ReplySpecSchema,
});

export const NotifyResponderInput = z.object({
  userId: z.string().min(1),
  channel: z.string().optional(),
  responseUrl: z.url().optional(),
  notice: z.enum(['unauthorized', 'unavailable', 'unknownIncident']),
  detail: z.string().max(1000).optional(),
});

export const AuthorizeResponderInput = z.object({
  incidentId: z.string().min(1).max(300),
  event: ResponderActionEvent,
});

export const ResponderVerdictSchema = z.object({
  /** The event's proof verified and is fresh: it really came through Slack's signed request. */
  trusted: z.boolean(),
  authorized: z.boolean(),
  via: z.enum(['user', 'group']).nullable(),
  code: z.string().optional(),
  reason: z.string().optional(),
});
export type ResponderVerdict = z.infer<typeof ResponderVerdictSchema>;

const TargetSchema = z.object({
  kind: z.enum(['user', 'session', 'ip', 'client']),
  id: z.string().min(1).max(256),
  of: z.string().max(64).optional(),
});

export const CheckTargetsInput = z.object({ targets: z.array(TargetSchema).max(100) });

export const TargetVerdictsSchema = z.object({
  /** Refusals by target key (`user:W…`); targets not listed may be acted on. */
  protections: z.record(z.string(), z.object({ code: z.string(), reason: z.string() })),
});
export type TargetVerdicts = z.infer<typeof TargetVerdictsSchema>;

/** The actions the response activity runs: those that reach an outside system. */
export const RESPONSE_ACTIONS = EXTERNAL_ACTIONS;
export type ResponseActionKind = (typeof RESPONSE_ACTIONS)[number];

/** Whether an action kind is one `runResponseAction` performs (the others are the incident's own). */
export function isResponseAction(kind: string): kind is ResponseActionKind {
  return (RESPONSE_ACTIONS as readonly string[]).includes(kind);
}

export const CharterSchema = z.object({
  v: z.literal(1),
  incidentId: z.string().min(1).max(300),
  detectionId: z.string().min(1).max(256),
  targets: z
    .array(
      TargetSchema.extend({
        networkId: z.string().max(64).optional(),
        organizationId: z.string().max(64).optional(),
      }),
    )
    .max(100),
  automaticAction: z.string().max(64).optional(),
});

export const ActionRequest = z.object({
  incidentId: z.string().min(1),
  detectionId: z.string().min(1),
  kind: z.enum(RESPONSE_ACTIONS),
  target: z.string().min(1).max(256),
  /** The incident's charter and dispatch's grant over it (targeted actions only). */
  charter: CharterSchema.optional(),
  grant: z.string().max(128).optional(),
  /** Snooze: until when (computed by the orchestration from its own clock). */
  snoozeUntil: z.string().optional(),
  requestedBy: ActorSchema,
  requestedAt: z.string(),
});
export type ActionRequest = z.infer<typeof ActionRequest>;

export const RecordResponseInput = z.object({ row: streams.response.schema });

/** The incident orchestration's input (dispatchIncidents starts it; continueAsNew carries the state). */
export const IncidentInput = z.object({
  finding: IncidentFindingSchema,
  policy: IncidentPolicySchema,
  /** dispatchIncidents' signature over the incident's charter (response/proofs.ts). */
  grant: z.string().max(128).optional(),
  /** Carried across continueAsNew. */
  state: z.looseObject({ version: z.literal(1) }).optional(),
});
export type IncidentInput = z.infer<typeof IncidentInput>;

// ---- the table -------------------------------------------------------------------------------------

const anything = z.unknown();

/** Every activity: its input (parsed where it arrives) and output (parsed where it returns). */
export const ACTIVITIES = {
  planCycle: { input: z.strictObject({ cycleId }), output: CyclePlanSchema },
  collectSlackAudit: { input: CollectSlackAuditInput, output: CollectorSummarySchema },
  collectMeraki: { input: CollectMerakiInput, output: CollectorSummarySchema },
  recordCycle: { input: RecordCycleInput, output: z.object({ recorded: count }) },
  planBackfill: { input: PlanBackfillInput, output: BackfillSliceSchema },
  evaluateDetections: { input: EvaluateDetectionsInput, output: EvaluateDetectionsOutput },
  dispatchIncidents: { input: DispatchIncidentsInput, output: DispatchResultSchema },
  publishIncidentAlert: { input: PublishIncidentAlertInput, output: PublishedAlertSchema },
  postIncidentReply: { input: PostIncidentReplyInput, output: z.object({ ts: z.string() }) },
  notifyResponder: { input: NotifyResponderInput, output: anything },
  authorizeResponder: { input: AuthorizeResponderInput, output: ResponderVerdictSchema },
  /** Guardrail verdicts on an incident's targets when it opens. */
  checkTargets: { input: CheckTargetsInput, output: TargetVerdictsSchema },
  runResponseAction: { input: ActionRequest, output: ActionOutcomeSchema },
  recordResponse: { input: RecordResponseInput, output: z.object({ rows: count, eventId: z.string() }) },
} as const;

export type ActivityName = keyof typeof ACTIVITIES;
export type ActivityInput<N extends ActivityName> = z.input<(typeof ACTIVITIES)[N]['input']>;
export type ActivityOutput<N extends ActivityName> = z.output<(typeof ACTIVITIES)[N]['output']>;

/** Activity names, for registrations (`df.app.activity(ActivityNames.x, …)`). */
export const ActivityNames = Object.freeze(
  Object.fromEntries(Object.keys(ACTIVITIES).map((name) => [name, name])) as { [N in ActivityName]: N },
);

/** Every external event's payload. */
export const EVENTS = {
  expedite: anything,
  responderAction: ResponderActionEvent,
  findingUpdated: FindingUpdatedEvent,
} as const;
export type EventName = keyof typeof EVENTS;

/** An activity's input where it arrives: parsed, or a non-retriable `input_invalid` naming the fields. */
export function parseActivityInput<N extends ActivityName>(
  name: N,
  raw: unknown,
): z.output<(typeof ACTIVITIES)[N]['input']> {
  const parsed = ACTIVITIES[name].input.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(ErrorCode.InputInvalid, `${name} input is invalid: ${z.prettifyError(parsed.error)}`, {
      retriable: false,
    });
  }
  return parsed.data as z.output<(typeof ACTIVITIES)[N]['input']>;
}

/** An activity's result where it returns: parsed, or an error naming the activity and the fields. */
export function parseActivityOutput<N extends ActivityName>(name: N, raw: unknown): ActivityOutput<N> {
  const parsed = ACTIVITIES[name].output.safeParse(raw);
  if (!parsed.success) throw new Error(`${name} returned an unexpected result: ${z.prettifyError(parsed.error)}`);
  return parsed.data as ActivityOutput<N>;
}

type Dfx = OrchestrationContext['df'];

/** Schedules an activity (with retries when `retry` is given); its input is checked by the compiler. */
export function activityTask<N extends ActivityName>(
  dfx: Dfx,
  name: N,
  input: ActivityInput<N>,
  retry?: df.RetryOptions,
): Task {
  return retry === undefined ? dfx.callActivity(name, input) : dfx.callActivityWithRetry(name, retry, input);
}

/** Calls an activity and returns its parsed result: `const plan = yield* callActivity(dfx, 'planCycle', …)`. */
export function* callActivity<N extends ActivityName>(
  dfx: Dfx,
  name: N,
  input: ActivityInput<N>,
  retry?: df.RetryOptions,
): Generator<Task, ActivityOutput<N>, unknown> {
  return parseActivityOutput(name, yield activityTask(dfx, name, input, retry));
}

/** An external event's payload, parsed (undefined when it does not match its contract). */
export function parseEvent<E extends EventName>(name: E, raw: unknown): z.output<(typeof EVENTS)[E]> | undefined {
  const parsed = EVENTS[name].safeParse(raw);
  return parsed.success ? (parsed.data as z.output<(typeof EVENTS)[E]>) : undefined;
}
