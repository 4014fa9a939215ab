/**
 * The threshold half of detection, pure: windows (as read from state) + the open findings →
 * findings to save, land and return. Run once per cycle by the `evaluateDetections` activity.
 *
 * Dedupe: a dedupe key keeps one finding per separate incident, each covering a span of time
 * already judged. A crossing within the detection's window of a finding's span grows it (its count
 * goes up, `isNew: false`); one clear of every span (an older incident a backfill brought in, or a
 * later one) starts a new finding. Only what lies outside every span can raise or grow a finding,
 * so evaluating twice over the same state reports nothing the second time (see `judgeWindow`). A
 * finding updated by this cycle is reported again when the same cycle is evaluated again (a
 * retried activity), so a crash between saving and returning never loses it.
 */
import { createHash } from 'node:crypto';

import type { JsonValue } from '../transforms/columns';
import { type FindingRow, streams } from '../transforms/streams';
import type { StoredBucket } from './buckets';
import { EvaluationContext } from './context';
import type {
  ConfiguredDetection,
  Crossing,
  DetectionContext,
  DetectionStream,
  EvaluateEnv,
  ItemState,
  OverflowState,
  PartyState,
  Presentation,
  Severity,
  Subject,
  SubjectWindow,
} from './define';
import { type EntityRole, type FindingEntity, mergeEntities, ROLE_TYPES } from './entities';
import type { FindingSummary, FindingContext } from './observer';
import { evidenceFacts } from './evidence';
import { maxSeverity } from '../domain/severity';
import { coverageSince } from './status';

/** What the findings store keeps per finding; a (detection, dedupe key) has one per separate incident. */
export interface FindingRecord {
  detectionId: string;
  dedupeKey: string;
  findingId: string;
  incidentId: string;
  severity: Severity;
  title: string;
  count: number;
  /** Unix seconds. */
  firstSeen: number;
  lastSeen: number;
  /**
   * Newest event time counted. [firstSeen, lastEventT] is the finding's span: what lies inside has
   * been judged; a dedupe key's findings have disjoint spans.
   */
  lastEventT: number;
  /**
   * Distinct window items inside the span when the finding was last saved: more there later means
   * evidence arrived inside an incident already reported (a backfill), which grows its count.
   * Absent on records saved before it existed.
   */
  coveredItems?: number;
  subject: { type: string; id: string; name?: string };
  /** The subject window's latest facts (actor email, IP, user agent; device network, model). */
  facts?: Record<string, string>;
  evidence: Record<string, JsonValue>;
  /** One sentence: why the detection fired (absent on records saved before it existed). */
  why?: string;
  /**
   * Who the finding is about, by role, with the detection's stance (entities.ts): the only source of
   * response targets. Absent on records saved before entities existed (no target then).
   */
  entities?: FindingEntity[];
  eventIds: string[];
  sourceOrg: string;
  createdCycle: string;
  updatedCycle: string;
  /** Whether the update in `updatedCycle` created the finding. */
  isNew: boolean;
  /** Unix seconds after which the record may be deleted. */
  expiresAt: number;
}

export interface EvaluationResult {
  /** Records created or grown by this cycle (to save, land and report). */
  changed: FindingRecord[];
  /** Records this cycle had already changed before (a retried evaluation): land and report again. */
  replayed: FindingRecord[];
}

const HOLD_AFTER_SECONDS = 7 * 86_400;
const EVENT_ID_SAMPLE = 50;

function hash(text: string, chars = 16): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, chars);
}

/** Stable per (detection, dedupe key): `incident-<detection id>-<hash>` (docs/reference/azure.md, "Durable instance ids"). */
export function incidentIdFor(detectionId: string, dedupeKey: string): string {
  return `incident-${detectionId}-${hash(dedupeKey)}`;
}

export function recordKey(detectionId: string, dedupeKey: string): string {
  return `${detectionId}\u0000${dedupeKey}`;
}

