/**
 * End to end on the local stack (`startStack`: Azurite, Slack/Meraki/Entra/Ingestion emulators, the
 * unmodified app on the local Functions + Durable host) with Chromium on the Slack channel page:
 * - the scenario's own password spray (its last attempt aimed at the primary owner) and privilege
 *   escalations, found by the real pipeline, reach the channel; their buttons name their targets, and
 *   clicking every offered button as a responder never touches a protected account;
 * - incidents started exactly as dispatchIncidents starts them (instance id from the finding, input
 *   `{ finding, policy, grant }`, the grant signed with the app's response key): a click on each button,
 *   made through the page as a seeded user, performs the action on the emulator, updates the message
 *   and lands a response row. Also an unauthorized click, an action that fails then succeeds on
 *   retry, escalation with the automatic action, and a separate older finding of the same key;
 * - the Durable management API (whose key the ops endpoints hand out) cannot drive the loop: a
 *   `responderAction` raised there, or an incident started there with made-up targets, acts on nobody.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startStack, type Stack } from '../../dev/stack';
import { parseConfig } from '../../src/config';
import { incidentIdFor } from '../../src/detections/evaluate';
import { openIncident } from '../../src/response/incident-state';
import {
  normalizeFinding,
  type IncidentEntity,
  type IncidentFinding,
  type IncidentPolicy,
} from '../../src/response/model';
import { responseKey, signCharter } from '../../src/response/proofs';
import { charterOf } from '../../src/response/targets';
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
  thirdVictim: string;
  thirdSession: string;
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
    appSettings: {
      SENTRY_INCIDENT_AUTO_ACTIONS: 'none',
      // The first cycle reads the scenario's two days itself, in whole-day windows.
      SENTRY_SLACK_AUDIT_LOOKBACK_HOURS: '49',
      SENTRY_SLACK_AUDIT_WINDOW_SECONDS: '86400',
      SENTRY_SLACK_AUDIT_PAGE_SIZE: '9999',
    },
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
  const [victim, secondVictim, outsider, thirdVictim] = candidates;
  const network = stack.scenario.meraki.networks.find((n) => n.productTypes.includes('appliance'));
  const responder = meta.responderUserIds[0];
  const session = sessions.find((s) => s.user_id === victim?.id);
  const thirdSession = sessions.find((s) => s.user_id === thirdVictim?.id);
  if (
    victim === undefined ||
    secondVictim === undefined ||
    outsider === undefined ||
    thirdVictim === undefined ||
    thirdSession === undefined ||
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
    thirdVictim: thirdVictim.id,
    thirdSession: String(thirdSession.session_id),
    orgId: network.organizationId,
    networkId: network.id,
    networkName: network.name,
    clientMac: 'aa:bb:cc:de:ad:01',
    oncallGroup: meta.oncallGroupId,
  };
  // The first cycle (at host start) lands the scenario's two days and the Meraki uplink snapshot the
  // guardrails read; the tests start once it is done.
  for (let waited = 0; ; waited += 500) {
    const response = await fetch(
      `${stack.urls.app}/runtime/webhooks/durabletask/instances/sentry-cycle?code=${SYSTEM_KEY}`,
    );
    const phase =
      response.status === 200 || response.status === 202
        ? ((await response.json()) as { customStatus?: { phase?: string } }).customStatus?.phase
        : undefined;
    if (phase === 'waiting') break;
    if (waited > 90_000) throw new Error(`the first cycle never finished:\n${hostLines.slice(-30).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
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
    staleAfterHours: 72,
    autoActionMaxAgeMinutes: 240,
    ...overrides,
  };
}

const sec = (ms: number) => Math.floor(ms / 1000);

function suspect(id: string, name?: string, sessions?: string[]): IncidentEntity {
  const now = Date.now();
  return {
    role: 'actor',
    type: 'user',
    stance: 'suspect',
    id,
    ...(name === undefined ? {} : { name }),
    ...(sessions === undefined ? {} : { sessions }),
    firstSeen: sec(now - 600_000),
    lastSeen: sec(now - 60_000),
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
    entities: [suspect(user)],
    ...extra,
  });
}

/** dispatchIncidents' grant for an incident, made with the app's response key (from its signing secret). */
function grant(f: IncidentFinding, p: IncidentPolicy): string {
  const key = responseKey({ signingSecret: stack.appSettings.SENTRY_SLACK_SIGNING_SECRET });
  if (key === undefined) throw new Error('the stack has no signing secret');
  return signCharter(key, charterOf(f, p));
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

const ATTACKER_IP = '185.220.101.77';

function buttonLabels(ts: string): Promise<string[]> {
  return content(ts).locator('button').allTextContents();
}

function ephemeralCount(): number {
  return stack.slack.state.getEphemeral(cast.channel).length;
}

describe('incident response on the local stack, through the channel page', () => {
  it('every action button names its target, performs its action, updates the message and lands a row', async () => {
    const id = `incident-e2e.actions-${Date.now().toString(36)}`;
    const network = { organizationId: cast.orgId, networkId: cast.networkId, networkName: cast.networkName };
    const now = Date.now();
    const f = finding(id, cast.victim, {
      entities: [
        suspect(cast.victim, cast.victimName, [cast.victimSession]),
        {
          role: 'sourceIp',
          type: 'ip',
          stance: 'suspect',
          id: ATTACKER_IP,
          network,
          firstSeen: sec(now - 600_000),
          lastSeen: sec(now - 60_000),
        },
        {
          role: 'client',
          type: 'client',
          stance: 'suspect',
          id: cast.clientMac,
          name: 'unknown-laptop',
          network,
          firstSeen: sec(now - 600_000),
          lastSeen: sec(now - 60_000),
        },
      ],
      context: { ips: [ATTACKER_IP], meraki: network },
    });
    const p = policy();
    await startIncident({ finding: f, policy: p, grant: grant(f, p) }, id);
    const ts = await messageTs(id);
    await openChannel();
    await expect
      .poll(() => alert(ts).locator('.b-header').textContent(), { timeout: 15_000 })
      .toContain('E2E anomalous session');
    await expectRow(id, 'slack.alert.post', 'succeeded', 'sentry');
    const who = `${cast.victimName} (${cast.victim})`;
    expect(await buttonLabels(ts)).toEqual([
      'Acknowledge',
      `Reset sessions: ${who}`,
      `Deactivate ${who}`,
      `Invalidate session ${cast.victimSession} of ${cast.victimName}`,
      `Block ${ATTACKER_IP} on ${cast.networkName}`,
      `Block client unknown-laptop (${cast.clientMac})`,
      'Snooze 7d',
      'False positive',
      'Benign positive',
    ]);

    // Someone outside the responders: refused privately, recorded, nothing done.
    const sessionsBefore = stack.slack.state.getSessions(cast.victim).length;
    await click(ts, `Reset sessions: ${who}`, cast.outsider, 'Reset sessions');
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

    await click(ts, `Invalidate session ${cast.victimSession} of ${cast.victimName}`, cast.responder, 'Invalidate');
    await expectRow(id, 'slack.session.invalidate', 'succeeded');
    expect(stack.slack.state.getSessions(cast.victim).some((s) => String(s.session_id) === cast.victimSession)).toBe(
      false,
    );

    await click(ts, `Reset sessions: ${who}`, cast.responder, 'Reset sessions');
    await expectRow(id, 'slack.session.reset', 'succeeded', cast.responder);
    expect(stack.slack.state.getSessions(cast.victim)).toEqual([]);
    await expect
      .poll(
        () =>
          content(ts)
            .getByRole('button', { name: `Reset sessions: ${who}`, exact: true })
            .count(),
        {
          timeout: 15_000,
        },
      )
      .toBe(0);

    await click(ts, `Block ${ATTACKER_IP} on ${cast.networkName}`, cast.responder, 'Block');
    await expectRow(id, 'meraki.block-ip', 'succeeded');
    expect(stack.meraki.state.firewall(cast.networkId).rules[0]).toMatchObject({
      policy: 'deny',
      destCidr: `${ATTACKER_IP}/32`,
    });

    await click(ts, `Block client unknown-laptop (${cast.clientMac})`, cast.responder, 'Block');
    await expectRow(id, 'meraki.block-client', 'succeeded');
    expect(stack.meraki.state.client(cast.networkId, cast.clientMac)?.devicePolicy).toBe('Blocked');

    // SCIM fails (every retry of the activity): the message says why and offers a retry.
    stack.slack.faults.add({ kind: 'status', status: 500, match: { method: 'DELETE', path: '/scim/v1/Users/' } });
    await click(ts, `Deactivate ${who}`, cast.responder, 'Deactivate');
    await expectRow(id, 'slack.user.deactivate', 'failed');
    await expect.poll(() => content(ts).textContent(), { timeout: 15_000 }).toContain('can be retried');
    expect(stack.slack.state.getUser(cast.victim)?.deleted).not.toBe(true);
    stack.slack.faults.clear();
    await click(ts, `Retry: Deactivate ${who}`, cast.responder, 'Deactivate');
    await expectRow(id, 'slack.user.deactivate', 'succeeded');
    expect(stack.slack.state.getUser(cast.victim)?.deleted).toBe(true);

    await click(ts, 'False positive', cast.responder);
    await expectRow(id, 'incident.close.false-positive', 'succeeded');
    await expect.poll(() => content(ts).textContent(), { timeout: 15_000 }).toContain('closed as false positive');
    expect(await content(ts).locator('button').count()).toBe(0);

    // The thread tells the story, one reply per action, naming each target in a code span.
    const thread = stack.slack.state.getThread(cast.channel, ts);
    expect(thread.map((m) => m.text).filter((t) => t.startsWith(':white_check_mark:'))).toHaveLength(7);
    expect(thread.some((m) => m.text.startsWith(':x:') && m.text.includes('deactivate the user'))).toBe(true);
    expect(JSON.stringify(thread.map((m) => m.blocks))).toContain(`\`${cast.victimName} (${cast.victim})\``);

    // Each row says who, what, target, when and the result.
    const reset = responses(id).find((r) => r.Action === 'slack.session.reset' && r.Result === 'succeeded');
    expect(reset).toMatchObject({
      TargetType: 'user',
      TargetId: cast.victim,
      TargetName: who,
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

  it('the scenario’s spray and privilege escalations reach the channel; every offered button spares protected accounts', async () => {
    const meta = stack.scenario.meta;
    const users = stack.slack.state.listUsers();
    const protectedIds = users
      .filter(
        (u) =>
          u.is_owner === true ||
          u.is_primary_owner === true ||
          u.is_admin === true ||
          u.is_bot === true ||
          u.enterprise_user?.is_owner === true ||
          u.enterprise_user?.is_admin === true ||
          meta.responderUserIds.includes(u.id),
      )
      .map((u) => u.id);
    const primaryOwner = users.find((u) => u.is_primary_owner === true)?.id ?? '';
    const before = new Map(
      protectedIds.map((id) => [
        id,
        { sessions: stack.slack.state.getSessions(id).length, deleted: stack.slack.state.getUser(id)?.deleted },
      ]),
    );
    const spray = stack.scenario.incidents.find((i) => i.kind === 'failed-logins-one-ip');
    const escalations = stack.scenario.incidents.filter((i) => i.kind === 'privilege-escalation');
    if (spray === undefined || escalations.length === 0) throw new Error('the scenario lacks a spray or an escalation');
    const sprayId = incidentIdFor('slack.audit.failed-logins-one-ip', spray.subject);
    const escalationIds = escalations.map((i) =>
      incidentIdFor('slack.audit.privilege-escalation', `user:${i.subject}`),
    );
    await openChannel();
    for (const id of [sprayId, ...escalationIds]) {
      const ts = await messageTs(id);
      await expect.poll(() => content(ts).locator('button').count(), { timeout: 15_000 }).toBeGreaterThan(0);
      const labels = await buttonLabels(ts);
      const text = (await content(ts).textContent()) ?? '';
      // Every targeted button names its target; none names a protected account.
      for (const label of labels.filter(
        (l) => !['Acknowledge', 'Snooze 7d', 'False positive', 'Benign positive'].includes(l),
      )) {
        expect(label).toMatch(/\((?:[UW][A-Z0-9]+|[0-9a-f:]+)\)|^Block \d|^Invalidate session \d+ of /);
        for (const id2 of protectedIds) expect(label).not.toContain(id2);
      }
      if (id === sprayId) {
        // Victims, the primary owner among them (the last attempt), get no button; the address is named.
        expect(labels).toEqual(['Acknowledge', 'Snooze 7d', 'False positive', 'Benign positive']);
        expect(text).toContain(primaryOwner);
        expect(text).toContain(spray.subject);
      } else {
        expect(text).toContain('No actions offered on');
      }
      // Click every offered button, the closing one last.
      for (const label of labels.filter((l) => !['Snooze 7d', 'False positive', 'Benign positive'].includes(l))) {
        const confirm = label.startsWith('Deactivate')
          ? 'Deactivate'
          : label.startsWith('Reset')
            ? 'Reset sessions'
            : label.startsWith('Invalidate')
              ? 'Invalidate'
              : undefined;
        await click(ts, label, cast.responder, confirm);
      }
      await click(ts, 'False positive', cast.responder);
      await expectRow(id, 'incident.close.false-positive', 'succeeded', cast.responder);
      await expectRow(id, 'incident.acknowledge', 'succeeded', cast.responder);
    }
    for (const [id, was] of before) {
      expect(stack.slack.state.getSessions(id).length, `sessions of ${id}`).toBe(was.sessions);
      expect(stack.slack.state.getUser(id)?.deleted, `deleted flag of ${id}`).toBe(was.deleted);
    }
    // Nothing the responder did reached a protected account.
    const touched = stack.ingestion
      .query('SentryResponse_CL', { limit: Number.POSITIVE_INFINITY })
      .filter((r) => r.Result === 'succeeded' && protectedIds.includes(String(r.TargetId)));
    expect(touched).toEqual([]);
  }, 180_000);

  it('the management API cannot act as a responder, nor open an incident that acts', async () => {
    // A genuine incident about an ordinary user, then events raised through the management API.
    const id = `incident-e2e.forged-${Date.now().toString(36)}`;
    const f = finding(id, cast.thirdVictim, { entities: [suspect(cast.thirdVictim, undefined, [cast.thirdSession])] });
    const p = policy();
    await startIncident({ finding: f, policy: p, grant: grant(f, p) }, id);
    await messageTs(id);
    const sessions = stack.slack.state.getSessions(cast.thirdVictim).length;
    const ephemerals = ephemeralCount();
    const base = {
      target: cast.thirdVictim,
      user: { id: cast.responder, name: 'made-up' },
      channel: cast.channel,
      responseUrl: `${stack.slack.url}/response_url/forged`,
      receivedAt: new Date().toISOString(),
    };
    await raise(id, 'responderAction', { ...base, kind: 'resetSessions' });
    await raise(id, 'responderAction', { ...base, kind: 'deactivateUser', proof: 'ab'.repeat(32) });
    await expect
      .poll(
        () =>
          responses(id)
            .filter((r) => r.Result === 'denied')
            .map((r) => r.ErrorCode)
            .sort(),
        { timeout: 30_000 },
      )
      .toEqual(['proof_invalid', 'proof_missing']);
    expect(stack.slack.state.getSessions(cast.thirdVictim)).toHaveLength(sessions);
    expect(stack.slack.state.getUser(cast.thirdVictim)?.deleted).not.toBe(true);
    expect(ephemeralCount()).toBe(ephemerals);

    // An incident started through the management API with a made-up target and automatic action.
    const craftedId = `incident-e2e.crafted-${Date.now().toString(36)}`;
    const crafted = finding(craftedId, cast.thirdVictim);
    const p2 = policy({ automaticAction: 'deactivateUser', escalateAfterMinutes: 1 });
    const state = { ...openIncident(crafted, p2, new Date()), escalateAt: new Date(Date.now() + 3_000).toISOString() };
    await startIncident({ finding: crafted, policy: p2, state }, craftedId);
    const ts = await messageTs(craftedId);
    await expectRow(craftedId, 'slack.user.deactivate', 'refused', 'sentry');
    expect(responses(craftedId).find((r) => r.Action === 'slack.user.deactivate')?.ErrorCode).toBe('charter_invalid');
    // A real responder's real click on it is refused the same way.
    await openChannel();
    await click(ts, `Reset sessions: ${cast.thirdVictim}`, cast.responder, 'Reset sessions');
    await expectRow(craftedId, 'slack.session.reset', 'refused', cast.responder);
    expect(stack.slack.state.getUser(cast.thirdVictim)?.deleted).not.toBe(true);
    expect(stack.slack.state.getSessions(cast.thirdVictim)).toHaveLength(sessions);
  }, 120_000);

  it('protected accounts and addresses get no buttons; the message says why', async () => {
    const id = `incident-e2e.guarded-${Date.now().toString(36)}`;
    const meta = stack.scenario.meta;
    const owner = stack.slack.state.listUsers().find((u) => u.is_primary_owner === true);
    const admin = stack.slack.state
      .listUsers()
      .find((u) => u.is_admin === true && u.is_owner !== true && !meta.responderUserIds.includes(u.id));
    const responder = meta.responderUserIds[1] ?? cast.responder;
    const uplink = stack.meraki.state
      .snapshot()
      .uplinkStatuses.find((d) => d.networkId === cast.networkId)
      ?.uplinks.find((u) => u.status === 'active' && typeof u.publicIp === 'string')?.publicIp;
    if (owner === undefined || admin === undefined || uplink === undefined || uplink === null)
      throw new Error('the scenario lacks an owner, an admin or an uplink IP');
    const network = { organizationId: cast.orgId, networkId: cast.networkId, networkName: cast.networkName };
    const now = Date.now();
    const ip = (addr: string): IncidentEntity => ({
      role: 'sourceIp',
      type: 'ip',
      stance: 'suspect',
      id: addr,
      network,
      firstSeen: sec(now - 600_000),
      lastSeen: sec(now - 60_000),
    });
    const f = finding(id, owner.id, {
      entities: [
        suspect(owner.id, owner.name),
        suspect(admin.id, admin.name),
        suspect(responder),
        ip('10.1.2.3'),
        ip(uplink),
      ],
    });
    const p = policy();
    await startIncident({ finding: f, policy: p, grant: grant(f, p) }, id);
    const ts = await messageTs(id);
    await openChannel();
    await expect
      .poll(() => buttonLabels(ts), { timeout: 15_000, message: 'buttons' })
      .toEqual(['Acknowledge', 'Snooze 7d', 'False positive', 'Benign positive']);
    const text = (await content(ts).textContent()) ?? '';
    expect(text).toContain('No actions offered on');
    const ownsToken = owner.id === stack.slack.state.org.ownerUserId;
    for (const reason of [
      ownsToken
        ? `${owner.id} owns one of Sentry's own Slack tokens`
        : `${owner.id} is the primary owner of the organization`,
      `${admin.id} is an admin`,
      `${responder} is a Sentry responder`,
      '10.1.2.3 is in 10.0.0.0/8, private (RFC 1918)',
      `${uplink} is a public uplink IP of the organization's own appliances`,
    ])
      expect(text).toContain(reason);
  }, 90_000);

  it('escalates on timeout with the on-call group, takes the automatic action, then snoozes', async () => {
    const id = `incident-e2e.escalation-${Date.now().toString(36)}`;
    const f = finding(id, cast.secondVictim, { severity: 'critical' });
    const p = policy({ automaticAction: 'resetSessions', escalateAfterMinutes: 1 });
    // A carried state whose deadline is 4 s away stands in for a 1-minute policy (same code path).
    const state = {
      ...openIncident(f, p, new Date(), grant(f, p)),
      escalateAt: new Date(Date.now() + 4_000).toISOString(),
    };
    await startIncident({ finding: f, policy: p, state }, id);
    const ts = await messageTs(id);
    expect(stack.slack.state.getSessions(cast.secondVictim).length).toBeGreaterThan(0);

    await expectRow(id, 'incident.escalate', 'succeeded', 'sentry');
    await expectRow(id, 'slack.session.reset', 'succeeded', 'sentry');
    expect(stack.slack.state.getSessions(cast.secondVictim)).toEqual([]);
    const thread = stack.slack.state.getThread(cast.channel, ts).map((m) => m.text);
    expect(thread[0]).toContain(`<!subteam^${cast.oncallGroup}>`);
    expect(thread.some((t) => t.includes('*Sentry* (automatic) reset the user’s sessions'))).toBe(true);
    expect(thread[0]).toContain('Sentry is taking the automatic action');

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
