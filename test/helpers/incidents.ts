/** Builders for incident tests: findings with sensible defaults, policies, states. */
import { openIncident, type IncidentState } from '../../src/response/incident-state';
import {
  normalizeFinding,
  type IncidentEntity,
  type IncidentFinding,
  type IncidentFindingInput,
  type IncidentPolicy,
} from '../../src/response/model';
import { signCharter } from '../../src/response/proofs';
import { charterOf } from '../../src/response/targets';

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

/** The response key tests sign charters and responder events with. */
export const TEST_RESPONSE_KEY = Buffer.from('sentry-test-response-key', 'utf8');

const minute = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** A user entity as detection hands it over. */
export function userEntity(
  role: 'actor' | 'affected',
  stance: 'suspect' | 'victim' | 'context',
  id: string,
  name?: string,
  extra: Partial<IncidentEntity> = {},
): IncidentEntity {
  return {
    role,
    type: 'user',
    stance,
    id,
    ...(name === undefined ? {} : { name }),
    firstSeen: minute('2026-03-02T09:40:00.000Z'),
    lastSeen: minute('2026-03-02T09:55:00.000Z'),
    ...extra,
  };
}

export function ipEntity(
  ip: string,
  stance: 'suspect' | 'victim' | 'context',
  network?: IncidentEntity['network'],
): IncidentEntity {
  return {
    role: 'sourceIp',
    type: 'ip',
    stance,
    id: ip,
    ...(network === undefined ? {} : { network }),
    firstSeen: minute('2026-03-02T09:40:00.000Z'),
    lastSeen: minute('2026-03-02T09:55:00.000Z'),
  };
}

export function slackFinding(overrides: Partial<IncidentFindingInput> = {}): IncidentFinding {
  return normalizeFinding({
    detectionId: 'slack.audit.anomaly',
    dedupeKey: 'W0BOB0001',
    incidentId: 'incident-slack.audit.anomaly-3f2a9c1d',
    severity: 'critical',
    title: 'Slack flagged an anomalous session for bob',
    why: 'Any single matching event raises this finding; repeats within the window are merged.',
    count: 3,
    firstSeen: '2026-03-02T09:40:00.000Z',
    lastSeen: '2026-03-02T09:55:00.000Z',
    isNew: true,
    subject: { type: 'user', id: 'W0BOB0001', name: 'bob' },
    entities: [
      userEntity('actor', 'suspect', 'W0BOB0001', 'bob', { email: 'bob@sentry-test.example', sessions: ['1001'] }),
      ipEntity('203.0.113.5', 'context'),
    ],
    context: {
      source: 'slackAudit',
      org: 'E0SENTRY1',
      ips: ['203.0.113.5', '198.51.100.7'],
      userAgents: ['Mozilla/5.0 (Macintosh) Slack/4.36.0'],
      actions: ['anomaly'],
    },
    evidence: [
      { label: 'Reasons', value: 'asn, ip_address' },
      { label: 'Previous IP', value: '192.0.2.10' },
    ],
    eventIds: ['a1b2c3', 'd4e5f6'],
    mitre: ['TA0001:T1078'],
    ...overrides,
  });
}

/** A password spray: six victims (the last attempt aimed at the primary owner), the source IP the suspect. */
export function sprayFinding(overrides: Partial<IncidentFindingInput> = {}): IncidentFinding {
  return normalizeFinding({
    detectionId: 'slack.audit.failed-logins-one-ip',
    dedupeKey: '185.220.101.7',
    incidentId: 'incident-slack.audit.failed-logins-one-ip-9e8d7c6b',
    severity: 'medium',
    title: '14 failed logins from 185.220.101.7 against 6 accounts',
    count: 14,
    firstSeen: '2026-03-02T09:50:00.000Z',
    lastSeen: '2026-03-02T09:54:00.000Z',
    isNew: true,
    subject: { type: 'ip', id: '185.220.101.7' },
    entities: [
      userEntity('actor', 'victim', 'W0OWNER01', 'ceo', { lastSeen: minute('2026-03-02T09:54:00.000Z') }),
      userEntity('actor', 'victim', 'W0ALICE02', 'alice'),
      userEntity('actor', 'victim', 'W0CAROL03', 'carol'),
      ipEntity('185.220.101.7', 'suspect'),
    ],
    context: { source: 'slackAudit', org: 'E0SENTRY1', ips: ['185.220.101.7'], actions: ['user_login_failed'] },
    evidence: [{ label: 'Accounts', value: 'ceo, alice, carol' }],
    ...overrides,
  });
}

/** "Made owner": the admin who did it and the user made owner, both suspects. */
export function privilegeFinding(overrides: Partial<IncidentFindingInput> = {}): IncidentFinding {
  return normalizeFinding({
    detectionId: 'slack.audit.privilege-escalation',
    dedupeKey: 'user:W0MOHAM04',
    incidentId: 'incident-slack.audit.privilege-escalation-5a4b3c2d',
    severity: 'critical',
    title: 'Made owner: mohammed.silva',
    count: 1,
    firstSeen: '2026-03-02T09:55:00.000Z',
    lastSeen: '2026-03-02T09:55:00.000Z',
    isNew: true,
    subject: { type: 'user', id: 'W0MOHAM04', name: 'mohammed.silva' },
    entities: [
      userEntity('actor', 'suspect', 'W0SOPHIA5', 'sophia.park', { sessions: ['2002'] }),
      userEntity('affected', 'suspect', 'W0MOHAM04', 'mohammed.silva'),
      ipEntity('73.12.40.9', 'context'),
    ],
    context: { source: 'slackAudit', org: 'E0SENTRY1', actions: ['role_change_to_owner'] },
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
    entities: [
      {
        role: 'device',
        type: 'device',
        stance: 'context',
        id: 'Q2XX-AAAA-0001',
        name: 'hq-mx',
        network: { organizationId: '549236', networkId: 'N_100', networkName: 'HQ' },
        firstSeen: minute('2026-03-02T09:30:00.000Z'),
        lastSeen: minute('2026-03-02T09:50:00.000Z'),
      },
      ipEntity('185.220.101.99', 'suspect', { organizationId: '549236', networkId: 'N_100', networkName: 'HQ' }),
      {
        role: 'client',
        type: 'client',
        stance: 'suspect',
        id: 'aa:bb:cc:00:11:22',
        name: 'unknown-laptop',
        network: { organizationId: '549236', networkId: 'N_100', networkName: 'HQ' },
        firstSeen: minute('2026-03-02T09:30:00.000Z'),
        lastSeen: minute('2026-03-02T09:50:00.000Z'),
      },
    ],
    context: {
      source: 'meraki',
      org: '549236',
      ips: ['185.220.101.99'],
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
  staleAfterHours: 72,
  autoActionMaxAgeMinutes: 240,
};

/** dispatchIncidents' grant over a finding's charter, with the test key. */
export function grantFor(finding: IncidentFinding, policy: IncidentPolicy = POLICY): string {
  return signCharter(TEST_RESPONSE_KEY, charterOf(finding, policy));
}

export function stateOf(finding: IncidentFinding = slackFinding(), policy: IncidentPolicy = POLICY): IncidentState {
  return {
    ...openIncident(finding, policy, T0, grantFor(finding, policy)),
    message: { channel: policy.channel, ts: '1772445600.000100' },
  };
}
