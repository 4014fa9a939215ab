/**
 * One evaluation over stored state, proportional to what changed: only the windows the observers
 * marked dirty since the last evaluation are read and judged (`full` reads every live window, e.g.
 * after the detections configuration changed). Every rule's result depends only on its window's
 * items, the spans its findings already cover and the detection's oldest live bucket, so a window
 * nobody touched cannot newly cross a threshold.
 *
 * Marked windows are read in batches of one detection's windows in row-key order, so a batch is one
 * range of its partition (one query however many windows a backfill marked) and memory holds one
 * batch's buckets at a time.
 *
 * Order matters for retries: a batch's findings are saved before its marks are cleared, and marks
 * are cleared conditionally (a window touched again meanwhile stays dirty). A crash anywhere leaves
 * the marks, so the next run judges those windows again; the findings' spans make that report
 * nothing twice, and a retry of the same cycle reports what the cycle already saved (`replayed`).
 */
import type { FindingStore } from '../state/findings';
import { type DirtyMark, type StoredBucket, subjectKeyOf, type WindowStore } from '../state/windows';
import type { ConfiguredDetection } from './define';
import { evaluateWindows, type FindingRecord, replayedOf } from './evaluate';

export interface StateEvaluation {
  changed: FindingRecord[];
  replayed: FindingRecord[];
  /** Windows judged and buckets read: what this evaluation cost. */
  windows: number;
  buckets: number;
}

/** Marked windows read (and judged) together. */
export const DEFAULT_BATCH_WINDOWS = 500;

/** Marks grouped by detection, each group in row-key order, cut into batches of at most `size`. */
export function markBatches(marks: readonly DirtyMark[], size: number): DirtyMark[][] {
  const byDetection = new Map<string, { mark: DirtyMark; order: string }[]>();
  for (const mark of marks) {
    const list = byDetection.get(mark.detectionId) ?? [];
    list.push({ mark, order: subjectKeyOf(mark.dedupeKey) });
    byDetection.set(mark.detectionId, list);
  }
  const batches: DirtyMark[][] = [];
  for (const detectionId of [...byDetection.keys()].sort()) {
    const list = (byDetection.get(detectionId) ?? []).sort((a, b) =>
      a.order < b.order ? -1 : a.order > b.order ? 1 : 0,
    );
    for (let i = 0; i < list.length; i += size) batches.push(list.slice(i, i + size).map((m) => m.mark));
  }
  return batches;
}

export async function evaluateState(args: {
  windows: WindowStore;
  findings: FindingStore;
  detections: readonly ConfiguredDetection[];
  /** Unix seconds. */
  now: number;
  cycleId: string;
  full?: boolean;
  /** Marked windows per read (default 500). */
  batchWindows?: number;
}): Promise<StateEvaluation> {
  const index = await args.windows.readIndex(args.now);
  const enabled = new Set(args.detections.filter((d) => d.enabled).map((d) => d.detection.id));
  const stored = await args.findings.list();
  const records = stored.map((s) => s.record);
  const etags = new Map(stored.map((s) => [s.record.findingId, s.etag] as const));
  const changed: FindingRecord[] = [];
  let windows = 0;
  let buckets = 0;

  const judge = async (read: StoredBucket[], full: boolean): Promise<void> => {
    const result = evaluateWindows({
      detections: args.detections,
      buckets: read,
      findings: records,
      now: args.now,
      cycleId: args.cycleId,
      // A full read sees every bucket, so its own oldest is exact (and covers state older than the index).
      ...(full ? {} : { earliest: index.earliest }),
    });
    for (const record of result.changed) await args.findings.save(record, etags.get(record.findingId));
    changed.push(...result.changed);
    windows += new Set(read.map((b) => `${b.detectionId}\u0000${b.dedupeKey}`)).size;
    buckets += read.length;
  };

  if (args.full === true) await judge(await args.windows.readAll(args.now), true);
  else {
    const wanted = index.marks.filter((m) => enabled.has(m.detectionId));
    for (const batch of markBatches(wanted, args.batchWindows ?? DEFAULT_BATCH_WINDOWS)) {
      await judge(await args.windows.readWindows(batch, args.now), false);
      await args.windows.clearMarks(batch);
    }
  }
  // Marks of disabled detections go too: re-enabling one is a configuration change (run `full`).
  const rest = args.full === true ? index.marks : index.marks.filter((m) => !enabled.has(m.detectionId));
  if (rest.length > 0) await args.windows.clearMarks(rest);
  return { changed, replayed: replayedOf(records, args.cycleId, enabled, changed), windows, buckets };
}
