/**
 * The circuit breaker of automatic actions, in the `incidents` table (partition `auto-actions`, one
 * row per UTC hour holding that hour's claims). An automatic action claims a slot before it acts; the
 * claim is refused when the last 60 minutes already hold `perHour` automatic actions, or
 * `perTargetPerHour` on the same target. Claims are idempotent per (incident, action, target), so a
 * retried activity does not count twice, and writes are ETag-guarded so racing incidents cannot both
 * take the last slot. When it trips, the incident only escalates and says so in the channel.
 */
import type { Config } from '../config';
import { AppError, ErrorCode } from '../errors';
import { asStateError, stateTable, statusOf } from './tables';

export interface AutoActionLimits {
  perHour: number;
  perTargetPerHour: number;
}

export interface AutoActionClaim {
  incidentId: string;
  kind: string;
  target: string;
  /** Epoch milliseconds. */
  at: number;
}

export type ClaimResult =
  { allowed: true } | { allowed: false; code: 'auto_action_limit' | 'auto_action_target_limit'; reason: string };

export interface AutoActionBreaker {
  claim(claim: AutoActionClaim, limits: AutoActionLimits): Promise<ClaimResult>;
}

const PARTITION = 'auto-actions';
const HOUR_MS = 3_600_000;
const MAX_ATTEMPTS = 8;

function sameClaim(a: AutoActionClaim, b: AutoActionClaim): boolean {
  return a.incidentId === b.incidentId && a.kind === b.kind && a.target === b.target;
}

/**
 * Decides a claim against the claims already made (pure): allowed when it repeats an earlier claim or
 * fits both limits over the 60 minutes before it.
 */
export function judgeClaim(
  claim: AutoActionClaim,
  existing: readonly AutoActionClaim[],
  limits: AutoActionLimits,
): ClaimResult {
  if (existing.some((c) => sameClaim(c, claim))) return { allowed: true };
  // Claims stamped later than this one (another instance's clock, a racing claim) count too.
  const recent = existing.filter((c) => c.at > claim.at - HOUR_MS);
  if (recent.length >= limits.perHour) {
    return {
      allowed: false,
      code: 'auto_action_limit',
      reason: `${recent.length} automatic actions were already taken in the last hour (limit ${limits.perHour}, SENTRY_AUTO_ACTIONS_PER_HOUR)`,
    };
  }
  const onTarget = recent.filter((c) => c.target === claim.target).length;
  if (onTarget >= limits.perTargetPerHour) {
    return {
      allowed: false,
      code: 'auto_action_target_limit',
      reason: `${claim.target} was already acted on automatically ${onTarget} time${onTarget === 1 ? '' : 's'} in the last hour (limit ${limits.perTargetPerHour}, SENTRY_AUTO_ACTIONS_PER_TARGET_PER_HOUR)`,
    };
  }
  return { allowed: true };
}

function hourRow(ms: number): string {
  return `h~${new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString()}`;
}

function parseClaims(text: unknown): AutoActionClaim[] {
  if (typeof text !== 'string') return [];
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? (value as AutoActionClaim[]) : [];
  } catch {
    return [];
  }
}

export class TableAutoActionBreaker implements AutoActionBreaker {
  constructor(private readonly config: Config) {}

  async claim(claim: AutoActionClaim, limits: AutoActionLimits): Promise<ClaimResult> {
    const table = await stateTable(this.config, 'incidents');
    const current = hourRow(claim.at);
    const previous = hourRow(claim.at - HOUR_MS);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const rows = new Map<string, { claims: AutoActionClaim[]; etag: string | undefined }>();
      for (const row of [previous, current]) {
        try {
          const e = await table.getEntity<{ Claims?: string }>(PARTITION, row);
          rows.set(row, { claims: parseClaims(e.Claims), etag: e.etag });
        } catch (error) {
          if (statusOf(error) !== 404) throw asStateError(error, 'reading the automatic-action limit');
          rows.set(row, { claims: [], etag: undefined });
        }
      }
      const existing = [...rows.values()].flatMap((r) => r.claims);
      const verdict = judgeClaim(claim, existing, limits);
      if (!verdict.allowed || existing.some((c) => sameClaim(c, claim))) return verdict;
      const own = rows.get(current) ?? { claims: [], etag: undefined };
      const entity = { partitionKey: PARTITION, rowKey: current, Claims: JSON.stringify([...own.claims, claim]) };
      try {
        if (own.etag === undefined) await table.createEntity(entity);
        else await table.updateEntity(entity, 'Replace', { etag: own.etag });
        return verdict;
      } catch (error) {
        const status = statusOf(error);
        if (status !== 409 && status !== 412) throw asStateError(error, 'claiming an automatic action');
      }
    }
    throw new AppError(ErrorCode.StateConflict, 'The automatic-action limit kept changing concurrently', {
      retriable: true,
    });
  }
}
