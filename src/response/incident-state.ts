/**
 * The incident as a pure state machine: open → acknowledged → closed. The orchestration holds this
 * JSON and changes it only through these functions, so every transition is replay-safe and testable
 * without Durable. Invariants:
 * - which buttons a message shows is a function of the state (`offeredActions`), and a click is only
 *   honoured for an action that is offered right now, so a stale or forged button value does nothing;
 * - an action that succeeded (or was found already done) is never offered again; a failed one stays
 *   offered (labelled "Retry"), so a responder can try again after fixing the cause;
 * - any responder click counts as acknowledgement and stops the escalation timer; automatic actions
 *   do not acknowledge.
 */
import {
  type ActionKind,
  type ActionOutcome,
  type Actor,
  CLOSING_ACTIONS,
  type FindingUpdatedEvent,
  type IncidentFinding,
  type IncidentPolicy,
  isIpv4,
  type Severity,
  severityRank,
  SLACK_USER_ID,
} from './model';

export type IncidentStatus = 'open' | 'acknowledged' | 'closed';
export type Closure = 'falsePositive' | 'benignPositive' | 'snoozed';

export interface ActionRecord {
  kind: ActionKind;
  target?: string | undefined;
  status: ActionOutcome['status'];
  summary: string;
  error?: ActionOutcome['error'];
  at: string;
  by: Actor;
  attempts: number;
}

export type StepKind = ActionKind | 'post' | 'escalate' | 'occurrence';

export interface StepRecord {
  step: number;
  at: string;
  by: Actor;
  kind: StepKind;
  target?: string | undefined;
  status: ActionOutcome['status'] | 'denied';
  summary: string;
}

export interface IncidentState {
  version: 1;
  incidentId: string;
  finding: IncidentFinding;
  policy: IncidentPolicy;
  status: IncidentStatus;
  openedAt: string;
  /** When the incident escalates if nobody acts; absent once acknowledged or escalated. */
  escalateAt?: string | undefined;
  escalatedAt?: string | undefined;
  acknowledged?: { by: Actor; at: string } | undefined;
  closure?: { as: Closure; by: Actor; at: string; until?: string | undefined } | undefined;
  message?: { channel: string; ts: string } | undefined;
  /** Latest record per action key (`kind` or `kind:target`). */
  actions: Record<string, ActionRecord>;
  /** The last few steps, newest last, for the message. */
  recent: StepRecord[];
  /** Steps taken so far; each recorded step gets the next number (the response row's EventId). */
  step: number;
  /** Findings-updated events applied. */
  updates: number;
  /**
   * Other separate findings of the same dedupe key learned while this incident is open (a backfill
   * can find an older one), oldest first. Absent in states carried over from before it existed.
   */
  occurrences?: Occurrence[] | undefined;
}

/** A separate finding of the incident's dedupe key: its own span and numbers, and a little evidence. */
export interface Occurrence {
  findingId: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
  severity?: Severity | undefined;
  title?: string | undefined;
  evidence: { label: string; value: string }[];
}

/**
 * Occurrences an incident keeps. The state crosses orchestration history with every activity call, so
 * the list is bounded; once it is full, further occurrences are not added (the findings stream still
 * has every one), which keeps a repeated event from ever being announced twice.
 */
export const MAX_OCCURRENCES = 20;
const OCCURRENCE_EVIDENCE = 3;
const OCCURRENCE_EVIDENCE_VALUE = 300;

const RECENT_STEPS = 6;

export function actionKey(kind: ActionKind, target?: string): string {
  return target === undefined || target === '' ? kind : `${kind}:${target}`;
}

export function openIncident(finding: IncidentFinding, policy: IncidentPolicy, now: Date): IncidentState {
  return {
    version: 1,
    incidentId: finding.incidentId,
    finding,
    policy,
    status: 'open',
    openedAt: now.toISOString(),
    escalateAt: new Date(now.getTime() + policy.escalateAfterMinutes * 60_000).toISOString(),
    actions: {},
    recent: [],
    step: 0,
    updates: 0,
  };
}

export function withMessage(state: IncidentState, message: { channel: string; ts: string }): IncidentState {
  return { ...state, message };
}

export interface FindingUpdateResult {
  state: IncidentState;
  /** Whether the message needs an update. */
  changed: boolean;
  /** A separate occurrence this update made known for the first time (announce it once). */
  learned?: Occurrence | undefined;
}

