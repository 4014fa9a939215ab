import { describe, expect, it } from 'vitest';

import { parseAutoActionRules, parseConfig } from '../config';
import { INCIDENT_TEST_ENV, slackFinding, userEntity } from '../../test/helpers/incidents';
import { incidentQuery, kqlString } from './kql';
import { resolvePolicy, ruleMatches } from './policy';

const BASE = INCIDENT_TEST_ENV;

describe('automatic-action rules (SENTRY_INCIDENT_AUTO_ACTIONS)', () => {
  it('parses detection[@severity[+]]=action lists, and none', () => {
    expect(
      parseAutoActionRules('slack.audit.anomaly@critical=resetSessions, meraki.*@high+=blockIp; *=blockClient'),
    ).toEqual([
      { detection: 'slack.audit.anomaly', severity: 'critical', orHigher: false, action: 'resetSessions' },
      { detection: 'meraki.*', severity: 'high', orHigher: true, action: 'blockIp' },
      { detection: '*', severity: undefined, orHigher: false, action: 'blockClient' },
    ]);
    expect(parseAutoActionRules('none')).toEqual([]);
    expect(() => parseAutoActionRules('slack.audit.anomaly@urgent=resetSessions')).toThrow(/severity/);
    expect(() => parseAutoActionRules('slack.audit.anomaly=closeFalsePositive')).toThrow(/action of/);
  });

  it('defaults to resetting sessions on a Slack anomaly of medium or higher, and reports a bad value by setting name', () => {
    expect(parseConfig(BASE).incident).toEqual({
      escalationMinutes: 15,
      snoozeDays: 7,
      autoActions: [{ detection: 'slack.audit.anomaly', severity: 'medium', orHigher: true, action: 'resetSessions' }],
      staleAfterHours: 72,
      autoActionMaxAgeMinutes: 240,
      maxNewPerDetection: 10,
    });
    expect(() => parseConfig({ ...BASE, SENTRY_INCIDENT_AUTO_ACTIONS: 'x=y' })).toThrow(
      /SENTRY_INCIDENT_AUTO_ACTIONS is invalid/,
    );
  });

  it('matches exact ids, prefixes and severities', () => {
    const [exact, prefix] = parseAutoActionRules('slack.audit.anomaly@critical=resetSessions,meraki.*@high+=blockIp');
    if (exact === undefined || prefix === undefined) throw new Error('rules missing');
    expect(ruleMatches(exact, 'slack.audit.anomaly', 'critical')).toBe(true);
    expect(ruleMatches(exact, 'slack.audit.anomaly', 'high')).toBe(false);
    expect(ruleMatches(exact, 'slack.audit.anomaly-2', 'critical')).toBe(false);
    expect(ruleMatches(prefix, 'meraki.uplink.public-ip-change', 'critical')).toBe(true);
    expect(ruleMatches(prefix, 'meraki.uplink.public-ip-change', 'medium')).toBe(false);
  });

  it('resolves an incident policy from configuration; without a channel it is a config error', () => {
    const config = parseConfig({
      ...BASE,
      SENTRY_SLACK_ONCALL_GROUP: 'S0ONCALL1',
      SENTRY_INCIDENT_ESCALATION_MINUTES: '5',
    });
    expect(resolvePolicy(config, 'slack.audit.anomaly', 'critical')).toEqual({
      channel: 'C0ALERTS1',
      escalateAfterMinutes: 5,
      oncallGroup: 'S0ONCALL1',
      automaticAction: 'resetSessions',
      snoozeDays: 7,
      staleAfterHours: 72,
      autoActionMaxAgeMinutes: 240,
    });
    expect(resolvePolicy(config, 'slack.audit.anomaly', 'low').automaticAction).toBeUndefined();
    const noChannel = parseConfig({ ...BASE, SENTRY_SLACK_INCIDENT_CHANNEL: '' });
    expect(() => resolvePolicy(noChannel, 'slack.audit.anomaly', 'high')).toThrow(/SENTRY_SLACK_INCIDENT_CHANNEL/);
  });
});

describe('incidentQuery', () => {
  it('quotes values as KQL literals so data cannot change the query', () => {
    expect(kqlString('a"b\\c\nd')).toBe('"a\\"b\\\\c d"');
    const query = incidentQuery(
      slackFinding({
        subject: { type: 'user', id: 'W0BOB0001" or 1==1 //' },
        entities: [userEntity('actor', 'suspect', 'W0BOB0001" or 1==1 //')],
      }),
    );
    expect(query).toContain(
      '| where ActorUserId in ("W0BOB0001\\" or 1==1 //") or EntityId in ("W0BOB0001\\" or 1==1 //")',
    );
  });

  it('falls back to the IPs when no user is known, and to a day when times are unparseable', () => {
    const query = incidentQuery(
      slackFinding({
        firstSeen: 'yesterday',
        subject: { type: 'ip', id: '203.0.113.5' },
        entities: [],
        context: { ips: ['203.0.113.5'] },
      }),
    );
    expect(query).toContain('| where TimeGenerated > ago(1d)');
    expect(query).toContain('| where SrcIpAddr in ("203.0.113.5")');
  });

  it('widens the time range to cover the incident’s other occurrences', () => {
    const finding = slackFinding();
    expect(incidentQuery(finding)).toContain(
      '| where TimeGenerated between (datetime(2026-03-02T08:40:00.000Z) .. datetime(2026-03-02T10:55:00.000Z))',
    );
    const query = incidentQuery(finding, [
      { firstSeen: '2026-02-18T10:00:00.000Z', lastSeen: '2026-02-18T10:20:00.000Z' },
      { firstSeen: 'garbage', lastSeen: '2027-01-01T00:00:00.000Z' },
    ]);
    expect(query).toContain(
      '| where TimeGenerated between (datetime(2026-02-18T09:00:00.000Z) .. datetime(2026-03-02T10:55:00.000Z))',
    );
  });
});
