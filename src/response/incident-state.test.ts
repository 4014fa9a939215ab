import { describe, expect, it } from 'vitest';

import {
  merakiFinding,
  POLICY,
  privilegeFinding,
  slackFinding,
  sprayFinding,
  stateOf,
  T0,
  ipEntity,
  userEntity,
} from '../../test/helpers/incidents';
import {
  actionableTargets,
  applyFindingUpdate,
  applyOutcome,
  automaticAction,
  closeStale,
  findOffered,
  knownFindings,
  markEscalated,
  MAX_OCCURRENCES,
  nextDeadline,
  offeredActions,
  openIncident,
  rememberProof,
  SENTRY_ACTOR,
  withheldTargets,
  withProtections,
} from './incident-state';
import { normalizeFinding } from './model';

const ALICE = { id: 'W0ALICE01', name: 'alice' };
const AT = '2026-03-02T10:01:00.000Z';
const ok = { status: 'succeeded' as const, summary: 'ok' };
const targeted = (kind: string) => offeredActions(stateOf()).find((a) => a.kind === kind);

describe('incident state', () => {
  it('opens with an escalation deadline from the policy', () => {
    const state = openIncident(slackFinding(), POLICY, T0, 'grant');
    expect(state).toMatchObject({
      status: 'open',
      escalateAt: '2026-03-02T10:15:00.000Z',
      step: 0,
      grant: 'grant',
      incidentId: 'incident-slack.audit.anomaly-3f2a9c1d',
    });
    expect(nextDeadline(state)).toEqual({ at: '2026-03-02T10:15:00.000Z', kind: 'escalate' });
  });

  it('any responder click acknowledges and stops escalation; automatic actions do not', () => {
    const reset = targeted('resetSessions');
    if (reset === undefined) throw new Error('no reset offered');
    const failed = applyOutcome(
      stateOf(),
      reset,
      { status: 'failed', summary: 'x', error: { code: 'not_an_admin', message: 'm', retriable: false } },
      ALICE,
      AT,
    );
    expect(failed).toMatchObject({ status: 'acknowledged', escalateAt: undefined, acknowledged: { by: ALICE } });
    const automatic = applyOutcome(stateOf(), reset, ok, SENTRY_ACTOR, '2026-03-02T10:15:00.000Z');
    expect(automatic.status).toBe('open');
    expect(automatic.acknowledged).toBeUndefined();
  });

  it('names every target on its button and confirm dialog, and asks before a session reset', () => {
    const actions = offeredActions(stateOf());
    expect(actions.map((a) => a.label)).toEqual([
      'Acknowledge',
      'Reset sessions: bob (W0BOB0001)',
      'Deactivate bob (W0BOB0001)',
      'Invalidate session 1001 of bob',
      'Snooze 7d',
      'False positive',
      'Benign positive',
    ]);
    const reset = actions.find((a) => a.kind === 'resetSessions');
    expect(reset?.confirm?.text).toContain('bob (W0BOB0001), who did it in this finding');
    expect(actions.find((a) => a.kind === 'deactivateUser')?.confirm?.title).toBe('Deactivate this user?');
  });

  it('honours a click only for an action offered now (done, closed, forged target)', () => {
    const state = stateOf();
    expect(findOffered(state, 'resetSessions', 'W0BOB0001')?.about?.id).toBe('W0BOB0001');
    expect(findOffered(state, 'resetSessions', 'W0ALICE01')).toBeUndefined();
    expect(findOffered(state, 'blockIp', '203.0.113.5')).toBeUndefined(); // context IP, no Meraki network
    const reset = findOffered(state, 'resetSessions', 'W0BOB0001');
    if (reset === undefined) throw new Error('no reset offered');
    const done = applyOutcome(state, reset, ok, ALICE, AT);
    expect(findOffered(done, 'resetSessions', 'W0BOB0001')).toBeUndefined();
    const closed = applyOutcome(
      state,
      { kind: 'closeFalsePositive' },
      { status: 'succeeded', summary: 'closed' },
      ALICE,
      AT,
    );
    expect(offeredActions(closed)).toEqual([]);
    expect(closed.closure).toMatchObject({ as: 'falsePositive', by: ALICE });
  });

  it('a spray whose last attempt targets the owner offers no user action against any victim', () => {
    const state = stateOf(sprayFinding());
    const kinds = offeredActions(state).map((a) => a.kind);
    expect(kinds).toEqual(['acknowledge', 'snooze', 'closeFalsePositive', 'closeBenignPositive']);
    for (const victim of ['W0OWNER01', 'W0ALICE02', 'W0CAROL03']) {
      expect(findOffered(state, 'resetSessions', victim)).toBeUndefined();
      expect(findOffered(state, 'deactivateUser', victim)).toBeUndefined();
    }
    // The automatic action has nobody to act on.
    expect(automaticAction(state, '2026-03-02T10:10:00.000Z')).toEqual({ act: undefined, reason: 'no-target' });
  });

  it('the source IP of a spray is offered as a block once the finding names a Meraki network for it', () => {
    const network = { organizationId: '549236', networkId: 'N_100', networkName: 'HQ' };
    const finding = sprayFinding({
      entities: [
        ...sprayFinding().entities.filter((e) => e.type === 'user'),
        ipEntity('185.220.101.7', 'suspect', network),
      ],
    });
    expect(findOffered(stateOf(finding), 'blockIp', '185.220.101.7')?.label).toBe('Block 185.220.101.7 on HQ');
  });

  it('a two-party finding offers each party’s actions, each named, and no automatic choice between them', () => {
    const state = stateOf(privilegeFinding());
    const labels = offeredActions(state).map((a) => a.label);
    expect(labels).toContain('Deactivate sophia.park (W0SOPHIA5)');
    expect(labels).toContain('Deactivate mohammed.silva (W0MOHAM04)');
    expect(labels).toContain('Reset sessions: mohammed.silva (W0MOHAM04)');
    expect(findOffered(state, 'deactivateUser', 'W0MOHAM04')?.confirm?.text).toContain('the account it was done to');
    expect(findOffered(state, 'deactivateUser', 'W0SOPHIA5')?.confirm?.text).toContain('who did it');
    const decision = automaticAction(state, '2026-03-02T10:10:00.000Z');
    expect(decision).toMatchObject({ act: undefined, reason: 'several-targets' });
  });

  it('a user who is a victim anywhere in the finding is never a target, even when also a suspect', () => {
    const finding = privilegeFinding({
      entities: [
        userEntity('actor', 'suspect', 'W0SOPHIA5', 'sophia.park'),
        userEntity('affected', 'victim', 'W0SOPHIA5', 'sophia.park'),
      ],
    });
    expect(actionableTargets(stateOf(finding))).toEqual([]);
  });

  it('protected targets get no buttons; the message lists them with the guardrail’s reason', () => {
    const state = withProtections(stateOf(), {
      'user:W0BOB0001': { code: 'guardrail_owner', reason: 'W0BOB0001 is an owner of the organization' },
    });
    expect(offeredActions(state).map((a) => a.kind)).toEqual([
      'acknowledge',
      'snooze',
      'closeFalsePositive',
      'closeBenignPositive',
    ]);
    expect(withheldTargets(state)).toMatchObject([
      { target: { kind: 'user', id: 'W0BOB0001' }, reason: 'W0BOB0001 is an owner of the organization' },
    ]);
  });

  it('a guardrail refusal protects the target from every other action, and is not offered again', () => {
    const reset = targeted('resetSessions');
    if (reset === undefined) throw new Error('no reset offered');
    const refused = applyOutcome(
      stateOf(),
      reset,
      {
        status: 'refused',
        summary: 'Refused: W0BOB0001 is a Sentry responder',
        error: { code: 'guardrail_responder', message: 'W0BOB0001 is a Sentry responder', retriable: false },
      },
      ALICE,
      AT,
    );
    expect(offeredActions(refused).some((a) => a.about?.id === 'W0BOB0001' || a.about?.of === 'W0BOB0001')).toBe(false);
    expect(refused.recent.at(-1)).toMatchObject({ status: 'refused', targetName: 'bob (W0BOB0001)' });
  });

  it('keeps a failed action offered as a retry, and counts attempts', () => {
    const deactivate = targeted('deactivateUser');
    if (deactivate === undefined) throw new Error('no deactivate offered');
    const fail = {
      status: 'failed' as const,
      summary: 'Deactivation failed',
      error: { code: 'http_500', message: 'm', retriable: true },
    };
    const once = applyOutcome(stateOf(), deactivate, fail, ALICE, AT);
    expect(findOffered(once, 'deactivateUser', 'W0BOB0001')?.label).toBe('Retry: Deactivate bob (W0BOB0001)');
    const twice = applyOutcome(once, deactivate, ok, ALICE, '2026-03-02T10:02:00.000Z');
    expect(twice.actions['deactivateUser:W0BOB0001']).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(findOffered(twice, 'deactivateUser', 'W0BOB0001')).toBeUndefined();
  });

  it('a failed close leaves the incident open; a snooze closes it with its end time', () => {
    const snooze = { kind: 'snooze' as const, target: 'W0BOB0001' };
    const failed = applyOutcome(
      stateOf(),
      snooze,
      { status: 'failed', summary: 'x', error: { code: 'state_unavailable', message: 'm', retriable: true } },
      ALICE,
      AT,
    );
    expect(failed.status).toBe('acknowledged');
    const snoozed = applyOutcome(
      stateOf(),
      snooze,
      { status: 'succeeded', summary: 'ok', details: { until: '2026-03-09T10:01:00.000Z' } },
      ALICE,
      AT,
    );
    expect(snoozed.closure).toMatchObject({ as: 'snoozed', until: '2026-03-09T10:01:00.000Z' });
  });

  it('goes stale after escalation or the last response, and closes as stale', () => {
    const escalated = markEscalated(stateOf(), '2026-03-02T10:15:00.000Z');
    expect(nextDeadline(escalated)).toEqual({ at: '2026-03-05T10:15:00.000Z', kind: 'stale' });
    const acknowledged = applyOutcome(stateOf(), { kind: 'acknowledge' }, ok, ALICE, AT);
    expect(nextDeadline(acknowledged)).toEqual({ at: '2026-03-05T10:01:00.000Z', kind: 'stale' });
    const stale = closeStale(escalated, '2026-03-05T10:15:00.000Z');
    expect(stale).toMatchObject({ status: 'closed', closure: { as: 'stale', by: SENTRY_ACTOR } });
    expect(nextDeadline(stale)).toBeUndefined();
    expect(offeredActions(stale)).toEqual([]);
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

  it('takes new entities from an update only together with a new grant', () => {
    const state = stateOf();
    const mallory = userEntity('actor', 'suspect', 'W0MALLORY', 'mallory');
    const alone = applyFindingUpdate(state, { count: 9, lastSeen: '2026-03-02T10:05:00.000Z', entities: [mallory] });
    expect(alone.state.finding.entities).toEqual(state.finding.entities);
    const granted = applyFindingUpdate(state, {
      count: 9,
      lastSeen: '2026-03-02T10:05:00.000Z',
      entities: [mallory],
      grant: 'g2',
    });
    expect(granted.state.finding.entities).toEqual([mallory]);
    expect(granted.state.grant).toBe('g2');
  });

  it('takes the policy’s automatic action only on one target, and never for an old finding', () => {
    expect(automaticAction(stateOf(), '2026-03-02T10:15:00.000Z').act?.kind).toBe('resetSessions');
    expect(automaticAction(stateOf(merakiFinding()), '2026-03-02T10:15:00.000Z').act).toBeUndefined();
    expect(
      automaticAction(stateOf(merakiFinding(), { ...POLICY, automaticAction: 'blockIp' }), '2026-03-02T10:15:00.000Z')
        .act,
    ).toMatchObject({ kind: 'blockIp', target: '185.220.101.99' });
    // A backfilled finding whose newest event is 90 days old.
    const old = stateOf(slackFinding({ firstSeen: '2025-12-01T09:00:00.000Z', lastSeen: '2025-12-01T09:05:00.000Z' }));
    expect(automaticAction(old, '2026-03-02T10:15:00.000Z')).toMatchObject({ act: undefined, reason: 'too-old' });
  });

  it('remembers the proofs of handled clicks, so a replay is recognized', () => {
    const first = rememberProof(stateOf(), 'abc');
    expect(first.replayed).toBe(false);
    expect(rememberProof(first.state, 'abc').replayed).toBe(true);
  });
});

describe('normalizeFinding', () => {
  it('keeps the entities as detection declared them and drops nothing else it knows', () => {
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
      entities: [userEntity('actor', 'suspect', 'W0BOB0001', 'bob', { sessions: ['1001'] })],
      context: { ips: ['203.0.113.5'], userAgents: ['Slack/4'], meraki: { networkId: 'N_1' } },
    });
    expect(finding.entities).toEqual([userEntity('actor', 'suspect', 'W0BOB0001', 'bob', { sessions: ['1001'] })]);
    expect(finding.context).toEqual({ ips: ['203.0.113.5'], userAgents: ['Slack/4'], meraki: { networkId: 'N_1' } });
  });

  it('rejects an entity whose type does not match its role, or whose stance is unknown', () => {
    const bad = { ...userEntity('actor', 'suspect', 'W0BOB0001'), type: 'ip' };
    expect(() => slackFinding({ entities: [bad as never] })).toThrow(/type does not match/);
    expect(() =>
      slackFinding({ entities: [{ ...userEntity('actor', 'suspect', 'W0BOB0001'), stance: 'boss' } as never] }),
    ).toThrow();
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
