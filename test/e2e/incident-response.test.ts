/**
 * End to end on the local stack (`startStack`: Azurite, Slack/Meraki/Entra/Ingestion emulators, the
 * unmodified app on the local Functions + Durable host) with Chromium on the Slack channel page:
 * incidents are started exactly as dispatchIncidents starts them (instance id from the finding, input
 * `{ finding, policy }`), the alert appears on the page, and a click on each button, made through the
 * page as a seeded user, performs the action on the emulator, updates the message and lands a
 * response row in the ingestion emulator. Also for real on the host: an unauthorized click, an action
 * that fails then succeeds on retry, escalation with the automatic action after the timer fires, and
 * a separate older finding of the same key (a backfill) shown in the message and announced once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startStack, type Stack } from '../../dev/stack';
import { parseConfig } from '../../src/config';
import { openIncident } from '../../src/response/incident-state';
import { normalizeFinding, type IncidentPolicy } from '../../src/response/model';
import { SnoozeStore } from '../../src/state/snoozes';

const SYSTEM_KEY = 'local-durabletask-key';
const dataDir = mkdtempSync(join(tmpdir(), 'sentry-incident-e2e-'));
let stack: Stack;
let browser: Browser;
let page: Page;
const hostLines: string[] = [];

interface Cast {
  channel: string;
  responder: string;
  outsider: string;
  victim: string;
  victimName: string;
  victimSession: string;
  secondVictim: string;
  orgId: string;
  networkId: string;
  networkName: string;
  clientMac: string;
  oncallGroup: string;
}
let cast: Cast;

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    reset: true,
    port: 0,
    days: 2,
    live: false,
    onHostOutput: (line) => hostLines.push(line),
    appSettings: { SENTRY_INCIDENT_AUTO_ACTIONS: 'none' },
  });
  const meta = stack.scenario.meta;
  const responders = new Set(meta.responderUserIds);
  const sessions = stack.slack.state.getSessions();
  const candidates = stack.slack.state
    .listUsers()
    .filter(
      (u) =>
        u.is_bot !== true &&
        u.deleted !== true &&
        u.is_admin !== true &&
        u.is_owner !== true &&
        u.is_primary_owner !== true &&
        !responders.has(u.id) &&
        sessions.some((s) => s.user_id === u.id),
    );
  const [victim, secondVictim, outsider] = candidates;
  const network = stack.scenario.meraki.networks.find((n) => n.productTypes.includes('appliance'));
  const responder = meta.responderUserIds[0];
  const session = sessions.find((s) => s.user_id === victim?.id);
  if (
    victim === undefined ||
    secondVictim === undefined ||
    outsider === undefined ||
    network === undefined ||
    responder === undefined ||
    session === undefined
  ) {
    throw new Error('the scenario lacks the people or network this test needs');
  }
  stack.meraki.state.addClient(network.id, { id: 'kE2E01', mac: 'aa:bb:cc:de:ad:01', description: 'unknown-laptop' });
  cast = {
    channel: stack.appSettings.SENTRY_SLACK_INCIDENT_CHANNEL ?? '',
    responder,
    outsider: outsider.id,
    victim: victim.id,
    victimName: victim.name,
    victimSession: String(session.session_id),
    secondVictim: secondVictim.id,
    orgId: network.organizationId,
    networkId: network.id,
    networkName: network.name,
    clientMac: 'aa:bb:cc:de:ad:01',
    oncallGroup: meta.oncallGroupId,
  };
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
}, 180_000);

afterAll(async () => {
  // Either may be unset when beforeAll failed half-way.
  /* eslint-disable @typescript-eslint/no-unnecessary-condition -- see above */
  await browser?.close();
  await stack?.stop();
  /* eslint-enable @typescript-eslint/no-unnecessary-condition */
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

function policy(overrides: Partial<IncidentPolicy> = {}): IncidentPolicy {
  return {
    channel: cast.channel,
    escalateAfterMinutes: 60,
    oncallGroup: cast.oncallGroup,
    snoozeDays: 7,
    ...overrides,
  };
}

