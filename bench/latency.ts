/**
 * Worker (both cores, as a deployed app has its own): alert latency on the local stack — Azurite,
 * the Slack/Meraki/Entra/Ingestion emulators and the unmodified compiled app on the local Functions
 * + Durable host, the poll interval at 15 s, the scenario's live feed on.
 *
 * Incidents are injected through the live feed (`inject(kind, atMs)`), a few seconds apart so they
 * fall at different phases of the poll cycle. For each we time, in this process:
 * - visible: when the event that makes the detection fire appeared in the emulator — the audit
 *   entry added to the Audit Logs API (anomaly; role change; the login without a user agent; the
 *   public link), or for a failover the earlier of the change that brings the cellular uplink (and
 *   its new public IP) up in the Dashboard API and the first webhook sent to the app;
 * - posted: when the first top-level message naming the incident's subject (user id, IP or device
 *   serial) was posted to the incident channel of the Slack emulator after the injection.
 * The app's settings are the defaults but for the poll interval (so the Slack audit lag is the app's
 * default, 5 s, with its 120 s overlap re-read), unless BENCH_LATENCY_LAG_SECONDS sets the lag (the
 * collector reads up to now − lag). The lag and overlap reported are the ones the app parsed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { IncidentKind } from '../dev/scenario';
import { startStack } from '../dev/stack';
import { parseConfig } from '../src/config';
import { type LatencySample, latencySummary } from './lib/measure';
import { reportAndExit } from './lib/proc';

export interface LatencyResult {
  pollIntervalSeconds: number;
  lagSeconds: number;
  /** Seconds before its checkpoint each Slack audit window re-reads for late entries. */
  overlapSeconds: number;
  summary: ReturnType<typeof latencySummary>;
  bySource: Record<'slack' | 'meraki', ReturnType<typeof latencySummary>>;
  samples: (LatencySample & { source: 'slack' | 'meraki' })[];
  notes: string[];
}

const POLL_SECONDS = 15;

