/** The automatic-action breaker in memory, with the same verdicts as the Table one (judgeClaim). */
import {
  type AutoActionBreaker,
  type AutoActionClaim,
  type AutoActionLimits,
  type ClaimResult,
  judgeClaim,
} from '../../src/state/auto-actions';

export class MemoryAutoActionBreaker implements AutoActionBreaker {
  readonly claims: AutoActionClaim[] = [];

  claim(claim: AutoActionClaim, limits: AutoActionLimits): Promise<ClaimResult> {
    const verdict = judgeClaim(claim, this.claims, limits);
    if (
      verdict.allowed &&
      !this.claims.some((c) => c.incidentId === claim.incidentId && c.kind === claim.kind && c.target === claim.target)
    )
      this.claims.push(claim);
    return Promise.resolve(verdict);
  }
}
