/**
 * Activity `evaluateDetections`, called once per cycle: reads the windows touched since the last
 * evaluation (see evaluation/evaluate-state.ts), applies every enabled detection's threshold step, merges repeats into open findings, saves them, lands them as
 * `SentryFinding_CL` rows, and returns their small summaries (never rows) to the orchestrator.
 *
 * Order matters for retries: findings are saved before they are landed and returned; a retried
 * activity for the same cycle reports (and lands again) what that cycle already saved, so nothing
 * is lost between a crash and the orchestrator seeing the result. Landing is at-least-once: a
 * retry may land the same finding row twice (same EventId and Count).
 */
import type { InvocationContext } from '@azure/functions';

import { type Config, getConfig } from '../config';
import { type EvaluateDetectionsOutput, parseActivityInput } from '../contracts';
import { configuredDetections } from '../detections/config';
import type { ConfiguredDetection } from '../detections/define';
import { type FindingRecord, toFindingRow, toSummary } from '../detections/evaluate';
import { evaluateState } from '../evaluation/evaluate-state';
import type { FindingSummary } from '../detections/observer';
import { ingestionClient } from '../ingestion/client';
import { StreamUploader } from '../ingestion/uploader';
import { type CoverageStore, TableCoverageStore } from '../state/coverage';
import { type EgressStore, TableEgressStore } from '../state/egress';
import { type FindingStore, TableFindingStore } from '../state/findings';
import type { WindowStore } from '../detections/buckets';
import { TableWindowStore } from '../state/windows';
import { type FindingRow, streams } from '../transforms/streams';

export interface EvaluateDetectionsDeps {
  windows: WindowStore;
  findings: FindingStore;
  /** Known egress addresses the detections read and teach (none: they know none). */
  egress?: EgressStore;
  /** How far back each stream's data reaches (none: baselines trust the windows' oldest buckets). */
  coverage?: CoverageStore;
  detections: readonly ConfiguredDetection[];
  /** Lands finding rows (the uploader in production); must throw if any row could not be landed. */
  land(rows: FindingRow[]): Promise<void>;
  log?: (message: string) => void;
  /** Expired buckets/findings deleted per run (default 500). */
  purgeLimit?: number;
}

export async function evaluateDetections(
  raw: unknown,
  deps: EvaluateDetectionsDeps,
): Promise<EvaluateDetectionsOutput> {
  const input = parseActivityInput('evaluateDetections', raw);
  const { cycleId } = input;
  const nowMs = typeof input.now === 'number' ? input.now : Date.parse(input.now);
  const now = Math.floor(nowMs / 1000);

  const { changed, replayed, windows, buckets } = await evaluateState({
    windows: deps.windows,
    findings: deps.findings,
    detections: deps.detections,
    now,
    cycleId,
    full: input.full === true,
    ...(deps.egress === undefined ? {} : { egress: deps.egress }),
    ...(deps.coverage === undefined ? {} : { coverage: deps.coverage }),
  });

  const reported: FindingRecord[] = [...replayed, ...changed];
  const mitre = new Map(deps.detections.map((d) => [d.detection.id, d.detection.mitre] as const));
  if (reported.length > 0) await deps.land(reported.map((r) => toFindingRow(r, mitre.get(r.detectionId) ?? [], now)));

  const limit = deps.purgeLimit ?? 500;
  const purged = (await deps.windows.purgeExpired(now, limit)) + (await deps.findings.purgeExpired(now, limit));
  deps.log?.(
    `evaluateDetections ${cycleId}: ${windows} windows (${buckets} buckets), ${changed.filter((r) => r.isNew).length} new and ` +
      `${changed.filter((r) => !r.isNew).length} grown findings, ${replayed.length} replayed, ${purged} expired entries purged`,
  );
  return {
    reported: reported.length,
    created: changed.filter((r) => r.isNew).length,
    grown: changed.filter((r) => !r.isNew).length,
    windows,
    buckets,
  };
}

/** A finding as dispatch hands it to an incident: its summary, with the id that tells separate findings of one key apart. */
export type ReportedFinding = FindingSummary & { findingId: string };

/**
 * The findings a cycle reported (created, grown, or already reported by an earlier try of the same
 * cycle: their `updatedCycle` is the cycle), oldest first, as incident summaries.
 */
export async function findingsOfCycle(
  store: FindingStore,
  cycleId: string,
  detections: readonly ConfiguredDetection[],
): Promise<ReportedFinding[]> {
  const byId = new Map(detections.map((d) => [d.detection.id, d.detection] as const));
  return (await store.list())
    .map((s) => s.record)
    .filter((r) => r.updatedCycle === cycleId)
    .sort((a, b) => a.firstSeen - b.firstSeen || (a.findingId < b.findingId ? -1 : a.findingId > b.findingId ? 1 : 0))
    .map((r) => ({ ...toSummary(r, byId.get(r.detectionId)), findingId: r.findingId }));
}

/** Production dependencies from the app configuration. */
export function evaluateDetectionsDeps(config: Config, log?: (message: string) => void): EvaluateDetectionsDeps {
  const deps: EvaluateDetectionsDeps = {
    windows: new TableWindowStore(config),
    findings: new TableFindingStore(config),
    egress: new TableEgressStore(config),
    coverage: new TableCoverageStore(config),
    detections: configuredDetections(config.detectionsConfig),
    async land(rows) {
      const uploader = new StreamUploader({
        client: ingestionClient(config),
        dcrImmutableId: config.ingestion.dcrImmutableId,
        stream: streams.finding.stream,
      });
      await uploader.addAll(rows);
      await uploader.flush();
    },
  };
  if (log !== undefined) deps.log = log;
  return deps;
}

/** The registered handler. */
export async function evaluateDetectionsActivity(
  input: unknown,
  context: InvocationContext,
): Promise<EvaluateDetectionsOutput> {
  const config = getConfig();
  return evaluateDetections(
    input,
    evaluateDetectionsDeps(config, (m) => {
      context.log(m);
    }),
  );
}
