import { describe, expect, it } from 'vitest';

import { buildFileScan, buildIdsAlert } from '../../../dev/emulators/meraki/builders';
import type { MerakiFileScan, MerakiIdsAlert } from '../../../dev/scenario/wire-schemas';
import { raise, securityEvents, T0 } from '../../../test/helpers/detection-testkit';
import { toMerakiSecurityEventRow } from '../../transforms/meraki-security';
import type { MerakiSecurityRow } from '../../transforms/streams';
import { merakiIdsAlert } from './ids-alert';

const HQ = { networkId: 'L_549236000000000001', networkName: 'HQ', serial: 'Q2HQ-MX00-0001', name: 'HQ-MX' };
const MX_MAC = '00:18:0a:01:02:03';
const ts = (offset = 0) => new Date((T0 + offset) * 1000).toISOString().replace(/Z$/, '218304Z');

/** A security event as the collector lands it: through the real transform, on the HQ appliance. */
function row(event: MerakiIdsAlert | MerakiFileScan, appliance: typeof HQ | null = HQ): MerakiSecurityRow {
  const result = toMerakiSecurityEventRow(event, { sourceOrg: '549236', appliance: appliance ?? undefined });
  if (!result.ok) throw new Error(result.reason);
  return result.row;
}

const ids = (partial: Partial<MerakiIdsAlert> = {}) =>
  row(
    buildIdsAlert({
      ts: ts(),
      deviceMac: MX_MAC,
      clientMac: '22:33:44:55:66:77',
      srcIp: '45.137.23.246:42101',
      destIp: '10.0.1.23:80',
      ...partial,
    }),
  );

async function findings(rows: MerakiSecurityRow[], overrides?: Record<string, unknown>) {
  return raise(merakiIdsAlert, securityEvents(rows), overrides);
}

describe('meraki.security.ids-alert', () => {
  it('raises on an unblocked priority-1 alert from an outside address: that IP a suspect on its network', async () => {
    const event = ids();
    const [finding, ...rest] = await findings([event]);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'high',
      count: 1,
      eventIds: [event.EventId],
      subject: { type: 'ip', id: '45.137.23.246' },
      title: 'IDS alert from 45.137.23.246 on HQ',
    });
    const byRole = Object.fromEntries((finding?.entities ?? []).map((e) => [e.role, e]));
    expect(byRole.sourceIp).toMatchObject({
      type: 'ip',
      stance: 'suspect',
      id: '45.137.23.246',
      network: { networkId: HQ.networkId, networkName: 'HQ', organizationId: '549236' },
    });
    expect(byRole.client).toMatchObject({ stance: 'victim', id: '22:33:44:55:66:77' });
    expect(byRole.device).toMatchObject({ stance: 'context', id: HQ.serial, name: 'HQ-MX' });
    expect(finding?.facts).toMatchObject({ destIp: '10.0.1.23', signature: '1:58853:1', networkName: 'HQ' });
  });

  it('raises on a malicious file scan, keyed on the client, with no IP suspect', async () => {
    const scan = row(buildFileScan({ ts: ts() }), null);
    const [finding] = await findings([scan]);
    expect(finding).toMatchObject({ subject: { type: 'device', id: '22:33:44:55:66:77', name: 'laptop-alice' } });
    expect(finding?.title).toMatch(/^Malicious file for laptop-alice/);
    expect((finding?.entities ?? []).map((e) => `${e.role}:${e.stance}`)).toEqual(['client:victim']);
  });

  it.each([
    ['a priority-2 alert', { priority: '2' }],
    ['a blocked alert', { blocked: true }],
    ['an ignored signature', { signature: '1:58853:1' }],
  ])('ignores %s', async (_name, partial) => {
    const overrides = 'signature' in partial ? { ignoreSignatures: ['1:58853'] } : undefined;
    expect(await findings([ids(partial)], overrides)).toEqual([]);
  });

  it('ignores a clean file scan and other event kinds', async () => {
    expect(await findings([row(buildFileScan({ ts: ts(), disposition: 'Clean', action: 'Allowed' }))])).toEqual([]);
    const other = { ...ids(), EventType: 'Content Filtering Block' };
    expect(await findings([other])).toEqual([]);
  });

  it('follows maxPriority and includeBlocked at their boundaries', async () => {
    expect(await findings([ids({ priority: '2' })], { maxPriority: 2 })).toHaveLength(1);
    expect(await findings([ids({ priority: '3' })], { maxPriority: 2 })).toEqual([]);
    expect(await findings([ids({ blocked: true })], { includeBlocked: true })).toHaveLength(1);
  });

  it.each([
    ['a private source (lateral movement)', '10.0.1.50:51515'],
    ['a carrier-grade NAT source', '100.64.3.9:4444'],
    ['a documentation-range source', '198.51.100.7:80'],
    ['a link-local source', '169.254.10.1:80'],
  ])('never names %s an IP suspect: the finding is about the client', async (_name, srcIp) => {
    const [finding] = await findings([ids({ srcIp, destIp: '203.0.113.9:443' })]);
    expect(finding?.subject).toEqual({ type: 'device', id: '22:33:44:55:66:77' });
    expect((finding?.entities ?? []).filter((e) => e.stance === 'suspect')).toEqual([]);
    expect(finding?.facts?.srcIp).toBe(srcIp.split(':')[0]);
  });

  it('falls back to the appliance when an inside alert has no client', async () => {
    const [finding] = await findings([ids({ srcIp: '10.0.1.50:51515', clientMac: '' })]);
    expect(finding?.subject).toEqual({ type: 'device', id: HQ.serial, name: 'HQ-MX' });
  });

  it('merges repeats of one attacker on one network, and keeps networks apart', async () => {
    const first = ids();
    const again = ids({ ts: ts(600), signature: '1:58853:2' });
    const [merged, ...none] = await findings([first, again]);
    expect(none).toEqual([]);
    expect(merged?.count).toBe(2);
    const [a] = await findings([first]);
    expect(merged?.dedupeKey).toBe(a?.dedupeKey);
    const branch = row(buildIdsAlert({ ts: ts(), deviceMac: MX_MAC, srcIp: '45.137.23.246:1' }), {
      ...HQ,
      networkId: 'N_549236000000000011',
      networkName: 'Branch 1',
    });
    const [b] = await findings([branch]);
    expect(b?.dedupeKey).not.toBe(a?.dedupeKey);
  });

  it('defaults to enabled, a 60-minute window, priority 1, blocked alerts off; can be disabled or re-rated', async () => {
    expect(merakiIdsAlert.defaults).toMatchObject({
      enabled: true,
      windowMinutes: 60,
      maxPriority: 1,
      includeBlocked: false,
      maliciousDispositions: ['Malicious'],
    });
    expect(await findings([ids()], { enabled: false })).toEqual([]);
    const [rerated] = await findings([ids()], { severity: 'critical' });
    expect(rerated?.severity).toBe('critical');
  });
});