/** Groups stored buckets into one window per (detection, dedupe key). */
export function windowsFrom(buckets: readonly StoredBucket[]): {
  windows: SubjectWindow[];
  earliest: Map<string, number>;
} {
  const grouped = new Map<
    string,
    {
      window: SubjectWindow;
      items: ItemState[];
      overflow: OverflowState[];
      parties: PartyState[];
      factsT: number;
      subjectBucket: number;
    }
  >();
  const earliest = new Map<string, number>();
  for (const b of buckets) {
    earliest.set(b.detectionId, Math.min(earliest.get(b.detectionId) ?? Infinity, b.bucket));
    const key = recordKey(b.detectionId, b.dedupeKey);
    const subject = b.subject as Subject;
    const g = grouped.get(key) ?? {
      window: { detectionId: b.detectionId, dedupeKey: b.dedupeKey, subject, facts: {}, items: [], overflow: [] },
      items: [],
      overflow: [],
      parties: [],
      factsT: -Infinity,
      subjectBucket: -Infinity,
    };
    grouped.set(key, g);
    if (b.bucket > g.subjectBucket) {
      g.subjectBucket = b.bucket;
      g.window.subject = subject;
    }
    if (b.facts !== undefined && b.facts.t >= g.factsT) {
      g.factsT = b.facts.t;
      g.window.facts = b.facts.values;
    }
    for (const [item, times] of Object.entries(b.items)) {
      const state: ItemState = { item, t: times[0], tMax: times[1], bucket: b.bucket };
      if (times[2] !== undefined) state.label = times[2];
      g.items.push(state);
    }
    if (b.overflowEstimate > 0)
      g.overflow.push({ bucket: b.bucket, bucketEnd: b.bucket + b.bucketSeconds, estimate: b.overflowEstimate });
    for (const [key, [t, tMax, d]] of Object.entries(b.parties ?? {})) {
      const bar = key.indexOf('|');
      const role = key.slice(0, bar) as EntityRole;
      if (!(role in ROLE_TYPES)) continue;
      const party: PartyState = { role, id: key.slice(bar + 1), t, tMax };
      if (d.n !== undefined) party.name = d.n;
      if (d.e !== undefined) party.email = d.e;
      if (d.s !== undefined && d.s.length > 0) party.sessions = [...d.s];
      if (d.o !== undefined || d.w !== undefined || d.wn !== undefined) {
        party.network = {
          ...(d.o === undefined ? {} : { organizationId: d.o }),
          ...(d.w === undefined ? {} : { networkId: d.w }),
          ...(d.wn === undefined ? {} : { networkName: d.wn }),
        };
      }
      g.parties.push(party);
    }
  }
  const windows: SubjectWindow[] = [];
  for (const g of grouped.values()) {
    g.items.sort((a, b) => a.t - b.t || (a.item < b.item ? -1 : a.item > b.item ? 1 : a.bucket - b.bucket));
    windows.push({ ...g.window, items: g.items, overflow: g.overflow, parties: g.parties });
  }
  windows.sort((a, b) =>
    a.detectionId < b.detectionId ? -1 : a.detectionId > b.detectionId ? 1 : a.dedupeKey < b.dedupeKey ? -1 : 1,
  );
  return { windows, earliest };
}

export interface EvaluateArgs {
  detections: readonly ConfiguredDetection[];
  buckets: readonly StoredBucket[];
  findings: readonly FindingRecord[];
  /** Unix seconds. */
  now: number;
  cycleId: string;
  /**
   * Per detection, its oldest live bucket when `buckets` holds only some windows (the dirty ones);
   * without it, the oldest of `buckets` is used.
   */
  earliest?: ReadonlyMap<string, number>;
  /** Per stream, how far back its data reaches (the coverage store); see `EvaluateEnv.observingSince`. */
  coverage?: ReadonlyMap<DetectionStream, number>;
  /**
   * What detections know beyond their windows; it learns from this evaluation (egress facts, new
   * findings). Default: one built from `findings` alone.
   */
  context?: EvaluationContext;
}

/**
 * The order detections are judged in: those that teach (learn) first, then the ones other rules
 * fold into, then those that fold into others; within a rank by id.
 */
export function judgingOrder(detections: readonly ConfiguredDetection[]): ConfiguredDetection[] {
  const rank = (d: ConfiguredDetection): number => (d.learns ? 0 : d.detection.foldsInto.length === 0 ? 1 : 2);
  return [...detections].sort(
    (a, b) => rank(a) - rank(b) || (a.detection.id < b.detection.id ? -1 : a.detection.id > b.detection.id ? 1 : 0),
  );
}