/**
 * Whether an update is about another finding than the one the incident shows. Incidents opened before
 * findings had ids: separate findings of a key never share a span, so one wholly before or after the
 * shown finding is another occurrence, anything else is the shown finding's growth.
 */
function isOtherFinding(state: IncidentState, update: FindingUpdatedEvent): boolean {
  const id = update.findingId;
  if (id === undefined) return false;
  if (state.occurrences?.some((o) => o.findingId === id) === true) return true;
  const shown = state.finding.findingId;
  if (shown !== undefined) return id !== shown;
  const first = update.firstSeen ?? update.lastSeen;
  return update.lastSeen < state.finding.firstSeen || first > state.finding.lastSeen;
}

function occurrenceEvidence(evidence: FindingUpdatedEvent['evidence']): Occurrence['evidence'] {
  return (evidence ?? []).slice(0, OCCURRENCE_EVIDENCE).map((e) => ({
    label: e.label.slice(0, 100),
    value: e.value.slice(0, OCCURRENCE_EVIDENCE_VALUE),
  }));
}

function higher(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return severityRank(b) > severityRank(a) ? b : a;
}

/** Adds or grows another occurrence; never touches the shown finding. */
function applyOccurrence(state: IncidentState, id: string, update: FindingUpdatedEvent): FindingUpdateResult {
  const list = state.occurrences ?? [];
  const known = list.find((o) => o.findingId === id);
  if (known === undefined) {
    if (list.length >= MAX_OCCURRENCES) return { state, changed: false };
    const learned: Occurrence = {
      findingId: id,
      firstSeen: update.firstSeen ?? update.lastSeen,
      lastSeen: update.lastSeen,
      count: update.count,
      ...(update.severity === undefined ? {} : { severity: update.severity }),
      ...(update.title === undefined ? {} : { title: update.title }),
      evidence: occurrenceEvidence(update.evidence),
    };
    const occurrences = [...list, learned].sort((a, b) =>
      a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.findingId < b.findingId ? -1 : 1,
    );
    return { state: { ...state, occurrences, updates: state.updates + 1 }, changed: true, learned };
  }
  const grew = update.count > known.count;
  const later = update.lastSeen > known.lastSeen;
  const earlier = update.firstSeen !== undefined && update.firstSeen < known.firstSeen;
  const severity = higher(known.severity, update.severity);
  if (!grew && !later && !earlier && severity === known.severity) return { state, changed: false };
  const next: Occurrence = {
    ...known,
    count: Math.max(known.count, update.count),
    lastSeen: later ? update.lastSeen : known.lastSeen,
    firstSeen: earlier && update.firstSeen !== undefined ? update.firstSeen : known.firstSeen,
    ...(severity === undefined ? {} : { severity }),
    ...(update.title === undefined ? {} : { title: update.title }),
    ...(update.evidence === undefined ? {} : { evidence: occurrenceEvidence(update.evidence) }),
  };
  return {
    state: {
      ...state,
      occurrences: list.map((o) => (o.findingId === id ? next : o)),
      updates: state.updates + 1,
    },
    changed: true,
  };
}

/**
 * Applies a `findingUpdated` event. The shown finding only grows (never shrinks); another finding of
 * the same key becomes (or grows) an entry of `occurrences` and leaves the shown finding's numbers
 * alone. Applying the same event twice changes nothing the second time.
 */
export function applyFindingUpdate(state: IncidentState, update: FindingUpdatedEvent): FindingUpdateResult {
  if (update.findingId !== undefined && isOtherFinding(state, update)) {
    return applyOccurrence(state, update.findingId, update);
  }
  const finding = state.finding;
  // An incident opened before findings had ids learns the id of its finding from its growth.
  const adopted =
    finding.findingId === undefined && update.findingId !== undefined
      ? { ...state, finding: { ...finding, findingId: update.findingId } }
      : state;
  const grew = update.count > finding.count;
  const later = update.lastSeen > finding.lastSeen;
  const severity =
    update.severity !== undefined && severityRank(update.severity) > severityRank(finding.severity)
      ? update.severity
      : finding.severity;
  if (!grew && !later && severity === finding.severity) return { state: adopted, changed: false };
  const next: IncidentFinding = {
    ...adopted.finding,
    count: Math.max(finding.count, update.count),
    lastSeen: later ? update.lastSeen : finding.lastSeen,
    firstSeen:
      update.firstSeen !== undefined && update.firstSeen < finding.firstSeen ? update.firstSeen : finding.firstSeen,
    severity,
    ...(update.title === undefined ? {} : { title: update.title }),
    ...(update.evidence === undefined ? {} : { evidence: update.evidence.slice(0, 20) }),
    ...(update.eventIds === undefined
      ? {}
      : { eventIds: [...new Set([...finding.eventIds, ...update.eventIds])].slice(-20) }),
  };
  return { state: { ...adopted, finding: next, updates: state.updates + 1 }, changed: true };
}