function finding(id: string, user: string, extra: Record<string, unknown> = {}) {
  const now = Date.now();
  return normalizeFinding({
    detectionId: 'slack.audit.anomaly',
    dedupeKey: user,
    incidentId: id,
    severity: 'high',
    title: `E2E anomalous session for ${user}`,
    count: 2,
    firstSeen: new Date(now - 600_000).toISOString(),
    lastSeen: new Date(now - 60_000).toISOString(),
    isNew: true,
    subject: { type: 'user', id: user },
    ...extra,
  });
}

/** Starts the incident orchestration the way dispatchIncidents does (through the durable HTTP API). */
async function startIncident(input: unknown, id: string): Promise<void> {
  const response = await fetch(
    `${stack.urls.app}/runtime/webhooks/durabletask/orchestrators/incident/${id}?code=${SYSTEM_KEY}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    },
  );
  expect(response.status, await response.clone().text()).toBeLessThan(300);
}

/** Raises an event the way dispatchIncidents does (the durable client's raiseEvent, over HTTP). */
async function raise(id: string, eventName: string, data: unknown): Promise<void> {
  const response = await fetch(
    `${stack.urls.app}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/${eventName}?code=${SYSTEM_KEY}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) },
  );
  expect(response.status, await response.clone().text()).toBeLessThan(300);
}

async function messageTs(id: string): Promise<string> {
  let ts: string | undefined;
  await expect
    .poll(
      () => {
        ts = stack.slack.state.getMessages(cast.channel).find((m) => m.text.includes(id))?.ts;
        return ts;
      },
      { timeout: 30_000, message: `the alert for ${id} was never posted:\n${hostLines.slice(-30).join('\n')}` },
    )
    .toBeDefined();
  return ts ?? '';
}

function alert(ts: string): Locator {
  return page.locator(`.msg[data-ts="${ts}"]`).first();
}

function content(ts: string): Locator {
  return page.locator(`.msg[data-ts="${ts}"] > .msg-body > .msg-content`).first();
}

async function openChannel(): Promise<void> {
  await page.goto(`${stack.slack.url}/channels/${cast.channel}`);
}

