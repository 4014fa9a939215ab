/**
 * What each configured detection is doing right now, for ops status: whether it is switched off,
 * inert until configured (and what it needs), still learning its baseline (and until when), or
 * judging with everything it needs. Pure: time and coverage come in.
 */
import type { ConfiguredDetection, DetectionStream } from './define';

export type DetectionState = 'disabled' | 'needs-configuration' | 'learning' | 'active';

export interface DetectionStatus {
  id: string;
  title: string;
  state: DetectionState;
  /** One sentence for the operator: what is missing, or what the rule waits for. Null when active. */
  note: string | null;
  /** Days of history the rule's baseline needs (0: it learns nothing). */
  learningDays: number;
  /** Since when the rule's streams have data (ISO), null before any. */
  observingSince: string | null;
  /** When the learning period ends (ISO); null when it learns nothing or has no data yet. */
  learningUntil: string | null;
  /** An unconfirmed vendor wire-format assumption and how to check it, or null. */
  assumes: string | null;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * Since when a detection's streams have data (Unix seconds), or undefined before any: the latest
 * start among the streams that have data, so a baseline spans every stream it reads from (a rule
 * over uplinks and devices judges with whichever has data).
 */
export function coverageSince(
  streams: readonly DetectionStream[],
  coverage: ReadonlyMap<DetectionStream, number> | undefined,
): number | undefined {
  const starts = streams.map((s) => coverage?.get(s)).filter((t): t is number => t !== undefined);
  return starts.length === 0 ? undefined : Math.max(...starts);
}

export function detectionStatus(
  detection: ConfiguredDetection,
  coverage: ReadonlyMap<DetectionStream, number>,
  now: number,
): DetectionStatus {
  const start = coverageSince(detection.detection.streams, coverage);
  const learningDays = detection.learningDays;
  const until = start === undefined || learningDays === 0 ? undefined : start + learningDays * 86_400;
  const base = {
    id: detection.detection.id,
    title: detection.detection.title,
    learningDays,
    observingSince: start === undefined ? null : iso(start),
    learningUntil: until === undefined ? null : iso(until),
    assumes: detection.detection.assumes ?? null,
  };
  if (!detection.enabled) return { ...base, state: 'disabled', note: 'Disabled in SENTRY_DETECTIONS_CONFIG.' };
  if (detection.needs !== undefined)
    return { ...base, state: 'needs-configuration', note: `Does nothing until configured: ${detection.needs}.` };
  if (learningDays > 0 && start === undefined)
    return {
      ...base,
      state: 'learning',
      note: `No data yet; learns for ${String(learningDays)} days from the first (a backfill shortens the wait).`,
    };
  if (until !== undefined && until > now)
    return {
      ...base,
      state: 'learning',
      note: `Learning its baseline until ${iso(until)}; judges with cautious defaults meanwhile (a backfill shortens the wait).`,
    };
  return { ...base, state: 'active', note: null };
}

/** Every configured detection's status, by id. */
export function detectionStatuses(
  detections: readonly ConfiguredDetection[],
  coverage: ReadonlyMap<DetectionStream, number>,
  now: number,
): DetectionStatus[] {
  return detections
    .map((d) => detectionStatus(d, coverage, now))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
