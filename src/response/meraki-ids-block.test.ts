/**
 * "Block <ip> on <network>" reached from a real finding: an IDS alert served by the Meraki emulator
 * over the wire, read by the real client, mapped to its appliance's network as the collector does,
 * transformed, observed and evaluated by the real detection, dispatched as an incident summary, shown
 * as Slack blocks, and the offered button acted on through runResponseAction against the emulator's
 * MX firewall: exactly one deny rule, and a second run adds nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { startMerakiEmulator, type MerakiEmulator } from '../../dev/emulators/meraki';
import { buildIdsAlert, macFromSerial } from '../../dev/emulators/meraki/builders';
import { DEMO_KEY, DEMO_ORG_ID, demoState, HQ_APPLIANCE_SERIAL, HQ_NETWORK_ID } from '../../dev/emulators/meraki/seed';
import { MemoryAutoActionBreaker } from '../../test/helpers/auto-actions';
import { Harness, securityEvents } from '../../test/helpers/detection-testkit';
import { stateOf, TEST_RESPONSE_KEY } from '../../test/helpers/incidents';
import { MemoryLedger } from '../../test/helpers/ledger';
import { findingsOfCycle } from '../activities/evaluate-detections';
import { MerakiClient } from '../collectors/meraki/client';
import { merakiIdsAlert } from '../detections/meraki/ids-alert';
import { ActionIds, decodeButtonValue } from '../slack/action-ids';
import { buildIncidentMessage } from '../slack/blocks/incident-alert';
import { type MerakiAppliance, toMerakiSecurityEventRow } from '../transforms/meraki-security';
import type { MerakiSecurityRow } from '../transforms/streams';
import { type ActionDeps, runResponseAction } from './actions';
import type { GuardrailDeps } from './guardrails';
import { findOffered } from './incident-state';
import { normalizeFinding } from './model';
import { charterOf, targetsOf } from './targets';

const NOW = Date.parse('2026-03-02T10:00:00Z');
const ATTACKER = '45.137.23.246';
const INSIDE = '10.0.1.50';
const HQ_UPLINK = '198.51.100.10';

let meraki: MerakiEmulator;

beforeEach(async () => {
  meraki = await startMerakiEmulator({ state: demoState({ now: NOW }), now: () => NOW, rateLimit: false });
  const mac = macFromSerial(HQ_APPLIANCE_SERIAL);
  const ts = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString().replace(/Z$/, '431Z');
  meraki.state.addSecurityEvents(DEMO_ORG_ID, [
    // Inbound exploit attempt from the outside, not blocked (IDS in detection mode).
    buildIdsAlert({ ts: ts(300), deviceMac: mac, srcIp: `${ATTACKER}:42101`, destIp: '10.0.1.23:80' }),
    // Lateral movement from an inside host: never a block target.
    buildIdsAlert({
      ts: ts(200),
      deviceMac: mac,
      clientMac: '22:33:44:55:66:88',
      srcIp: `${INSIDE}:51515`,
      destIp: '10.0.1.23:445',
      signature: '1:2001569:15',
    }),
  ]);
});

afterEach(async () => {
  await meraki.close();
});

function client(): MerakiClient {
  return new MerakiClient({ baseUrl: meraki.url, apiKey: DEMO_KEY, maxRetries: 0 });
}

/** The org's security events as the collector lands them: read over the wire, mapped to their appliance's network. */
async function landedRows(): Promise<MerakiSecurityRow[]> {
  const api = client();
  const names = new Map(
    (await api.getNetworks(DEMO_ORG_ID)).items.map((n) => {
      const { id, name } = n as { id: string; name: string };
      return [id, name] as const;
    }),
  );
  const appliances = new Map<string, MerakiAppliance>();
  for (const item of (await api.getDevices(DEMO_ORG_ID)).items) {
    const d = item as { mac: string; networkId: string; serial: string; name: string; productType: string };
    if (d.productType !== 'appliance') continue;
    appliances.set(d.mac.toLowerCase(), {
      networkId: d.networkId,
      networkName: names.get(d.networkId),
      serial: d.serial,
      name: d.name,
    });
  }
  const listing = await api.getApplianceSecurityEvents(DEMO_ORG_ID, {
    t0: new Date(NOW - 3_600_000).toISOString(),
    t1: new Date(NOW).toISOString(),
  });
  return listing.items.map((item) => {
    const mac = (item as { deviceMac: string }).deviceMac.toLowerCase();
    const result = toMerakiSecurityEventRow(item, { sourceOrg: DEMO_ORG_ID, appliance: appliances.get(mac) });
    if (!result.ok) throw new Error(result.reason);
    return result.row;
  });
}

/** The incident summaries the cycle dispatches, through the real observer and evaluation. */
async function dispatchedFindings() {
  const detection = merakiIdsAlert.configure();
  const harness = new Harness([detection]);
  await harness.feed(securityEvents(await landedRows()));
  await harness.evaluate(Math.floor(NOW / 1000) + 60, 'c1');
  return (await findingsOfCycle(harness.findings, 'c1', [detection])).map((f) => normalizeFinding(f));
}

