import { afterEach, describe, expect, it } from 'vitest';

import {
  escapeHtml,
  formatBytes,
  formatDuration,
  type OpsPage,
  type OpsStatusView,
  renderOpsPage,
  startOpsPage,
} from './ops-page';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const EVIL = '<img src=x onerror="alert(1)">&\'`';
const links = {
  channelPage: 'http://127.0.0.1:1/',
  ingestionTables: 'http://127.0.0.1:2/_tables',
  health: 'http://127.0.0.1:3/api/health',
};

function status(over: Partial<OpsStatusView> = {}): OpsStatusView {
  return {
    status: 'degraded',
    generatedAt: NOW.toISOString(),
    version: '0.1.0',
    pollIntervalSeconds: 60,
    telemetry: { applicationInsights: true },
    attention: [`meraki/${EVIL}: the last cycle failed (collector_http_error).`],
    problems: [],
    cycle: {
      latest: {
        cycleId: '2026-11-23T11:59:00.000Z#7',
        at: '2026-11-23T11:59:00.000Z',
        ok: false,
        targets: 2,
        failed: 1,
      },
      last24h: { rows: 10, bytes: 2048, quarantined: 0, apiCalls: 3, cycles: 5, failures: 1 },
    },
    sources: [
      {
        source: 'meraki',
        org: EVIL,
        configured: true,
        lastCycle: {
          cycleId: 'c#7',
          at: '2026-11-23T11:59:00.000Z',
          ok: false,
          error: { code: 'collector_http_error', message: `HTTP 500 ${EVIL}` },
        },
        lastSuccess: { cycleId: 'c#6', at: '2026-11-23T11:58:00.000Z', ageSeconds: 120 },
        checkpoint: {
          at: '2026-11-23T10:00:00.000Z',
          savedAt: '2026-11-23T10:00:00.000Z',
          lagSeconds: 7200,
          meaning: 'last completed poll of the organization',
        },
        lastCycleCounts: { rows: 1234, bytes: 3 * 1024 * 1024, quarantined: 2, apiCalls: 2 },
        last24h: { rows: 5000, bytes: 10_000, quarantined: 4, apiCalls: 40, cycles: 20, failures: 1 },
        totals: { rows: 9000, bytes: 20_000, quarantined: 9, apiCalls: 80, cycles: 40, failures: 1 },
        quarantine: { lastCycle: 2, last24h: 4, total: 9 },
        apiBudget: {
          lastCycle: 2,
          last24h: 40,
          perCycleLimit: 2,
          vendorCallsPerMinute: 600,
          last24hPercentOfVendorLimit: 0.0046,
        },
      },
    ],
    incidents: {
      open: 1,
      bySeverity: { critical: 1 },
      list: [
        {
          incidentId: 'incident-x',
          detectionId: 'slack.audit.x',
          title: EVIL,
          severity: 'critical',
          status: 'open',
          firstSeen: null,
          lastSeen: null,
          count: 2,
        },
      ],
    },
    detections: {
      total: 44,
      byState: { active: 41, learning: 1, 'needs-configuration': 1, disabled: 1 },
      list: [
        {
          id: 'slack.audit.sensitive-file-downloads',
          title: EVIL,
          state: 'needs-configuration',
          note: `Does nothing until configured: ${EVIL}.`,
          learningDays: 0,
          observingSince: null,
          learningUntil: null,
          assumes: null,
        },
        {
          id: 'slack.audit.blocked-mfa-login',
          title: 'MFA',
          state: 'active',
          note: null,
          learningDays: 0,
          observingSince: null,
          learningUntil: null,
          assumes: EVIL,
        },
      ],
    },
    orchestrations: {
      cycle: {
        instanceId: 'sentry-cycle',
        runtimeStatus: 'Running',
        createdTime: '2026-11-23T11:00:00.000Z',
        lastUpdatedTime: null,
        customStatus: { phase: EVIL },
      },
      backfills: [
        {
          instanceId: 'backfill-slackAudit-1-2-3600',
          runtimeStatus: 'Completed',
          createdTime: null,
          lastUpdatedTime: null,
          customStatus: null,
          request: {
            source: 'slackAudit',
            from: '2026-11-01T00:00:00.000Z',
            to: '2026-11-02T00:00:00.000Z',
            windowSeconds: 3600,
          },
        },
      ],
      runningIncidents: 1,
    },
    ...over,
  };
}

describe('formatting', () => {
  it('durations, bytes and escaping', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(59.4)).toBe('59 s');
    expect(formatDuration(59.6)).toBe('1 min 0 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(7260)).toBe('2 h 1 min');
    expect(formatDuration(90_000)).toBe('1 d 1 h');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(escapeHtml(EVIL)).toBe('&#60;img src=x onerror=&#34;alert(1)&#34;&#62;&#38;&#39;&#96;');
    expect(escapeHtml({ a: '<b>' })).toBe('{&#34;a&#34;:&#34;&#60;b&#62;&#34;}');
  });
});

