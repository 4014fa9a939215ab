/**
 * Activity `collectMeraki`: one organization's poll cycle through the connector runner, within
 * `maxCallsPerCycle` requests (default 3) as the planner spends them: the org-wide uplink statuses
 * and appliance security events every cycle, the network list and device inventory on a slow cadence,
 * the appliances' device statuses about every 3 minutes, and one network's appliance event log per
 * spare call. What each
 * call lands and when state moves is collectors/meraki/connector.ts; the ordering guarantees are
 * collectors/runner.ts.
 */
import type { InvocationContext } from '@azure/functions';

import { MerakiClient } from '../collectors/meraki/client';
import { MerakiConnector } from '../collectors/meraki/connector';
import { collectorSink, runConnector } from '../collectors/runner';
import { type Config, getConfig } from '../config';
import { parseActivityInput } from '../contracts';
import type { ObserverContext, RowObserver } from '../detections/observer';
import { createRowObserver } from '../evaluation/row-observer';
import { AppError, ErrorCode } from '../errors';
import { ingestionClient } from '../ingestion/client';
import type { IngestionClientLike } from '../ingestion/uploader';
import { CheckpointStore } from '../state/checkpoints';
import { MerakiApplianceStore, MerakiNetworkStore, MerakiOrgStates, UplinkSnapshotStore } from '../state/meraki-state';
import { logAndRethrow } from './collect-slack-audit';

export interface CollectMerakiResult {
  source: 'meraki';
  org: string;
  cycleId: string;
  /** The org's own cycle counter after this run. */
  orgCycle: number;
  calls: string[];
  apiCalls: number;
  rows: number;
  uplinkRows: number;
  deviceRows: number;
  eventRows: number;
  securityRows: number;
  /** Security events re-read in the overlap that had landed already (not landed again). */
  securityRepeats: number;
  quarantined: number;
  rejected: number;
  bytes: number;
  uploadRequests: number;
  uplinkChanges: number;
  publicIpChanges: number;
  failovers: number;
  /** Up to 20 serials that failed over this cycle. */
  failoverSerials: string[];
  eventNetworks: string[];
  eventErrors: number;
  baseline: boolean;
  fullSnapshot: boolean;
}

export interface CollectMerakiDeps {
  config: Config;
  client: MerakiClient;
  ingestion: IngestionClientLike;
  orgStates: MerakiOrgStates;
  networks: MerakiNetworkStore;
  snapshots: UplinkSnapshotStore;
  appliances: MerakiApplianceStore;
  createObserver(ctx: ObserverContext): RowObserver;
  clock?: () => number;
  log?: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Device statuses about every 3 minutes, whatever the poll interval (at most every cycle). */
const DEVICE_STATUSES_SECONDS = 180;

/** Cycles between two device-status reads for a poll interval. */
export function deviceStatusesEveryCycles(pollIntervalSeconds: number): number {
  return Math.max(1, Math.round(DEVICE_STATUSES_SECONDS / pollIntervalSeconds));
}

export async function collectMeraki(raw: unknown, deps: CollectMerakiDeps): Promise<CollectMerakiResult> {
  const input = parseActivityInput('collectMeraki', raw);
  const { org, cycleId } = input;
  const settings = deps.config.collection.meraki;
  if (!deps.config.meraki.orgIds.includes(org)) {
    throw new AppError(
      ErrorCode.InputInvalid,
      `collectMeraki: organization ${org} is not configured (SENTRY_MERAKI_ORG_IDS)`,
    );
  }
  const clock = deps.clock ?? Date.now;
  const connector = new MerakiConnector({
    org,
    client: deps.client,
    state: {
      orgStates: deps.orgStates,
      networks: deps.networks,
      snapshots: deps.snapshots,
      appliances: deps.appliances,
    },
    settings: {
      ...settings,
      deviceStatusesEveryCycles: deviceStatusesEveryCycles(deps.config.pollIntervalSeconds),
    },
    at: new Date(input.now === undefined ? clock() : Date.parse(input.now)).toISOString(),
    clock,
    ...(deps.log === undefined ? {} : { log: deps.log }),
  });
  const callsBefore = deps.client.callsUsed(org);
  const run = await runConnector(connector, {
    sink: collectorSink(deps.config.ingestion, { ingestion: deps.ingestion, sourceOrg: org, clock, sleep: deps.sleep }),
    observer: () => deps.createObserver({ source: 'meraki', org, cycleId }),
    // One window per run: the planner already bounds its requests.
    deadline: Number.POSITIVE_INFINITY,
    clock,
  });
  const result: CollectMerakiResult = {
    source: 'meraki',
    org,
    cycleId,
    ...connector.facts,
    apiCalls: deps.client.callsUsed(org) - callsBefore,
    rows: run.totalRows,
    uplinkRows: run.rows.merakiUplink ?? 0,
    deviceRows: run.rows.merakiDevice ?? 0,
    eventRows: run.rows.merakiEvent ?? 0,
    securityRows: run.rows.merakiSecurity ?? 0,
    quarantined: run.quarantined,
    rejected: run.rejected,
    bytes: run.bytes,
    uploadRequests: run.uploadRequests,
    eventErrors: run.counts.eventErrors,
  };
  deps.log?.(
    `collectMeraki ${org} ${cycleId}: calls [${result.calls.join(', ')}] (${result.apiCalls} requests), ${result.rows} rows, ` +
      `${result.quarantined} quarantined, ${result.uplinkChanges} uplink changes, ${result.failovers} failovers`,
  );
  return result;
}

/** Production dependencies from the app configuration. */
export function merakiDeps(config: Config, log?: (message: string) => void): CollectMerakiDeps {
  if (config.meraki.apiKey === undefined) {
    throw new AppError(ErrorCode.ConfigInvalid, 'SENTRY_MERAKI_API_KEY is not set: meraki collection needs it');
  }
  const checkpoints = new CheckpointStore(config);
  const deps: CollectMerakiDeps = {
    config,
    client: new MerakiClient({
      baseUrl: config.meraki.baseUrl,
      apiKey: config.meraki.apiKey,
      timeoutMs: config.collection.requestTimeoutSeconds * 1000,
    }),
    ingestion: ingestionClient(config),
    orgStates: new MerakiOrgStates(checkpoints),
    networks: new MerakiNetworkStore(config),
    snapshots: new UplinkSnapshotStore(config),
    appliances: new MerakiApplianceStore(config),
    createObserver: (ctx) => createRowObserver(config, ctx),
  };
  if (log !== undefined) deps.log = log;
  return deps;
}

/** The registered handler. */
export async function collectMerakiActivity(input: unknown, context: InvocationContext): Promise<CollectMerakiResult> {
  try {
    return await collectMeraki(
      input,
      merakiDeps(getConfig(), (m) => {
        context.log(m);
      }),
    );
  } catch (error) {
    return logAndRethrow(context, 'collectMeraki', error);
  }
}