async function click(ts: string, label: string, as: string, confirm?: string): Promise<void> {
  await page.selectOption('#as-user', as);
  const button = content(ts).getByRole('button', { name: label, exact: true });
  await button.waitFor({ timeout: 15_000 });
  await button.click();
  if (confirm !== undefined) {
    const dialog = page.locator('dialog#confirm-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('#confirm-ok').click();
  }
  await page.locator('#click-status[data-status]').waitFor();
}

function responses(id: string) {
  return stack.ingestion.query('SentryResponse_CL').filter((row) => row.IncidentId === id);
}

async function expectRow(id: string, action: string, result: string, by?: string): Promise<void> {
  await expect
    .poll(
      () =>
        responses(id).some(
          (r) => r.Action === action && r.Result === result && (by === undefined || r.RequestedBy === by),
        ),
      {
        timeout: 30_000,
        message: `no ${action}/${result} row for ${id}: ${JSON.stringify(responses(id).map((r) => [r.Action, r.Result]))}\n${hostLines.slice(-20).join('\n')}`,
      },
    )
    .toBe(true);
}

describe('incident response on the local stack, through the channel page', () => {
  it('every action button performs its action, updates the message and lands a response row', async () => {
    const id = `incident-e2e.actions-${Date.now().toString(36)}`;
    const f = finding(id, cast.victim, {
      context: {
        user: { id: cast.victim, name: cast.victimName },
        ips: ['198.51.100.77'],
        sessionIds: [cast.victimSession],
        meraki: {
          organizationId: cast.orgId,
          networkId: cast.networkId,
          networkName: cast.networkName,
          clientMac: cast.clientMac,
        },
      },
    });
    await startIncident({ finding: f, policy: policy() }, id);
    const ts = await messageTs(id);
    await openChannel();
    await expect
      .poll(() => alert(ts).locator('.b-header').textContent(), { timeout: 15_000 })
      .toContain('E2E anomalous session');
    await expectRow(id, 'slack.alert.post', 'succeeded', 'sentry');

    // Someone outside the responders: refused privately, recorded, nothing done.
    const sessionsBefore = stack.slack.state.getSessions(cast.victim).length;
    await click(ts, 'Reset sessions', cast.outsider);
    await expectRow(id, 'slack.session.reset', 'denied', cast.outsider);
    await expect
      .poll(() => page.locator('.msg.ephemeral').filter({ hasText: 'not an authorized responder' }).count(), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    expect(stack.slack.state.getSessions(cast.victim)).toHaveLength(sessionsBefore);

    await click(ts, 'Acknowledge', cast.responder);
    await expectRow(id, 'incident.acknowledge', 'succeeded', cast.responder);
    await expect.poll(() => content(ts).textContent(), { timeout: 15_000 }).toContain('acknowledged by');

    await click(ts, 'Invalidate session', cast.responder);
    await expectRow(id, 'slack.session.invalidate', 'succeeded');
    expect(stack.slack.state.getSessions(cast.victim).some((s) => String(s.session_id) === cast.victimSession)).toBe(
      false,
    );

    await click(ts, 'Reset sessions', cast.responder);
    await expectRow(id, 'slack.session.reset', 'succeeded', cast.responder);
    expect(stack.slack.state.getSessions(cast.victim)).toEqual([]);
    await expect
      .poll(() => content(ts).getByRole('button', { name: 'Reset sessions', exact: true }).count(), { timeout: 15_000 })
      .toBe(0);

    await click(ts, 'Block 198.51.100.77 on MX', cast.responder, 'Block');
    await expectRow(id, 'meraki.block-ip', 'succeeded');
    expect(stack.meraki.state.firewall(cast.networkId).rules[0]).toMatchObject({
      policy: 'deny',
      destCidr: '198.51.100.77/32',
    });

    await click(ts, 'Block client', cast.responder, 'Block');
    await expectRow(id, 'meraki.block-client', 'succeeded');
    expect(stack.meraki.state.client(cast.networkId, cast.clientMac)?.devicePolicy).toBe('Blocked');

    // SCIM fails (every retry of the activity): the message says why and offers a retry.
    stack.slack.faults.add({ kind: 'status', status: 500, match: { method: 'DELETE', path: '/scim/v1/Users/' } });
    await click(ts, 'Deactivate user', cast.responder, 'Deactivate');
    await expectRow(id, 'slack.user.deactivate', 'failed');
    await expect.poll(() => content(ts).textContent(), { timeout: 15_000 }).toContain('can be retried');
    expect(stack.slack.state.getUser(cast.victim)?.deleted).not.toBe(true);
    stack.slack.faults.clear();
    await click(ts, 'Retry: Deactivate user', cast.responder, 'Deactivate');
    await expectRow(id, 'slack.user.deactivate', 'succeeded');
    expect(stack.slack.state.getUser(cast.victim)?.deleted).toBe(true);

    await click(ts, 'False positive', cast.responder);
    await expectRow(id, 'incident.close.false-positive', 'succeeded');
    await expect.poll(() => content(ts).textContent(), { timeout: 15_000 }).toContain('closed as false positive');
    expect(await content(ts).locator('button').count()).toBe(0);

    // The thread tells the story, one reply per action.
    const thread = stack.slack.state.getThread(cast.channel, ts).map((m) => m.text);
    expect(thread.filter((t) => t.startsWith(':white_check_mark:'))).toHaveLength(7);
    expect(thread.some((t) => t.startsWith(':x:') && t.includes('deactivate the user'))).toBe(true);

    // Each row says who, what, target, when and the result.
    const reset = responses(id).find((r) => r.Action === 'slack.session.reset' && r.Result === 'succeeded');
    expect(reset).toMatchObject({
      TargetType: 'user',
      TargetId: cast.victim,
      RequestedBy: cast.responder,
      DetectionId: 'slack.audit.anomaly',
    });
    expect(typeof reset?.RequestedAt).toBe('string');

    // Slack got its 200 well within 3 s on every click.
    const deliveries = stack.slack.state.deliveries.filter((d) => d.messageTs === ts);
    expect(deliveries).toHaveLength(9);
    for (const delivery of deliveries) {
      expect(delivery.status).toBe(200);
      expect(delivery.durationMs ?? Infinity).toBeLessThan(3_000);
    }
  }, 240_000);

  it('escalates on timeout with the on-call group, takes the automatic action, then snoozes', async () => {
    const id = `incident-e2e.escalation-${Date.now().toString(36)}`;
    const f = finding(id, cast.secondVictim, { severity: 'critical', context: { user: { id: cast.secondVictim } } });
    const p = policy({ automaticAction: 'resetSessions', escalateAfterMinutes: 1 });
    // A carried state whose deadline is 4 s away stands in for a 1-minute policy (same code path).
    const state = { ...openIncident(f, p, new Date()), escalateAt: new Date(Date.now() + 4_000).toISOString() };
    await startIncident({ finding: f, policy: p, state }, id);
    const ts = await messageTs(id);
    expect(stack.slack.state.getSessions(cast.secondVictim).length).toBeGreaterThan(0);

    await expectRow(id, 'incident.escalate', 'succeeded', 'sentry');
    await expectRow(id, 'slack.session.reset', 'succeeded', 'sentry');
    expect(stack.slack.state.getSessions(cast.secondVictim)).toEqual([]);
    const thread = stack.slack.state.getThread(cast.channel, ts).map((m) => m.text);
    expect(thread[0]).toContain(`<!subteam^${cast.oncallGroup}>`);
    expect(thread.some((t) => t.includes('*Sentry* (automatic) reset the user’s sessions'))).toBe(true);

    await openChannel();
    await click(ts, 'Snooze 7d', cast.responder);
    await expectRow(id, 'incident.snooze', 'succeeded', cast.responder);
    await expect.poll(() => content(ts).textContent(), { timeout: 15_000 }).toContain('closed as snoozed');
    const config = parseConfig({ ...stack.appSettings });
    expect(await new SnoozeStore(config).isSnoozed('slack.audit.anomaly', cast.secondVictim, new Date())).toBe(true);
  }, 120_000);

  it('closes as benign positive', async () => {
    const id = `incident-e2e.benign-${Date.now().toString(36)}`;
    await startIncident({ finding: finding(id, cast.outsider), policy: policy() }, id);
    const ts = await messageTs(id);
    await openChannel();
    await click(ts, 'Benign positive', cast.responder);
    await expectRow(id, 'incident.close.benign-positive', 'succeeded', cast.responder);
    await expect.poll(() => content(ts).textContent(), { timeout: 15_000 }).toContain('closed as benign positive');
  }, 60_000);

  it('a separate older finding of the same key is listed in the message and announced once in the thread', async () => {
    const id = `incident-e2e.occurrence-${Date.now().toString(36)}`;
    await startIncident({ finding: finding(id, cast.secondVictim, { findingId: `${id}:live` }), policy: policy() }, id);
    const ts = await messageTs(id);
    const older = {
      findingId: `${id}:older`,
      count: 5,
      firstSeen: new Date(Date.now() - 10 * 86_400_000).toISOString(),
      lastSeen: new Date(Date.now() - 10 * 86_400_000 + 600_000).toISOString(),
      severity: 'high',
      evidence: [{ label: 'previousIp', value: '192.0.2.77' }],
    };
    await raise(id, 'findingUpdated', older);
    await expectRow(id, 'incident.occurrence', 'succeeded', 'sentry');
    await expect
      .poll(() => JSON.stringify(stack.slack.state.getMessage(cast.channel, ts)?.blocks ?? []), { timeout: 15_000 })
      .toContain('Other occurrences');
    const thread = () => stack.slack.state.getThread(cast.channel, ts).filter((m) => m.text.includes(older.findingId));
    await expect.poll(() => thread().length, { timeout: 15_000 }).toBe(1);
    expect(thread()[0]?.text).toContain('An earlier separate occurrence');

    // The same event again (a repeated dispatch): nothing new anywhere.
    await raise(id, 'findingUpdated', older);
    await raise(id, 'findingUpdated', { ...older, count: 7 });
    await expect
      .poll(() => JSON.stringify(stack.slack.state.getMessage(cast.channel, ts)?.blocks ?? []), { timeout: 15_000 })
      .toContain('*7* events');
    expect(thread()).toHaveLength(1);
    expect(responses(id).filter((r) => r.Action === 'incident.occurrence')).toHaveLength(1);
  }, 90_000);
});
