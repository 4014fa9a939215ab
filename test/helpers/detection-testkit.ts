/**
 * Test-only helpers for detection tests: wire-format builders run through the real transforms, and
 * a harness that feeds rows to the real observer over in-memory stores and evaluates like the
 * activity does. Lives under test/ so it never compiles into the deployed dist/.
 */
import type { EgressStore } from '../../src/state/egress';
import type { FindingStore } from '../../src/state/findings';
import { MemoryFindingStore } from './findings';
import type { CoverageStore } from '../../src/state/coverage';
import { MemoryCoverageStore } from './coverage';
import { MemoryEgressStore } from './egress';
import type { WindowStore } from '../../src/detections/buckets';
import { MemoryWindowStore } from './windows';
import { toMerakiDeviceRow, toMerakiUplinkRows, toMerakiWebhookEventRow } from '../../src/transforms/meraki';
import { toSlackAuditRow } from '../../src/transforms/slack-audit';
import type { TransformResult } from '../../src/transforms/row-builder';
import type {
  MerakiDeviceRow,
  MerakiEventRow,
  MerakiSecurityRow,
  MerakiUplinkRow,
  SlackAuditRow,
} from '../../src/transforms/streams';
import type { ConfiguredDetection, Detection, Severity } from '../../src/detections/define';
import type { FindingRecord } from '../../src/detections/evaluate';
import { evaluateState } from '../../src/evaluation/evaluate-state';
import { createRowObserver, type FileChannelsResolver } from '../../src/evaluation/row-observer';

export const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z

let seq = 0;

export interface EntryOptions {
  id?: string;
  t?: number;
  action?: string;
  actor?: { id: string; name?: string; email?: string };
  entity?: Record<string, unknown> & { type: string };
  ip?: string;
  ua?: string | null;
  details?: Record<string, unknown>;
}

export const ALICE = { id: 'W0ALICE', name: 'alice', email: 'alice@example.com' };
export const BOB = { id: 'W0BOB', name: 'bob', email: 'bob@example.com' };

/** A Slack audit entry in wire format, through the real transform. */
export function auditRow(o: EntryOptions = {}): SlackAuditRow {
  const actor = o.actor ?? ALICE;
  const user = {
    id: actor.id,
    name: actor.name ?? actor.id,
    email: actor.email ?? `${actor.id}@example.com`,
    team: 'E0ACME',
  };
  const entry: Record<string, unknown> = {
    id: o.id ?? `evt-${String(++seq).padStart(6, '0')}`,
    date_create: o.t ?? T0,
    action: o.action ?? 'user_login',
    actor: { type: 'user', user: { ...user } },
    // Self-actions: Slack repeats the actor verbatim as the entity (an equal object, not the same one).
    entity: o.entity ?? { type: 'user', user: { ...user } },
    context: {
      location: { type: 'workspace', id: 'T0ACME', name: 'Acme', domain: 'acme' },
      ...(o.ua === null ? {} : { ua: o.ua ?? 'Mozilla/5.0 Slack/4.41' }),
      ip_address: o.ip ?? '198.51.100.10',
    },
  };
  if (o.details !== undefined) entry.details = o.details;
  return rowOf(toSlackAuditRow(entry, { sourceOrg: 'acme' }));
}

export function fileEntity(id: string, name: string): { type: string; file: Record<string, string> } {
  const dot = name.lastIndexOf('.');
  return { type: 'file', file: { id, name, filetype: dot > 0 ? name.slice(dot + 1) : '', title: name } };
}

export function userEntity(user: { id: string; name?: string; email?: string }): {
  type: string;
  user: Record<string, string>;
} {
  return {
    type: 'user',
    user: { id: user.id, name: user.name ?? user.id, email: user.email ?? `${user.id}@example.com`, team: 'E0ACME' },
  };
}

export function appEntity(
  id: string,
  name: string,
  extra: Record<string, unknown> = {},
): { type: string; app: Record<string, unknown> } {
  return {
    type: 'app',
    app: { id, name, is_distributed: true, is_directory_approved: false, is_workflow_app: false, scopes: [], ...extra },
  };
}

/** The row of a fixture's transform, which must succeed (one that does not is a broken test). */
function rowOf<Row>(result: TransformResult<Row>): Row {
  if (!result.ok) throw new Error(`test record does not transform: ${result.reason}`);
  return result.row;
}

