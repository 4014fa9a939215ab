/**
 * The local ops page served with the stack: one HTML page, rendered on this server from the app's
 * `GET /api/ops/status` (called with the local function key, so the key never reaches the browser),
 * refreshing itself every few seconds. It shows per-source cycles, checkpoint lag, counts, quarantine,
 * incidents and the durable orchestrations, links to the Slack channel page and the landed rows, and
 * has one button that calls `POST /api/ops/cycle`. Every value is escaped: org names, error messages
 * and custom statuses come from vendors and state.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type {
  BackfillStatus,
  Counts as OpsCounts,
  InstanceStatus,
  OpsStatus,
  WindowCounts,
} from '../../src/ops/status';

/** The page renders exactly what the app's `GET /api/ops/status` returns. */
export type OpsStatusView = OpsStatus;
type Counts = WindowCounts | OpsCounts;
type InstanceView = InstanceStatus & Partial<Pick<BackfillStatus, 'request'>>;

export interface OpsPageLinks {
  channelPage: string;
  ingestionTables: string;
  health: string;
}

export interface RenderInput {
  /** The status, or why it could not be read. */
  status: OpsStatusView | { error: string };
  links: OpsPageLinks;
  refreshSeconds: number;
  /** A one-line notice (e.g. the outcome of "Run a cycle now"). */
  notice?: string | undefined;
  now: Date;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  const text = typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value);
  return text.replace(/[&<>"'`]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Only http(s) URLs become links; anything else is shown as text. */
function link(href: string, label: string): string {
  return /^https?:\/\//i.test(href) ? `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>` : escapeHtml(label);
}

export function formatDuration(totalSeconds: number | null | undefined): string {
  if (totalSeconds === null || totalSeconds === undefined || !Number.isFinite(totalSeconds)) return '–';
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit] ?? 'TiB'}`;
}

const num = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : value.toLocaleString('en-US');

function ago(iso: string | null | undefined, now: Date): string {
  if (iso === null || iso === undefined) return '–';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return escapeHtml(iso);
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${escapeHtml(formatDuration((now.getTime() - at) / 1000))} ago</time>`;
}

function countsCell(counts: Counts | null): string {
  if (counts === null) return '<td>–</td><td>–</td>';
  return `<td class="n">${escapeHtml(num(counts.rows))}</td><td class="n">${escapeHtml(formatBytes(counts.bytes))}</td>`;
}

function lagClass(lag: number | null | undefined, poll: number): string {
  if (lag === null || lag === undefined) return '';
  const threshold = Math.max(900, poll * 10);
  return lag > threshold ? 'bad' : lag > threshold / 3 ? 'warn' : 'good';
}

