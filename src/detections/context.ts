/**
 * The evaluation context: what detections know beyond their own window during one evaluation. It
 * starts from the stored egress facts and findings, and grows as the evaluation goes (an address a
 * rule learned is shared, a finding a rule just raised), which is why evaluate-state judges the
 * detections that teach before the ones that ask. Pure.
 */
import type { DetectionContext, EgressFact } from './define';
import { mergeEgressFacts } from './egress';

/** What the context needs of a finding (a stored or just raised FindingRecord). */
export interface FindingSpan {
  detectionId: string;
  subject: { id: string };
  firstSeen: number;
  lastEventT: number;
}

/** How far around a finding's span an item still counts as that finding's activity. */
export const EXPLAIN_MARGIN_SECONDS = 3_600;

export class EvaluationContext implements DetectionContext {
  private readonly known = new Map<string, EgressFact>();
  private readonly bySubject = new Map<string, { detectionId: string; from: number; to: number }[]>();
  /** Facts learned during this evaluation, to be saved. */
  readonly learned: EgressFact[] = [];

  constructor(egress: readonly EgressFact[] = [], findings: readonly FindingSpan[] = []) {
    for (const fact of egress) this.known.set(fact.ip, mergeEgressFacts(this.known.get(fact.ip), fact));
    this.addFindings(findings);
  }

  egress(ip: string): EgressFact | undefined {
    return this.known.get(ip);
  }

  egressFacts(): readonly EgressFact[] {
    return [...this.known.values()];
  }

  explained(detections: readonly string[], subjectId: string, from: number, to: number): boolean {
    return (this.bySubject.get(subjectId) ?? []).some(
      (f) =>
        detections.includes(f.detectionId) &&
        f.from - EXPLAIN_MARGIN_SECONDS <= to &&
        f.to + EXPLAIN_MARGIN_SECONDS >= from,
    );
  }

  teach(fact: EgressFact): void {
    this.remember(fact);
  }

  /** A fact a rule learned: known from now on in this evaluation, and kept to be saved. */
  remember(fact: EgressFact): void {
    this.known.set(fact.ip, mergeEgressFacts(this.known.get(fact.ip), fact));
    this.learned.push(fact);
  }

  /** Findings (stored, or raised by this evaluation) that may explain other detections' items. */
  addFindings(findings: readonly FindingSpan[]): void {
    for (const f of findings) {
      const list = this.bySubject.get(f.subject.id) ?? [];
      list.push({ detectionId: f.detectionId, from: f.firstSeen, to: f.lastEventT });
      this.bySubject.set(f.subject.id, list);
    }
  }
}
