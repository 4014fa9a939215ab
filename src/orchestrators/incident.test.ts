import { describe, expect, it } from 'vitest';

import { FakeDurable, type FakeTask, taskFailed } from '../../test/helpers/fake-durable';
import {
  grantFor,
  merakiFinding,
  POLICY,
  privilegeFinding,
  slackFinding,
  sprayFinding,
  T0,
} from '../../test/helpers/incidents';
import { findOffered, type IncidentState } from '../response/incident-state';
import type { IncidentFinding, IncidentPolicy } from '../response/model';
import { charterOf } from '../response/targets';
import type { ResponseRow } from '../transforms/streams';
import { incidentOrchestrator, LOOPS_BEFORE_CONTINUE } from './incident';
import { ActivityNames as A, EventNames } from '../contracts';

const ALICE = { id: 'W0ALICE01', name: 'alice' };
const MALLORY = { id: 'W0MALLORY', name: 'mallory' };

let proofs = 0;
function click(kind: string, target?: string, user = ALICE, proof = `proof-${String((proofs += 1))}`) {
  return {
    event: EventNames.responderAction,
    data: {
      kind,
      ...(target === undefined ? {} : { target }),
      user,
      channel: 'C0ALERTS1',
      responseUrl: 'https://hooks.slack.com/actions/T0/1/x',
      receivedAt: '2026-03-02T10:01:00.000Z',
      proof,
    },
  };
}

function defaults(): Record<string, (input: unknown, call: number) => unknown> {
  return {
    [A.publishIncidentAlert]: (input) =>
      (input as { state: IncidentState }).state.message ?? { channel: 'C0ALERTS1', ts: '1772445600.000100' },
    [A.recordResponse]: (input) => ({ rows: 1, eventId: (input as { row: ResponseRow }).row.EventId }),
    [A.postIncidentReply]: () => ({ ts: '1772445601.000200' }),
    [A.notifyResponder]: () => ({ via: 'response_url' }),
    [A.authorizeResponder]: () => ({ trusted: true, authorized: true, via: 'user' }),
    [A.checkTargets]: () => ({ protections: {} }),
    [A.runResponseAction]: () => ({ status: 'succeeded', summary: 'Signed out of every session' }),
  };
}

function start(
  overrides: Record<string, (input: unknown, call: number) => unknown> = {},
  finding: IncidentFinding = slackFinding(),
  policy: IncidentPolicy = POLICY,
): FakeDurable {
  return new FakeDurable(
    { finding, policy, grant: grantFor(finding, policy) },
    { ...defaults(), ...overrides },
    T0,
  ).start(incidentOrchestrator);
}

const rows = (d: FakeDurable): ResponseRow[] =>
  d.inputsOf(A.recordResponse).map((i) => (i as { row: ResponseRow }).row);
const lastState = (d: FakeDurable): IncidentState => {
  const states = d.inputsOf(A.publishIncidentAlert).map((i) => (i as { state: IncidentState }).state);
  const last = states[states.length - 1];
  if (last === undefined) throw new Error('no message published');
  return last;
};