/** Whether an occurrence lies before the finding the incident shows (what a backfill typically finds). */
export function occurrenceIsEarlier(state: IncidentState, occurrence: Occurrence): boolean {
  return occurrence.lastSeen < state.finding.firstSeen;
}

/**
 * What dispatch needs to tell a known, unchanged finding from a new or grown one: the shown finding
 * (when it has an id) and each occurrence as `[findingId, count, lastSeen]`. Published as part of the
 * orchestration's custom status.
 */
export function knownFindings(state: IncidentState): [string, number, string][] {
  const shown: [string, number, string][] =
    state.finding.findingId === undefined
      ? []
      : [[state.finding.findingId, state.finding.count, state.finding.lastSeen]];
  return [
    ...shown,
    ...(state.occurrences ?? []).map((o): [string, number, string] => [o.findingId, o.count, o.lastSeen]),
  ];
}

export interface OfferedAction {
  kind: ActionKind;
  target?: string | undefined;
  label: string;
  style?: 'primary' | 'danger' | undefined;
  confirm?: { title: string; text: string; confirm: string; deny: string } | undefined;
}

/** The Slack user an action on "the user" targets, when the finding names one. */
export function targetUser(state: IncidentState): string | undefined {
  const id = state.finding.context.user?.id;
  return id !== undefined && SLACK_USER_ID.test(id) ? id : undefined;
}

export function targetSession(state: IncidentState): string | undefined {
  const session = state.finding.context.sessionIds?.find((id) => /^\d{1,20}$/.test(id));
  return targetUser(state) === undefined ? undefined : session;
}

export function targetIp(state: IncidentState): string | undefined {
  if (state.finding.context.meraki?.networkId === undefined) return undefined;
  return state.finding.context.ips?.find(isIpv4);
}

export function targetClient(state: IncidentState): string | undefined {
  const meraki = state.finding.context.meraki;
  if (meraki?.networkId === undefined) return undefined;
  return meraki.clientId ?? meraki.clientMac;
}

/** What a snooze allowlists: the finding's subject (or its dedupe key). */
export function snoozeSubject(state: IncidentState): string {
  return state.finding.subject.id;
}

function userLabel(state: IncidentState): string {
  const user = state.finding.context.user;
  return user?.name ?? user?.email ?? user?.id ?? 'this user';
}

function labelFor(state: IncidentState, base: string, kind: ActionKind, target?: string): string {
  return state.actions[actionKey(kind, target)]?.status === 'failed' ? `Retry: ${base}` : base;
}

/** The actions a responder can take now, in button order. */
export function offeredActions(state: IncidentState): OfferedAction[] {
  if (state.status === 'closed') return [];
  const offered: OfferedAction[] = [];
  const done = (kind: ActionKind, target?: string) => {
    const record = state.actions[actionKey(kind, target)];
    return record !== undefined && record.status !== 'failed';
  };
  const offer = (action: OfferedAction) => {
    if (!done(action.kind, action.target)) {
      offered.push({ ...action, label: labelFor(state, action.label, action.kind, action.target) });
    }
  };
  if (state.status === 'open') offer({ kind: 'acknowledge', label: 'Acknowledge', style: 'primary' });
  const user = targetUser(state);
  if (user !== undefined) {
    offer({ kind: 'resetSessions', target: user, label: 'Reset sessions', style: 'danger' });
    const session = targetSession(state);
    if (session !== undefined) offer({ kind: 'invalidateSession', target: session, label: 'Invalidate session' });
    offer({
      kind: 'deactivateUser',
      target: user,
      label: 'Deactivate user',
      style: 'danger',
      confirm: {
        title: 'Deactivate this user?',
        text: `${userLabel(state)} is deactivated across the whole Enterprise organization (SCIM) and signed out everywhere. An org admin can reactivate them.`,
        confirm: 'Deactivate',
        deny: 'Cancel',
      },
    });
  }
  const ip = targetIp(state);
  if (ip !== undefined) {
    offer({
      kind: 'blockIp',
      target: ip,
      label: `Block ${ip} on MX`,
      style: 'danger',
      confirm: {
        title: 'Block this IP on the MX?',
        text: `A deny rule for ${ip} is added to the L3 firewall of network ${state.finding.context.meraki?.networkName ?? state.finding.context.meraki?.networkId ?? ''}.`,
        confirm: 'Block',
        deny: 'Cancel',
      },
    });
  }
  const client = targetClient(state);
  if (client !== undefined) {
    offer({
      kind: 'blockClient',
      target: client,
      label: 'Block client',
      style: 'danger',
      confirm: {
        title: 'Block this client?',
        text: `Client ${client} loses network access on ${state.finding.context.meraki?.networkName ?? state.finding.context.meraki?.networkId ?? 'its network'}.`,
        confirm: 'Block',
        deny: 'Cancel',
      },
    });
  }
  offer({ kind: 'snooze', target: snoozeSubject(state), label: `Snooze ${state.policy.snoozeDays}d` });
  offer({ kind: 'closeFalsePositive', label: 'False positive' });
  offer({ kind: 'closeBenignPositive', label: 'Benign positive' });
  return offered;
}