function guardrails(): GuardrailDeps {
  return {
    protectAdmins: true,
    protectedUsers: [],
    protectedIps: [],
    protectedClients: [],
    userFacts: () => Promise.resolve(undefined),
    tokenOwners: () => Promise.resolve(new Set<string>()),
    responders: () => Promise.resolve(new Set(['W0ERIN001'])),
    uplinkIps: () => Promise.resolve(new Set([HQ_UPLINK])),
  };
}

function deps(ledger = new MemoryLedger()): ActionDeps {
  return {
    admin: undefined,
    scim: undefined,
    meraki: client(),
    snoozes: { snooze: (s) => Promise.resolve(s) },
    ledger,
    now: () => new Date(NOW + 120_000),
    responseKey: TEST_RESPONSE_KEY,
    guardrails: guardrails(),
    breaker: new MemoryAutoActionBreaker(),
    limits: { perHour: 5, perTargetPerHour: 1 },
  };
}

const denyRules = () =>
  meraki.state.firewall(HQ_NETWORK_ID).rules.filter((r) => r.policy === 'deny' && r.destCidr === `${ATTACKER}/32`);

describe('an emulated IDS alert reaches "Block <ip> on <network>"', () => {
  it('offers exactly one block, for the outside attacker on the appliance’s network, and none for the inside host', async () => {
    const findings = await dispatchedFindings();
    expect(findings.map((f) => f.subject)).toEqual(
      expect.arrayContaining([
        { type: 'ip', id: ATTACKER },
        { type: 'device', id: '22:33:44:55:66:88' },
      ]),
    );
    expect(findings).toHaveLength(2);
    const attack = findings.find((f) => f.subject.id === ATTACKER);
    const lateral = findings.find((f) => f.subject.id !== ATTACKER);
    expect(targetsOf(attack ?? { entities: [] })).toEqual([
      {
        kind: 'ip',
        id: ATTACKER,
        roles: ['sourceIp'],
        network: { organizationId: DEMO_ORG_ID, networkId: HQ_NETWORK_ID, networkName: 'HQ' },
      },
    ]);
    expect(targetsOf(lateral ?? { entities: [] })).toEqual([]);

    const blockButtons = (state: ReturnType<typeof stateOf>) =>
      (buildIncidentMessage(state).blocks.find((b) => b.type === 'actions')?.elements ?? []).filter(
        (b) => b.action_id === ActionIds.blockIp || b.action_id === ActionIds.blockClient,
      );
    const offered = blockButtons(stateOf(attack));
    expect(offered.map((b) => b.text.text)).toEqual([`Block ${ATTACKER} on HQ`]);
    expect(blockButtons(stateOf(lateral))).toEqual([]);
  });

  it('acting on the offered button adds exactly one deny rule on that MX; a second run adds nothing', async () => {
    const [attack] = (await dispatchedFindings()).filter((f) => f.subject.id === ATTACKER);
    if (attack === undefined) throw new Error('no finding for the attacker');
    const state = stateOf(attack);
    const button = (buildIncidentMessage(state).blocks.find((b) => b.type === 'actions')?.elements ?? []).find(
      (b) => b.action_id === ActionIds.blockIp,
    );
    const clicked = decodeButtonValue(button?.value);
    expect(clicked).toEqual({ incidentId: attack.incidentId, target: ATTACKER });
    const action = findOffered(state, 'blockIp', clicked?.target);
    expect(action?.label).toBe(`Block ${ATTACKER} on HQ`);
    const before = meraki.state.firewall(HQ_NETWORK_ID).rules.length;

    // What the incident orchestration sends for the click (orchestrators/incident-steps.ts).
    const request = {
      incidentId: state.incidentId,
      detectionId: state.finding.detectionId,
      kind: 'blockIp' as const,
      target: action?.target ?? '',
      charter: charterOf(state.finding, state.policy),
      ...(state.grant === undefined ? {} : { grant: state.grant }),
      requestedBy: { id: 'W0ERIN001', name: 'erin' },
      requestedAt: new Date(NOW + 90_000).toISOString(),
    };
    const ledger = new MemoryLedger();
    expect(await runResponseAction(request, deps(ledger))).toMatchObject({
      status: 'succeeded',
      details: { networkId: HQ_NETWORK_ID, ip: ATTACKER },
    });
    expect(denyRules()).toHaveLength(1);
    expect(meraki.state.firewall(HQ_NETWORK_ID).rules).toHaveLength(before + 1);

    const puts = () =>
      meraki.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/appliance/firewall/l3FirewallRules'))
        .length;
    expect(puts()).toBe(1);
    // A retried activity (same ledger) and a fresh second click (no ledger record) both add nothing.
    expect((await runResponseAction(request, deps(ledger))).status).not.toBe('failed');
    expect((await runResponseAction(request, deps())).status).toBe('skipped');
    expect(denyRules()).toHaveLength(1);
    expect(meraki.state.firewall(HQ_NETWORK_ID).rules).toHaveLength(before + 1);
    expect(puts()).toBe(1);
  });
});
