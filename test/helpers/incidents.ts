/** Builders for incident tests: findings with sensible defaults, policies, states. */
import { openIncident, type IncidentState } from '../../src/response/incident-state';
import {
  normalizeFinding,
  type IncidentFinding,
  type IncidentFindingInput,
  type IncidentPolicy,
} from '../../src/response/model';

export const T0 = new Date('2026-03-02T10:00:00.000Z');

/** The smallest app settings with an incident channel, for tests of the incident path (no real secret). */
export const INCIDENT_TEST_ENV: Readonly<Record<string, string>> = Object.freeze({
  SENTRY_SOURCES: 'slackAudit',
  SENTRY_SLACK_AUDIT_TOKEN: 'xoxp-test',
  SENTRY_INGESTION_ENDPOINT: 'https://ingest.example',
  SENTRY_DCR_IMMUTABLE_ID: 'dcr-test',
  SENTRY_STORAGE_CONNECTION: 'UseDevelopmentStorage=true',
  SENTRY_SLACK_INCIDENT_CHANNEL: 'C0ALERTS1',
});

export function slackFinding(overrides: Partial<IncidentFindingInput> = {}): IncidentFinding {
  return normalizeFinding({
    detectionId: 'slack.audit.anomaly',
    dedupeKey: 'W0BOB0001',
    incidentId: 'incident-slack.audit.anomaly-3f2a9c1d',
    severity: 'critical',
    title: 'Slack flagged an anomalous session for bob',
    count: 3,
    firstSeen: '2026-03-02T09:40:00.000Z',
    lastSeen: '2026-03-02T09:55:00.000Z',
    isNew: true,
    subject: { type: 'user', id: 'W0BOB0001', name: 'bob' },
    context: {
      source: 'slackAudit',
      org: 'E0SENTRY1',
      user: { id: 'W0BOB0001', name: 'bob', email: 'bob@sentry-test.example' },
      ips: ['203.0.113.5', '198.51.100.7'],
      userAgents: ['Mozilla/5.0 (Macintosh) Slack/4.36.0'],
      sessionIds: ['1001'],
      actions: ['anomaly'],
    },
    evidence: { reason: ['asn', 'ip_address'], previousIp: '192.0.2.10' },
    eventIds: ['a1b2c3', 'd4e5f6'],
    mitre: ['TA0001:T1078'],
    ...overrides,
  });
}

export function merakiFinding(overrides: Partial<IncidentFindingInput> = {}): IncidentFinding {
  return normalizeFinding({
    detectionId: 'meraki.uplink.public-ip-change',
    dedupeKey: 'Q2XX-AAAA-0001',
    incidentId: 'incident-meraki.uplink.public-ip-change-77aa01',
    severity: 'high',
    title: 'Public IP of MX hq-mx changed twice in 30 min',
    count: 2,
    firstSeen: '2026-03-02T09:30:00.000Z',
    lastSeen: '2026-03-02T09:50:00.000Z',
    isNew: true,
    subject: { type: 'device', id: 'Q2XX-AAAA-0001', name: 'hq-mx' },
    context: {
      source: 'meraki',
      org: '549236',
      ips: ['198.51.100.99'],
      meraki: {
        organizationId: '549236',
        networkId: 'N_100',
        networkName: 'HQ',
        deviceSerial: 'Q2XX-AAAA-0001',
        deviceName: 'hq-mx',
        deviceModel: 'MX68',
        uplink: 'cellular',
        publicIps: ['198.51.100.99'],
        clientMac: 'aa:bb:cc:00:11:22',
        clientDescription: 'unknown-laptop',
      },
    },
    ...overrides,
  });
}

export const POLICY: IncidentPolicy = {
  channel: 'C0ALERTS1',
  escalateAfterMinutes: 15,
  oncallGroup: 'S0SECOPS1',
  automaticAction: 'resetSessions',
  snoozeDays: 7,
};

export function stateOf(finding: IncidentFinding = slackFinding(), policy: IncidentPolicy = POLICY): IncidentState {
  return { ...openIncident(finding, policy, T0), message: { channel: policy.channel, ts: '1772445600.000100' } };
}
