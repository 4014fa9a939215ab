import { describe, expect, it } from 'vitest';

import { useTestAzurite } from '../../test/helpers/state';
import { type AutoActionClaim, judgeClaim, TableAutoActionBreaker } from './auto-actions';

const LIMITS = { perHour: 5, perTargetPerHour: 1 };
const T = Date.parse('2026-03-02T10:30:00.000Z');
const claim = (i: number, at = T, target = `W0U${String(i)}`): AutoActionClaim => ({
  incidentId: `incident-${String(i)}`,
  kind: 'resetSessions',
  target,
  at,
});

describe('judgeClaim', () => {
  it('counts the last 60 minutes, per target too, and lets a repeated claim through', () => {
    const five = [1, 2, 3, 4, 5].map((i) => claim(i, T - i * 60_000));
    expect(judgeClaim(claim(6), five, LIMITS)).toMatchObject({ allowed: false, code: 'auto_action_limit' });
    expect(judgeClaim(claim(1, T - 60_000), five, LIMITS)).toEqual({ allowed: true });
    // An hour later the oldest have left the window.
    expect(judgeClaim(claim(6, T + 56 * 60_000), five, LIMITS)).toEqual({ allowed: true });
    expect(judgeClaim(claim(7, T, 'W0U1'), [claim(1, T - 60_000)], LIMITS)).toMatchObject({
      allowed: false,
      code: 'auto_action_target_limit',
    });
    expect(judgeClaim(claim(7), [], { perHour: 0, perTargetPerHour: 1 })).toMatchObject({ allowed: false });
  });
});

describe('TableAutoActionBreaker on Azurite', () => {
  const storage = useTestAzurite();

  it('allows five automatic actions an hour and refuses the sixth; a retried claim counts once', async () => {
    const breaker = new TableAutoActionBreaker(storage.config);
    for (let i = 1; i <= 5; i++) {
      expect(await breaker.claim(claim(i, T + i), LIMITS)).toEqual({ allowed: true });
      expect(await breaker.claim(claim(i, T + i), LIMITS)).toEqual({ allowed: true });
    }
    expect(await breaker.claim(claim(6, T + 10), LIMITS)).toMatchObject({ allowed: false, code: 'auto_action_limit' });
    // Claims from the previous UTC hour still count within 60 minutes.
    const later = T + 40 * 60_000;
    expect(await breaker.claim(claim(7, later), LIMITS)).toMatchObject({ allowed: false });
    expect(await breaker.claim(claim(8, T + 61 * 60_000), LIMITS)).toEqual({ allowed: true });
  });

  it('racing incidents cannot both take the last slots', async () => {
    const breaker = new TableAutoActionBreaker(storage.config);
    const at = Date.parse('2026-03-03T08:15:00.000Z');
    const verdicts = await Promise.all(
      Array.from({ length: 9 }, (_, i) => breaker.claim(claim(100 + i, at + i), LIMITS)),
    );
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(5);
  });
});
