/**
 * One evaluation over stored state, proportional to what changed: only the windows the observers
 * marked dirty since the last evaluation are read and judged (`full` reads every live window, e.g.
 * after the detections configuration changed). Every rule's result depends only on its window's
 * items, the newest event already reported and the detection's oldest live bucket, so a window
 * nobody touched cannot newly cross a threshold.
 *
 * Order matters for retries: findings are saved before marks are cleared, and marks are cleared
 * conditionally (a window touched again meanwhile stays dirty). A crash anywhere leaves the marks,
 * so the next run judges those windows again; the `since` filter makes that report nothing twice,
 * and a retry of the same cycle reports what the cycle already saved (`replayed`).
 */
import type { FindingStore } from '../state/findings';
import type { StoredBucket, WindowStore } from '../state/windows';
import type { ConfiguredDetection } from './define';
import { evaluateWindows, type FindingRecord, recordKey } from './evaluate';

export interface StateEvaluation {
  changed: FindingRecord[];
  replayed: FindingRecord[];
  /** Windows judged and buckets read: what this evaluation cost. */
  windows: number;
  buckets: number;
}

export async function evaluateState(args: {
  windows: WindowStore;
  findings: FindingStore;
  detections: readonly ConfiguredDetection[];
  /** Unix seconds. */
  now: number;
  cycleId: string;
  full?: boolean;
}): Promise<StateEvaluation> {
  const index = await args.windows.readIndex(args.now);
  const enabled = new Set(args.detections.filter((d) => d.enabled).map((d) => d.detection.id));
  const keys = new Map<string, { detectionId: string; dedupeKey: string }>();
  for (const m of index.marks) {
    if (enabled.has(m.detectionId)) keys.set(recordKey(m.detectionId, m.dedupeKey), m);
  }
  let buckets: StoredBucket[];
  if (args.full === true) buckets = await args.windows.readAll(args.now);
  else buckets = keys.size === 0 ? [] : await args.windows.readWindows([...keys.values()], args.now);
  const stored = await args.findings.list();
  const etags = new Map(stored.map((s) => [recordKey(s.record.detectionId, s.record.dedupeKey), s.etag] as const));
  const { changed, replayed } = evaluateWindows({
    detections: args.detections,
    buckets,
    findings: stored.map((s) => s.record),
    now: args.now,
    cycleId: args.cycleId,
    // A full read sees every bucket, so its own oldest is exact (and covers state older than the index).
    ...(args.full === true ? {} : { earliest: index.earliest }),
  });
  for (const record of changed)
    await args.findings.save(record, etags.get(recordKey(record.detectionId, record.dedupeKey)));
  // Marks of disabled detections go too: re-enabling one is a configuration change (run `full`).
  if (index.marks.length > 0) await args.windows.clearMarks(index.marks);
  const windows = new Set(buckets.map((b) => recordKey(b.detectionId, b.dedupeKey))).size;
  return { changed, replayed, windows, buckets: buckets.length };
}
