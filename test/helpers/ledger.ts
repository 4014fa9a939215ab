/** The action ledger in memory, for tests. */
import type { ActionLedger, LedgerEntry } from '../../src/state/incidents';

export class MemoryLedger implements ActionLedger {
  readonly entries = new Map<string, LedgerEntry>();

  get(incidentId: string, key: string): Promise<LedgerEntry | undefined> {
    return Promise.resolve(this.entries.get(`${incidentId}|${key}`));
  }

  put(incidentId: string, entry: LedgerEntry): Promise<void> {
    this.entries.set(`${incidentId}|${entry.key}`, { ...entry });
    return Promise.resolve();
  }
}
