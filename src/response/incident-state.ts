/**
 * The incident as a pure state machine: open → acknowledged → closed. The orchestration holds this
 * JSON and changes it only through these functions, so every transition is replay-safe and testable
 * without Durable. Invariants:
 * - which buttons a message shows is a function of the state (`offeredActions`), and a click is only
 *   honoured for an action that is offered right now, so a stale or forged button value does nothing;
 * - every targeted action aims at a target derived from the finding's entities (targets.ts), never at
 *   "the user of the newest event"; targets found protected (guardrails.ts) are not offered, and the
 *   message says why;
 * - an action that succeeded, was found already done or was refused by a guardrail is never offered
 *   again; a failed one stays offered (labelled "Retry"), so a responder can try again;
 * - any responder click counts as acknowledgement and stops the escalation timer; automatic actions
 *   do not acknowledge. An escalated or acknowledged incident with no activity for the policy's
 *   stale time closes as stale.
 */
import {
  type ActionKind,
  type ActionOutcome,
  type Actor,
  CLOSING_ACTIONS,
  type FindingUpdatedEvent,
  type IncidentFinding,
  type IncidentPolicy,
  type OutcomeStatus,
  type Severity,
} from './model';
import { severityRank } from '../domain/severity';
import { type ActionTarget, offerableTargets, targetKey, type TargetKind } from './targets';

export type IncidentStatus = 'open' | 'acknowledged' | 'closed';
export type Closure = 'falsePositive' | 'benignPositive' | 'snoozed' | 'stale';

export interface ActionRecord {
  kind: ActionKind;
  target?: string | undefined;
  status: OutcomeStatus;
  summary: string;
  error?: ActionOutcome['error'];
  at: string;
  by: Actor;
  attempts: number;
}

export type StepKind = ActionKind | 'post' | 'escalate' | 'occurrence' | 'stale';

export interface StepRecord {
  step: number;
  at: string;
  by: Actor;
  kind: StepKind;
  target?: string | undefined;
  /** How the target is shown (a user name, an IP and its network); outside text, escaped when rendered. */
  targetName?: string | undefined;
  status: OutcomeStatus | 'denied';
  summary: string;
}

/** Why a target is not acted on (a guardrail), as found when the incident opened or an action was refused. */
export interface Protection {
  code: string;
  reason: string;
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
  /** When an escalated or acknowledged incident closes as stale unless something happens. */
  staleAt?: string | undefined;
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
  /** Guardrail refusals by target key (`user:W…`, `ip:…`): such targets get no buttons. */
  protections?: Record<string, Protection> | undefined;
  /** dispatchIncidents' signature over the charter (targets.ts, proofs.ts); absent: nothing can be acted on. */
  grant?: string | undefined;
  /** Proofs of responder events already handled (a replayed event is refused). */
  seenProofs?: string[] | undefined;
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
/** Proofs remembered to refuse replays (each is valid for minutes, so the last few suffice). */
const SEEN_PROOFS = 50;

export function actionKey(kind: ActionKind, target?: string): string {
  return target === undefined || target === '' ? kind : `${kind}:${target}`;
}

export function openIncident(
  finding: IncidentFinding,
  policy: IncidentPolicy,
  now: Date,
  grant?: string,
): IncidentState {
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
    ...(grant === undefined ? {} : { grant }),
  };
}

/** Records the guardrail verdicts on the incident's targets (found when it opened). */
export function withProtections(state: IncidentState, protections: Record<string, Protection>): IncidentState {
  return { ...state, protections: { ...(state.protections ?? {}), ...protections } };
}

/** Whether a responder proof was already handled; remembers it when not (bounded). */
export function rememberProof(state: IncidentState, proof: string): { state: IncidentState; replayed: boolean } {
  const seen = state.seenProofs ?? [];
  if (seen.includes(proof)) return { state, replayed: true };
  return { state: { ...state, seenProofs: [...seen, proof].slice(-SEEN_PROOFS) }, replayed: false };
}

/** Pushes the stale deadline of an escalated or acknowledged incident to `at` + the stale time. */
export function touched(state: IncidentState, at: string): IncidentState {
  if (state.status === 'closed' || (state.escalatedAt === undefined && state.status !== 'acknowledged')) return state;
  return {
    ...state,
    staleAt: new Date(Date.parse(at) + state.policy.staleAfterHours * 3_600_000).toISOString(),
  };
}

/** The next deadline the incident waits for: escalation while open, else going stale. */
export function nextDeadline(state: IncidentState): { at: string; kind: 'escalate' | 'stale' } | undefined {
  if (state.status === 'closed') return undefined;
  if (state.escalateAt !== undefined) return { at: state.escalateAt, kind: 'escalate' };
  if (state.staleAt !== undefined) return { at: state.staleAt, kind: 'stale' };
  return undefined;
}

