/**
 * Test-only: the checks every single-event detection gets (style.md's minimum matrix): a finding
 * per matched action with its severity, the negatives, a severity override from configuration, the
 * defaults, and a dedupe key that is the same whenever the same subject matches. Called from each
 * detection's colocated test.
 */
import { describe, expect, it } from 'vitest';

import type { Detection } from '../../src/detections/define';
import { raise, type SingleEventCase } from '../../src/detections/testkit';

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