/** Transform options of the fixtures' Meraki org at Unix second `at`. */
const merakiAt = (at: number) => ({ sourceOrg: 'meraki-1', at: new Date(at * 1000).toISOString() });

export interface UplinkSpec {
  interface: string;
  status: string;
  publicIp?: string | null;
}

export function uplinkRows(
  serial: string,
  at: number,
  uplinks: readonly UplinkSpec[],
  networkId = 'N_1',
): MerakiUplinkRow[] {
  return rowOf(
    toMerakiUplinkRows(
      {
        networkId,
        serial,
        model: 'MX68CW',
        lastReportedAt: new Date(at * 1000).toISOString(),
        uplinks: uplinks.map((u) => ({
          interface: u.interface,
          status: u.status,
          publicIp: u.publicIp ?? null,
          ip: null,
        })),
      },
      merakiAt(at),
    ),
  );
}

export function deviceRow(
  serial: string,
  at: number,
  o: { status?: string; publicIp?: string; productType?: string } = {},
): MerakiDeviceRow {
  return rowOf(
    toMerakiDeviceRow(
      {
        serial,
        name: `${serial}-name`,
        productType: o.productType ?? 'appliance',
        status: o.status ?? 'online',
        publicIp: o.publicIp ?? null,
        networkId: 'N_1',
      },
      merakiAt(at),
    ),
  );
}

export function webhookRow(
  serial: string,
  at: number,
  alertTypeId: string,
  alertId = `alert-${String(++seq)}`,
): MerakiEventRow {
  return rowOf(
    toMerakiWebhookEventRow(
      {
        version: '0.1',
        sharedSecret: 'not-a-real-secret',
        sentAt: new Date(at * 1000 + 3000).toISOString(),
        organizationId: '500001',
        networkId: 'N_1',
        networkName: 'Chicago Office',
        deviceSerial: serial,
        deviceName: `${serial}-name`,
        deviceModel: 'MX68CW',
        alertId,
        alertType: alertTypeId === 'failover_event' ? 'Uplink status changed' : alertTypeId,
        alertTypeId,
        alertLevel: 'warning',
        occurredAt: new Date(at * 1000).toISOString(),
        alertData: { uplink: '2' },
      },
      { sourceOrg: 'meraki-1' },
    ),
  );
}

export type AnyRow =
  | { stream: 'slackAudit'; row: SlackAuditRow }
  | { stream: 'merakiUplink'; row: MerakiUplinkRow }
  | { stream: 'merakiDevice'; row: MerakiDeviceRow }
  | { stream: 'merakiEvent'; row: MerakiEventRow }
  | { stream: 'merakiSecurity'; row: MerakiSecurityRow };

export const slack = (rows: readonly SlackAuditRow[]): AnyRow[] => rows.map((row) => ({ stream: 'slackAudit', row }));
export const uplinks = (rows: readonly MerakiUplinkRow[]): AnyRow[] =>
  rows.map((row) => ({ stream: 'merakiUplink', row }));
export const devices = (rows: readonly MerakiDeviceRow[]): AnyRow[] =>
  rows.map((row) => ({ stream: 'merakiDevice', row }));
export const events = (rows: readonly MerakiEventRow[]): AnyRow[] =>
  rows.map((row) => ({ stream: 'merakiEvent', row }));
export const securityEvents = (rows: readonly MerakiSecurityRow[]): AnyRow[] =>
  rows.map((row) => ({ stream: 'merakiSecurity', row }));

/** The real observer and evaluation over in-memory stores, cycle by cycle. */
export class Harness {
  readonly windows: WindowStore;
  readonly findings: FindingStore;
  readonly egress: EgressStore;
  readonly coverage: CoverageStore;
  readonly detections: readonly ConfiguredDetection[];
  private cycle = 0;

  constructor(
    detections: readonly (Detection | ConfiguredDetection)[],
    private readonly options: {
      resolveFileChannels?: FileChannelsResolver;
      nowMs?: () => number;
      windows?: WindowStore;
      findings?: FindingStore;
      egress?: EgressStore;
      coverage?: CoverageStore;
    } = {},
  ) {
    this.detections = detections.map((d) => ('configure' in d ? d.configure() : d));
    this.windows = options.windows ?? new MemoryWindowStore();
    this.findings = options.findings ?? new MemoryFindingStore();
    this.egress = options.egress ?? new MemoryEgressStore();
    this.coverage = options.coverage ?? new MemoryCoverageStore();
  }

