/**
 * The scenario as the detections see it: the org's detection configuration (sensitive channels and
 * names), a `files.info` stand-in answering from the scenario's files, and the
 * scenario's Slack and Meraki data turned into rows by the real transforms, day by day, the way
 * collection cycles would deliver them (Meraki polled every 5 minutes).
 */
import type { Scenario } from '../../dev/scenario';
import { deviceStatusesAt, uplinkStatusesAt } from '../../dev/scenario';
import type { AnyRow } from './detection-testkit';
import {
  toMerakiDeviceRow,
  toMerakiNetworkEventRow,
  toMerakiUplinkRows,
  toMerakiWebhookEventRow,
} from '../../src/transforms/meraki';
import { toSlackAuditRow } from '../../src/transforms/slack-audit';

/**
 * The detections configuration document the scenario org would deploy (SENTRY_DETECTIONS_CONFIG):
 * what only the org can know (its sensitive channels and names, its keyword list, what its refused
 * MFA sign-ins carry). Its egress addresses are not listed: the detections learn them.
 */
export function scenarioDetectionsConfig(meta: Scenario['meta']): Record<string, Record<string, unknown>> {
  return {
    'slack.audit.sensitive-file-downloads': {
      sensitiveChannelIds: meta.sensitiveChannelIds,
      sensitiveFileNamePatterns: meta.sensitiveFileNamePatterns,
    },
    'slack.audit.filename-keyword': {
      keywords: meta.filenameKeywords,
      excludedExtensions: meta.keywordExcludedExtensions,
    },
    'slack.audit.blocked-mfa-login': {
      mfaFailureReasons: [String(meta.mfaBlockedLoginDetails.reason)],
    },
  };
}

/** `files.info` channels (public and private shares) from the scenario's files. */
export function scenarioFileChannels(scenario: Scenario): (fileId: string) => Promise<readonly string[] | undefined> {
  const byId = new Map(scenario.slack.files.map((f) => [f.id, f.channels] as const));
  return (fileId) => Promise.resolve(byId.get(fileId));
}

export interface DayBatch {
  /** Unix seconds: [from, to). */
  from: number;
  to: number;
  rows: AnyRow[];
}

const POLL_SECONDS = 300;
const DEVICE_POLL_SECONDS = 1_800;

/** The scenario's history as rows, one batch per UTC day (the last batch ends at `now`). */
export function scenarioDays(scenario: Scenario): DayBatch[] {
  const start = Math.floor(scenario.meta.windowStart / 1000);
  const end = Math.floor(scenario.meta.now / 1000);
  const batches: DayBatch[] = [];
  const audit = [...scenario.slack.auditEntries];
  const events = scenario.meraki.events;
  const hooks = scenario.meraki.webhooks;
  const orgKey = (id: string | null | undefined): string => `meraki-${id ?? 'unknown'}`;
  const networkOrg = new Map(scenario.meraki.networks.map((n) => [n.id, n.organizationId] as const));
  for (let from = start; from < end; from += 86_400) {
    const to = Math.min(end, from + 86_400);
    const rows: AnyRow[] = [];
    for (const e of audit) {
      if (e.date_create < from || e.date_create >= to) continue;
      const r = toSlackAuditRow(e, { sourceOrg: 'acme' });
      if (!r.ok) throw new Error(`scenario audit entry ${e.id} does not transform: ${r.reason}`);
      rows.push({ stream: 'slackAudit', row: r.row });
    }
    for (const org of scenario.meraki.organizations) {
      for (let t = Math.ceil(from / POLL_SECONDS) * POLL_SECONDS; t < to; t += POLL_SECONDS) {
        const at = new Date(t * 1000).toISOString();
        for (const item of uplinkStatusesAt(scenario.model.meraki, scenario.meraki.uplinkChanges, org.id, t * 1000)) {
          const r = toMerakiUplinkRows(item, { sourceOrg: orgKey(org.id), at });
          if (!r.ok) throw new Error(r.reason);
          for (const row of r.row) rows.push({ stream: 'merakiUplink', row });
        }
        if (t % DEVICE_POLL_SECONDS === 0) {
          for (const d of deviceStatusesAt(scenario.model.meraki, scenario.meraki.uplinkChanges, org.id, t * 1000)) {
            const r = toMerakiDeviceRow(d, { sourceOrg: orgKey(org.id), at });
            if (!r.ok) throw new Error(r.reason);
            rows.push({ stream: 'merakiDevice', row: r.row });
          }
        }
      }
    }
    for (const e of events) {
      const t = Date.parse(e.occurredAt) / 1000;
      if (t < from || t >= to) continue;
      const r = toMerakiNetworkEventRow(e, { sourceOrg: orgKey(networkOrg.get(e.networkId)) });
      if (!r.ok) throw new Error(r.reason);
      rows.push({ stream: 'merakiEvent', row: r.row });
    }
    for (const w of hooks) {
      const t = Date.parse(w.occurredAt) / 1000;
      if (t < from || t >= to) continue;
      const r = toMerakiWebhookEventRow(w, { sourceOrg: orgKey(w.organizationId) });
      if (!r.ok) throw new Error(r.reason);
      rows.push({ stream: 'merakiEvent', row: r.row });
    }
    batches.push({ from, to, rows });
  }
  return batches;
}