/** Kinds whose alert follows from one event, and that event's action (undefined: Meraki). */
const TRIGGERS: readonly { kind: IncidentKind; variant?: number; action?: RegExp }[] = [
  { kind: 'anomaly', variant: 0, action: /^anomaly$/ },
  { kind: 'privilege-escalation', variant: 0, action: /^role_change_to_/ },
  { kind: 'uplink-failover' },
  { kind: 'empty-user-agent', action: /^user_login$/ },
  { kind: 'anomaly', variant: 1, action: /^anomaly$/ },
  { kind: 'public-link-sensitive-file', action: /^file_public_link_created$/ },
  { kind: 'privilege-escalation', variant: 1, action: /^role_change_to_/ },
  { kind: 'anomaly', variant: 2, action: /^anomaly$/ },
  { kind: 'uplink-failover' },
  { kind: 'anomaly', variant: 3, action: /^anomaly$/ },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureLatency(incidents: number, lagSeconds: number | undefined): Promise<LatencyResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sentry-bench-stack-'));
  const hostLines: string[] = [];
  const notes: string[] = [];
  const stack = await startStack({
    dataDir,
    reset: true,
    port: 0,
    days: 2,
    pollIntervalSeconds: POLL_SECONDS,
    live: true,
    liveTickMs: 500,
    onHostOutput: (line) => {
      hostLines.push(line);
      if (hostLines.length > 2000) hostLines.splice(0, 500);
    },
    appSettings: {
      SENTRY_INCIDENT_AUTO_ACTIONS: 'none',
      ...(lagSeconds === undefined ? {} : { SENTRY_SLACK_AUDIT_LAG_SECONDS: String(lagSeconds) }),
    },
  });
  try {
    // What the app under test runs with: its defaults unless the lag was set above.
    const audit = parseConfig(stack.appSettings).collection.slackAudit;
    notes.push(
      `Slack audit lag ${audit.lagSeconds} s, overlap ${audit.overlapSeconds} s (the app's ${lagSeconds === undefined ? 'defaults' : 'overlap default, lag set by BENCH_LATENCY_LAG_SECONDS'})`,
    );
    const channel = stack.appSettings.SENTRY_SLACK_INCIDENT_CHANNEL ?? '';
    const visibleEntries = new Map<string, { action: string; at: number }>();
    const uplinkChangedAt = new Map<string, number[]>();
    const webhookSentAt = new Map<string, number>();
    const posted: { at: number; text: string }[] = [];

    const state = stack.slack.state;
    const addAuditEntries = state.addAuditEntries.bind(state);
    state.addAuditEntries = (...entries) => {
      const at = Date.now();
      for (const entry of entries.flat()) {
        if (typeof entry.id === 'string') visibleEntries.set(entry.id, { action: String(entry.action), at });
      }
      addAuditEntries(...entries);
    };
    const appendMessage = state.appendMessage.bind(state);
    state.appendMessage = (target, message) => {
      if (target === channel && (message.thread_ts === undefined || message.thread_ts === message.ts)) {
        posted.push({ at: Date.now(), text: JSON.stringify(message) });
      }
      return appendMessage(target, message);
    };
    const meraki = stack.meraki;
    const setUplinks = meraki.state.setUplinks.bind(meraki.state);
    meraki.state.setUplinks = (serial, uplinks, at, options) => {
      // The public IP changes when the cellular uplink becomes active (the WANs failing ~40 s earlier changes none).
      const cellularActive = (uplinks as { interface?: string; status?: string }[]).some(
        (u) => u.interface === 'cellular' && u.status === 'active',
      );
      if (cellularActive) uplinkChangedAt.set(serial, [...(uplinkChangedAt.get(serial) ?? []), Date.now()]);
      return setUplinks(serial, uplinks, at, options);
    };
    const send = meraki.webhooks.send.bind(meraki.webhooks);
    meraki.webhooks.send = (input, options) => {
      const alertId = (input as { alertId?: unknown }).alertId;
      if (typeof alertId === 'string' && !webhookSentAt.has(alertId)) webhookSentAt.set(alertId, Date.now());
      return send(input, options);
    };

    // Let the collection cycle start and catch up with the history before measuring.
    const auditPolls = () => stack.slack.requests.filter((r) => r.path === '/audit/v1/logs').length;
    const warmStart = Date.now();
    while (auditPolls() < 3 && Date.now() - warmStart < 120_000) await sleep(500);
    if (auditPolls() < 3) throw new Error(`the collection cycle did not start:\n${hostLines.slice(-30).join('\n')}`);
    notes.push(`warm-up: ${((Date.now() - warmStart) / 1000).toFixed(0)} s until the third audit poll`);

    const plans = Array.from(
      { length: incidents },
      (_, i) => TRIGGERS[i % TRIGGERS.length] ?? { kind: 'anomaly' as const, action: /^anomaly$/ },
    );
    const injected = plans.map((plan, i) => {
      const at = Date.now() + 3_000 + i * 6_700;
      const incident = stack.liveFeed.inject(
        plan.kind,
        at,
        plan.variant === undefined ? {} : { variant: plan.variant },
      );
      return { plan, incident, injectedAt: Date.now() };
    });

    const visibleOf = (item: (typeof injected)[number]): number | undefined => {
      const { plan, incident } = item;
      if (plan.action === undefined) {
        const times = [
          ...(uplinkChangedAt.get(incident.subject) ?? []),
          ...incident.eventIds.map((id) => webhookSentAt.get(id)),
        ];
        const known = times.filter((t): t is number => t !== undefined && t >= item.injectedAt);
        return known.length === 0 ? undefined : Math.min(...known);
      }
      const times = incident.eventIds
        .map((id) => visibleEntries.get(id))
        .filter((v): v is { action: string; at: number } => v !== undefined && (plan.action?.test(v.action) ?? false))
        .map((v) => v.at);
      return times.length === 0 ? undefined : Math.min(...times);
    };
    const postedOf = (item: (typeof injected)[number]): number | undefined =>
      posted.find((p) => p.at >= item.injectedAt && p.text.includes(item.incident.subject))?.at;

    const lastInjection = Math.max(...injected.map((i) => i.incident.startAt));
    const deadline = lastInjection + 180_000;
    while (Date.now() < deadline && injected.some((i) => postedOf(i) === undefined)) await sleep(250);

    // Cycle period as the collector actually ran it: gaps between audit polls (one cycle may poll twice in a row).
    const pollTimes = stack.slack.requests
      .filter((r) => r.path === '/audit/v1/logs' && r.at >= warmStart)
      .map((r) => r.at);
    const gaps = pollTimes
      .slice(1)
      .map((t, i) => t - (pollTimes[i] ?? t))
      .filter((gap) => gap > 2_000);
    if (gaps.length > 0) {
      const sorted = [...gaps].sort((a, b) => a - b);
      notes.push(
        `collection cycle period on the local host: median ${((sorted[Math.floor(sorted.length / 2)] ?? 0) / 1000).toFixed(1)} s, max ${((sorted[sorted.length - 1] ?? 0) / 1000).toFixed(1)} s over ${gaps.length} cycles (poll interval ${POLL_SECONDS} s)`,
      );
    }
    const samples = injected.map((item) => {
      const visibleAt = visibleOf(item);
      const postedAt = postedOf(item);
      if (visibleAt === undefined) notes.push(`${item.incident.id}: its triggering event never became visible`);
      return {
        incident: `${item.incident.id} (${item.incident.subjectType} ${item.incident.subject})`,
        kind: item.plan.kind,
        source: item.plan.action === undefined ? ('meraki' as const) : ('slack' as const),
        visibleAt: visibleAt ?? item.incident.startAt,
        postedAt,
      };
    });
    return {
      pollIntervalSeconds: POLL_SECONDS,
      lagSeconds: audit.lagSeconds,
      overlapSeconds: audit.overlapSeconds,
      summary: latencySummary(samples),
      bySource: {
        slack: latencySummary(samples.filter((s) => s.source === 'slack')),
        meraki: latencySummary(samples.filter((s) => s.source === 'meraki')),
      },
      samples,
      notes,
    };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const lag = process.env.BENCH_LATENCY_LAG_SECONDS;
  reportAndExit(() =>
    measureLatency(
      Number(process.env.BENCH_LATENCY_INCIDENTS ?? '10'),
      lag === undefined || lag === '' ? undefined : Number(lag),
    ),
  );
}