  /** Observes rows and flushes them, as one collector activity would. */
  async feed(rows: readonly AnyRow[]): Promise<{ updates: number }> {
    const deps: Parameters<typeof createRowObserver>[2] = {
      windows: this.windows,
      detections: this.detections,
      egress: this.egress,
      coverage: this.coverage,
    };
    if (this.options.resolveFileChannels !== undefined) deps.resolveFileChannels = this.options.resolveFileChannels;
    if (this.options.nowMs !== undefined) deps.now = this.options.nowMs;
    const observer = createRowObserver(
      { detectionsConfig: undefined } as never,
      { source: 'slackAudit', org: 'acme', cycleId: 'test' },
      deps,
    );
    for (const r of rows) observer.observe(r.stream, r.row);
    return observer.flush();
  }

  /** One evaluation (a cycle) at `now` (Unix seconds); returns the findings it created or grew. */
  async evaluate(now: number, cycleId = `cycle-${String(++this.cycle)}`, full = false): Promise<FindingRecord[]> {
    const result = await evaluateState({
      windows: this.windows,
      findings: this.findings,
      detections: this.detections,
      now,
      cycleId,
      full,
      egress: this.egress,
      coverage: this.coverage,
    });
    return [...result.replayed, ...result.changed];
  }

  /** Feeds and evaluates once at `now` (default: 60 s after the newest row). */
  async run(rows: readonly AnyRow[], now?: number): Promise<FindingRecord[]> {
    await this.feed(rows);
    const newest = Math.max(
      T0,
      ...rows.map((r) =>
        'DateCreate' in r.row ? r.row.DateCreate : Math.floor(Date.parse(r.row.TimeGenerated) / 1000),
      ),
    );
    return this.evaluate(now ?? newest + 60);
  }

  async all(): Promise<FindingRecord[]> {
    return (await this.findings.list()).map((s) => s.record);
  }
}

/** `count` audit entries built by `make(i)`, one every `step` seconds from `start`. */
export function series(
  count: number,
  start: number,
  step: number,
  make: (i: number, t: number) => EntryOptions,
): SlackAuditRow[] {
  return Array.from({ length: count }, (_, i) => auditRow({ t: start + i * step, ...make(i, start + i * step) }));
}

function asRows(rows: readonly AnyRow[] | readonly SlackAuditRow[]): AnyRow[] {
  return rows.map((r) => ('stream' in r ? r : { stream: 'slackAudit' as const, row: r }));
}

/** Findings one detection raises over rows in a single evaluation on fresh state. */
export async function raise(
  detection: Detection,
  rows: readonly AnyRow[] | readonly SlackAuditRow[],
  overrides?: Record<string, unknown>,
  options: { resolveFileChannels?: FileChannelsResolver; now?: number } = {},
): Promise<FindingRecord[]> {
  const harnessOptions: ConstructorParameters<typeof Harness>[1] = {};
  if (options.resolveFileChannels !== undefined) harnessOptions.resolveFileChannels = options.resolveFileChannels;
  const harness = new Harness([detection.configure(overrides)], harnessOptions);
  return harness.run(asRows(rows), options.now);
}

export interface SingleEventCase {
  name: string;
  row: SlackAuditRow;
  /** Expected severity of the finding; undefined = no finding. */
  severity?: Severity;
  subjectId?: string;
}

/** A stored finding for tests of the stores and summaries; override what the test is about. */
export function findingRecord(overrides: Partial<FindingRecord> = {}): FindingRecord {
  const firstSeen = overrides.firstSeen ?? T0;
  return {
    detectionId: 'slack.audit.anomaly',
    dedupeKey: 'user:W0ALICE',
    findingId: `slack.audit.anomaly:user:W0ALICE:${String(firstSeen)}`,
    incidentId: 'incident-slack.audit.anomaly-0',
    severity: 'low',
    title: 't',
    count: 1,
    firstSeen,
    lastSeen: firstSeen,
    lastEventT: firstSeen,
    subject: { type: 'user', id: 'W0ALICE' },
    evidence: {},
    eventIds: [],
    sourceOrg: 'acme',
    createdCycle: 'c',
    updatedCycle: 'c',
    isNew: true,
    expiresAt: firstSeen + 86_400,
    ...overrides,
  };
}
