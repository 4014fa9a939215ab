/**
 * Test-only: the checks every single-event detection gets (docs/reference/testing.md): a finding
 * per matched action with its severity, the negatives, a severity override from configuration, the
 * defaults, and a dedupe key that is the same whenever the same subject matches. Called from each
 * detection's colocated test.
 */
import { describe, expect, it } from 'vitest';

import type { Detection } from '../../src/detections/define';
import type { SlackAuditRow } from '../../src/transforms/streams';
import { type AnyRow, Harness, raise, type SingleEventCase } from './detection-testkit';

export function singleEventSuite(detection: Detection, cases: readonly SingleEventCase[]): void {
  describe(detection.id, () => {
    for (const c of cases) {
      it(`${c.severity === undefined ? 'ignores' : 'raises'}: ${c.name}`, async () => {
        const findings = await raise(detection, [c.row]);
        if (c.severity === undefined) {
          expect(findings).toEqual([]);
          return;
        }
        expect(findings).toHaveLength(1);
        expect(findings[0]?.severity).toBe(c.severity);
        expect(findings[0]?.count).toBe(1);
        if (c.subjectId !== undefined) expect(findings[0]?.subject.id).toBe(c.subjectId);
        expect(findings[0]?.eventIds).toEqual([c.row.EventId]);
      });
    }

    const positive = cases.find((c) => c.severity !== undefined);
    const negative = cases.find((c) => c.severity === undefined);
    it('has at least one positive and one negative case', () => {
      expect(positive).toBeDefined();
      expect(negative).toBeDefined();
    });

    it('defaults to enabled with a 60-minute merge window, and can be disabled or re-rated', async () => {
      expect(detection.defaults).toMatchObject({ enabled: true, windowMinutes: 60 });
      if (positive === undefined) return;
      expect(await raise(detection, [positive.row], { enabled: false })).toEqual([]);
      const [rerated] = await raise(detection, [positive.row], { severity: 'informational' });
      expect(rerated?.severity).toBe('informational');
    });

    it('keys repeats of the same subject to one dedupe key and incident id', async () => {
      if (positive === undefined) return;
      const [a] = await raise(detection, [positive.row]);
      const [b] = await raise(detection, [
        { ...positive.row, EventId: `${positive.row.EventId}-again`, DateCreate: positive.row.DateCreate + 3600 * 24 },
      ]);
      expect(a?.dedupeKey).toBeDefined();
      expect(b?.dedupeKey).toBe(a?.dedupeKey);
      expect(b?.incidentId).toBe(a?.incidentId);
    });
  });
}

export interface ThresholdSuiteSpec {
  /** The default threshold (fires above it). */
  threshold: number;
  /** n matching rows for one subject (fresh ids per call). */
  make: (n: number) => readonly AnyRow[] | readonly SlackAuditRow[];
  subjectId: string;
  /** Extra configuration the rows need to match (e.g. sensitive file patterns). */
  base?: Record<string, unknown>;
}

/** Threshold boundary with defaults and with an override, growth of one open finding, key stability. */
export function thresholdSuite(detection: Detection, spec: ThresholdSuiteSpec): void {
  const n = spec.threshold;
  describe(`${detection.id} threshold`, () => {
    it(`defaults to ${String(n)}`, () => {
      expect(detection.defaults).toMatchObject({ enabled: true, threshold: n });
    });

    it(`raises nothing at ${String(n)} and one finding at ${String(n + 1)}`, async () => {
      expect(await raise(detection, spec.make(n), spec.base)).toEqual([]);
      const findings = await raise(detection, spec.make(n + 1), spec.base);
      expect(findings).toHaveLength(1);
      expect(findings[0]?.count).toBe(n + 1);
      expect(findings[0]?.subject.id).toBe(spec.subjectId);
      expect(findings[0]?.isNew).toBe(true);
    });

    it('follows a threshold override', async () => {
      const lower = Math.max(0, n - 2);
      expect(await raise(detection, spec.make(lower), { ...spec.base, threshold: lower })).toEqual([]);
      expect(await raise(detection, spec.make(lower + 1), { ...spec.base, threshold: lower + 1 })).toEqual([]);
      expect(await raise(detection, spec.make(lower + 1), { ...spec.base, threshold: lower })).toHaveLength(1);
    });

    it('grows one open finding as more arrive, with a stable dedupe key and incident id', async () => {
      const harness = new Harness([detection.configure(spec.base)]);
      const rows = spec.make(n + 3).map((r) => ('stream' in r ? r : ({ stream: 'slackAudit', row: r } as const)));
      const first = await harness.run(rows.slice(0, n + 1));
      const second = await harness.run(rows.slice(n + 1));
      expect(first).toHaveLength(1);
      expect(second).toHaveLength(1);
      expect(second[0]?.isNew).toBe(false);
      expect(second[0]?.findingId).toBe(first[0]?.findingId);
      expect(second[0]?.dedupeKey).toBe(first[0]?.dedupeKey);
      expect(second[0]?.incidentId).toBe(first[0]?.incidentId);
      expect(second[0]?.count).toBeGreaterThanOrEqual(n + 3);
      const [again] = await raise(detection, spec.make(n + 1), spec.base);
      expect(again?.dedupeKey).toBe(first[0]?.dedupeKey);
    });

    it('can be disabled', async () => {
      expect(await raise(detection, spec.make(n + 5), { ...spec.base, enabled: false })).toEqual([]);
    });
  });
}
