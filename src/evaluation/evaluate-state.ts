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
import type { CoverageStore } from '../state/coverage';
import type { EgressStore } from '../state/egress';
import type { FindingStore } from '../state/findings';
import type { DirtyMark, StoredBucket, WindowStore } from '../detections/buckets';
import { subjectKeyOf } from '../state/windows';
import { EvaluationContext } from '../detections/context';
import type { ConfiguredDetection } from '../detections/define';
import { evaluateWindows, type FindingRecord, judgingOrder, learnWindows, replayedOf } from '../detections/evaluate';

export interface StateEvaluation {
  changed: FindingRecord[];
  replayed: FindingRecord[];
  /** Windows judged and buckets read: what this evaluation cost. */
  windows: number;
  buckets: number;
}

/** Marked windows read (and judged) together. */
export const DEFAULT_BATCH_WINDOWS = 500;

/**
 * Marks grouped by detection, each group in row-key order, cut into batches of at most `size`; the
 * groups in `order` (detection ids; the rest after them, by id).
 */
export function markBatches(marks: readonly DirtyMark[], size: number, order: readonly string[] = []): DirtyMark[][] {
  const byDetection = new Map<string, { mark: DirtyMark; order: string }[]>();
  for (const mark of marks) {
    const list = byDetection.get(mark.detectionId) ?? [];
    list.push({ mark, order: subjectKeyOf(mark.dedupeKey) });
    byDetection.set(mark.detectionId, list);
  }
  const batches: DirtyMark[][] = [];
  const position = (id: string): number => {
    const at = order.indexOf(id);
    return at < 0 ? order.length : at;
  };
  const ids = [...byDetection.keys()].sort((a, b) => position(a) - position(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const detectionId of ids) {
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
  /** The organization's known egress addresses (read, and taught what detections learn). */
  egress?: EgressStore;
  /** How far back each stream's data reaches (when a baseline is trusted); default: the windows' oldest buckets. */
  coverage?: CoverageStore;
}): Promise<StateEvaluation> {
  const index = await args.windows.readIndex(args.now);
  const order = judgingOrder(args.detections.filter((d) => d.enabled));
  const enabled = new Set(order.map((d) => d.detection.id));
  const learners = new Set(order.filter((d) => d.learns).map((d) => d.detection.id));
  const stored = await args.findings.list();
  const records = stored.map((s) => s.record);
  const etags = new Map(stored.map((s) => [s.record.findingId, s.etag] as const));
  const context = new EvaluationContext(args.egress === undefined ? [] : await args.egress.list(args.now), records);
  const coverage = args.coverage === undefined ? undefined : await args.coverage.read();
  const changed: FindingRecord[] = [];
  let windows = 0;
  let buckets = 0;

  const scope = (full: boolean) => ({
    detections: args.detections,
    now: args.now,
    // A full read sees every bucket, so its own oldest is exact (and covers state older than the index).
    ...(full ? {} : { earliest: index.earliest }),
    ...(coverage === undefined ? {} : { coverage }),
    context,
  });
  const judge = async (read: StoredBucket[], full: boolean): Promise<void> => {
    const result = evaluateWindows({ ...scope(full), buckets: read, findings: records, cycleId: args.cycleId });
    for (const record of result.changed) await args.findings.save(record, etags.get(record.findingId));
    changed.push(...result.changed);
    windows += new Set(read.map((b) => `${b.detectionId}\u0000${b.dedupeKey}`)).size;
    buckets += read.length;
  };

  if (args.full === true) {
    const all = await args.windows.readAll(args.now);
    learnWindows({ ...scope(true), buckets: all });
    await judge(all, true);
  } else {
    const wanted = index.marks.filter((m) => enabled.has(m.detectionId));
    const batches = markBatches(wanted, args.batchWindows ?? DEFAULT_BATCH_WINDOWS, [...enabled]);
    // Learning first, over every batch of the detections that learn, so no judgment misses a lesson
    // another batch holds (an office's users, when the address they moved to is judged).
    for (const batch of batches) {
      if (batch[0] !== undefined && learners.has(batch[0].detectionId)) {
        learnWindows({ ...scope(false), buckets: await args.windows.readWindows(batch, args.now) });
      }
    }
    for (const batch of batches) {
      await judge(await args.windows.readWindows(batch, args.now), false);
      await args.windows.clearMarks(batch);
    }
  }
  if (args.egress !== undefined && context.learned.length > 0) await args.egress.save(context.learned);
  // Marks of disabled detections go too: re-enabling one is a configuration change (run `full`).
  const rest = args.full === true ? index.marks : index.marks.filter((m) => !enabled.has(m.detectionId));
  if (rest.length > 0) await args.windows.clearMarks(rest);
  return { changed, replayed: replayedOf(records, args.cycleId, enabled, changed), windows, buckets };
}
