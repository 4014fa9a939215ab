/**
 * The activities that decide: a click acts only with a valid, fresh proof from the interactivity
 * endpoint and a responder behind it; the guardrail verdicts on an incident's targets.
 */
import { describe, expect, it } from 'vitest';

import { INCIDENT_TEST_ENV, TEST_RESPONSE_KEY } from '../../test/helpers/incidents';
import { parseConfig } from '../config';
import type { GuardrailDeps } from '../response/guardrails';
import type { ResponderActionEvent } from '../response/model';
import { signResponderEvent } from '../response/proofs';
import { authorizeResponder, checkTargets } from './response-action';
import type { IncidentDeps } from './incident-deps';

const NOW = new Date('2026-03-02T10:01:30.000Z');
const INCIDENT = 'incident-slack.audit.anomaly-3f2a9c1d';

const guardrails: GuardrailDeps = {
  protectAdmins: true,
  protectedUsers: [],
  protectedIps: [],
  protectedClients: [],
  userFacts: (id) =>
    Promise.resolve(
      id === 'W0OWNER01'
        ? { id, isOwner: true, isPrimaryOwner: true }
        : id === 'W0GONE001'
          ? undefined
          : { id, isAdmin: id === 'W0ADMIN01' },
    ),
  tokenOwners: () => Promise.resolve(new Set(['W0TOKEN01'])),
  responders: () => Promise.resolve(new Set(['W0ALICE01'])),
  uplinkIps: () => Promise.resolve(new Set(['185.220.101.50'])),
};

function deps(env: Record<string, string> = {}, key: Buffer | null = TEST_RESPONSE_KEY): IncidentDeps {
  return {
    config: parseConfig({ ...INCIDENT_TEST_ENV, SENTRY_SLACK_RESPONDER_IDS: 'W0ALICE01', ...env }),
    bot: () => {
      throw new Error('no Slack call expected');
    },
    admin: () => undefined,
    scim: () => undefined,
    meraki: () => undefined,
    incidents: {} as never,
    snoozes: {} as never,
    landResponses: () => Promise.resolve(),
    postJson: () => Promise.resolve(200),
    now: () => NOW,
    responseKey: key ?? undefined,
    guardrails,
    breaker: {} as never,
  };
}

const event = (extra: Partial<ResponderActionEvent> = {}): ResponderActionEvent => ({
  kind: 'deactivateUser',
  target: 'W0BOB0001',
  user: { id: 'W0ALICE01', name: 'alice' },
  responseUrl: 'https://hooks.slack.com/actions/T0/1/x',
  channel: 'C0ALERTS1',
  receivedAt: '2026-03-02T10:01:00.000Z',
  ...extra,
});

const signed = (e: ResponderActionEvent, incidentId = INCIDENT): ResponderActionEvent => ({
  ...e,
  proof: signResponderEvent(TEST_RESPONSE_KEY, incidentId, e),
});

describe('authorizeResponder', () => {
  it('trusts a click signed by the interactivity endpoint and authorizes a responder', async () => {
    expect(await authorizeResponder({ incidentId: INCIDENT, event: signed(event()) }, deps())).toEqual({
      trusted: true,
      authorized: true,
      via: 'user',
    });
  });

  it('refuses, untrusted, an event raised without a proof or with a forged one (management API)', async () => {
    for (const [e, code] of [
      [event(), 'proof_missing'],
      [{ ...event(), proof: 'a'.repeat(64) }, 'proof_invalid'],
      // A valid proof with any field changed: another target, another user, another response_url.
      [{ ...signed(event()), target: 'W0OWNER01' }, 'proof_invalid'],
      [{ ...signed(event()), user: { id: 'W0MALLORY' } }, 'proof_invalid'],
      [{ ...signed(event()), responseUrl: 'http://169.254.169.254/x' }, 'proof_invalid'],
    ] as const) {
      expect(await authorizeResponder({ incidentId: INCIDENT, event: e }, deps())).toMatchObject({
        trusted: false,
        authorized: false,
        code,
      });
    }
  });

  it('a proof is bound to its incident', async () => {
    const other = signed(event(), 'incident-slack.audit.anomaly-other');
    expect(await authorizeResponder({ incidentId: INCIDENT, event: other }, deps())).toMatchObject({
      trusted: false,
      code: 'proof_invalid',
    });
  });

  it('an old click is refused but still trusted (its user may be told to click again)', async () => {
    const old = signed(event({ receivedAt: '2026-03-02T09:40:00.000Z' }));
    expect(await authorizeResponder({ incidentId: INCIDENT, event: old }, deps())).toMatchObject({
      trusted: true,
      authorized: false,
      code: 'proof_expired',
    });
  });

  it('a genuine click by someone who is not a responder is trusted but not authorized', async () => {
    const mallory = signed(event({ user: { id: 'W0MALLORY' } }));
    expect(await authorizeResponder({ incidentId: INCIDENT, event: mallory }, deps())).toMatchObject({
      trusted: true,
      authorized: false,
      code: 'responder_not_authorized',
    });
  });

  it('without a response key nothing is trusted', async () => {
    expect(await authorizeResponder({ incidentId: INCIDENT, event: signed(event()) }, deps({}, null))).toMatchObject({
      trusted: false,
      code: 'response_key_missing',
    });
  });
});

describe('checkTargets', () => {
  it('returns the guardrail verdict of each protected target, keyed by target', async () => {
    const verdicts = await checkTargets(
      {
        targets: [
          { kind: 'user', id: 'W0BOB0001' },
          { kind: 'user', id: 'W0OWNER01' },
          { kind: 'user', id: 'W0ALICE01' },
          { kind: 'user', id: 'W0TOKEN01' },
          { kind: 'user', id: 'W0ADMIN01' },
          { kind: 'user', id: 'W0GONE001' },
          { kind: 'session', id: '1001', of: 'W0OWNER01' },
          { kind: 'ip', id: '10.1.2.3' },
          { kind: 'ip', id: '185.220.101.50' },
          { kind: 'ip', id: '185.220.101.7' },
        ],
      },
      deps(),
    );
    expect(Object.fromEntries(Object.entries(verdicts.protections).map(([k, v]) => [k, v.code]))).toEqual({
      'user:W0OWNER01': 'guardrail_primary_owner',
      'user:W0ALICE01': 'guardrail_responder',
      'user:W0TOKEN01': 'guardrail_token_owner',
      'user:W0ADMIN01': 'guardrail_admin',
      'user:W0GONE001': 'guardrail_unknown_user',
      'session:1001': 'guardrail_primary_owner',
      'ip:10.1.2.3': 'guardrail_ip_range',
      'ip:185.220.101.50': 'guardrail_uplink_ip',
    });
  });
});
