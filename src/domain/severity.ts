/** Severity, the one list every part of Sentry shares (findings, incidents, policies, configuration). */
export const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Severity order, for "this severity or higher" rules and for sorting (unknown text ranks lowest). */
export function severityRank(severity: string): number {
  return (SEVERITIES as readonly string[]).indexOf(severity);
}

/** The most severe of a list (fallback when empty). */
export function maxSeverity(list: readonly Severity[], fallback: Severity): Severity {
  return list.reduce<Severity>((best, s) => (severityRank(s) > severityRank(best) ? s : best), list[0] ?? fallback);
}
