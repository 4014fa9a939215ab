/**
 * Reads what the ops status is built from: the state tables and the durable client, all at once,
 * each part on its own, so one unreadable part leaves its section empty and a line in `problems`
 * instead of failing the endpoint. Durable queries: the cycle by its fixed id, then the instances
 * that are running or were created in the last BACKFILL_HISTORY_DAYS (backfills are picked by name).
 */
import { OrchestrationRuntimeStatus, type GetStatusOptions, type OrchestrationFilter } from 'durable-functions';

import { planCycle } from '../activities/cycle-activities';
import { type Config, redactSecrets } from '../config';
import { configuredDetections } from '../detections/config';
import type { DetectionStream } from '../detections/define';
import type { FindingRecord } from '../detections/evaluate';
import { detectionStatuses } from '../detections/status';
import { ensureError } from '../errors';
import { CYCLE_INSTANCE_ID } from '../contracts';
import { type CheckpointRecord, CheckpointStore } from '../state/checkpoints';
import { CycleHourStore, type HourBucket } from '../state/cycle-hours';
import { TableCoverageStore } from '../state/coverage';
import { type CycleRecord, CycleStore } from '../state/cycles';
import { TableFindingStore } from '../state/findings';
import { listOpenIncidentSummaries } from '../state/incident-summaries';
import type { IncidentSummary } from '../state/incidents';
import { buildOpsStatus, type OpsStatus, type OrchestrationSnapshot } from './status';

export const BACKFILL_HISTORY_DAYS = 7;

/** The durable client calls the status needs (the real DurableClient satisfies it). */
export interface OpsDurableClient {
  getStatus(instanceId: string, options?: GetStatusOptions): Promise<InstanceLike>;
  getStatusBy(filter: OrchestrationFilter): Promise<InstanceLike[]>;
}

export interface InstanceLike {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  createdTime: Date;
  lastUpdatedTime: Date;
  customStatus?: unknown;
  input: unknown;
}

export interface OpsReaders {
  cycles(): Promise<CycleRecord[]>;
  checkpoints(): Promise<CheckpointRecord<unknown>[]>;
  hours(from: Date): Promise<HourBucket[]>;
  incidents(): Promise<IncidentSummary[]>;
  findings(): Promise<FindingRecord[]>;
  /** Per detection stream, the oldest event time fed to the detections (Unix seconds). */
  coverage(): Promise<Map<DetectionStream, number>>;
}

export function tableReaders(config: Config): OpsReaders {
  return {
    cycles: () => new CycleStore(config).list(),
    checkpoints: () => new CheckpointStore(config).list<unknown>(),
    hours: (from) => new CycleHourStore(config).since(from),
    incidents: () => listOpenIncidentSummaries(config),
    findings: async () => (await new TableFindingStore(config).list()).map((f) => f.record),
    coverage: () => new TableCoverageStore(config).read(),
  };
}

export interface GatherDeps {
  config: Config;
  readers: OpsReaders;
  durable: OpsDurableClient;
  now: Date;
  version: string;
}

const isoOf = (value: unknown): string | undefined =>
  value instanceof Date && !Number.isNaN(value.getTime())
    ? value.toISOString()
    : typeof value === 'string'
      ? value
      : undefined;

function snapshotOf(instance: InstanceLike): OrchestrationSnapshot {
  return {
    name: instance.name,
    instanceId: instance.instanceId,
    runtimeStatus: instance.runtimeStatus,
    createdTime: isoOf(instance.createdTime),
    lastUpdatedTime: isoOf(instance.lastUpdatedTime),
    customStatus: instance.customStatus ?? null,
    input: instance.input,
  };
}

function isNotFound(error: unknown): boolean {
  // DurableClient.getStatus throws "...replied with HTTP 404 response" for an unknown instance.
  return error instanceof Error && /\b404\b/.test(error.message);
}

const ACTIVE = [
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.Suspended,
  OrchestrationRuntimeStatus.ContinuedAsNew,
];

async function instancesOf(durable: OpsDurableClient, now: Date): Promise<OrchestrationSnapshot[]> {
  const [active, recent] = await Promise.all([
    durable.getStatusBy({ runtimeStatus: ACTIVE }),
    durable.getStatusBy({ createdTimeFrom: new Date(now.getTime() - BACKFILL_HISTORY_DAYS * 86_400_000) }),
  ]);
  const byId = new Map<string, OrchestrationSnapshot>();
  for (const instance of [...recent, ...active]) byId.set(instance.instanceId, snapshotOf(instance));
  return [...byId.values()];
}

/** Reads every part (in parallel) and builds the status; never throws for a part that failed. */
export async function gatherOpsStatus(deps: GatherDeps): Promise<OpsStatus> {
  const { config, readers, durable, now } = deps;
  const problems: string[] = [];
  const attempt = async <T>(part: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      problems.push(`${part}: ${redactSecrets(ensureError(error).message)}`.slice(0, 500));
      return undefined;
    }
  };
  const [cycles, checkpoints, hours, incidents, findings, coverage, cycleInstance, instances] = await Promise.all([
    attempt('cycle records', () => readers.cycles()),
    attempt('checkpoints', () => readers.checkpoints()),
    attempt('hourly totals', () => readers.hours(new Date(now.getTime() - 24 * 3_600_000))),
    attempt('incidents', () => readers.incidents()),
    attempt('findings', () => readers.findings()),
    attempt('data coverage', () => readers.coverage()),
    attempt('cycle orchestration', async () => {
      try {
        return snapshotOf(await durable.getStatus(CYCLE_INSTANCE_ID, { showInput: false }));
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    }),
    attempt('orchestrations', () => instancesOf(durable, now)),
  ]);
  return buildOpsStatus({
    now,
    version: deps.version,
    pollIntervalSeconds: config.pollIntervalSeconds,
    slackLagSeconds: config.collection.slackAudit.lagSeconds,
    merakiMaxCallsPerCycle: config.collection.meraki.maxCallsPerCycle,
    applicationInsights: config.observability.applicationInsightsConnectionString !== undefined,
    targets: planCycle(config).targets,
    cycles,
    checkpoints,
    hours,
    incidents,
    findings,
    detections:
      coverage === undefined
        ? undefined
        : detectionStatuses(configuredDetections(config.detectionsConfig), coverage, Math.floor(now.getTime() / 1000)),
    cycleInstance,
    instances,
    problems,
  });
}

/** A copy of a JSON value with every configured secret replaced in every string (belt and braces). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactDeep(inner)])) as T;
  }
  return value;
}