/** The offered action a click names, or undefined when it is not offered now (stale, done, forged). */
export function findOffered(
  state: IncidentState,
  kind: ActionKind,
  target: string | undefined,
): OfferedAction | undefined {
  return offeredActions(state).find((action) => action.kind === kind && (action.target ?? '') === (target ?? ''));
}

function acknowledgedBy(state: IncidentState, actor: Actor, at: string): IncidentState {
  if (actor.automatic === true || state.status !== 'open') return state;
  return { ...state, status: 'acknowledged', acknowledged: { by: actor, at }, escalateAt: undefined };
}

function pushStep(state: IncidentState, step: Omit<StepRecord, 'step'>, visible = true): IncidentState {
  const record: StepRecord = { ...step, step: state.step + 1 };
  return {
    ...state,
    step: record.step,
    recent: visible ? [...state.recent, record].slice(-RECENT_STEPS) : state.recent,
  };
}

/**
 * Records a step that is not an action outcome (alert posted, escalation, refused or stale click).
 * Invisible steps (refusals) only take a step number: they are landed as rows, not shown in the message.
 */
export function recordStep(
  state: IncidentState,
  step: Omit<StepRecord, 'step'>,
  options: { visible?: boolean } = {},
): IncidentState {
  return pushStep(state, step, options.visible ?? true);
}

/** Applies an action's outcome: the action record, acknowledgement, closure, and a step. */
export function applyOutcome(
  state: IncidentState,
  kind: ActionKind,
  target: string | undefined,
  outcome: ActionOutcome,
  actor: Actor,
  at: string,
): IncidentState {
  const key = actionKey(kind, target);
  const previous = state.actions[key];
  let next: IncidentState = {
    ...state,
    actions: {
      ...state.actions,
      [key]: {
        kind,
        ...(target === undefined ? {} : { target }),
        status: outcome.status,
        summary: outcome.summary,
        ...(outcome.error === undefined ? {} : { error: outcome.error }),
        at,
        by: actor,
        attempts: (previous?.attempts ?? 0) + 1,
      },
    },
  };
  next = acknowledgedBy(next, actor, at);
  if (CLOSING_ACTIONS.includes(kind) && outcome.status !== 'failed') {
    const as: Closure =
      kind === 'closeFalsePositive' ? 'falsePositive' : kind === 'closeBenignPositive' ? 'benignPositive' : 'snoozed';
    const until = typeof outcome.details?.until === 'string' ? outcome.details.until : undefined;
    next = {
      ...next,
      status: 'closed',
      escalateAt: undefined,
      closure: { as, by: actor, at, ...(until === undefined ? {} : { until }) },
    };
  }
  return pushStep(next, { at, by: actor, kind, target, status: outcome.status, summary: outcome.summary });
}

export function markEscalated(state: IncidentState, at: string): IncidentState {
  return { ...state, escalateAt: undefined, escalatedAt: at };
}

export function isClosed(state: IncidentState): boolean {
  return state.status === 'closed';
}

/** The automatic action the policy names, if this incident offers it now. */
export function automaticAction(state: IncidentState): OfferedAction | undefined {
  const kind = state.policy.automaticAction;
  if (kind === undefined) return undefined;
  return offeredActions(state).find((action) => action.kind === kind);
}

export const SENTRY_ACTOR: Actor = { id: 'sentry', name: 'Sentry (automatic)', automatic: true };