/** `<detection id>|<subject id>` for every finding each incident is tagged with. */
export function expectedFindings(scenario: Scenario): string[] {
  return scenario.incidents.flatMap((i) => i.detectionIds.map((d) => `${d}|${i.subject}`)).sort();
}

/**
 * The same organization's configuration as deployed on the local stack, where Meraki history can
 * only come from the network events API (polls see the present, and past webhooks were sent before
 * the app existed): the org names the failover event types its appliances report, which the
 * detection leaves empty by default because Meraki's names are unverified
 * (docs/reference/meraki-api.md, "Network events and webhooks"). These are the names the scenario
 * and the Meraki emulator use; no background event carries them.
 */
export function stackDetectionsConfig(meta: Scenario['meta']): Record<string, Record<string, unknown>> {
  return {
    ...scenarioDetectionsConfig(meta),
    'meraki.uplink.public-ip-change': { failoverEventTypes: ['failover_event', 'cellular_up'] },
  };
}

/** A finding as any view shows it: the findings table, a SentryFinding_CL row, an alert. */
export interface SeenFinding {
  detectionId: string;
  subjectId: string;
}

export interface FindingAttribution {
  /** Per incident: the detections it is tagged with and those whose findings are about its subject. */
  incidents: { id: string; subject: string; expected: string[]; actual: string[] }[];
  /** Findings about no incident's subject (`<detection id>|<subject id>`). */
  unattributed: string[];
  /** `<detection id>|<subject id>` seen more than once. */
  repeated: string[];
}

/**
 * Attributes findings to the scenario's incidents by subject (user, IP or device, the way each
 * incident names it). Incidents never share a subject, so each finding belongs to at most one.
 */
export function attributeFindings(scenario: Scenario, seen: readonly SeenFinding[]): FindingAttribution {
  const bySubject = new Map<string, string[]>();
  const counts = new Map<string, number>();
  for (const f of seen) {
    const key = `${f.detectionId}|${f.subjectId}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if ((counts.get(key) ?? 0) > 1) continue;
    bySubject.set(f.subjectId, [...(bySubject.get(f.subjectId) ?? []), f.detectionId]);
  }
  const subjects = new Set(scenario.incidents.map((i) => i.subject));
  return {
    incidents: scenario.incidents.map((i) => ({
      id: i.id,
      subject: i.subject,
      expected: [...i.detectionIds].sort(),
      actual: [...(bySubject.get(i.subject) ?? [])].sort(),
    })),
    unattributed: [...counts.keys()].filter((k) => !subjects.has(k.slice(k.indexOf('|') + 1))).sort(),
    repeated: [...counts]
      .filter(([, n]) => n > 1)
      .map(([k]) => k)
      .sort(),
  };
}

/** Human-readable differences of an attribution: empty when every incident got exactly its tags. */
export function attributionProblems(a: FindingAttribution): string[] {
  const problems: string[] = [];
  for (const i of a.incidents) {
    const missing = i.expected.filter((d) => !i.actual.includes(d));
    const extra = i.actual.filter((d) => !i.expected.includes(d));
    if (missing.length > 0) problems.push(`${i.id} (${i.subject}): missing ${missing.join(', ')}`);
    if (extra.length > 0) problems.push(`${i.id} (${i.subject}): extra ${extra.join(', ')}`);
  }
  for (const u of a.unattributed) problems.push(`finding outside every incident: ${u}`);
  for (const r of a.repeated) problems.push(`finding raised more than once: ${r}`);
  return problems;
}
