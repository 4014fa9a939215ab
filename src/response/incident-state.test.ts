import { describe, expect, it } from 'vitest';

import { merakiFinding, POLICY, slackFinding, stateOf, T0 } from '../../test/helpers/incidents';
import {
  applyFindingUpdate,
  applyOutcome,
  automaticAction,
  findOffered,
  knownFindings,
  MAX_OCCURRENCES,
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

describe('other occurrences of the dedupe key', () => {
  const live = () => stateOf(slackFinding({ findingId: 'slack.audit.anomaly:ab12:1772444400000' }));
  // What a 14-day backfill finds for the same subject, days before the live finding.
  const older = {
    findingId: 'slack.audit.anomaly:ab12:1771408800000',
    count: 4,
    firstSeen: '2026-02-18T10:00:00.000Z',
    lastSeen: '2026-02-18T10:20:00.000Z',
    severity: 'high' as const,
    title: 'Slack flagged an anomalous session for bob',
    evidence: [
      { label: 'reason', value: '["asn"]' },
      { label: 'previousIp', value: '192.0.2.77' },
      { label: 'a', value: '1' },
      { label: 'b', value: '2' },
    ],
  };

  it('adds another finding once, as an occurrence, and leaves the shown finding alone', () => {
    const state = live();
    const first = applyFindingUpdate(state, older);
    expect(first.changed).toBe(true);
    expect(first.learned).toEqual({
      findingId: older.findingId,
      count: 4,
      firstSeen: older.firstSeen,
      lastSeen: older.lastSeen,
      severity: 'high',
      title: older.title,
      evidence: older.evidence.slice(0, 3),
    });
    expect(first.state.occurrences).toEqual([first.learned]);
    // The shown finding keeps its own numbers: an older, smaller finding does not regress them.
    expect(first.state.finding).toEqual(state.finding);
    expect(knownFindings(first.state)).toEqual([
      ['slack.audit.anomaly:ab12:1772444400000', 3, '2026-03-02T09:55:00.000Z'],
      [older.findingId, 4, older.lastSeen],
    ]);

    const again = applyFindingUpdate(first.state, older);
    expect(again).toEqual({ state: first.state, changed: false });
  });

  it('grows a known occurrence without announcing it again, and never shrinks it', () => {
    const first = applyFindingUpdate(live(), older).state;
    const grown = applyFindingUpdate(first, { ...older, count: 6, lastSeen: '2026-02-18T10:40:00.000Z' });
    expect(grown.changed).toBe(true);
    expect(grown.learned).toBeUndefined();
    expect(grown.state.occurrences).toMatchObject([{ count: 6, lastSeen: '2026-02-18T10:40:00.000Z' }]);
    const stale = applyFindingUpdate(grown.state, older);
    expect(stale).toEqual({ state: grown.state, changed: false });
  });

  it('still grows the shown finding by its own id, and only that', () => {
    const state = applyFindingUpdate(live(), older).state;
    const grown = applyFindingUpdate(state, {
      findingId: 'slack.audit.anomaly:ab12:1772444400000',
      count: 9,
      lastSeen: '2026-03-02T10:05:00.000Z',
    });
    expect(grown.learned).toBeUndefined();
    expect(grown.state.finding).toMatchObject({ count: 9, lastSeen: '2026-03-02T10:05:00.000Z' });
    expect(grown.state.occurrences).toEqual(state.occurrences);
  });

  it('keeps the list bounded and oldest first; a full list ignores more instead of announcing them', () => {
    let state = live();
    for (let i = MAX_OCCURRENCES; i > 0; i -= 1) {
      const day = String(i).padStart(2, '0');
      state = applyFindingUpdate(state, {
        findingId: `f${i}`,
        count: 1,
        firstSeen: `2026-02-${day}T00:00:00.000Z`,
        lastSeen: `2026-02-${day}T00:01:00.000Z`,
      }).state;
    }
    expect(state.occurrences).toHaveLength(MAX_OCCURRENCES);
    expect(state.occurrences?.map((o) => o.findingId).slice(0, 3)).toEqual(['f1', 'f2', 'f3']);
    const full = applyFindingUpdate(state, { findingId: 'f-extra', count: 1, lastSeen: '2026-01-01T00:00:00.000Z' });
    expect(full).toEqual({ state, changed: false });
  });

  it('an incident opened before findings had ids tells them apart by span, and learns its own id', () => {
    const legacy = stateOf(slackFinding());
    const occurrence = applyFindingUpdate(legacy, older);
    expect(occurrence.learned?.findingId).toBe(older.findingId);
    expect(occurrence.state.finding.count).toBe(3);
    const own = applyFindingUpdate(occurrence.state, {
      findingId: 'live-id',
      count: 5,
      firstSeen: '2026-03-02T09:40:00.000Z',
      lastSeen: '2026-03-02T10:00:00.000Z',
    });
    expect(own.learned).toBeUndefined();
    expect(own.state.finding).toMatchObject({ findingId: 'live-id', count: 5 });
    expect(own.state.occurrences).toHaveLength(1);
  });
});
