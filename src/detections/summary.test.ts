import { describe, expect, it } from 'vitest';

import { POLICY } from '../../test/helpers/incidents';
import { openIncident } from '../response/incident-state';
import { normalizeFinding } from '../response/model';
import { buildIncidentMessage } from '../slack/blocks/incident-alert';
import { toSummary } from './evaluate';
import { massDownload } from './slack/mass-download';
import { ALICE, fileEntity, raise, series, T0 } from '../../test/helpers/detection-testkit';

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
  it('maps the window facts of a Slack finding into the incident context, bounded', async () => {
    const summary = toSummary(await massDownloadFinding(), massDownload);
    expect(summary.context).toMatchObject({
      source: 'slackAudit',
      org: 'acme',
      user: { id: ALICE.id, name: ALICE.name, email: ALICE.email },
      ips: [IP],
      userAgents: [UA],
      actions: ['file_downloaded'],
    });
    expect(summary.detectionTitle).toBe(massDownload.title);
    expect(summary.mitre).toEqual([...massDownload.mitre]);
    expect(summary.eventIds?.length).toBeGreaterThan(0);
    expect(summary.eventIds?.length).toBeLessThanOrEqual(10);
    expect(JSON.stringify(summary.evidence).length).toBeLessThanOrEqual(2_000);
  });

  it('renders the user, IP and user agent in the Slack alert built from the summary', async () => {
    const summary = toSummary(await massDownloadFinding(), massDownload);
    const state = openIncident(normalizeFinding(summary), POLICY, new Date((T0 + 3_600) * 1000));
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
      evidence: {},
      eventIds: [],
      sourceOrg: '5001',
      createdCycle: 'c',
      updatedCycle: 'c',
      isNew: true,
      expiresAt: T0 + 86_400,
    });
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