describe('incident orchestration', () => {
  it('checks its targets, posts the alert, records it, and waits for a click, an update or the escalation timer', () => {
    const d = start();
    expect(d.names()).toEqual([A.checkTargets, A.publishIncidentAlert, A.recordResponse]);
    expect(d.inputsOf(A.checkTargets)[0]).toEqual({
      targets: [
        { kind: 'user', id: 'W0BOB0001' },
        { kind: 'session', id: '1001', of: 'W0BOB0001' },
      ],
    });
    expect(rows(d)[0]).toMatchObject({
      Action: 'slack.alert.post',
      Result: 'succeeded',
      RequestedBy: 'sentry',
      EventId: 'incident-slack.audit.anomaly-3f2a9c1d:1',
    });
    expect(d.pendingTasks?.map((t: FakeTask) => t.name ?? t.kind)).toEqual([
      EventNames.responderAction,
      EventNames.findingUpdated,
      'timer',
    ]);
    expect(d.timers[0]?.at?.toISOString()).toBe('2026-03-02T10:15:00.000Z');
  });

  it('click: authorizes, acts once, updates the message, replies in the thread, records who/what/target/result', () => {
    const d = start();
    const before = d.calls.length;
    d.push(click('resetSessions', 'W0BOB0001'));
    expect(d.names(before)).toEqual([
      A.authorizeResponder,
      A.runResponseAction,
      A.publishIncidentAlert,
      A.recordResponse,
      A.postIncidentReply,
    ]);
    expect(d.inputsOf(A.authorizeResponder)[0]).toMatchObject({
      incidentId: 'incident-slack.audit.anomaly-3f2a9c1d',
      event: { kind: 'resetSessions', target: 'W0BOB0001', user: ALICE, proof: expect.any(String) as unknown },
    });
    expect(d.inputsOf(A.runResponseAction)[0]).toEqual({
      incidentId: 'incident-slack.audit.anomaly-3f2a9c1d',
      detectionId: 'slack.audit.anomaly',
      kind: 'resetSessions',
      target: 'W0BOB0001',
      charter: charterOf(slackFinding(), POLICY),
      grant: grantFor(slackFinding()),
      requestedBy: ALICE,
      requestedAt: '2026-03-02T10:01:00.000Z',
    });
    expect(d.timers[0]?.canceled).toBe(true);
    expect(lastState(d)).toMatchObject({
      status: 'acknowledged',
      actions: { 'resetSessions:W0BOB0001': { status: 'succeeded', by: ALICE } },
    });
    expect(rows(d)[1]).toMatchObject({
      Action: 'slack.session.reset',
      TargetType: 'user',
      TargetId: 'W0BOB0001',
      TargetName: 'bob (W0BOB0001)',
      RequestedBy: 'W0ALICE01',
      RequestedByName: 'alice',
      RequestedAt: '2026-03-02T10:01:00.000Z',
      Result: 'succeeded',
      EventId: 'incident-slack.audit.anomaly-3f2a9c1d:2',
    });
    expect(d.inputsOf(A.postIncidentReply)[0]).toMatchObject({
      channel: 'C0ALERTS1',
      threadTs: '1772445600.000100',
      reply: { type: 'outcome', kind: 'resetSessions', status: 'succeeded', targetName: 'bob (W0BOB0001)' },
    });
    // Acknowledged: no more escalation, only going stale without further activity.
    expect(d.pendingTasks?.find((t: FakeTask) => t.kind === 'timer')?.at?.toISOString()).toBe(
      '2026-03-05T10:00:00.000Z',
    );

    d.push(click('closeFalsePositive'));
    expect(d.done).toBe(true);
    expect(d.result).toMatchObject({ status: 'closed', closure: { as: 'falsePositive', by: ALICE } });
    expect(rows(d).at(-1)).toMatchObject({
      Action: 'incident.close.false-positive',
      TargetType: 'incident',
      Result: 'succeeded',
    });
  });

  it('timeout: escalates in the thread to on-call, then takes the policy’s automatic action', () => {
    const d = start();
    const before = d.calls.length;
    d.push({ timer: true });
    expect(d.names(before)).toEqual([
      A.publishIncidentAlert,
      A.recordResponse,
      A.postIncidentReply,
      A.runResponseAction,
      A.publishIncidentAlert,
      A.recordResponse,
      A.postIncidentReply,
    ]);
    const replies = d.inputsOf(A.postIncidentReply) as { reply: Record<string, unknown> }[];
    expect(replies[0]?.reply).toEqual({
      type: 'escalation',
      oncallGroup: 'S0SECOPS1',
      minutes: 15,
      automaticAction: 'resetSessions',
      automaticTarget: 'bob (W0BOB0001)',
    });
    expect(d.inputsOf(A.runResponseAction)[0]).toMatchObject({
      kind: 'resetSessions',
      requestedBy: { id: 'sentry', automatic: true },
    });
    expect(
      rows(d)
        .slice(1)
        .map((r) => [r.Action, r.RequestedBy, r.Result]),
    ).toEqual([
      ['incident.escalate', 'sentry', 'succeeded'],
      ['slack.session.reset', 'sentry', 'succeeded'],
    ]);
    const state = lastState(d);
    expect(state.status).toBe('open');
    expect(state.escalatedAt).toBe('2026-03-02T10:15:00.000Z');
    // Escalation happens once; what is left is going stale after 72 h.
    expect(d.timers.at(-1)?.at?.toISOString()).toBe('2026-03-05T10:15:00.000Z');
  });

  it('escalated and left alone, it closes as stale with a final word in the thread', () => {
    const d = start({}, slackFinding(), { ...POLICY, automaticAction: undefined });
    d.push({ timer: true });
    const before = d.calls.length;
    d.push({ timer: true });
    expect(d.names(before)).toEqual([A.publishIncidentAlert, A.recordResponse, A.postIncidentReply]);
    expect(d.done).toBe(true);
    expect(d.result).toMatchObject({ status: 'closed', closure: { as: 'stale', by: { id: 'sentry' } } });
    expect(rows(d).at(-1)).toMatchObject({
      Action: 'incident.close.stale',
      Result: 'succeeded',
      RequestedBy: 'sentry',
    });
    expect(d.inputsOf(A.postIncidentReply).at(-1)).toMatchObject({ reply: { type: 'stale', hours: 72 } });
  });

  it('a spray whose last attempt targets the owner: the automatic action does nothing to any victim', () => {
    const d = start({}, sprayFinding(), { ...POLICY, automaticAction: 'deactivateUser' });
    expect(d.inputsOf(A.checkTargets)).toEqual([]); // no target at all
    d.push({ timer: true });
    expect(d.inputsOf(A.runResponseAction)).toEqual([]);
    expect(d.inputsOf(A.postIncidentReply).at(-1)).toMatchObject({
      reply: { type: 'escalation', automaticSkipped: expect.stringContaining('names no target') as unknown },
    });
    expect(rows(d).at(-1)).toMatchObject({
      Action: 'incident.escalate',
      Details: { summary: expect.stringContaining('No automatic action') as unknown },
    });
  });

  it('never takes an automatic action for a finding whose events are old (a backfill), and says so', () => {
    const old = slackFinding({ firstSeen: '2025-12-01T09:00:00.000Z', lastSeen: '2025-12-01T09:05:00.000Z' });
    const d = start({}, old);
    d.push({ timer: true });
    expect(d.inputsOf(A.runResponseAction)).toEqual([]);
    expect(d.inputsOf(A.postIncidentReply).at(-1)).toMatchObject({
      reply: { automaticSkipped: expect.stringContaining('limit 240 min') as unknown },
    });
  });

  it('two suspects: the automatic action is left to a responder', () => {
    const d = start({}, privilegeFinding());
    d.push({ timer: true });
    expect(d.inputsOf(A.runResponseAction)).toEqual([]);
    expect(d.inputsOf(A.postIncidentReply).at(-1)).toMatchObject({
      reply: { automaticSkipped: expect.stringContaining('several people') as unknown },
    });
  });

  it('when the breaker trips (the sixth automatic action in an hour) it only escalates and says so in the channel', () => {
    const d = start({
      [A.runResponseAction]: () => ({
        status: 'refused',
        summary:
          'Refused: 5 automatic actions were already taken in the last hour (limit 5, SENTRY_AUTO_ACTIONS_PER_HOUR)',
        error: { code: 'auto_action_limit', message: '5 automatic actions were already taken', retriable: false },
      }),
    });
    d.push({ timer: true });
    expect(d.inputsOf(A.postIncidentReply).at(-1)).toMatchObject({
      reply: { type: 'outcome', kind: 'resetSessions', status: 'refused', by: { automatic: true } },
    });
    expect(rows(d).at(-1)).toMatchObject({
      Action: 'slack.session.reset',
      Result: 'refused',
      ErrorCode: 'auto_action_limit',
    });
    // The breaker stops Sentry, not a responder: the button stays.
    expect(lastState(d).protections).toEqual({});
    expect(findOffered(lastState(d), 'resetSessions', 'W0BOB0001')).toBeDefined();
  });

  it('leaves protected targets out from the start', () => {
    const d = start({
      [A.checkTargets]: () => ({
        protections: {
          'user:W0BOB0001': { code: 'guardrail_owner', reason: 'W0BOB0001 is an owner of the organization' },
        },
      }),
    });
    expect(lastState(d).protections).toEqual({
      'user:W0BOB0001': { code: 'guardrail_owner', reason: 'W0BOB0001 is an owner of the organization' },
    });
    d.push(click('deactivateUser', 'W0BOB0001'));
    expect(d.inputsOf(A.runResponseAction)).toEqual([]);
    d.push({ timer: true });
    expect(d.inputsOf(A.runResponseAction)).toEqual([]);
  });

  it('an event without a valid proof (raised through the management API) changes nothing and is recorded as denied', () => {
    const d = start({
      [A.authorizeResponder]: () => ({
        trusted: false,
        authorized: false,
        via: null,
        code: 'proof_invalid',
        reason: 'the event’s proof does not verify',
      }),
    });
    const before = d.calls.length;
    d.push(click('deactivateUser', 'W0BOB0001', { id: 'W0MADEUP1', name: 'made-up' }, 'forged'));
    // Nobody is answered: a forged event's response_url and channel belong to the forger.
    expect(d.names(before)).toEqual([A.authorizeResponder, A.recordResponse]);
    expect(rows(d).at(-1)).toMatchObject({
      Action: 'slack.user.deactivate',
      Result: 'denied',
      RequestedBy: 'W0MADEUP1',
      ErrorCode: 'proof_invalid',
    });
    expect(lastState(d).status).toBe('open');
    expect(d.pendingTasks?.some((t: FakeTask) => t.kind === 'timer')).toBe(true);
  });

  it('a replayed click (the same proof twice) acts once', () => {
    const d = start();
    const first = click('resetSessions', 'W0BOB0001', ALICE, 'same-proof');
    d.push(first);
    d.push(click('acknowledge', undefined, ALICE, 'same-proof'));
    expect(d.inputsOf(A.runResponseAction)).toHaveLength(1);
    expect(rows(d).at(-1)).toMatchObject({ Result: 'denied', ErrorCode: 'proof_replayed' });
    expect(lastState(d).actions.acknowledge).toBeUndefined();
  });

  it('timeout without an automatic action (or one the incident cannot take) only escalates', () => {
    const d = start({}, merakiFinding(), { ...POLICY, automaticAction: 'deactivateUser' });
    const before = d.calls.length;
    d.push({ timer: true });
    expect(d.names(before)).toEqual([A.publishIncidentAlert, A.recordResponse, A.postIncidentReply]);
  });

  it('failure then retry: the message says why, the button stays, a second click succeeds', () => {
    const d = start({
      [A.runResponseAction]: (_input, call) => {
        if (call === 1) throw taskFailed(A.runResponseAction, 'Slack SCIM DELETE answered HTTP 500: internal');
        return { status: 'succeeded', summary: 'Deactivated (SCIM)' };
      },
    });
    d.push(click('deactivateUser', 'W0BOB0001'));
    const failed = lastState(d);
    expect(failed.actions['deactivateUser:W0BOB0001']).toMatchObject({
      status: 'failed',
      error: { code: 'action_failed', message: 'Slack SCIM DELETE answered HTTP 500: internal', retriable: true },
    });
    expect(rows(d).at(-1)).toMatchObject({
      Action: 'slack.user.deactivate',
      Result: 'failed',
      ErrorCode: 'action_failed',
      ErrorMessage: 'Slack SCIM DELETE answered HTTP 500: internal',
    });
    expect((d.inputsOf(A.postIncidentReply).at(-1) as { reply: { status: string } }).reply.status).toBe('failed');

    d.push(click('deactivateUser', 'W0BOB0001'));
    expect(lastState(d).actions['deactivateUser:W0BOB0001']).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(rows(d).at(-1)).toMatchObject({ Result: 'succeeded' });
  });

  it('a refusal reported by the action (not thrown) is shown as a failure with its reason', () => {
    const d = start({
      [A.runResponseAction]: () => ({
        status: 'failed',
        summary: 'Session reset failed',
        error: {
          code: 'not_an_admin',
          message: 'Slack admin.users.session.reset answered not_an_admin',
          retriable: false,
        },
      }),
    });
    d.push(click('resetSessions', 'W0BOB0001'));
    expect(rows(d).at(-1)).toMatchObject({ Result: 'failed', ErrorCode: 'not_an_admin' });
    expect(lastState(d).actions['resetSessions:W0BOB0001']?.status).toBe('failed');
  });

  it('an unauthorized clicker gets an ephemeral refusal, the attempt is recorded, nothing else happens', () => {
    const d = start({
      [A.authorizeResponder]: () => ({
        trusted: true,
        authorized: false,
        via: null,
        code: 'responder_not_authorized',
        reason: 'not a configured responder',
      }),
    });
    const before = d.calls.length;
    d.push(click('deactivateUser', 'W0BOB0001', MALLORY));
    expect(d.names(before)).toEqual([A.authorizeResponder, A.notifyResponder, A.recordResponse]);
    expect(d.inputsOf(A.notifyResponder)[0]).toMatchObject({
      userId: 'W0MALLORY',
      notice: 'unauthorized',
      channel: 'C0ALERTS1',
      responseUrl: 'https://hooks.slack.com/actions/T0/1/x',
    });
    expect(rows(d).at(-1)).toMatchObject({
      Action: 'slack.user.deactivate',
      RequestedBy: 'W0MALLORY',
      Result: 'denied',
      ErrorCode: 'responder_not_authorized',
    });
    // Still open, timer still armed.
    expect(d.pendingTasks?.some((t: FakeTask) => t.kind === 'timer')).toBe(true);
  });

  it('fails closed when the responder check itself fails', () => {
    const d = start({
      [A.authorizeResponder]: () => {
        throw taskFailed(A.authorizeResponder, 'Slack usergroups.users.list answered invalid_auth');
      },
    });
    d.push(click('resetSessions', 'W0BOB0001'));
    expect(d.inputsOf(A.runResponseAction)).toEqual([]);
    expect(rows(d).at(-1)).toMatchObject({ Result: 'denied' });
  });

  it('a second click on a done action does nothing new (no action call), says so privately, and is recorded as skipped', () => {
    const d = start();
    d.push(click('resetSessions', 'W0BOB0001'));
    const before = d.calls.length;
    d.push(click('resetSessions', 'W0BOB0001'));
    expect(d.names(before)).toEqual([A.authorizeResponder, A.notifyResponder, A.recordResponse]);
    expect(d.inputsOf(A.runResponseAction)).toHaveLength(1);
    expect(d.inputsOf(A.notifyResponder)[0]).toMatchObject({
      notice: 'unavailable',
      detail: expect.stringContaining('already done') as unknown,
    });
    expect(rows(d).at(-1)).toMatchObject({ Result: 'skipped' });
  });

  it('ignores a forged target and malformed events', () => {
    const d = start();
    const before = d.calls.length;
    d.push(click('resetSessions', 'W0ALICE01'));
    expect(d.inputsOf(A.runResponseAction)).toEqual([]);
    d.push({ event: EventNames.responderAction, data: { kind: 'rm -rf', user: ALICE } });
    d.push({ event: EventNames.findingUpdated, data: { count: 'many' } });
    expect(d.names(before)).toEqual([A.authorizeResponder, A.notifyResponder, A.recordResponse]);
    expect(d.done).toBe(false);
  });

  it('acknowledge and benign-positive need no outside call', () => {
    const d = start();
    d.push(click('acknowledge'));
    expect(lastState(d)).toMatchObject({ status: 'acknowledged', acknowledged: { by: ALICE } });
    d.push(click('closeBenignPositive'));
    expect(d.inputsOf(A.runResponseAction)).toEqual([]);
    expect(d.result).toMatchObject({ status: 'closed', closure: { as: 'benignPositive' } });
  });

  it('snooze: computes the end from the orchestration clock and closes the incident', () => {
    const d = start({
      [A.runResponseAction]: (input) => ({
        status: 'succeeded',
        summary: 'snoozed',
        details: { until: (input as { snoozeUntil: string }).snoozeUntil },
      }),
    });
    d.push(click('snooze', 'W0BOB0001'));
    expect(d.inputsOf(A.runResponseAction)[0]).toMatchObject({
      kind: 'snooze',
      target: 'W0BOB0001',
      snoozeUntil: '2026-03-09T10:00:00.000Z',
    });
    expect(d.result).toMatchObject({ status: 'closed', closure: { as: 'snoozed', until: '2026-03-09T10:00:00.000Z' } });
  });

  it('findings-updated events grow the count in the message; an unchanged one is ignored', () => {
    const d = start();
    const before = d.calls.length;
    d.push({ event: EventNames.findingUpdated, data: { count: 12, lastSeen: '2026-03-02T10:05:00.000Z' } });
    expect(d.names(before)).toEqual([A.publishIncidentAlert]);
    expect(lastState(d).finding.count).toBe(12);
    d.push({ event: EventNames.findingUpdated, data: { count: 12, lastSeen: '2026-03-02T10:05:00.000Z' } });
    expect(d.names(before)).toEqual([A.publishIncidentAlert]);
  });

  it('another finding of the key: listed in the message, announced once in the thread, recorded; a repeat does nothing', () => {
    const d = start({}, slackFinding({ findingId: 'slack.audit.anomaly:ab12:live' }));
    const before = d.calls.length;
    const older = {
      findingId: 'slack.audit.anomaly:ab12:day03',
      count: 4,
      firstSeen: '2026-02-18T10:00:00.000Z',
      lastSeen: '2026-02-18T10:20:00.000Z',
      severity: 'high',
      evidence: [{ label: 'previousIp', value: '192.0.2.77' }],
    };
    d.push({ event: EventNames.findingUpdated, data: older });
    expect(d.names(before)).toEqual([A.publishIncidentAlert, A.recordResponse, A.postIncidentReply]);
    const state = lastState(d);
    expect(state.occurrences).toMatchObject([{ findingId: older.findingId, count: 4 }]);
    expect(state.finding).toMatchObject({ findingId: 'slack.audit.anomaly:ab12:live', count: 3 });
    expect(d.inputsOf(A.postIncidentReply)).toEqual([
      {
        channel: 'C0ALERTS1',
        threadTs: '1772445600.000100',
        reply: {
          type: 'occurrence',
          relation: 'earlier',
          findingId: older.findingId,
          count: 4,
          firstSeen: older.firstSeen,
          lastSeen: older.lastSeen,
          severity: 'high',
        },
      },
    ]);
    expect(rows(d).at(-1)).toMatchObject({
      Action: 'incident.occurrence',
      Result: 'succeeded',
      RequestedBy: 'sentry',
      EventId: 'incident-slack.audit.anomaly-3f2a9c1d:2',
      Details: { findingId: older.findingId, count: 4 },
    });
    // Dispatch reads the known findings from the custom status.
    expect(d.customStatus.at(-1)).toMatchObject({
      findings: [
        ['slack.audit.anomaly:ab12:live', 3, '2026-03-02T09:55:00.000Z'],
        [older.findingId, 4, older.lastSeen],
      ],
    });

    const after = d.calls.length;
    d.push({ event: EventNames.findingUpdated, data: older });
    expect(d.names(after)).toEqual([]);
    // It grows: the message follows, the thread is not told again.
    d.push({ event: EventNames.findingUpdated, data: { ...older, count: 6 } });
    expect(d.names(after)).toEqual([A.publishIncidentAlert]);
    expect(lastState(d).occurrences).toMatchObject([{ count: 6 }]);
    expect(d.inputsOf(A.postIncidentReply)).toHaveLength(1);
    // The escalation deadline and the open state are untouched.
    expect(d.done).toBe(false);
    expect(lastState(d).status).toBe('open');
  });

  it('stamps an occurrence with the orchestration clock, so a replay records the same row', () => {
    const d = start({}, slackFinding({ findingId: 'f-live' }));
    d.now = new Date('2026-03-02T11:30:00.000Z');
    d.push({
      event: EventNames.findingUpdated,
      data: {
        findingId: 'f-later',
        count: 2,
        firstSeen: '2026-03-02T11:00:00.000Z',
        lastSeen: '2026-03-02T11:05:00.000Z',
      },
    });
    expect(rows(d).at(-1)).toMatchObject({ TimeGenerated: '2026-03-02T11:30:00.000Z', Action: 'incident.occurrence' });
    expect(lastState(d).recent.at(-1)).toMatchObject({ at: '2026-03-02T11:30:00.000Z', kind: 'occurrence' });
    expect(d.inputsOf(A.postIncidentReply)).toMatchObject([{ reply: { type: 'occurrence', relation: 'later' } }]);
  });

  it('trims its history with continueAsNew, carrying the state', () => {
    const d = start();
    for (let i = 0; i < LOOPS_BEFORE_CONTINUE; i += 1)
      d.push({ event: EventNames.findingUpdated, data: { count: 3, lastSeen: '2026-03-02T09:55:00.000Z' } });
    expect(d.done).toBe(true);
    expect(d.continuedAsNew).toMatchObject({
      state: {
        incidentId: 'incident-slack.audit.anomaly-3f2a9c1d',
        message: { ts: '1772445600.000100' },
        status: 'open',
      },
    });
    // The next generation does not post again and keeps the escalation deadline and the grant.
    expect((d.continuedAsNew as { state: IncidentState }).state.grant).toBe(grantFor(slackFinding()));
    const next = new FakeDurable(d.continuedAsNew, defaults(), T0).start(incidentOrchestrator);
    expect(next.names()).toEqual([]);
    expect(next.timers[0]?.at?.toISOString()).toBe('2026-03-02T10:15:00.000Z');
  });

  it('fails (for dispatch to restart it) when the alert cannot be posted at all', () => {
    const d = start({
      [A.publishIncidentAlert]: () => {
        throw taskFailed(A.publishIncidentAlert, 'Slack chat.postMessage answered channel_not_found');
      },
    });
    expect(d.done).toBe(true);
    expect(String(d.error)).toContain('channel_not_found');
  });
});