function envOf(
  detection: ConfiguredDetection,
  args: Pick<EvaluateArgs, 'now' | 'earliest' | 'coverage'>,
  earliest: ReadonlyMap<string, number>,
  context: DetectionContext,
): EvaluateEnv {
  return { now: args.now, since: undefined, observingSince: observingSince(detection, args, earliest), context };
}

/**
 * Since when a detection has seen its data: its streams' coverage (status.ts `coverageSince`);
 * without coverage, its oldest live bucket (never earlier than what it saw, so a baseline is
 * never trusted early).
 */
export function observingSince(
  detection: ConfiguredDetection,
  args: Pick<EvaluateArgs, 'earliest' | 'coverage'>,
  earliest: ReadonlyMap<string, number> = new Map(),
): number | undefined {
  return (
    coverageSince(detection.detection.streams, args.coverage) ??
    args.earliest?.get(detection.detection.id) ??
    earliest.get(detection.detection.id)
  );
}

/**
 * The learning pass: every window of the detections that learn teaches the context (before any of
 * them is judged, so a judgment sees what the others taught). Returns what was learned.
 */
export function learnWindows(
  args: Omit<EvaluateArgs, 'findings' | 'cycleId'> & { context: EvaluationContext },
): number {
  const byId = new Map(args.detections.filter((d) => d.enabled && d.learns).map((d) => [d.detection.id, d] as const));
  const { windows, earliest } = windowsFrom(args.buckets);
  let learned = 0;
  for (const window of windows) {
    const detection = byId.get(window.detectionId);
    if (detection === undefined) continue;
    for (const fact of detection.learn(window, envOf(detection, args, earliest, args.context))) {
      args.context.remember(fact.egress);
      learned += 1;
    }
  }
  return learned;
}

/** Findings this cycle had already saved (a retried evaluation), minus those it changes again now. */
export function replayedOf(
  findings: readonly FindingRecord[],
  cycleId: string,
  enabled: ReadonlySet<string>,
  changed: readonly FindingRecord[],
): FindingRecord[] {
  const again = new Set(changed.map((r) => r.findingId));
  return findings.filter((f) => f.updatedCycle === cycleId && enabled.has(f.detectionId) && !again.has(f.findingId));
}

export function evaluateWindows(args: EvaluateArgs): EvaluationResult {
  const enabled = judgingOrder(args.detections.filter((d) => d.enabled));
  const context = args.context ?? new EvaluationContext([], args.findings);
  const previous = new Map<string, FindingRecord[]>();
  for (const f of args.findings) {
    const key = recordKey(f.detectionId, f.dedupeKey);
    previous.set(key, [...(previous.get(key) ?? []), f]);
  }
  const changed: FindingRecord[] = [];
  const { windows, earliest } = windowsFrom(args.buckets);
  const byDetection = new Map<string, SubjectWindow[]>();
  for (const w of windows) byDetection.set(w.detectionId, [...(byDetection.get(w.detectionId) ?? []), w]);
  if (args.context === undefined) learnWindows({ ...args, context });
  for (const detection of enabled) {
    const env = envOf(detection, args, earliest, context);
    const raised: FindingRecord[] = [];
    for (const window of byDetection.get(detection.detection.id) ?? []) {
      raised.push(
        ...judgeWindow(detection, window, previous.get(recordKey(window.detectionId, window.dedupeKey)) ?? [], {
          now: args.now,
          cycleId: args.cycleId,
          observingSince: env.observingSince,
          context,
        }),
      );
    }
    // What this detection raised may explain the items of the ones judged after it.
    context.addFindings(raised);
    changed.push(...raised);
  }
  return {
    changed,
    replayed: replayedOf(args.findings, args.cycleId, new Set(enabled.map((d) => d.detection.id)), changed),
  };
}

/** Safety net: crossings judged per window and evaluation (each one covers new items, so far fewer happen). */
const MAX_CROSSINGS_PER_WINDOW = 200;

/** Distinct items of a window whose first time lies in [from, to] (items sorted by time). */
function itemsWithin(items: readonly ItemState[], from: number, to: number): number {
  const seen = new Set<string>();
  for (const item of items.slice(lowerBound(items, from), upperBound(items, to))) seen.add(item.item);
  return seen.size;
}

