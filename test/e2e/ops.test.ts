/**
 * The ops surface on the local stack, end to end: the real app on the local host with the durable
 * extension, Azurite and the emulators. Auth levels, the status after real cycles, running a cycle
 * on request, secret-free answers, tagged log lines, and the ops page rendering the same status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_HOST_KEYS } from '../../dev/host/http';
import type { Stack } from '../../dev/stack';
import { SECRET_SETTINGS } from '../../src/config';
import { startTestStack, type TestStack } from '../helpers/test-stack';

interface SourceStatus {
  source: string;
  org: string;
  configured: boolean;
  lastSuccess: { cycleId: string; at: string } | null;
  checkpoint: { at: string | null; lagSeconds: number | null } | null;
  lastCycleCounts: { rows: number; bytes: number; quarantined: number; apiCalls: number } | null;
  last24h: { rows: number; bytes: number; cycles: number; apiCalls: number } | null;
  totals: { rows: number; cycles: number } | null;
  apiBudget: { lastCycle: number | null; last24h: number | null };
}

interface Status {
  status: string;
  problems: string[];
  cycle: { latest: { cycleId: string; at: string } | null; last24h: { cycles: number } | null };
  sources: SourceStatus[];
  incidents: { open: number; list: unknown[] } | null;
  orchestrations: {
    cycle: { instanceId: string; runtimeStatus: string } | null;
    backfills: { instanceId: string; runtimeStatus: string; request: unknown }[] | null;
  };
}

/**
 * Poll interval of the stack. The first cycle runs at once (the watchdog starts it on startup), so a
 * short interval buys nothing here; a long one proves that a cycle sooner than it was expedited.
 */
const POLL_SECONDS = 90;
const KEY = DEFAULT_HOST_KEYS.function;

let e2e: TestStack;
let stack: Stack;

beforeAll(async () => {
  e2e = await startTestStack('ops', { pollIntervalSeconds: POLL_SECONDS, liveTickMs: 2_000 });
  stack = e2e.stack;
}, 180_000);

afterAll(async () => {
  await e2e.stop();
});

function secretValues(): string[] {
  return SECRET_SETTINGS.map((name) => stack.appSettings[name]).filter(
    (v): v is string => v !== undefined && v.length >= 6,
  );
}

async function getStatus(): Promise<Status> {
  const response = await fetch(stack.urls.ops, { headers: { 'x-functions-key': KEY } });
  expect(response.status).toBe(200);
  return (await response.json()) as Status;
}

