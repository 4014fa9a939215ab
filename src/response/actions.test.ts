/**
 * Every response action against the Slack and Meraki emulators over real HTTP (WebClient, SCIM,
 * MerakiClient), behind the real guardrail lookups (users.info, auth.test of every configured token):
 * it does its job, a repeat (same ledger: a retried activity) changes nothing and sends no second
 * write, a repeat with no ledger record finds the work already done, a vendor refusal comes back as a
 * failed outcome with the reason, a transient failure is thrown for Durable to retry, and nothing
 * reaches a vendor unless the charter is signed and names the target, the target passes every
 * guardrail and an automatic action fits the breaker.
 */
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { seedSampleOrg, type SampleOrg } from '../../dev/emulators/slack/fixtures';
import { startSlackEmulator, type SlackEmulator } from '../../dev/emulators/slack';
import type { SlackUser } from '../../dev/emulators/slack/state';
import { startMerakiEmulator, type MerakiEmulator } from '../../dev/emulators/meraki';
import { MemoryAutoActionBreaker } from '../../test/helpers/auto-actions';
import { INCIDENT_TEST_ENV, TEST_RESPONSE_KEY } from '../../test/helpers/incidents';
import { productionGuardrails } from '../activities/incident-deps';
import { MerakiClient } from '../collectors/meraki/client';
import { parseConfig } from '../config';
import { AppError } from '../errors';
import type { SlackApi } from '../slack/web-client';
import { MemoryLedger } from '../../test/helpers/ledger';
import type { Snooze } from '../state/snoozes';
import type { ActionRequest } from '../contracts';
import { type ActionDeps, runResponseAction } from './actions';
import { signCharter } from './proofs';
import { ScimClient } from './scim';
import type { Charter, CharterTarget } from './targets';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const ORG = '549236';
const NET = 'N_100';
const MERAKI_KEY = 'meraki-test-key-0123456789';
const UPLINK_IP = '185.220.101.50';
const ATTACKER = '185.220.101.99';

let slack: SlackEmulator;
let meraki: MerakiEmulator;
let org: SampleOrg;
let snoozes: Snooze[];

function plainUser(id: string, name: string): SlackUser {
  return { ...structuredClone(org.bob), id, name, real_name: name, profile: { email: `${name}@sentry-test.example` } };
}

beforeEach(async () => {
  slack = await startSlackEmulator({
    tokens: {
      extra: [
        { token: 'xoxp-not-admin', type: 'user', userId: 'W0BOB0001', scopes: ['admin.users:write'] },
        { token: 'xoxp-service', type: 'user', userId: 'W0SVC0001', scopes: ['admin.users:write'] },
      ],
    },
  });
  org = seedSampleOrg(slack.state);
  slack.state.addUsers(plainUser('W0SVC0001', 'sentry-service'), plainUser('W0ERIN001', 'erin'));
  meraki = await startMerakiEmulator({ rateLimit: false });
  meraki.state.addOrganization({ id: ORG, name: 'Acme' });
  meraki.state.addNetwork({ id: NET, organizationId: ORG, name: 'HQ', productTypes: ['appliance'] });
  meraki.state.setFirewall(NET, {
    rules: [
      {
        comment: 'office printers',
        policy: 'allow',
        protocol: 'tcp',
        srcPort: 'Any',
        srcCidr: '10.0.0.0/24',
        destPort: '9100',
        destCidr: 'Any',
        syslogEnabled: false,
      },
    ],
    syslogDefaultRule: false,
  });
  meraki.state.addClient(NET, { id: 'k1a2b3', mac: 'aa:bb:cc:00:11:22', description: 'unknown-laptop' });
  meraki.state.addGroupPolicy(NET, { groupPolicyId: '101', name: 'Quarantine' });
  meraki.state.addApiKey(MERAKI_KEY, '*');
  snoozes = [];
});

afterEach(async () => {
  await slack.close();
  await meraki.close();
});

