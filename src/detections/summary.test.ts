import { describe, expect, it } from 'vitest';

import { POLICY } from '../../test/helpers/incidents';
import { automaticAction, findOffered, offeredActions, openIncident } from '../response/incident-state';
import { normalizeFinding } from '../response/model';
import { buildIncidentMessage } from '../slack/blocks/incident-alert';
import type { Detection } from './define';
import { type FindingRecord, toSummary } from './evaluate';
import { failedLoginsOneIp } from './slack/failed-logins-one-ip';
import { manyUsersOneIp } from './slack/many-users-one-ip';
import { massDownload } from './slack/mass-download';
import { privilegeEscalation } from './slack/privilege-escalation';
import { ALICE, auditRow, BOB, fileEntity, raise, series, T0, userEntity } from '../../test/helpers/detection-testkit';

/** The incident a finding opens, as dispatch would start it (an hour after the first event). */
function incidentOf(finding: FindingRecord, detection: Detection) {
  return openIncident(normalizeFinding(toSummary(finding, detection)), POLICY, new Date((T0 + 3_600) * 1000));
}

const CEO = { id: 'W0CEO', name: 'ceo', email: 'ceo@example.com' };
const victims = ['W0V1', 'W0V2', 'W0V3', 'W0V4', 'W0V5'].map((id) => ({ id, name: id.toLowerCase() }));

const UA = 'Mozilla/5.0 (Macintosh) AppleWebKit/537.36 Slack/4.41.105';
const IP = '203.0.113.77';

async function massDownloadFinding() {
  const rows = series(21, T0, 60, (i) => ({
    action: 'file_downloaded',
    actor: ALICE,
    ip: IP,
    ua: UA,
    entity: fileEntity(`F${String(i).padStart(4, '0')}`, `q${i}.pdf`),
  }));
  const [finding] = await raise(massDownload, rows);
  if (finding === undefined) throw new Error('expected a finding');
  return finding;
}

