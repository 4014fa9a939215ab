import { describe, expect, it } from 'vitest';

import { ALICE, auditRow, BOB, raise, T0, userEntity } from '../../../test/helpers/detection-testkit';
import { ANOMALY_REASONS, anomaly } from './anomaly';

const flagged = (reason: string[], who = BOB, t = T0) =>
  auditRow({
    action: 'anomaly',
    t,
    actor: who,
    entity: userEntity(who),
    details: { reason, location: 'Frankfurt am Main, DE', previous_ip_address: '198.51.100.1' },
  });

describe('slack.audit.anomaly', () => {
  it('names all 17 documented reasons', () => {
    expect(Object.keys(ANOMALY_REASONS)).toHaveLength(17);
  });

  it.each(Object.keys(ANOMALY_REASONS))('raises for %s with its severity', async (reason) => {
    const [f] = await raise(anomaly, [flagged([reason])]);
    const medium = ['excessive_malware_uploads', 'session_fingerprint', 'unexpected_admin_action'];
    expect(f?.severity).toBe(medium.includes(reason) ? 'medium' : 'low');
    expect(f?.title).toContain(ANOMALY_REASONS[reason]);
    expect(f?.subject.id).toBe(BOB.id);
  });

  it('takes the highest severity of several reasons, and raises an unknown new reason as low', async () => {
    const [mixed] = await raise(anomaly, [flagged(['asn', 'session_fingerprint'])]);
    expect(mixed?.severity).toBe('medium');
    const [fresh] = await raise(anomaly, [flagged(['brand_new_reason'])]);
    expect(fresh?.severity).toBe('low');
  });

  it('re-rates and ignores reasons from configuration', async () => {
    const [high] = await raise(anomaly, [flagged(['tor'])], { highReasons: ['tor'] });
    expect(high?.severity).toBe('high');
    expect(await raise(anomaly, [flagged(['tor'])], { ignoreReasons: ['tor'] })).toEqual([]);
  });

  it('ignores other actions and merges repeats for the same user within the hour', async () => {
    expect(
      await raise(anomaly, [
        auditRow({ action: 'user_sessions_reset_by_anomaly_event_response', entity: userEntity(ALICE) }),
      ]),
    ).toEqual([]);
    const findings = await raise(anomaly, [flagged(['asn']), flagged(['tor'], BOB, T0 + 300)]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.count).toBe(2);
    expect(findings[0]?.dedupeKey).toBe(`user:${BOB.id}`);
  });
});