function guardrails(env: Record<string, string> = {}) {
  const config = parseConfig({
    ...INCIDENT_TEST_ENV,
    SENTRY_SLACK_API_URL: slack.apiUrl,
    SENTRY_SLACK_BOT_TOKEN: slack.tokens.bot,
    SENTRY_SLACK_AUDIT_TOKEN: slack.tokens.audit,
    SENTRY_SLACK_SCIM_TOKEN: slack.tokens.scim,
    SENTRY_SLACK_ADMIN_TOKEN: 'xoxp-service',
    SENTRY_SLACK_RESPONDER_IDS: 'W0ERIN001',
    ...env,
  });
  const bot = new WebClient(slack.tokens.bot, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  return {
    ...productionGuardrails(config, () => bot as unknown as SlackApi),
    uplinkIps: () => Promise.resolve(new Set([UPLINK_IP])),
  };
}

function deps(overrides: Partial<ActionDeps> = {}, ledger = new MemoryLedger()): ActionDeps {
  const rapid = { retries: 0 };
  return {
    admin: new WebClient(slack.tokens.audit, {
      slackApiUrl: slack.apiUrl,
      retryConfig: rapid,
    }) as unknown as ActionDeps['admin'],
    scim: new ScimClient({ baseUrl: slack.scimUrl, token: slack.tokens.scim }),
    meraki: new MerakiClient({ baseUrl: meraki.url, apiKey: MERAKI_KEY, maxRetries: 0 }),
    snoozes: {
      snooze: (s) => {
        snoozes.push(s);
        return Promise.resolve(s);
      },
    },
    ledger,
    now: () => NOW,
    responseKey: TEST_RESPONSE_KEY,
    guardrails: guardrails(),
    breaker: new MemoryAutoActionBreaker(),
    limits: { perHour: 5, perTargetPerHour: 1 },
    ...overrides,
  };
}

const INCIDENT = 'incident-test-1';

/** Every target the tests act on, as a signed charter would name them. */
const TARGETS: CharterTarget[] = [
  { kind: 'user', id: 'W0BOB0001' },
  { kind: 'session', id: '1001', of: 'W0BOB0001' },
  { kind: 'session', id: '1002', of: 'W0BOB0001' },
  { kind: 'user', id: 'W0ALICE01' },
  { kind: 'user', id: 'W0OWNER01' },
  { kind: 'user', id: 'W0ERIN001' },
  { kind: 'user', id: 'W0SVC0001' },
  { kind: 'user', id: 'U0SENTRYBOT' },
  { kind: 'user', id: 'W0NOBODY1' },
  { kind: 'ip', id: ATTACKER, networkId: NET, organizationId: ORG },
  { kind: 'ip', id: '10.1.2.3', networkId: NET, organizationId: ORG },
  { kind: 'ip', id: '127.0.0.1', networkId: NET, organizationId: ORG },
  { kind: 'ip', id: UPLINK_IP, networkId: NET, organizationId: ORG },
  { kind: 'ip', id: '185.220.101.98', networkId: 'N_MISSING', organizationId: ORG },
  { kind: 'client', id: 'aa:bb:cc:00:11:22', networkId: NET, organizationId: ORG },
  { kind: 'client', id: 'k1a2b3', networkId: NET, organizationId: ORG },
];

function charter(extra: Partial<Charter> = {}): Charter {
  return { v: 1, incidentId: INCIDENT, detectionId: 'slack.audit.anomaly', targets: TARGETS, ...extra };
}

function request(kind: ActionRequest['kind'], target: string, extra: Partial<ActionRequest> = {}): ActionRequest {
  const c = charter();
  return {
    incidentId: INCIDENT,
    detectionId: 'slack.audit.anomaly',
    kind,
    target,
    charter: c,
    grant: signCharter(TEST_RESPONSE_KEY, c),
    requestedBy: { id: 'W0ERIN001', name: 'erin' },
    requestedAt: NOW.toISOString(),
    ...extra,
  };
}

function automatic(kind: ActionRequest['kind'], target: string, incidentId = INCIDENT): ActionRequest {
  const c = charter({ incidentId, automaticAction: kind });
  return {
    ...request(kind, target),
    incidentId,
    charter: c,
    grant: signCharter(TEST_RESPONSE_KEY, c),
    requestedBy: { id: 'sentry', name: 'Sentry (automatic)', automatic: true },
  };
}

const calls = (emulator: { requests: { method: string; path: string }[] }, method: string, path: string | RegExp) =>
  emulator.requests.filter(
    (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
  ).length;

describe('resetSessions', () => {
  it('signs the user out everywhere once; a retried activity sends no second reset', async () => {
    const d = deps();
    expect(slack.state.getSessions(org.bob.id)).toHaveLength(2);
    const first = await runResponseAction(request('resetSessions', org.bob.id), d);
    expect(first).toMatchObject({ status: 'succeeded', summary: 'Signed out of every session' });
    expect(slack.state.getSessions(org.bob.id)).toEqual([]);
    slack.state.addSessions({ user_id: org.bob.id, team_id: 'T0SENTRY1', session_id: 1003 });
    const again = await runResponseAction(request('resetSessions', org.bob.id), d);
    expect(again).toMatchObject({ status: 'succeeded', details: { replayed: true } });
    expect(calls(slack, 'POST', '/api/admin.users.session.reset')).toBe(1);
    expect(slack.state.getSessions(org.bob.id)).toHaveLength(1);
  });

  it('a refusal (not an admin) is a failed outcome with Slack’s reason, and can be retried', async () => {
    const ledger = new MemoryLedger();
    const weak = deps(
      {
        admin: new WebClient('xoxp-not-admin', {
          slackApiUrl: slack.apiUrl,
          retryConfig: { retries: 0 },
        }) as unknown as ActionDeps['admin'],
      },
      ledger,
    );
    const failed = await runResponseAction(request('resetSessions', org.bob.id), weak);
    expect(failed).toEqual({
      status: 'failed',
      summary: 'Session reset failed',
      error: {
        code: 'not_an_admin',
        message: 'Slack admin.users.session.reset answered not_an_admin',
        retriable: false,
      },
    });
    expect(slack.state.getSessions(org.bob.id)).toHaveLength(2);
    const retried = await runResponseAction(request('resetSessions', org.bob.id), deps({}, ledger));
    expect(retried.status).toBe('succeeded');
    expect(slack.state.getSessions(org.bob.id)).toEqual([]);
  });

  it('without an admin token the outcome names the missing setting', async () => {
    const outcome = await runResponseAction(request('resetSessions', org.bob.id), deps({ admin: undefined }));
    expect(outcome).toMatchObject({
      status: 'failed',
      error: { code: 'config_invalid', message: expect.stringContaining('SENTRY_SLACK_ADMIN_TOKEN') as unknown },
    });
  });

  it('a transient failure is thrown (retriable) and leaves the action runnable', async () => {
    const ledger = new MemoryLedger();
    slack.faults.add({ kind: 'status', status: 500, count: 5, match: { path: '/api/admin.users.session.reset' } });
    const error = await runResponseAction(request('resetSessions', org.bob.id), deps({}, ledger)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).retriable).toBe(true);
    expect(ledger.entries.get(`incident-test-1|resetSessions:${org.bob.id}`)?.status).toBe('started');
    slack.faults.clear();
    expect((await runResponseAction(request('resetSessions', org.bob.id), deps({}, ledger))).status).toBe('succeeded');
  });
});

describe('invalidateSession', () => {
  it('ends exactly the session of the audit entry; a second run changes nothing', async () => {
    const first = await runResponseAction(request('invalidateSession', '1001'), deps());
    expect(first.status).toBe('succeeded');
    expect(slack.state.getSessions(org.bob.id).map((s) => s.session_id)).toEqual([1002]);
    // No ledger record (e.g. a second incident about the same session): Slack says it is gone.
    const again = await runResponseAction(request('invalidateSession', '1001'), deps());
    expect(again).toMatchObject({ status: 'skipped', summary: 'The session had already ended' });
    expect(slack.state.getSessions(org.bob.id).map((s) => s.session_id)).toEqual([1002]);
  });

  it('sends user_id and an integer session_id (the 8.2 typings would send team_id)', async () => {
    await runResponseAction(request('invalidateSession', '1002'), deps());
    expect(slack.state.getSessions(org.bob.id).map((s) => s.session_id)).toEqual([1001]);
  });
});

describe('deactivateUser (SCIM)', () => {
  it('deactivates once; a repeat finds the user already inactive', async () => {
    const first = await runResponseAction(request('deactivateUser', org.bob.id), deps());
    expect(first).toMatchObject({ status: 'succeeded' });
    expect(slack.state.getUser(org.bob.id)?.deleted).toBe(true);
    expect(slack.state.getSessions(org.bob.id)).toEqual([]);
    const again = await runResponseAction(request('deactivateUser', org.bob.id), deps());
    expect(again).toMatchObject({ status: 'skipped', summary: 'Was already deactivated' });
    expect(calls(slack, 'DELETE', `/scim/v1/Users/${org.bob.id}`)).toBe(1);
  });

  it('a vendor refusal is a failed outcome with the reason', async () => {
    slack.faults.add({ kind: 'status', status: 403, match: { method: 'DELETE', path: '/scim/v1/Users/' } });
    expect(await runResponseAction(request('deactivateUser', org.bob.id), deps())).toMatchObject({
      status: 'failed',
      error: { code: 'http_403' },
    });
    expect(slack.state.getUser(org.bob.id)?.deleted).not.toBe(true);
  });
});

describe('blockIp (MX L3 firewall)', () => {
  it('puts a deny rule first, keeps the others, and never adds a second one', async () => {
    const first = await runResponseAction(request('blockIp', ATTACKER), deps());
    expect(first).toMatchObject({
      status: 'succeeded',
      summary: 'Deny rule added first in the MX L3 firewall',
      details: { networkId: NET, ip: ATTACKER },
    });
    const rules = meraki.state.firewall(NET).rules;
    expect(rules).toHaveLength(2);
    expect(rules[0]).toMatchObject({
      policy: 'deny',
      protocol: 'any',
      srcCidr: 'Any',
      destCidr: `${ATTACKER}/32`,
      comment: 'Sentry incident-test-1',
    });
    expect(rules[1]).toMatchObject({ comment: 'office printers' });
    const again = await runResponseAction(request('blockIp', ATTACKER), deps());
    expect(again).toMatchObject({ status: 'skipped', summary: 'Was already denied on the MX L3 firewall' });
    expect(meraki.state.firewall(NET).rules).toHaveLength(2);
    expect(calls(meraki, 'PUT', /l3FirewallRules$/)).toBe(1);
  });

  it('reports what Meraki refuses (an unknown network) with the reason', async () => {
    expect(await runResponseAction(request('blockIp', '185.220.101.98'), deps())).toMatchObject({
      status: 'failed',
      error: { code: 'http_404' },
    });
  });
});

describe('blockClient (client policy)', () => {
  it('blocks once; a repeat finds the client blocked', async () => {
    expect(await runResponseAction(request('blockClient', 'aa:bb:cc:00:11:22'), deps())).toMatchObject({
      status: 'succeeded',
    });
    expect(meraki.state.client(NET, 'k1a2b3')?.devicePolicy).toBe('Blocked');
    expect(await runResponseAction(request('blockClient', 'aa:bb:cc:00:11:22'), deps())).toMatchObject({
      status: 'skipped',
    });
    expect(calls(meraki, 'PUT', /\/policy$/)).toBe(1);
  });

  it('moves the client to the configured group policy instead when one is set', async () => {
    expect(
      await runResponseAction(request('blockClient', 'k1a2b3'), deps({ blockGroupPolicyId: '101' })),
    ).toMatchObject({ status: 'succeeded', details: { devicePolicy: 'Group policy' } });
    expect(meraki.state.client(NET, 'k1a2b3')).toMatchObject({ devicePolicy: 'Group policy', groupPolicyId: '101' });
    expect(
      await runResponseAction(request('blockClient', 'k1a2b3'), deps({ blockGroupPolicyId: '101' })),
    ).toMatchObject({ status: 'skipped' });
  });
});

describe('snooze', () => {
  it('allowlists the subject for the detection until the given time, once', async () => {
    const ledger = new MemoryLedger();
    const until = '2026-03-09T10:00:00.000Z';
    expect(
      await runResponseAction(request('snooze', org.bob.id, { snoozeUntil: until }), deps({}, ledger)),
    ).toMatchObject({ status: 'succeeded', details: { until } });
    expect(
      await runResponseAction(request('snooze', org.bob.id, { snoozeUntil: until }), deps({}, ledger)),
    ).toMatchObject({ status: 'succeeded', details: { replayed: true } });
    expect(snoozes).toEqual([
      {
        detectionId: 'slack.audit.anomaly',
        subject: org.bob.id,
        until,
        by: 'W0ERIN001',
        incidentId: 'incident-test-1',
        createdAt: NOW.toISOString(),
      },
    ]);
  });
});

describe('the charter: only targets of a finding Sentry dispatched', () => {
  it('refuses a request whose grant does not verify, touching nothing', async () => {
    const forged = { ...request('deactivateUser', org.bob.id), grant: 'f'.repeat(64) };
    expect(await runResponseAction(forged, deps())).toMatchObject({
      status: 'refused',
      error: { code: 'charter_invalid' },
    });
    // A charter widened after signing (a made-up target added) no longer verifies either.
    const c = charter({ targets: [{ kind: 'user', id: 'W0BOB0001' }] });
    const widened = {
      ...request('deactivateUser', org.bob.id),
      charter: { ...c, targets: [...c.targets, { kind: 'user' as const, id: 'W0DAVE001' }] },
      grant: signCharter(TEST_RESPONSE_KEY, c),
    };
    expect(await runResponseAction(widened, deps())).toMatchObject({
      status: 'refused',
      error: { code: 'charter_invalid' },
    });
    expect(slack.state.getUser(org.bob.id)?.deleted).not.toBe(true);
    expect(calls(slack, 'DELETE', /\/scim\/v1\/Users\//)).toBe(0);
  });

  it('refuses a target the charter does not name, or names for another action', async () => {
    expect(await runResponseAction(request('deactivateUser', 'W0DAVE001'), deps())).toMatchObject({
      status: 'refused',
      error: { code: 'target_not_in_finding' },
    });
    // The IP is a target for blockIp, not a user to deactivate.
    expect(await runResponseAction(request('deactivateUser', ATTACKER), deps())).toMatchObject({
      status: 'refused',
      error: { code: 'target_not_in_finding' },
    });
  });

  it('without a response key nothing targeted runs', async () => {
    expect(
      await runResponseAction(request('resetSessions', org.bob.id), deps({ responseKey: undefined })),
    ).toMatchObject({
      status: 'refused',
      error: { code: 'response_key_missing' },
    });
    expect(slack.state.getSessions(org.bob.id)).toHaveLength(2);
  });

  it('an automatic action must be the one the charter allows', async () => {
    const c = charter({ automaticAction: 'resetSessions' });
    const req: ActionRequest = {
      ...request('deactivateUser', org.bob.id),
      charter: c,
      grant: signCharter(TEST_RESPONSE_KEY, c),
      requestedBy: { id: 'sentry', automatic: true },
    };
    expect(await runResponseAction(req, deps())).toMatchObject({
      status: 'refused',
      error: { code: 'automatic_action_not_allowed' },
    });
  });
});

describe('guardrails, checked by the activity that acts', () => {
  const refusedWith = async (kind: ActionRequest['kind'], target: string, code: string, d = deps()) => {
    const outcome = await runResponseAction(request(kind, target), d);
    expect(outcome).toMatchObject({ status: 'refused', error: { code, retriable: false } });
    expect(outcome.summary).toMatch(/^Refused: /);
    return outcome;
  };

  it('refuses the primary owner, an admin, a responder, the owner of Sentry’s own token and a bot', async () => {
    await refusedWith('deactivateUser', 'W0OWNER01', 'guardrail_token_owner');
    await refusedWith('resetSessions', 'W0ALICE01', 'guardrail_admin');
    const responder = await refusedWith('deactivateUser', 'W0ERIN001', 'guardrail_responder');
    expect(responder.error?.message).toBe('W0ERIN001 is a Sentry responder');
    await refusedWith('resetSessions', 'W0SVC0001', 'guardrail_token_owner');
    await refusedWith('deactivateUser', 'U0SENTRYBOT', 'guardrail_token_owner');
    await refusedWith('deactivateUser', 'W0NOBODY1', 'guardrail_unknown_user');
    expect(calls(slack, 'DELETE', /\/scim\/v1\/Users\//)).toBe(0);
    expect(calls(slack, 'POST', '/api/admin.users.session.reset')).toBe(0);
  });

  it('refuses owners by role, not only by token (Enterprise Grid org roles count)', async () => {
    const owner = plainUser('W0OWNER02', 'second-owner');
    owner.enterprise_user = {
      id: 'W0OWNER02',
      enterprise_id: 'E0SENTRY1',
      enterprise_name: 'x',
      is_admin: false,
      is_owner: true,
      teams: [],
    };
    slack.state.addUsers(owner);
    const withOwner = deps({
      guardrails: guardrails(),
    });
    const c = charter({ targets: [...TARGETS, { kind: 'user', id: 'W0OWNER02' }] });
    const outcome = await runResponseAction(
      { ...request('deactivateUser', 'W0OWNER02'), charter: c, grant: signCharter(TEST_RESPONSE_KEY, c) },
      withOwner,
    );
    expect(outcome).toMatchObject({ status: 'refused', error: { code: 'guardrail_owner' } });
  });

  it('admins can be left unprotected by configuration; owners cannot', async () => {
    const open = deps({ guardrails: guardrails({ SENTRY_RESPONSE_PROTECT_ADMINS: 'false' }) });
    expect((await runResponseAction(request('resetSessions', 'W0ALICE01'), open)).status).toBe('succeeded');
    await refusedWith('deactivateUser', 'W0OWNER01', 'guardrail_token_owner', open);
  });

  it('a session is protected by whatever protects its user', async () => {
    const c = charter({ targets: [{ kind: 'session', id: '1003', of: 'W0ALICE01' }] });
    expect(
      await runResponseAction(
        { ...request('invalidateSession', '1003'), charter: c, grant: signCharter(TEST_RESPONSE_KEY, c) },
        deps(),
      ),
    ).toMatchObject({ status: 'refused', error: { code: 'guardrail_admin' } });
  });

  it('refuses private, loopback and the organization’s own uplink addresses, and the configured allowlist', async () => {
    const ten = await refusedWith('blockIp', '10.1.2.3', 'guardrail_ip_range');
    expect(ten.error?.message).toContain('10.0.0.0/8, private (RFC 1918)');
    await refusedWith('blockIp', '127.0.0.1', 'guardrail_ip_range');
    await refusedWith('blockIp', UPLINK_IP, 'guardrail_uplink_ip');
    await refusedWith(
      'blockIp',
      ATTACKER,
      'guardrail_protected_ip',
      deps({ guardrails: guardrails({ SENTRY_RESPONSE_PROTECTED_IPS: '185.220.101.0/24' }) }),
    );
    expect(calls(meraki, 'PUT', /l3FirewallRules$/)).toBe(0);
    expect(meraki.state.firewall(NET).rules).toHaveLength(1);
  });

  it('refuses a configured client', async () => {
    await refusedWith(
      'blockClient',
      'aa:bb:cc:00:11:22',
      'guardrail_protected_client',
      deps({ guardrails: guardrails({ SENTRY_RESPONSE_PROTECTED_CLIENTS: 'AA:BB:CC:00:11:22' }) }),
    );
    expect(meraki.state.client(NET, 'k1a2b3')?.devicePolicy).not.toBe('Blocked');
  });

  it('a refusal is judged again later (the guardrail may no longer apply)', async () => {
    const ledger = new MemoryLedger();
    const alice = slack.state.getUser(org.alice.id);
    if (alice === undefined) throw new Error('no alice');
    expect((await runResponseAction(request('resetSessions', org.alice.id), deps({}, ledger))).status).toBe('refused');
    alice.is_admin = false;
    if (alice.enterprise_user !== undefined) alice.enterprise_user.is_admin = false;
    const d = deps({ guardrails: guardrails() }, ledger);
    expect((await runResponseAction(request('resetSessions', org.alice.id), d)).status).toBe('succeeded');
  });
});

describe('the automatic-action circuit breaker', () => {
  it('the sixth automatic action in an hour only escalates; a retried claim does not count twice', async () => {
    const breaker = new MemoryAutoActionBreaker();
    const d = deps({ breaker });
    for (let i = 1; i <= 5; i++) {
      const ip = `185.220.102.${i}`;
      const c = charter({
        incidentId: `incident-auto-${i}`,
        automaticAction: 'blockIp',
        targets: [{ kind: 'ip', id: ip, networkId: NET, organizationId: ORG }],
      });
      const req: ActionRequest = {
        ...automatic('blockIp', ip, `incident-auto-${i}`),
        charter: c,
        grant: signCharter(TEST_RESPONSE_KEY, c),
      };
      expect((await runResponseAction(req, d)).status).toBe('succeeded');
      // A retried activity (no ledger entry: a fresh ledger) claims again without using a slot.
      expect((await runResponseAction(req, { ...d, ledger: new MemoryLedger() })).status).not.toBe('refused');
    }
    const sixth = await runResponseAction(automatic('resetSessions', org.bob.id, 'incident-auto-6'), d);
    expect(sixth).toMatchObject({ status: 'refused', error: { code: 'auto_action_limit' } });
    expect(sixth.summary).toContain('5 automatic actions were already taken in the last hour');
    expect(slack.state.getSessions(org.bob.id)).toHaveLength(2);
    expect(breaker.claims).toHaveLength(5);
  });

  it('acts on one target at most once an hour automatically, across incidents', async () => {
    const d = deps();
    expect((await runResponseAction(automatic('resetSessions', org.bob.id, 'incident-a'), d)).status).toBe('succeeded');
    expect(await runResponseAction(automatic('resetSessions', org.bob.id, 'incident-b'), d)).toMatchObject({
      status: 'refused',
      error: { code: 'auto_action_target_limit' },
    });
  });

  it('a guarded target does not use up a slot', async () => {
    const breaker = new MemoryAutoActionBreaker();
    await runResponseAction(automatic('resetSessions', 'W0ALICE01'), deps({ breaker }));
    expect(breaker.claims).toEqual([]);
  });
});