async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}; last value:\n${JSON.stringify(last, null, 2)}`);
    await new Promise((r) => setTimeout(r, 1_000));
    last = await read();
  }
  return last;
}

function configuredTargets(): string[] {
  return ['slackAudit/slack', ...stack.scenario.meta.merakiOrganizationIds.map((id) => `meraki/${id}`)];
}

const collected = (s: Status) =>
  configuredTargets().every((name) => {
    const target = s.sources.find((t) => `${t.source}/${t.org}` === name);
    return (
      target?.lastSuccess !== null &&
      target?.lastSuccess !== undefined &&
      target.checkpoint !== null &&
      (target.last24h?.cycles ?? 0) >= 1
    );
  });

describe('ops endpoints on the local stack', () => {
  it('GET /api/ops/status needs the function key', async () => {
    expect((await fetch(stack.urls.ops)).status).toBe(401);
    expect((await fetch(stack.urls.ops, { headers: { 'x-functions-key': 'not-the-key' } })).status).toBe(401);
    expect((await fetch(`${stack.urls.ops}?code=${KEY}`)).status).toBe(200);
  });

  it('after a cycle, shows every configured source/org with its checkpoint, counts and budget', async () => {
    const status = await waitFor('every target collected once', getStatus, collected, 150_000);
    expect(status.problems).toEqual([]);
    expect(status.sources.filter((s) => s.configured).map((s) => `${s.source}/${s.org}`)).toEqual(configuredTargets());
    for (const target of status.sources) {
      expect(target.checkpoint?.at, `${target.source}/${target.org}`).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(target.checkpoint?.lagSeconds).toBeGreaterThanOrEqual(0);
      expect(target.lastCycleCounts).not.toBeNull();
      expect(target.apiBudget.lastCycle).toBeGreaterThanOrEqual(1);
      expect(target.last24h?.apiCalls).toBeGreaterThanOrEqual(target.apiBudget.lastCycle ?? 0);
    }
    const slack = status.sources.find((s) => s.source === 'slackAudit');
    // The scenario's last day of audit entries lands on the first cycle.
    expect(slack?.totals?.rows).toBeGreaterThan(0);
    expect(slack?.last24h?.bytes).toBeGreaterThan(0);
    // Slack's checkpoint is the newest landed second: minutes behind at most, not the 24-hour lookback.
    expect(slack?.checkpoint?.lagSeconds).toBeLessThan(POLL_SECONDS * 4 + 120);
    const landed = stack.ingestion.store.count('SentrySlackAudit_CL');
    expect(landed).toBeGreaterThanOrEqual(slack?.totals?.rows ?? Infinity);
    expect(status.cycle.latest?.cycleId).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z#\d+$/);
    expect(status.orchestrations.cycle).toMatchObject({ instanceId: 'sentry-cycle' });
    expect(['Running', 'Pending', 'ContinuedAsNew']).toContain(status.orchestrations.cycle?.runtimeStatus);
    expect(status.orchestrations.backfills).toEqual([]);
    expect(status.incidents).not.toBeNull();
  }, 180_000);

  it('POST /api/ops/cycle answers 202 with the check-status URLs and a new cycle is recorded before the poll interval', async () => {
    const cycleUrl = `${stack.urls.app}/api/ops/cycle`;
    expect((await fetch(cycleUrl, { method: 'POST' })).status).toBe(401);
    const before = await getStatus();
    const previous = before.cycle.latest;
    expect(previous).not.toBeNull();

    const sentAt = Date.now();
    const response = await fetch(cycleUrl, { method: 'POST', headers: { 'x-functions-key': KEY } });
    expect(response.status).toBe(202);
    expect(response.headers.get('x-sentry-cycle-action')).toBe('expedited');
    const body = (await response.json()) as Record<string, string>;
    expect(body.id).toBe('sentry-cycle');
    for (const key of ['statusQueryGetUri', 'sendEventPostUri', 'terminatePostUri', 'purgeHistoryDeleteUri']) {
      expect(body[key], key).toMatch(
        new RegExp(`^${stack.urls.app}/runtime/webhooks/durabletask/instances/sentry-cycle`),
      );
    }
    expect(response.headers.get('location')).toBe(body.statusQueryGetUri);
    const check = await fetch(body.statusQueryGetUri ?? '');
    expect(check.status).toBeLessThan(300);
    expect(await check.json()).toMatchObject({ instanceId: 'sentry-cycle', name: 'cycle' });

    const after = await waitFor(
      'a new cycle recorded',
      getStatus,
      (s) => s.cycle.latest !== null && s.cycle.latest.cycleId !== previous?.cycleId,
      90_000,
    );
    const startedAt = Date.parse(after.cycle.latest?.at ?? '');
    expect(startedAt).toBeGreaterThanOrEqual(sentAt - 1_000);
    const gap = (startedAt - Date.parse(previous?.at ?? '')) / 1000;
    // Started by the expedite event (never closer than the 15-second minimum gap), not by the timer.
    expect(gap).toBeGreaterThanOrEqual(15);
    expect(gap).toBeLessThan(POLL_SECONDS);
  }, 120_000);

  it('lists a backfill started through POST /api/ops/backfill with its range and runtime status', async () => {
    const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
    const from = new Date(to.getTime() - 2 * 3_600_000);
    const started = await fetch(`${stack.urls.app}/api/ops/backfill`, {
      method: 'POST',
      headers: { 'x-functions-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ from: from.toISOString(), to: to.toISOString(), windowMinutes: 60 }),
    });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    const status = await waitFor(
      'the backfill to complete in the status',
      getStatus,
      (s) => s.orchestrations.backfills?.some((b) => b.instanceId === id && b.runtimeStatus === 'Completed') === true,
      60_000,
    );
    const listed = status.orchestrations.backfills?.find((b) => b.instanceId === id);
    expect(listed).toMatchObject({
      request: { source: 'slackAudit', from: from.toISOString(), to: to.toISOString(), windowSeconds: 3600 },
    });
  }, 90_000);

  it('/api/health stays anonymous, and neither it nor the ops status carries a configured secret', async () => {
    const health = await fetch(stack.urls.health);
    expect(health.status).toBe(200);
    const healthText = await health.text();
    const statusText = JSON.stringify(await getStatus());
    const secrets = secretValues();
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const secret of secrets) {
      expect(healthText.includes(secret)).toBe(false);
      expect(statusText.includes(secret)).toBe(false);
    }
  });

  it('activity log lines carry the cycle id (and the host names the orchestration instance); none carries a secret', async () => {
    const { cycle } = await getStatus();
    const tagged = e2e.lines.filter((line) => line.includes('[collectSlackAudit]') && line.includes('[sentry '));
    expect(tagged.length).toBeGreaterThan(0);
    const recorded =
      tagged.find((line) => line.includes(`cycleId=${cycle.latest?.cycleId ?? '?'}`)) ?? tagged.at(-1) ?? '';
    expect(recorded).toMatch(/\[sentry (instanceId=\S+ )?cycleId=\S+#\d+\]/);
    expect(recorded).toContain('instanceId=sentry-cycle');
    const secrets = secretValues();
    for (const line of e2e.lines) for (const secret of secrets) expect(line.includes(secret)).toBe(false);
  });

  it('the ops page renders the status server-side, escaped, without the key, and can run a cycle', async () => {
    expect(stack.urls.opsPage).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const status = await getStatus();
    const page = await fetch(stack.urls.opsPage);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toMatch(/<meta http-equiv="refresh" content="\d+; url=\/">/);
    for (const name of configuredTargets()) {
      const [source, org] = name.split('/');
      expect(html).toContain(`data-source="${source ?? ''}" data-org="${org ?? ''}"`);
    }
    expect(html).toContain('sentry-cycle');
    expect(html).toContain(`id="open-incidents">${status.incidents?.open ?? -1}<`);
    expect(html).toContain(`href="${stack.urls.channelPage}"`);
    expect(html).toContain(`href="${stack.urls.ingestionTables}"`);
    expect(html).not.toContain(KEY);
    for (const secret of secretValues()) expect(html.includes(secret)).toBe(false);

    const json = await fetch(`${stack.urls.opsPage}status.json`);
    expect(((await json.json()) as Status).sources.length).toBe(status.sources.length);

    const run = await fetch(`${stack.urls.opsPage}cycle`, { method: 'POST', redirect: 'manual' });
    expect(run.status).toBe(303);
    expect(run.headers.get('location')).toMatch(/^\/\?ran=(expedited|started)$/);
    const refused = await fetch(`${stack.urls.opsPage}cycle`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: 'http://evil.example' },
    });
    expect(refused.status).toBe(403);
  });
});
