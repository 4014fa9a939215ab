import type { Severity } from './define';

const RANK: Readonly<Record<Severity, number>> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** The most severe of a list (fallback when empty). */
export function maxSeverity(list: readonly Severity[], fallback: Severity): Severity {
  return list.reduce<Severity>((best, s) => (RANK[s] > RANK[best] ? s : best), list[0] ?? fallback);
}
