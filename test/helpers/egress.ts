/** Known egress addresses in memory, merged like the Table store. */
import type { EgressFact } from '../../src/detections/define';
import { mergeEgressFacts } from '../../src/detections/egress';
import { EGRESS_RETENTION_DAYS, type EgressStore } from '../../src/state/egress';

export class MemoryEgressStore implements EgressStore {
  readonly facts = new Map<string, EgressFact>();

  list(now: number): Promise<EgressFact[]> {
    const since = now - EGRESS_RETENTION_DAYS * 86_400;
    return Promise.resolve([...this.facts.values()].filter((f) => f.lastSeen >= since).map((f) => ({ ...f })));
  }

  save(facts: readonly EgressFact[]): Promise<void> {
    for (const f of facts) this.facts.set(f.ip, mergeEgressFacts(this.facts.get(f.ip), f));
    return Promise.resolve();
  }
}