describe('renderOpsPage', () => {
  it('shows every section and escapes every value that came from state or vendors', () => {
    const html = renderOpsPage({ status: status(), links, refreshSeconds: 7, now: NOW, notice: EVIL });
    expect(html).toContain('<meta http-equiv="refresh" content="7; url=/">');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror="');
    expect(html.match(/&#60;img src=x onerror=&#34;alert\(1\)&#34;&#62;/g)?.length).toBeGreaterThanOrEqual(9);
    expect(html).toContain('<span id="status" class="bad">degraded</span>');
    expect(html).toContain('Application Insights on');
    expect(html).toContain('<code id="last-cycle">2026-11-23T11:59:00.000Z#7</code>');
    expect(html).toContain('class="lag bad">2 h 0 min<');
    expect(html).toContain('3.0 MiB');
    expect(html).toContain('2 / 4 / 9');
    expect(html).toContain('40 <span class="muted">(0.0046%)</span>');
    expect(html).toContain('id="open-incidents">1<');
    expect(html).toContain('id="active-detections">41</strong> of 44 judging · 1 learning · 1 need configuration');
    expect(html).toContain('class="state state-needs-configuration">needs-configuration<');
    expect(html).toContain('2026-11-01T00:00:00.000Z → 2026-11-02T00:00:00.000Z');
    expect(html).toContain(`<a href="${links.channelPage}">Slack channel page</a>`);
    expect(html).toContain('<form method="post" action="/cycle">');
  });

  it('renders links only for http(s) URLs, and the read error when the app did not answer', () => {
    const html = renderOpsPage({
      status: { error: `HTTP 401: ${EVIL}` },
      links: { ...links, channelPage: 'javascript:alert(1)' },
      refreshSeconds: 5,
      now: NOW,
    });
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('id="status-error"');
    expect(html).toContain('HTTP 401: &#60;img');
  });
});

describe('startOpsPage', () => {
  let page: OpsPage | undefined;
  afterEach(async () => {
    await page?.close();
    page = undefined;
  });

  it('calls the app with the key server-side, serves HTML and JSON, runs a cycle on a same-origin post, refuses cross-origin ones', async () => {
    const calls: { url: string; method: string; key: string | null }[] = [];
    const fakeFetch: typeof fetch = (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      const headers = new Headers(init?.headers);
      calls.push({ url, method: init?.method ?? 'GET', key: headers.get('x-functions-key') });
      if (url.endsWith('/api/ops/cycle'))
        return Promise.resolve(new Response('{}', { status: 202, headers: { 'x-sentry-cycle-action': 'expedited' } }));
      return Promise.resolve(new Response(JSON.stringify(status()), { status: 200 }));
    };
    page = await startOpsPage({
      appUrl: () => 'http://app.invalid',
      functionKey: 'the-key',
      links,
      fetch: fakeFetch,
      now: () => NOW,
    });
    const html = await (await fetch(page.url)).text();
    expect(html).toContain('sentry-cycle');
    expect(html).not.toContain('the-key');
    expect(calls[0]).toEqual({ url: 'http://app.invalid/api/ops/status', method: 'GET', key: 'the-key' });
    expect(((await (await fetch(`${page.url}status.json`)).json()) as OpsStatusView).version).toBe('0.1.0');

    const run = await fetch(`${page.url}cycle`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: page.url.replace(/\/$/, '') },
    });
    expect(run.status).toBe(303);
    expect(run.headers.get('location')).toBe('/?ran=expedited');
    expect(calls.at(-1)).toEqual({ url: 'http://app.invalid/api/ops/cycle', method: 'POST', key: 'the-key' });
    const notice = await (await fetch(`${page.url}?ran=expedited`)).text();
    expect(notice).toContain('asked to start its next cycle now');

    const before = calls.length;
    const refused = await fetch(`${page.url}cycle`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: 'http://evil.example' },
    });
    expect(refused.status).toBe(403);
    expect(calls.length).toBe(before);
    expect((await fetch(`${page.url}nope`)).status).toBe(404);
  });

  it('shows why the status could not be read when the app is down', async () => {
    page = await startOpsPage({
      appUrl: () => 'http://app.invalid',
      functionKey: 'k',
      links,
      fetch: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:7071')),
    });
    const response = await fetch(page.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('could not be read: connect ECONNREFUSED 127.0.0.1:7071');
    expect((await fetch(`${page.url}status.json`)).status).toBe(502);
  });
});
