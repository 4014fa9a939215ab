import { describe, expect, it } from 'vitest';

import { merakiFinding, POLICY, slackFinding, stateOf, T0 } from '../../test/helpers/incidents';
import {
  applyFindingUpdate,
  applyOutcome,
  automaticAction,
  findOffered,
  offeredActions,
  openIncident,
  SENTRY_ACTOR,
} from './incident-state';
import { normalizeFinding } from './model';

const ALICE = { id: 'W0ALICE01', name: 'alice' };

describe('incident state', () => {
  it('opens with an escalation deadline from the policy', () => {
    const state = openIncident(slackFinding(), POLICY, T0);
    expect(state).toMatchObject({
      status: 'open',
      escalateAt: '2026-03-02T10:15:00.000Z',
      step: 0,
      incidentId: 'incident-slack.audit.anomaly-3f2a9c1d',
    });
  });

  it('any responder click acknowledges and stops escalation; automatic actions do not', () => {
    const failed = applyOutcome(
      stateOf(),
      'resetSessions',
      'W0BOB0001',
      { status: 'failed', summary: 'x', error: { code: 'not_an_admin', message: 'm', retriable: false } },
      ALICE,
      '2026-03-02T10:01:00.000Z',
    );
    expect(failed).toMatchObject({ status: 'acknowledged', escalateAt: undefined, acknowledged: { by: ALICE } });
    const automatic = applyOutcome(
      stateOf(),
      'resetSessions',
      'W0BOB0001',
      { status: 'succeeded', summary: 'ok' },
      SENTRY_ACTOR,
      '2026-03-02T10:15:00.000Z',
    );
    expect(automatic.status).toBe('open');
    expect(automatic.acknowledged).toBeUndefined();
  });

  it('honours a click only for an action offered now (done, closed, forged target)', () => {
    const state = stateOf();
    expect(findOffered(state, 'resetSessions', 'W0BOB0001')?.label).toBe('Reset sessions');
    expect(findOffered(state, 'resetSessions', 'W0ALICE01')).toBeUndefined();
    expect(findOffered(state, 'blockIp', '203.0.113.5')).toBeUndefined(); // no Meraki network on a Slack finding
    const done = applyOutcome(
      state,
      'resetSessions',
      'W0BOB0001',
      { status: 'succeeded', summary: 'ok' },
      ALICE,
      '2026-03-02T10:01:00.000Z',
    );
    expect(findOffered(done, 'resetSessions', 'W0BOB0001')).toBeUndefined();
    const closed = applyOutcome(
      state,
      'closeFalsePositive',
      undefined,
      { status: 'succeeded', summary: 'closed' },
      ALICE,
      '2026-03-02T10:01:00.000Z',
    );
    expect(offeredActions(closed)).toEqual([]);
    expect(closed.closure).toMatchObject({ as: 'falsePositive', by: ALICE });
  });

  it('keeps a failed action offered as a retry, and counts attempts', () => {
    const fail = {
      status: 'failed' as const,
      summary: 'Deactivation failed',
      error: { code: 'http_500', message: 'm', retriable: true },
    };
    const once = applyOutcome(stateOf(), 'deactivateUser', 'W0BOB0001', fail, ALICE, '2026-03-02T10:01:00.000Z');
    expect(findOffered(once, 'deactivateUser', 'W0BOB0001')?.label).toBe('Retry: Deactivate user');
    const twice = applyOutcome(
      once,
      'deactivateUser',
      'W0BOB0001',
      { status: 'succeeded', summary: 'done' },
      ALICE,
      '2026-03-02T10:02:00.000Z',
    );
    expect(twice.actions['deactivateUser:W0BOB0001']).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(findOffered(twice, 'deactivateUser', 'W0BOB0001')).toBeUndefined();
  });

  it('a failed close leaves the incident open; a snooze closes it with its end time', () => {
    const failed = applyOutcome(
      stateOf(),
      'snooze',
      'W0BOB0001',
      { status: 'failed', summary: 'x', error: { code: 'state_unavailable', message: 'm', retriable: true } },
      ALICE,
      '2026-03-02T10:01:00.000Z',
    );
    expect(failed.status).toBe('acknowledged');
    const snoozed = applyOutcome(
      stateOf(),
      'snooze',
      'W0BOB0001',
      { status: 'succeeded', summary: 'ok', details: { until: '2026-03-09T10:01:00.000Z' } },
      ALICE,
      '2026-03-02T10:01:00.000Z',
    );
    expect(snoozed.closure).toMatchObject({ as: 'snoozed', until: '2026-03-09T10:01:00.000Z' });
  });

  it('grows the finding on updates, never shrinks it, and says when nothing changed', () => {
    const state = stateOf();
    const grown = applyFindingUpdate(state, { count: 9, lastSeen: '2026-03-02T10:05:00.000Z' });
    expect(grown.changed).toBe(true);
    expect(grown.state.finding).toMatchObject({ count: 9, lastSeen: '2026-03-02T10:05:00.000Z' });
    expect(applyFindingUpdate(grown.state, { count: 4, lastSeen: '2026-03-02T09:00:00.000Z' })).toEqual({
      state: grown.state,
      changed: false,
    });
    expect(applyFindingUpdate(state, { count: 3, lastSeen: state.finding.lastSeen, severity: 'low' }).changed).toBe(
      false,
    );
  });

  it('takes the policy’s automatic action only where the incident offers it', () => {
    expect(automaticAction(stateOf())?.kind).toBe('resetSessions');
    expect(automaticAction(stateOf(merakiFinding()))).toBeUndefined();
    expect(automaticAction(stateOf(merakiFinding(), { ...POLICY, automaticAction: 'blockIp' }))).toMatchObject({
      kind: 'blockIp',
      target: '198.51.100.99',
    });
  });
});

describe('normalizeFinding', () => {
  it('folds a detection’s subject and facts into the context', () => {
    const finding = normalizeFinding({
      detectionId: 'slack.audit.user-many-ips',
      dedupeKey: 'W0BOB0001',
      incidentId: 'incident-slack.audit.user-many-ips-1',
      severity: 'medium',
      title: 't',
      count: 4,
      firstSeen: '2026-03-01T00:00:00Z',
      lastSeen: '2026-03-02T00:00:00Z',
      isNew: true,
      subject: { type: 'user', id: 'W0BOB0001', name: 'bob' },
      facts: { email: 'bob@x.example', ip: '203.0.113.5', ua: 'Slack/4', sessionId: 1001, networkId: 'N_1' },
    });
    expect(finding.context).toEqual({
      user: { id: 'W0BOB0001', name: 'bob', email: 'bob@x.example' },
      ips: ['203.0.113.5'],
      userAgents: ['Slack/4'],
      sessionIds: ['1001'],
      meraki: { networkId: 'N_1' },
    });
  });

  it('cuts over-long values instead of rejecting the finding, and rejects a bad incident id', () => {
    const finding = slackFinding({ title: 'x'.repeat(5000), context: { userAgents: ['u'.repeat(5000)] } });
    expect(finding.title).toHaveLength(1024);
    expect(finding.context.userAgents?.[0]).toHaveLength(1024);
    expect(() => slackFinding({ incidentId: 'not-an-incident' })).toThrow(/incidentId/);
  });
});