/** First index whose item time is > t. */
function upperBound(items: readonly ItemState[], t: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((items[mid]?.t ?? Infinity) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose item time is >= t. */
function lowerBound(items: readonly ItemState[], t: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((items[mid]?.t ?? Infinity) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The newest time of what has not been judged in the open interval (lo, hi) — an item, or the end
 * of an overflow bucket — or undefined when there is none.
 */
function newestUnjudged(window: SubjectWindow, lo: number, hi: number): number | undefined {
  let newest: number | undefined;
  for (const i of window.items) {
    if (i.t >= hi) break;
    const reach = Math.max(i.t, i.tMax);
    if (reach > lo) newest = Math.max(newest ?? -Infinity, Math.min(reach, hi));
  }
  for (const o of window.overflow) {
    if (o.bucket < hi && o.bucketEnd - 1 > lo) newest = Math.max(newest ?? -Infinity, Math.min(o.bucketEnd - 1, hi));
  }
  return newest;
}

/**
 * One window against its findings. The findings of a dedupe key cover disjoint spans
 * [firstSeen, lastEventT]: everything inside a span has been judged and reported. The open gaps
 * between spans (and before the first and after the last) are judged one by one, with `since` at the
 * gap's start: the detection sees the window's items up to a window past the gap's newest item (and
 * no further than the next finding's span), so every window it can pick holds something of the gap.
 * A crossing then
 * - grows the finding before the gap when it starts within the detection's window of its last
 *   event (the live case: a burst that goes on),
 * - else grows the finding after the gap when it ends within the window before its first event
 *   (backfilled evidence just ahead of a known incident),
 * - else is a separate incident: a new finding, even when the key already has newer ones.
 * The spans grow to cover what the crossing brought, and the gaps are judged again until none
 * crosses, so a second evaluation of the same state finds nothing. Items that arrive later inside
 * a span (a backfill of a period already judged) grow that finding's count by how many distinct
 * items its span now holds beyond what it held when saved (`coveredItems`).
 */
function judgeWindow(
  detection: ConfiguredDetection,
  window: SubjectWindow,
  prior: readonly FindingRecord[],
  env: JudgeEnv,
): FindingRecord[] {
  const findings = prior.map((f) => ({ ...f })).sort((a, b) => a.firstSeen - b.firstSeen);
  const touched = new Set<FindingRecord>();
  for (const f of findings) if (countLateItems(f, window)) touched.add(f);

  const exhausted = new Set<string>();
  for (let round = 0; round < MAX_CROSSINGS_PER_WINDOW; round++) {
    let progressed = false;
    // Newest gap first: the live one, whose crossings grow the newest finding.
    for (let g = findings.length; g >= 0 && !progressed; g--) {
      const gap: Gap = { before: findings[g - 1], after: findings[g] };
      const key = gapKey(gap);
      const found = exhausted.has(key) ? undefined : crossGap(detection, window, gap, env);
      if (found === undefined) {
        exhausted.add(key);
        continue;
      }
      progressed = true;
      const { before, after } = gap;
      if (before !== undefined && found.crossing.firstSeen <= before.lastEventT + detection.windowSeconds) {
        growLive(before, found, window);
        touched.add(before);
      } else if (after !== undefined && found.lastSeen >= after.firstSeen - detection.windowSeconds) {
        growEarlier(after, found);
        touched.add(after);
      } else {
        const created = newFinding(detection, window, found, env);
        findings.splice(g, 0, created);
        touched.add(created);
      }
    }
    if (!progressed) break;
  }
  return findings.filter((f) => touched.has(f)).map((f) => settled(f, detection, window, env));
}

interface JudgeEnv {
  now: number;
  cycleId: string;
  observingSince: number | undefined;
  context: DetectionContext;
}

/** The open interval between two findings of a key (either may be absent). */
interface Gap {
  before: FindingRecord | undefined;
  after: FindingRecord | undefined;
}

function gapKey({ before, after }: Gap): string {
  return `${String(before?.lastEventT ?? -Infinity)}|${String(after?.firstSeen ?? Infinity)}|${String(after?.lastEventT)}`;
}

/** A crossing and what it brings into its gap. */
interface GapCrossing {
  crossing: Crossing;
  shown: Presentation;
  /** Items counted that are new to the gap (items of the incident after it are context). */
  newItems: number;
  /** Earliest and latest times the crossing brings strictly inside the gap. */
  first: number;
  last: number;
  firstSeen: number;
  lastSeen: number;
  eventIds: string[];
  entities: FindingEntity[];
}

/**
 * Items that arrived later inside a finding's span (a backfill of a period already judged): the
 * finding's count grows by how many distinct items its span holds beyond what it held when saved.
 */
function countLateItems(f: FindingRecord, window: SubjectWindow): boolean {
  if (f.coveredItems === undefined) return false;
  const now = itemsWithin(window.items, f.firstSeen, f.lastEventT);
  if (now <= f.coveredItems) return false;
  f.count += now - f.coveredItems;
  return true;
}

/**
 * What the detection sees when judging a gap before a finding: the window's items up to a window
 * past the gap's newest item and no further than the finding's last event, so a crossing may count
 * that incident's items as context while every window it can pick still holds an item of the gap.
 */
function viewOfGap(
  window: SubjectWindow,
  newest: number,
  windowSeconds: number,
  after: FindingRecord | undefined,
): SubjectWindow {
  if (after === undefined) return window;
  const end = Math.min(newest + windowSeconds, after.lastEventT);
  return {
    ...window,
    items: window.items.slice(
      0,
      Math.min(lowerBound(window.items, newest + windowSeconds), upperBound(window.items, after.lastEventT)),
    ),
    overflow: window.overflow.filter((o) => o.bucket < end),
  };
}

/** Judges one gap: the crossing that brings something into it, or undefined when none does. */
function crossGap(
  detection: ConfiguredDetection,
  window: SubjectWindow,
  { before, after }: Gap,
  env: JudgeEnv,
): GapCrossing | undefined {
  const lo = before?.lastEventT ?? -Infinity;
  const hi = after?.firstSeen ?? Infinity;
  const newest = lo >= hi ? undefined : newestUnjudged(window, lo, hi);
  if (newest === undefined) return undefined;
  const view = viewOfGap(window, newest, detection.windowSeconds, after);
  const crossing = detection.evaluate(view, {
    now: env.now,
    since: before?.lastEventT,
    observingSince: env.observingSince,
    context: env.context,
  });
  if (crossing === null || crossing.newItems === 0) return undefined;
  // What the crossing brings into the gap: times of its items (and its edges) strictly inside.
  const inGap = crossing.items
    .flatMap((i) => [i.t, i.tMax])
    .concat([crossing.firstSeen, crossing.lastSeen])
    .filter((t) => t > lo && t < hi);
  if (inGap.length === 0) return undefined;
  const gapItems = crossing.items.filter((i) => i.t > lo && i.t < hi);
  const first = Math.min(...inGap);
  const last = Math.max(...inGap);
  const firstSeen = crossing.firstSeen > lo ? crossing.firstSeen : first;
  const lastSeen = crossing.lastSeen < hi ? crossing.lastSeen : last;
  return {
    crossing,
    shown: detection.present(crossing, view),
    newItems: after === undefined ? crossing.newItems : Math.min(crossing.newItems, gapItems.length),
    first,
    last,
    firstSeen,
    lastSeen,
    eventIds: gapItems.slice(-EVENT_ID_SAMPLE).map((i) => i.item),
    entities: entitiesOf(detection, window, firstSeen, lastSeen),
  };
}

/** The live case: a burst that goes on grows the finding before the gap, and what it shows. */
function growLive(before: FindingRecord, found: GapCrossing, window: SubjectWindow): void {
  const { shown, eventIds } = found;
  Object.assign(before, {
    severity: maxSeverity([before.severity, shown.severity], shown.severity),
    title: shown.title,
    count: Math.max(before.count + found.newItems, found.crossing.count),
    lastSeen: Math.max(before.lastSeen, found.lastSeen),
    lastEventT: Math.max(before.lastEventT, found.last),
    subject: { ...window.subject },
    facts: { ...window.facts },
    evidence: shown.evidence,
    why: shown.why,
    entities: mergeEntities(before.entities ?? [], found.entities),
    eventIds: [...before.eventIds.filter((id) => !eventIds.includes(id)), ...eventIds].slice(-EVENT_ID_SAMPLE),
    sourceOrg: window.facts.org ?? before.sourceOrg,
  });
}

/** Older evidence of a known incident: the count and the start move, what it shows stays. */
function growEarlier(after: FindingRecord, found: GapCrossing): void {
  Object.assign(after, {
    severity: maxSeverity([after.severity, found.shown.severity], found.shown.severity),
    count: Math.max(after.count + found.newItems, found.crossing.count),
    firstSeen: Math.min(after.firstSeen, found.firstSeen),
    entities: mergeEntities(after.entities ?? [], found.entities),
    eventIds: [...found.eventIds.filter((id) => !after.eventIds.includes(id)), ...after.eventIds].slice(
      -EVENT_ID_SAMPLE,
    ),
  });
}

/** A separate incident: a new finding, even when the key already has newer ones. */
function newFinding(
  detection: ConfiguredDetection,
  window: SubjectWindow,
  found: GapCrossing,
  env: JudgeEnv,
): FindingRecord {
  const { shown, firstSeen } = found;
  return {
    detectionId: window.detectionId,
    dedupeKey: window.dedupeKey,
    findingId: `${window.detectionId}:${hash(window.dedupeKey)}:${String(firstSeen)}`,
    incidentId: incidentIdFor(window.detectionId, window.dedupeKey),
    severity: shown.severity,
    title: shown.title,
    count: found.crossing.count,
    firstSeen,
    lastSeen: found.lastSeen,
    lastEventT: found.last,
    subject: { ...window.subject },
    facts: { ...window.facts },
    evidence: shown.evidence,
    why: shown.why,
    entities: found.entities,
    eventIds: found.eventIds,
    sourceOrg: window.facts.org ?? 'sentry',
    createdCycle: env.cycleId,
    updatedCycle: env.cycleId,
    isNew: true,
    expiresAt: expiryOf(detection, env.now, found.last),
  };
}

/** When a finding's record may go: a retention past its last event (or now), plus the hold. */
function expiryOf(detection: ConfiguredDetection, now: number, lastEventT: number): number {
  return Math.max(now, lastEventT) + detection.retentionSeconds + HOLD_AFTER_SECONDS;
}

/** A touched finding as saved: what its span covers now, this cycle, and its expiry. */
function settled(
  f: FindingRecord,
  detection: ConfiguredDetection,
  window: SubjectWindow,
  env: JudgeEnv,
): FindingRecord {
  return {
    ...f,
    coveredItems: itemsWithin(window.items, f.firstSeen, f.lastEventT),
    updatedCycle: env.cycleId,
    // A retried cycle that grows what its first attempt created still reports it as new.
    isNew: f.createdCycle === env.cycleId,
    expiresAt: Math.max(f.expiresAt, expiryOf(detection, env.now, f.lastEventT)),
  };
}

/**
 * The window's parties seen within [from, to] (a finding's span), as entities with the stance the
 * detection declares for their role. Party times are per bucket, so a party is only taken from the
 * buckets where it was actually seen overlapping the span.
 */
export function entitiesOf(
  detection: Pick<ConfiguredDetection, 'detection'>,
  window: Pick<SubjectWindow, 'parties'>,
  from: number,
  to: number,
): FindingEntity[] {
  const declared = detection.detection.entities;
  const list: FindingEntity[] = [];
  for (const p of window.parties ?? []) {
    const stance = declared[p.role];
    if (stance === undefined || p.t > to || p.tMax < from) continue;
    const entity: FindingEntity = {
      role: p.role,
      type: ROLE_TYPES[p.role],
      stance,
      id: p.id,
      firstSeen: Math.max(p.t, from),
      lastSeen: Math.min(p.tMax, to),
    };
    if (p.name !== undefined) entity.name = p.name;
    if (p.email !== undefined) entity.email = p.email;
    if (p.sessions !== undefined && p.sessions.length > 0) entity.sessions = [...p.sessions];
    if (p.network !== undefined) entity.network = { ...p.network };
    list.push(entity);
  }
  return mergeEntities([], list);
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

const SUMMARY_EVIDENCE_CHARS = 2_000;
const SUMMARY_EVENT_IDS = 10;

/** Evidence entries in order while their JSON stays under the budget (the summary crosses orchestration history). */
function boundedEvidence(evidence: Record<string, JsonValue>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  let size = 2;
  for (const [key, value] of Object.entries(evidence)) {
    const entry = JSON.stringify({ [key]: value }).length;
    if (size + entry > SUMMARY_EVIDENCE_CHARS) continue;
    out[key] = value;
    size += entry;
  }
  return out;
}

/** Who / what / where from the facts the detection recorded on the subject's window. */
export function findingContext(
  r: Pick<FindingRecord, 'subject' | 'facts' | 'sourceOrg' | 'detectionId'>,
): FindingContext {
  const facts = r.facts ?? {};
  const context: FindingContext = {
    org: r.sourceOrg,
    source: r.detectionId.startsWith('meraki.') ? 'meraki' : 'slackAudit',
  };
  const ip = facts.ip ?? (r.subject.type === 'ip' ? r.subject.id : undefined);
  if (ip !== undefined) context.ips = [ip];
  if (facts.userAgent !== undefined) context.userAgents = [facts.userAgent];
  if (facts.action !== undefined) context.actions = [facts.action];
  if (r.subject.type === 'device' || facts.networkId !== undefined) {
    const meraki: NonNullable<FindingContext['meraki']> = {};
    if (facts.networkId !== undefined) meraki.networkId = facts.networkId;
    if (facts.networkName !== undefined) meraki.networkName = facts.networkName;
    if (facts.model !== undefined) meraki.deviceModel = facts.model;
    if (r.subject.type === 'device') {
      meraki.deviceSerial = r.subject.id;
      if (r.subject.name !== undefined) meraki.deviceName = r.subject.name;
    }
    context.meraki = meraki;
  }
  return context;
}

export function toSummary(r: FindingRecord, detection?: { title: string; mitre: readonly string[] }): FindingSummary {
  const summary: FindingSummary = {
    detectionId: r.detectionId,
    dedupeKey: r.dedupeKey,
    incidentId: r.incidentId,
    severity: r.severity,
    title: r.title.slice(0, 300),
    count: r.count,
    firstSeen: iso(r.firstSeen),
    lastSeen: iso(r.lastSeen),
    isNew: r.isNew,
    subject: { ...r.subject },
    entities: (r.entities ?? []).map((e) => ({ ...e })),
    context: findingContext(r),
    evidence: evidenceFacts(boundedEvidence(r.evidence)),
    eventIds: r.eventIds.slice(-SUMMARY_EVENT_IDS),
  };
  if (r.why !== undefined) summary.why = r.why;
  if (detection !== undefined) {
    summary.detectionTitle = detection.title;
    summary.mitre = detection.mitre.slice(0, 10);
  }
  return summary;
}

/** The `SentryFinding_CL` row of a finding; evidence is shrunk until the row fits its column caps. */
export function toFindingRow(r: FindingRecord, mitre: readonly string[], now: number): FindingRow {
  const base: FindingRow = {
    TimeGenerated: iso(now),
    EventId: r.findingId.slice(0, 256),
    SourceOrg: r.sourceOrg.slice(0, 256),
    DetectionId: r.detectionId,
    FindingTitle: r.title.slice(0, 4000),
    Severity: r.severity,
    DedupeKey: r.dedupeKey.slice(0, 1000),
    SubjectType: r.subject.type,
    SubjectId: r.subject.id.slice(0, 256),
    Count: r.count,
    WindowStart: iso(r.firstSeen),
    WindowEnd: iso(r.lastSeen),
    IncidentId: r.incidentId.slice(0, 256),
    Tactics: [...mitre],
  };
  if (r.subject.name !== undefined) base.SubjectName = r.subject.name.slice(0, 1000);
  for (const sample of [EVENT_ID_SAMPLE, 10, 0]) {
    const row: FindingRow = { ...base };
    if (sample > 0 && r.eventIds.length > 0) row.EventIds = r.eventIds.slice(-sample);
    row.Context = sample === EVENT_ID_SAMPLE ? r.evidence : shrinkEvidence(r.evidence, sample);
    if (streams.finding.schema.safeParse(row).success) return row;
  }
  return base;
}

function shrinkEvidence(evidence: Record<string, JsonValue>, keep: number): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(evidence)) {
    if (Array.isArray(value)) out[key] = value.slice(-keep);
    else if (typeof value === 'string') out[key] = value.slice(0, 512);
    else out[key] = value;
  }
  return out;
}