describe('finding summaries carry who / what / where to the responder', () => {
  it('maps the window facts of a Slack finding into the incident context and its entities, bounded', async () => {
    const summary = toSummary(await massDownloadFinding(), massDownload);
    expect(summary.context).toMatchObject({
      source: 'slackAudit',
      org: 'acme',
      ips: [IP],
      userAgents: [UA],
      actions: ['file_downloaded'],
    });
    expect(summary.entities).toEqual([
      {
        role: 'actor',
        type: 'user',
        stance: 'suspect',
        id: ALICE.id,
        name: ALICE.name,
        email: ALICE.email,
        firstSeen: T0,
        lastSeen: T0 + 20 * 60,
      },
      { role: 'sourceIp', type: 'ip', stance: 'context', id: IP, firstSeen: T0, lastSeen: T0 + 20 * 60 },
    ]);
    expect(summary.why).toBe('21 downloads within 60 min, above the burst threshold of 15.');
    expect(summary.detectionTitle).toBe(massDownload.title);
    expect(summary.mitre).toEqual([...massDownload.mitre]);
    expect(summary.eventIds?.length).toBeGreaterThan(0);
    expect(summary.eventIds?.length).toBeLessThanOrEqual(10);
    expect(JSON.stringify(summary.evidence).length).toBeLessThanOrEqual(2_000);
    // Evidence is labelled facts, not JSON.
    for (const fact of summary.evidence ?? []) expect(fact.value).not.toMatch(/^[[{]/);
  });

  it('a spray whose last attempt targets the CEO offers no user action against any victim', async () => {
    const ip = '185.220.101.7';
    const attempts = [...victims, ...victims, CEO].map((who, i) =>
      auditRow({ action: 'user_login_failed', actor: who, ip, t: T0 + i * 10, ua: 'python-requests/2.32.3' }),
    );
    const [finding] = await raise(failedLoginsOneIp, attempts);
    if (finding === undefined) throw new Error('expected a spray finding');
    const state = incidentOf(finding, failedLoginsOneIp);
    // The newest event's actor is the CEO: the old model made the CEO "the user" of the incident.
    expect(state.finding.entities.find((e) => e.id === CEO.id)).toMatchObject({ role: 'actor', stance: 'victim' });
    expect(state.finding.entities.find((e) => e.type === 'ip')).toMatchObject({ id: ip, stance: 'suspect' });
    for (const who of [CEO, ...victims]) {
      expect(findOffered(state, 'resetSessions', who.id)).toBeUndefined();
      expect(findOffered(state, 'deactivateUser', who.id)).toBeUndefined();
    }
    expect(offeredActions(state).some((a) => a.about !== undefined)).toBe(false);
    expect(
      automaticAction(
        { ...state, policy: { ...POLICY, automaticAction: 'resetSessions' } },
        new Date((T0 + 600) * 1000).toISOString(),
      ).act,
    ).toBeUndefined();
  });

  it('many users from one IP: the IP is the suspect, the accounts are not acted on', async () => {
    const ip = '185.220.101.8';
    const logins = [...victims, ...victims.map((v) => ({ ...v, id: `${v.id}X` })), CEO].map((who, i) =>
      auditRow({ action: 'user_login', actor: who, ip, t: T0 + i * 60 }),
    );
    const [finding] = await raise(manyUsersOneIp, logins);
    if (finding === undefined) throw new Error('expected a finding');
    const state = incidentOf(finding, manyUsersOneIp);
    expect(offeredActions(state).some((a) => a.about?.kind === 'user')).toBe(false);
  });

  it('made owner: both parties are named and each gets its own actions; the actor is not "the user"', async () => {
    const made = auditRow({ action: 'role_change_to_owner', actor: ALICE, entity: userEntity(BOB), ip: '73.12.40.9' });
    const [finding] = await raise(privilegeEscalation, [made]);
    if (finding === undefined) throw new Error('expected a finding');
    const state = incidentOf(finding, privilegeEscalation);
    expect(state.finding.entities.map((e) => [e.role, e.id, e.stance])).toEqual([
      ['actor', ALICE.id, 'suspect'],
      ['affected', BOB.id, 'suspect'],
      ['sourceIp', '73.12.40.9', 'context'],
    ]);
    expect(findOffered(state, 'deactivateUser', ALICE.id)?.label).toBe(`Deactivate alice (${ALICE.id})`);
    expect(findOffered(state, 'deactivateUser', BOB.id)?.label).toBe(`Deactivate bob (${BOB.id})`);
    const rendered = JSON.stringify(buildIncidentMessage(state).blocks);
    expect(rendered).toContain('*Who:* `alice` `W0ALICE`');
    expect(rendered).toContain('*To whom:* `bob` `W0BOB`');
  });

  it('renders the user, IP and user agent in the Slack alert built from the summary', async () => {
    const state = incidentOf(await massDownloadFinding(), massDownload);
    const rendered = JSON.stringify(buildIncidentMessage(state).blocks);
    expect(rendered).toContain(ALICE.email);
    expect(rendered).toContain(IP);
    expect(rendered).toContain('Slack/4.41.105');
  });

  it('keeps device context for a Meraki subject without inventing a user', () => {
    const summary = toSummary({
      detectionId: 'meraki.uplink.public-ip-change',
      dedupeKey: 'Q2AB-CDEF-0001',
      findingId: 'f',
      incidentId: 'incident-meraki.uplink.public-ip-change-abc',
      severity: 'medium',
      title: 'MX failed over',
      count: 2,
      firstSeen: T0,
      lastSeen: T0 + 60,
      lastEventT: T0 + 60,
      subject: { type: 'device', id: 'Q2AB-CDEF-0001', name: 'Chicago MX' },
      facts: { networkId: 'N_1', networkName: 'Chicago', model: 'MX68CW' },
      entities: [
        {
          role: 'device',
          type: 'device',
          stance: 'context',
          id: 'Q2AB-CDEF-0001',
          name: 'Chicago MX',
          network: { networkId: 'N_1', networkName: 'Chicago', organizationId: '5001' },
          firstSeen: T0,
          lastSeen: T0 + 60,
        },
      ],
      evidence: {},
      eventIds: [],
      sourceOrg: '5001',
      createdCycle: 'c',
      updatedCycle: 'c',
      isNew: true,
      expiresAt: T0 + 86_400,
    });
    expect(summary.entities?.map((e) => e.type)).toEqual(['device']);
    expect(summary.context).toEqual({
      org: '5001',
      source: 'meraki',
      meraki: {
        networkId: 'N_1',
        networkName: 'Chicago',
        deviceModel: 'MX68CW',
        deviceSerial: 'Q2AB-CDEF-0001',
        deviceName: 'Chicago MX',
      },
    });
  });
});