function sourcesTable(status: OpsStatusView, now: Date): string {
  if (status.sources.length === 0) return '<p class="muted">No source is configured.</p>';
  const rows = status.sources.map((s) => {
    const last = s.lastCycle;
    const state =
      last === null
        ? '<span class="muted">not yet</span>'
        : last.ok
          ? '<span class="good">ok</span>'
          : `<span class="bad">failed</span>`;
    const error =
      last?.error === null || last?.error === undefined
        ? ''
        : `<div class="err">${escapeHtml(last.error.code)}: ${escapeHtml(last.error.message)}</div>`;
    const budget =
      s.apiBudget.perCycleLimit === null
        ? escapeHtml(num(s.apiBudget.lastCycle))
        : `${escapeHtml(num(s.apiBudget.lastCycle))} / ${escapeHtml(num(s.apiBudget.perCycleLimit))}`;
    const budgetDay =
      s.apiBudget.last24hPercentOfVendorLimit === null
        ? escapeHtml(num(s.apiBudget.last24h))
        : `${escapeHtml(num(s.apiBudget.last24h))} <span class="muted">(${escapeHtml(String(s.apiBudget.last24hPercentOfVendorLimit))}%)</span>`;
    return `<tr data-source="${escapeHtml(s.source)}" data-org="${escapeHtml(s.org)}">
  <td><strong>${escapeHtml(s.source)}</strong>${s.configured ? '' : ' <span class="muted">(not configured)</span>'}</td>
  <td class="org">${escapeHtml(s.org)}</td>
  <td>${state} ${ago(last?.at, now)}${error}</td>
  <td>${ago(s.lastSuccess?.at, now)}</td>
  <td title="${escapeHtml(s.checkpoint?.meaning ?? '')}">${s.checkpoint?.at === null || s.checkpoint?.at === undefined ? '–' : escapeHtml(s.checkpoint.at)}</td>
  <td class="lag ${lagClass(s.checkpoint?.lagSeconds, status.pollIntervalSeconds)}">${escapeHtml(formatDuration(s.checkpoint?.lagSeconds))}</td>
  ${countsCell(s.lastCycleCounts)}
  ${countsCell(s.last24h)}
  <td class="n">${escapeHtml(num(s.quarantine.lastCycle))} / ${escapeHtml(num(s.quarantine.last24h))} / ${escapeHtml(num(s.quarantine.total))}</td>
  <td class="n">${budget}</td>
  <td class="n">${budgetDay}</td>
</tr>`;
  });
  return `<table class="sources">
<thead><tr><th>Source</th><th>Org</th><th>Last cycle</th><th>Last success</th><th>Checkpoint</th><th>Lag</th>
<th>Rows (last)</th><th>Bytes (last)</th><th>Rows (24 h)</th><th>Bytes (24 h)</th><th>Quarantined (last / 24 h / all)</th><th>API calls (last)</th><th>API calls (24 h, % of vendor limit)</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function incidentsTable(status: OpsStatusView): string {
  const incidents = status.incidents;
  if (incidents === null) return '<p class="bad">Incidents could not be read.</p>';
  const severities = Object.entries(incidents.bySeverity)
    .map(([severity, count]) => `${escapeHtml(severity)}: ${escapeHtml(count)}`)
    .join(', ');
  const head = `<p><strong id="open-incidents">${escapeHtml(incidents.open)}</strong> open${severities === '' ? '' : ` (${severities})`}</p>`;
  if (incidents.list.length === 0) return head;
  const rows = incidents.list.map(
    (
      i,
    ) => `<tr><td><span class="sev sev-${escapeHtml(i.severity ?? 'unknown')}">${escapeHtml(i.severity ?? 'unknown')}</span></td>
<td>${escapeHtml(i.title ?? i.detectionId)}<div class="muted">${escapeHtml(i.incidentId)}</div></td><td><code>${escapeHtml(i.detectionId)}</code></td>
<td>${escapeHtml(i.status)}</td><td>${escapeHtml(i.firstSeen ?? '–')}</td><td>${escapeHtml(i.lastSeen ?? '–')}</td><td class="n">${escapeHtml(i.count)}</td></tr>`,
  );
  return `${head}<table><thead><tr><th>Severity</th><th>Incident</th><th>Detection</th><th>Status</th><th>First event</th><th>Last seen</th><th>Count</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function detectionsTable(status: OpsStatusView): string {
  const detections = status.detections;
  if (detections === null) return '<p class="bad">Detection status could not be read.</p>';
  const { byState } = detections;
  const head = `<p><strong id="active-detections">${escapeHtml(byState.active)}</strong> of ${escapeHtml(detections.total)} judging · ${escapeHtml(byState.learning)} learning · ${escapeHtml(byState['needs-configuration'])} need configuration · ${escapeHtml(byState.disabled)} disabled</p>`;
  if (detections.list.length === 0) return head;
  const rows = detections.list.map(
    (d) =>
      `<tr><td><code>${escapeHtml(d.id)}</code><div class="muted">${escapeHtml(d.title)}</div></td><td class="state state-${escapeHtml(d.state)}">${escapeHtml(d.state)}</td>` +
      `<td>${escapeHtml(d.note ?? '')}${d.assumes === null ? '' : `<div class="muted">Assumes: ${escapeHtml(d.assumes)}</div>`}</td></tr>`,
  );
  return `${head}<table class="detections"><thead><tr><th>Detection</th><th>State</th><th>What it needs</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function instanceRow(i: InstanceView, now: Date): string {
  const range =
    i.request === null || i.request === undefined
      ? ''
      : `<div class="muted">${escapeHtml(i.request.from)} → ${escapeHtml(i.request.to)}</div>`;
  const custom =
    i.customStatus === null || i.customStatus === undefined
      ? ''
      : `<code>${escapeHtml(JSON.stringify(i.customStatus))}</code>`;
  return `<tr><td>${escapeHtml(i.instanceId)}${range}</td><td class="rt rt-${escapeHtml(i.runtimeStatus)}">${escapeHtml(i.runtimeStatus)}</td><td>${ago(i.createdTime, now)}</td><td>${ago(i.lastUpdatedTime, now)}</td><td class="custom">${custom}</td></tr>`;
}

function orchestrationsTable(status: OpsStatusView, now: Date): string {
  const { cycle, backfills, runningIncidents } = status.orchestrations;
  const rows: string[] = [];
  if (cycle !== null) rows.push(instanceRow(cycle, now));
  for (const b of backfills ?? []) rows.push(instanceRow(b, now));
  const table =
    rows.length === 0
      ? '<p class="muted">No cycle or backfill orchestration yet.</p>'
      : `<table><thead><tr><th>Instance</th><th>Runtime status</th><th>Created</th><th>Updated</th><th>Custom status</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
  return `${table}<p class="muted">Incident orchestrations running: ${escapeHtml(num(runningIncidents))}</p>`;
}

/** The whole page; pure, every dynamic value escaped. */
export function renderOpsPage(input: RenderInput): string {
  const { links, refreshSeconds, now } = input;
  const header = `<header><h1>Sentry ops</h1><nav>${link(links.channelPage, 'Slack channel page')} · ${link(links.ingestionTables, 'Landed rows (ingestion tables)')} · ${link(links.health, 'App health')} · <a href="/status.json">status JSON</a></nav></header>`;
  const notice = input.notice === undefined ? '' : `<p class="notice">${escapeHtml(input.notice)}</p>`;
  const runForm = `<form method="post" action="/cycle"><button type="submit">Run a cycle now</button></form>`;
  let body: string;
  if ('error' in input.status) {
    body = `<p class="bad" id="status-error">The app's ops status could not be read: ${escapeHtml(input.status.error)}</p>`;
  } else {
    const s = input.status;
    const latest = s.cycle.latest;
    const attention =
      s.attention.length + s.problems.length === 0
        ? ''
        : `<ul class="attention">${[...s.attention, ...s.problems].map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`;
    body = `<section><p>Status <span id="status" class="${s.status === 'ok' ? 'good' : 'bad'}">${escapeHtml(s.status)}</span>
 · version ${escapeHtml(s.version)} · poll every ${escapeHtml(s.pollIntervalSeconds)} s
 · Application Insights ${s.telemetry.applicationInsights ? 'on' : 'off'} · generated ${ago(s.generatedAt, now)}</p>
${attention}
<p>Last cycle: ${
      latest === null
        ? '<span class="muted">none recorded yet</span>'
        : `<code id="last-cycle">${escapeHtml(latest.cycleId)}</code> ${latest.ok ? '<span class="good">ok</span>' : '<span class="bad">with failures</span>'} ${ago(latest.at, now)}`
    }${s.cycle.last24h === null ? '' : ` · 24 h: ${escapeHtml(num(s.cycle.last24h.cycles))} cycles, ${escapeHtml(num(s.cycle.last24h.rows))} rows, ${escapeHtml(formatBytes(s.cycle.last24h.bytes))}`}</p>
${runForm}</section>
<section><h2>Sources</h2>${sourcesTable(s, now)}</section>
<section><h2>Incidents</h2>${incidentsTable(s)}</section>
<section><h2>Detections</h2>${detectionsTable(s)}</section>
<section><h2>Orchestrations</h2>${orchestrationsTable(s, now)}</section>`;
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="${escapeHtml(refreshSeconds)}; url=/">
<title>Sentry ops</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d1d1f;background:#fafafa}
header{display:flex;gap:2rem;align-items:baseline}h1{margin:0 0 .5rem}h2{margin:1.5rem 0 .5rem;font-size:1.1rem}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f3;font-weight:600}.n{text-align:right;white-space:nowrap}.muted{color:#777;font-size:.9em}
.good{color:#137333}.warn{color:#b06000}.bad{color:#c5221f;font-weight:600}.err{color:#c5221f;font-size:.9em}
.attention{background:#fff4e5;border:1px solid #f0c36d;padding:.5rem 1.5rem}.notice{background:#e8f0fe;padding:.5rem}
code{font-size:.85em;word-break:break-all}.custom{max-width:32rem}.sev{padding:0 .3rem;border-radius:3px;background:#eee}
.sev-critical{background:#c5221f;color:#fff}.sev-high{background:#e37400;color:#fff}.sev-medium{background:#f9ab00}
button{font:inherit;padding:.3rem .8rem}
</style></head>
<body>${header}${notice}${body}
<footer class="muted">Refreshes every ${escapeHtml(refreshSeconds)} s. The function key stays on this server.</footer>
</body></html>`;
}

export interface OpsPageOptions {
  /** The app's base URL (read per request: the host may restart). */
  appUrl: () => string;
  /** The function-level key the page uses server-side. */
  functionKey: string;
  links: OpsPageLinks;
  refreshSeconds?: number;
  port?: number;
  /** Default 127.0.0.1: the page can run a cycle, so it stays local. */
  hostname?: string;
  fetch?: typeof fetch;
  now?: () => Date;
}

export interface OpsPage {
  url: string;
  close(): Promise<void>;
}

const NOTICES: Record<string, string> = {
  expedited: 'The running cycle was asked to start its next cycle now.',
  started: 'The cycle orchestration was started.',
};

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // No script runs on this page; refuse any that an unescaped value might smuggle in.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'",
    ...headers,
  });
  res.end(body);
}

/** Starts the page's HTTP server; resolves with its URL. */
export async function startOpsPage(options: OpsPageOptions): Promise<OpsPage> {
  const doFetch = options.fetch ?? fetch;
  const refreshSeconds = options.refreshSeconds ?? 5;
  const now = options.now ?? (() => new Date());
  const headers = { 'x-functions-key': options.functionKey };

  const readStatus = async (): Promise<OpsStatusView | { error: string }> => {
    try {
      const response = await doFetch(`${options.appUrl()}/api/ops/status`, {
        headers,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      if (response.status !== 200) return { error: `HTTP ${response.status}: ${text.slice(0, 500)}` };
      return JSON.parse(text) as OpsStatusView;
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (req.method === 'GET' && url.pathname === '/') {
      const ran = url.searchParams.get('ran');
      const notice = ran === null ? undefined : (NOTICES[ran] ?? `Run a cycle: ${ran}`);
      send(
        res,
        200,
        'text/html; charset=utf-8',
        renderOpsPage({ status: await readStatus(), links: options.links, refreshSeconds, notice, now: now() }),
      );
      return;
    }
    if (req.method === 'GET' && url.pathname === '/status.json') {
      const status = await readStatus();
      send(res, 'error' in status ? 502 : 200, 'application/json', JSON.stringify(status));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/cycle') {
      // A page elsewhere must not be able to make this browser run cycles: same-origin form posts only.
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) {
        send(res, 403, 'text/plain; charset=utf-8', 'Cross-origin request refused.');
        return;
      }
      req.resume();
      let outcome: string;
      try {
        const response = await doFetch(`${options.appUrl()}/api/ops/cycle`, {
          method: 'POST',
          headers,
          signal: AbortSignal.timeout(15_000),
        });
        await response.arrayBuffer();
        outcome =
          response.status === 202
            ? (response.headers.get('x-sentry-cycle-action') ?? 'accepted')
            : `failed with HTTP ${response.status}`;
      } catch (error) {
        outcome = `failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      send(res, 303, 'text/plain; charset=utf-8', '', { location: `/?ran=${encodeURIComponent(outcome)}` });
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'Not found');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(
          res,
          500,
          'text/plain; charset=utf-8',
          `Ops page failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      else res.end();
    });
  });
  const hostname = options.hostname ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, hostname, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${hostname === '0.0.0.0' ? '127.0.0.1' : hostname}:${port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => {
          resolveClose();
        });
      }),
  };
}
