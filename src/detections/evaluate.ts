/**
 * The threshold half of detection, pure: windows (as read from state) + the open findings →
 * findings to save, land and return. Run once per cycle by the `evaluateDetections` activity.
 *
 * Dedupe: a crossing for a dedupe key whose previous finding's last event lies within the
 * detection's window grows that finding (its count goes up, `isNew: false`); otherwise it starts a
 * new finding. Only items newer than the last event already reported can raise or grow a finding,
 * so evaluating twice over the same state reports nothing the second time. A finding updated by
 * this cycle is reported again when the same cycle is evaluated again (a retried activity), so a
 * crash between saving and returning never loses it.
 */
import { createHash } from 'node:crypto';

import type { JsonValue } from '../transforms/columns';
import { type FindingRow, streams } from '../transforms/streams';
import type { StoredBucket } from '../state/windows';
import type { ConfiguredDetection, ItemState, OverflowState, Severity, Subject, SubjectWindow } from './define';
import type { FindingSummary, FindingContext } from './observer';
import { maxSeverity } from './severity';

/** What the findings store keeps per (detection, dedupe key): the latest finding. */
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
  /** Newest event time already counted: later evaluations only look past it. */
  lastEventT: number;
  subject: { type: string; id: string; name?: string };
  /** The subject window's latest facts (actor email, IP, user agent; device network, model). */
  facts?: Record<string, string>;
  evidence: Record<string, JsonValue>;
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

/** Stable per (detection, dedupe key), as architecture.md names it: `incident-<detection id>-<hash>`. */
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
    { window: SubjectWindow; items: ItemState[]; overflow: OverflowState[]; factsT: number; subjectBucket: number }
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
  }
  const windows: SubjectWindow[] = [];
  for (const g of grouped.values()) {
    g.items.sort((a, b) => a.t - b.t || (a.item < b.item ? -1 : a.item > b.item ? 1 : a.bucket - b.bucket));
    windows.push({ ...g.window, items: g.items, overflow: g.overflow });
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
}

export function evaluateWindows(args: EvaluateArgs): EvaluationResult {
  const byId = new Map(args.detections.filter((d) => d.enabled).map((d) => [d.detection.id, d] as const));
  const previous = new Map(args.findings.map((f) => [recordKey(f.detectionId, f.dedupeKey), f] as const));
  const replayed = args.findings.filter((f) => f.updatedCycle === args.cycleId && byId.has(f.detectionId));
  const changed: FindingRecord[] = [];
  const { windows, earliest } = windowsFrom(args.buckets);
  for (const window of windows) {
    const detection = byId.get(window.detectionId);
    if (detection === undefined) continue;
    const prev = previous.get(recordKey(window.detectionId, window.dedupeKey));
    if (prev?.updatedCycle === args.cycleId) continue;
    const crossing = detection.evaluate(window, {
      now: args.now,
      since: prev?.lastEventT,
      earliestBucket: args.earliest?.get(window.detectionId) ?? earliest.get(window.detectionId),
    });
    if (crossing === null || (prev !== undefined && crossing.newItems === 0)) continue;
    const shown = detection.present(crossing, window);
    const lastEventT = Math.max(
      prev?.lastEventT ?? -Infinity,
      ...crossing.items.map((i) => Math.max(i.t, i.tMax)),
      crossing.lastSeen,
    );
    const eventIds = crossing.items.slice(-EVENT_ID_SAMPLE).map((i) => i.item);
    const sourceOrg = window.facts.org ?? prev?.sourceOrg ?? 'sentry';
    const expiresAt = Math.max(args.now, lastEventT) + detection.retentionSeconds + HOLD_AFTER_SECONDS;
    const grows = prev !== undefined && crossing.firstSeen <= prev.lastEventT + detection.windowSeconds;
    if (grows) {
      changed.push({
        ...prev,
        severity: maxSeverity([prev.severity, shown.severity], shown.severity),
        title: shown.title,
        count: Math.max(prev.count + crossing.newItems, crossing.count),
        lastSeen: Math.max(prev.lastSeen, crossing.lastSeen),
        lastEventT,
        subject: { ...window.subject },
        facts: { ...window.facts },
        evidence: shown.evidence,
        eventIds,
        sourceOrg,
        updatedCycle: args.cycleId,
        isNew: false,
        expiresAt,
      });
    } else {
      changed.push({
        detectionId: window.detectionId,
        dedupeKey: window.dedupeKey,
        findingId: `${window.detectionId}:${hash(window.dedupeKey)}:${crossing.firstSeen}`,
        incidentId: incidentIdFor(window.detectionId, window.dedupeKey),
        severity: shown.severity,
        title: shown.title,
        count: crossing.count,
        firstSeen: crossing.firstSeen,
        lastSeen: crossing.lastSeen,
        lastEventT,
        subject: { ...window.subject },
        facts: { ...window.facts },
        evidence: shown.evidence,
        eventIds,
        sourceOrg,
        createdCycle: args.cycleId,
        updatedCycle: args.cycleId,
        isNew: true,
        expiresAt,
      });
    }
  }
  return { changed, replayed };
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
  const userId = facts.actorId ?? (r.subject.type === 'user' ? r.subject.id : undefined);
  if (userId !== undefined) {
    context.user = { id: userId };
    const name = facts.actorName ?? (r.subject.type === 'user' ? r.subject.name : undefined);
    if (name !== undefined) context.user.name = name;
    if (facts.actorEmail !== undefined) context.user.email = facts.actorEmail;
  }
  const ip = facts.ip ?? (r.subject.type === 'ip' ? r.subject.id : undefined);
  if (ip !== undefined) context.ips = [ip];
  if (facts.userAgent !== undefined) context.userAgents = [facts.userAgent];
  if (facts.sessionId !== undefined) context.sessionIds = [facts.sessionId];
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
    context: findingContext(r),
    evidence: boundedEvidence(r.evidence),
    eventIds: r.eventIds.slice(-SUMMARY_EVENT_IDS),
  };
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
