/**
 * At-most-once response actions. The ledger entry for (incident, action key) is written `started`
 * before the action and `succeeded`/`skipped`/`failed` after it:
 * - done (`succeeded` or `skipped`): the stored outcome is returned and nothing is performed, so a
 *   retried activity (or a duplicate event) changes nothing outside;
 * - `failed` or `refused`: the action may be judged and run again (a responder's Retry, a guardrail
 *   that no longer applies);
 * - `started` with no result (the worker died mid-action): it runs again; each action is written to be
 *   safe to repeat at the vendor (read-before-write), except a session reset, which signs out again.
 * A transient error leaves the entry `started` and propagates, so Durable's retry re-enters here.
 */
import type { ActionLedger, LedgerEntry } from '../state/incidents';
import type { ActionOutcome } from './model';

export async function runOnce(
  ledger: ActionLedger,
  incidentId: string,
  key: string,
  now: () => Date,
  perform: () => Promise<ActionOutcome>,
): Promise<ActionOutcome> {
  const previous = await ledger.get(incidentId, key);
  if (previous !== undefined && (previous.status === 'succeeded' || previous.status === 'skipped')) {
    return {
      status: previous.status,
      summary: previous.summary,
      details: { ...(previous.details ?? {}), replayed: true },
    };
  }
  const attempts = (previous?.attempts ?? 0) + 1;
  await ledger.put(incidentId, { key, status: 'started', summary: '', attempts, updatedAt: now().toISOString() });
  const outcome = await perform();
  const entry: LedgerEntry = {
    key,
    status: outcome.status,
    summary: outcome.summary,
    ...(outcome.details === undefined ? {} : { details: outcome.details }),
    attempts,
    updatedAt: now().toISOString(),
  };
  await ledger.put(incidentId, entry);
  return outcome;
}
