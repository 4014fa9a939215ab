/**
 * Every response action against the Slack and Meraki emulators over real HTTP (WebClient, SCIM,
 * MerakiClient): it does its job, a repeat (same ledger: a retried activity) changes nothing and
 * sends no second write, a repeat with no ledger record (another incident, a lost record) finds the
 * work already done, a refusal comes back as a failed outcome with the reason, and a transient
 * failure is thrown for Durable to retry.
 */
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { seedSampleOrg, type SampleOrg } from '../../dev/emulators/slack/fixtures';
import { startSlackEmulator, type SlackEmulator } from '../../dev/emulators/slack';
import { startMerakiEmulator, type MerakiEmulator } from '../../dev/emulators/meraki';
import { MerakiClient } from '../collectors/meraki/client';
import { AppError } from '../errors';
import { MemoryLedger } from '../state/incidents';
import type { Snooze } from '../state/snoozes';
import { type ActionDeps, type ActionRequest, runResponseAction } from './actions';
import { ScimClient } from './scim';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const ORG = '549236';
const NET = 'N_100';
const MERAKI_KEY = 'meraki-test-key-0123456789';

let slack: SlackEmulator;
let meraki: MerakiEmulator;
let org: SampleOrg;
let snoozes: Snooze[];

beforeEach(async () => {
  slack = await startSlackEmulator({
    tokens: { extra: [{ token: 'xoxp-not-admin', type: 'user', userId: 'W0BOB0001', scopes: ['admin.users:write'] }] },
  });
  org = seedSampleOrg(slack.state);
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
    ...overrides,
  };
}

function request(kind: ActionRequest['kind'], target: string, extra: Partial<ActionRequest> = {}): ActionRequest {
  return {
    incidentId: 'incident-test-1',
    detectionId: 'slack.audit.anomaly',
    kind,
    target,
    userId: 'W0BOB0001',
    userName: 'bob',
    organizationId: ORG,
    networkId: NET,
    networkName: 'HQ',
    requestedBy: { id: 'W0ALICE01', name: 'alice' },
    requestedAt: NOW.toISOString(),
    ...extra,
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
    expect(first).toMatchObject({ status: 'succeeded', summary: 'Signed bob out of every session' });
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
    expect(again).toMatchObject({ status: 'skipped', summary: 'Session 1001 had already ended' });
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
    expect(again).toMatchObject({ status: 'skipped', summary: 'bob was already deactivated' });
    expect(calls(slack, 'DELETE', `/scim/v1/Users/${org.bob.id}`)).toBe(1);
  });

  it('a refusal (primary owner, unknown user) is a failed outcome with the reason', async () => {
    const owner = slack.state.getUser(org.alice.id);
    if (owner !== undefined) owner.is_primary_owner = true;
    expect(await runResponseAction(request('deactivateUser', org.alice.id), deps())).toMatchObject({
      status: 'failed',
      error: { code: 'http_403', message: expect.stringContaining('cannot_disable_primary_owner') as unknown },
    });
    expect(await runResponseAction(request('deactivateUser', 'W0NOBODY1'), deps())).toMatchObject({
      status: 'failed',
      error: { code: 'user_not_found' },
    });
  });
});

describe('blockIp (MX L3 firewall)', () => {
  it('puts a deny rule first, keeps the others, and never adds a second one', async () => {
    const first = await runResponseAction(request('blockIp', '198.51.100.99'), deps());
    expect(first).toMatchObject({
      status: 'succeeded',
      summary: 'Deny rule for 198.51.100.99 added to the MX L3 firewall of HQ',
    });
    const rules = meraki.state.firewall(NET).rules;
    expect(rules).toHaveLength(2);
    expect(rules[0]).toMatchObject({
      policy: 'deny',
      protocol: 'any',
      srcCidr: 'Any',
      destCidr: '198.51.100.99/32',
      comment: 'Sentry incident-test-1',
    });
    expect(rules[1]).toMatchObject({ comment: 'office printers' });
    const again = await runResponseAction(request('blockIp', '198.51.100.99'), deps());
    expect(again).toMatchObject({ status: 'skipped', summary: '198.51.100.99 was already denied on HQ' });
    expect(meraki.state.firewall(NET).rules).toHaveLength(2);
    expect(calls(meraki, 'PUT', /l3FirewallRules$/)).toBe(1);
  });

  it('refuses what it cannot block, with the reason', async () => {
    expect(await runResponseAction(request('blockIp', 'not-an-ip'), deps())).toMatchObject({
      status: 'failed',
      error: { code: 'input_invalid' },
    });
    expect(
      await runResponseAction(request('blockIp', '198.51.100.99', { networkId: 'N_MISSING' }), deps()),
    ).toMatchObject({ status: 'failed', error: { code: 'http_404' } });
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
        by: 'W0ALICE01',
        incidentId: 'incident-test-1',
        createdAt: NOW.toISOString(),
      },
    ]);
  });
});