/** Closes an incident nobody acted on for the stale time. */
export function closeStale(state: IncidentState, at: string): IncidentState {
  return {
    ...state,
    status: 'closed',
    escalateAt: undefined,
    staleAt: undefined,
    closure: { as: 'stale', by: SENTRY_ACTOR, at },
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
  // New parties come with the grant dispatch signed for them; either alone is ignored.
  const recharter = update.entities !== undefined && update.grant !== undefined;
  const next: IncidentFinding = {
    ...adopted.finding,
    ...(recharter && update.entities !== undefined ? { entities: update.entities } : {}),
    ...(update.why === undefined ? {} : { why: update.why }),
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
  return {
    state: {
      ...adopted,
      finding: next,
      updates: state.updates + 1,
      ...(recharter ? { grant: update.grant } : {}),
    },
    changed: true,
  };
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
  /** The target as found in the finding (absent for actions on the incident itself). */
  about?: ActionTarget | undefined;
  label: string;
  style?: 'primary' | 'danger' | undefined;
  confirm?: { title: string; text: string; confirm: string; deny: string } | undefined;
}

/** What a snooze allowlists: the finding's subject (or its dedupe key). */
export function snoozeSubject(state: IncidentState): string {
  return state.finding.subject.id;
}

function labelFor(state: IncidentState, base: string, kind: ActionKind, target?: string): string {
  return state.actions[actionKey(kind, target)]?.status === 'failed' ? `Retry: ${base}` : base;
}

const ROLE_WORDS: Readonly<Record<string, string>> = {
  actor: 'who did it',
  affected: 'the account it was done to',
  sourceIp: 'the source address',
  device: 'the appliance',
  client: 'the client',
};

/** A target as a button shows it: `mohammed.silva (W3JQ1PL2K)`, `198.51.100.7`, at most `max` characters. */
export function targetLabel(target: ActionTarget, max = 48): string {
  if (target.kind === 'ip') return target.id;
  if (target.kind === 'session') {
    const owner = target.name ?? target.of ?? '';
    return `${target.id}${owner === '' ? '' : ` of ${owner.slice(0, Math.max(8, max - target.id.length - 4))}`}`;
  }
  const name = target.name;
  if (name === undefined || name === target.id) return target.id;
  const room = Math.max(8, max - target.id.length - 3);
  const shown = name.length > room ? `${name.slice(0, room - 1)}…` : name;
  return `${shown} (${target.id})`;
}

function networkOf(target: ActionTarget): string {
  return target.network?.networkName ?? target.network?.networkId ?? 'its network';
}

function roleText(target: ActionTarget): string {
  return target.roles.map((r) => ROLE_WORDS[r] ?? r).join(' and ');
}

/** The buttons for one target, named after it. */
function actionsFor(target: ActionTarget): OfferedAction[] {
  const who = targetLabel(target);
  switch (target.kind) {
    case 'user':
      return [
        {
          kind: 'resetSessions',
          target: target.id,
          about: target,
          label: `Reset sessions: ${who}`,
          style: 'danger',
          confirm: {
            title: 'Reset this user’s sessions?',
            text: `${who}, ${roleText(target)} in this finding, is signed out of every Slack session on every device.`,
            confirm: 'Reset sessions',
            deny: 'Cancel',
          },
        },
        {
          kind: 'deactivateUser',
          target: target.id,
          about: target,
          label: `Deactivate ${who}`,
          style: 'danger',
          confirm: {
            title: 'Deactivate this user?',
            text: `${who}, ${roleText(target)} in this finding, is deactivated across the whole Enterprise organization (SCIM) and signed out everywhere. An org admin can reactivate them.`,
            confirm: 'Deactivate',
            deny: 'Cancel',
          },
        },
      ];
    case 'session':
      return [
        {
          kind: 'invalidateSession',
          target: target.id,
          about: target,
          label: `Invalidate session ${who}`,
          confirm: {
            title: 'Invalidate this session?',
            text: `Session ${who} is ended; the user's other sessions stay.`,
            confirm: 'Invalidate',
            deny: 'Cancel',
          },
        },
      ];
    case 'ip':
      return [
        {
          kind: 'blockIp',
          target: target.id,
          about: target,
          label: `Block ${target.id} on ${networkOf(target)}`,
          style: 'danger',
          confirm: {
            title: 'Block this IP on the MX?',
            text: `A deny rule for ${target.id} (${roleText(target)}) is added to the L3 firewall of network ${networkOf(target)}.`,
            confirm: 'Block',
            deny: 'Cancel',
          },
        },
      ];
    case 'client':
      return [
        {
          kind: 'blockClient',
          target: target.id,
          about: target,
          label: `Block client ${who}`,
          style: 'danger',
          confirm: {
            title: 'Block this client?',
            text: `Client ${who} loses network access on ${networkOf(target)}.`,
            confirm: 'Block',
            deny: 'Cancel',
          },
        },
      ];
  }
}

/** Targets left out of the buttons, with the reason (a guardrail, or too many users to offer). */
export function withheldTargets(state: IncidentState): { target: ActionTarget; reason: string }[] {
  const { targets, omittedUsers } = offerableTargets(state.finding);
  const out: { target: ActionTarget; reason: string }[] = [];
  for (const target of targets) {
    const protection = state.protections?.[targetKey(target.kind, target.id)];
    if (protection !== undefined) out.push({ target, reason: protection.reason });
  }
  for (const target of omittedUsers) out.push({ target, reason: 'more suspects than the message offers buttons for' });
  return out;
}

/** The targets that get buttons: offerable and not protected. */
export function actionableTargets(state: IncidentState): ActionTarget[] {
  const protections = state.protections ?? {};
  const { targets } = offerableTargets(state.finding);
  return targets.filter(
    (t) =>
      protections[targetKey(t.kind, t.id)] === undefined &&
      // A session is protected by whatever protects its user.
      (t.kind !== 'session' || protections[targetKey('user', t.of ?? '')] === undefined),
  );
}

/** The actions a responder can take now, in button order. */
export function offeredActions(state: IncidentState): OfferedAction[] {
  if (state.status === 'closed') return [];
  const offered: OfferedAction[] = [];
  const done = (kind: ActionKind, target?: string) => {
    const record = state.actions[actionKey(kind, target)];
    if (record === undefined || record.status === 'failed') return false;
    // The automatic-action limits stop Sentry, not a responder.
    return !(record.status === 'refused' && record.error?.code.startsWith('auto_action') === true);
  };
  const offer = (action: OfferedAction) => {
    if (!done(action.kind, action.target)) {
      offered.push({ ...action, label: labelFor(state, action.label, action.kind, action.target) });
    }
  };
  if (state.status === 'open') offer({ kind: 'acknowledge', label: 'Acknowledge', style: 'primary' });
  for (const target of actionableTargets(state)) for (const action of actionsFor(target)) offer(action);
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

/** Applies an action's outcome: the action record, acknowledgement, closure, protection, and a step. */
export function applyOutcome(
  state: IncidentState,
  action: Pick<OfferedAction, 'kind' | 'target' | 'about'>,
  outcome: ActionOutcome,
  actor: Actor,
  at: string,
): IncidentState {
  const { kind, target } = action;
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
  // A guardrail that refused one action on a target refuses every other one on it too.
  if (outcome.status === 'refused' && action.about !== undefined && outcome.error !== undefined) {
    const about = action.about;
    const targetKind: TargetKind = about.kind === 'session' ? 'user' : about.kind;
    const protectedId = about.kind === 'session' ? (about.of ?? about.id) : about.id;
    if (outcome.error.code.startsWith('guardrail_')) {
      next = withProtections(next, {
        [targetKey(targetKind, protectedId)]: { code: outcome.error.code, reason: outcome.error.message },
      });
    }
  }
  next = acknowledgedBy(next, actor, at);
  next = touched(next, at);
  if (CLOSING_ACTIONS.includes(kind) && outcome.status !== 'failed' && outcome.status !== 'refused') {
    const as: Closure =
      kind === 'closeFalsePositive' ? 'falsePositive' : kind === 'closeBenignPositive' ? 'benignPositive' : 'snoozed';
    const until = typeof outcome.details?.until === 'string' ? outcome.details.until : undefined;
    next = {
      ...next,
      status: 'closed',
      escalateAt: undefined,
      staleAt: undefined,
      closure: { as, by: actor, at, ...(until === undefined ? {} : { until }) },
    };
  }
  return pushStep(next, {
    at,
    by: actor,
    kind,
    target,
    ...(action.about === undefined ? {} : { targetName: targetLabel(action.about, 120) }),
    status: outcome.status,
    summary: outcome.summary,
  });
}

export function markEscalated(state: IncidentState, at: string): IncidentState {
  return touched({ ...state, escalateAt: undefined, escalatedAt: at }, at);
}

export function isClosed(state: IncidentState): boolean {
  return state.status === 'closed';
}

export type AutomaticDecision =
  | { act: OfferedAction }
  | { act: undefined; reason: 'none' | 'no-target' | 'several-targets' | 'too-old'; detail?: string };

/**
 * The automatic action the policy names, when the incident offers it on exactly one target and the
 * finding is recent enough. Several candidate targets (two parties) are left to a responder.
 */
export function automaticAction(state: IncidentState, now: string): AutomaticDecision {
  const kind = state.policy.automaticAction;
  if (kind === undefined) return { act: undefined, reason: 'none' };
  const ageMinutes = (Date.parse(now) - Date.parse(state.finding.lastSeen)) / 60_000;
  if (ageMinutes > state.policy.autoActionMaxAgeMinutes) {
    return {
      act: undefined,
      reason: 'too-old',
      detail: `the finding's newest event is ${Math.round(ageMinutes)} min old (limit ${state.policy.autoActionMaxAgeMinutes} min)`,
    };
  }
  const candidates = offeredActions(state).filter((action) => action.kind === kind);
  const [only] = candidates;
  if (only === undefined) return { act: undefined, reason: 'no-target' };
  if (candidates.length > 1) {
    return {
      act: undefined,
      reason: 'several-targets',
      detail: candidates.map((c) => (c.about === undefined ? (c.target ?? '') : targetLabel(c.about))).join(', '),
    };
  }
  return { act: only };
}

export const SENTRY_ACTOR: Actor = { id: 'sentry', name: 'Sentry (automatic)', automatic: true };
