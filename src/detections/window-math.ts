/**
 * Sliding-window arithmetic over a window's items. A window of W seconds ending at e holds what
 * happened in (e - W, e]; every candidate right edge is an item time newer than what was already
 * reported (`since`), so history replayed in one go (a backfill, a first run) is judged window by
 * window rather than only "the last W seconds before now". Pure.
 */
import type { Crossing, ItemState, SubjectWindow } from './window-types';

/** Right edges to try: item times (and overflow bucket ends) newer than `since`, ascending, unique. */
function edgesOf(window: SubjectWindow, since: number | undefined, withMax: boolean): number[] {
  const set = new Set<number>();
  const after = since ?? -Infinity;
  for (const i of window.items) {
    if (i.t > after) set.add(i.t);
    if (withMax && i.tMax > after) set.add(i.tMax);
  }
  for (const o of window.overflow) if (o.bucketEnd - 1 > after) set.add(o.bucketEnd - 1);
  return [...set].sort((a, b) => a - b);
}

function overflowIn(window: SubjectWindow, from: number, to: number): number {
  let sum = 0;
  for (const o of window.overflow) if (o.bucket <= to && o.bucketEnd - 1 > from) sum += o.estimate;
  return sum;
}

/** Events in a sliding window: fires when some window holds more than `threshold` events. */
export function countCrossing(
  window: SubjectWindow,
  windowSeconds: number,
  threshold: number,
  since: number | undefined,
): Crossing | null {
  const items = window.items;
  const edges = edgesOf(window, since, false);
  let best: { count: number; lo: number; hi: number; edge: number } | undefined;
  let lo = 0;
  let hi = 0;
  for (const edge of edges) {
    while (hi < items.length && (items[hi]?.t ?? Infinity) <= edge) hi++;
    while (lo < hi && (items[lo]?.t ?? Infinity) <= edge - windowSeconds) lo++;
    const count = hi - lo + overflowIn(window, edge - windowSeconds, edge);
    if (best === undefined || count >= best.count) best = { count, lo, hi, edge };
  }
  if (best === undefined || best.count <= threshold) return null;
  const inWindow = items.slice(best.lo, best.hi);
  const after = since ?? -Infinity;
  return {
    count: best.count,
    newItems: since === undefined ? best.count : inWindow.filter((i) => i.t > after).length,
    firstSeen: inWindow[0]?.t ?? best.edge,
    lastSeen: inWindow[inWindow.length - 1]?.t ?? best.edge,
    items: inWindow,
  };
}

/** Distinct items (values) in a sliding window: fires when some window holds more than `threshold`. */
export function distinctCrossing(
  window: SubjectWindow,
  windowSeconds: number,
  threshold: number,
  since: number | undefined,
): Crossing | null {
  const edges = edgesOf(window, since, true);
  let best: { count: number; edge: number; present: Map<string, ItemState> } | undefined;
  for (const edge of edges) {
    const present = presentAt(window.items, edge, windowSeconds);
    const count = present.size + overflowIn(window, edge - windowSeconds, edge);
    if (best === undefined || count >= best.count) best = { count, edge, present };
  }
  if (best === undefined || best.count <= threshold) return null;
  const items = [...best.present.values()].sort((a, b) => a.t - b.t || (a.item < b.item ? -1 : 1));
  const after = since ?? -Infinity;
  return {
    count: best.count,
    newItems: since === undefined ? best.count : items.filter((i) => i.t > after).length,
    firstSeen: items[0]?.t ?? best.edge,
    lastSeen: Math.min(best.edge, Math.max(...items.map((i) => i.tMax))),
    items,
  };
}

/** Values seen in (edge - W, edge]: a bucket's [t, tMax] span overlapping the window counts. */
export function presentAt(items: readonly ItemState[], edge: number, windowSeconds: number): Map<string, ItemState> {
  const present = new Map<string, ItemState>();
  for (const i of items) {
    if (i.t > edge || i.tMax <= edge - windowSeconds) continue;
    const seen = present.get(i.item);
    if (seen === undefined) present.set(i.item, { ...i });
    else {
      seen.t = Math.min(seen.t, i.t);
      seen.tMax = Math.max(seen.tMax, i.tMax);
    }
  }
  return present;
}

/** Items grouped by their value, with first and last time across buckets. */
export function mergeByItem(items: readonly ItemState[]): ItemState[] {
  const out = new Map<string, ItemState>();
  for (const i of items) {
    const seen = out.get(i.item);
    if (seen === undefined) out.set(i.item, { ...i });
    else {
      seen.t = Math.min(seen.t, i.t);
      seen.tMax = Math.max(seen.tMax, i.tMax);
    }
  }
  return [...out.values()].sort((a, b) => a.t - b.t || (a.item < b.item ? -1 : 1));
}
