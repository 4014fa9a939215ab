/**
 * Activity `collectMeraki`: one organization's poll cycle, within `maxCallsPerCycle` requests
 * (default 2) as `planMerakiCycle` spends them: the org-wide uplink statuses every cycle, the network
 * list and device inventory on a slow cadence, the appliances' device statuses about every 3 minutes,
 * and one network's appliance event log per spare call (round-robin; networks whose events arrive by
 * webhook are skipped).
 * - Devices: the inventory carries no status; `/devices/statuses` (appliances only) does, and every
 *   appliance's status lands each time it is read. A cycle that read both lands one row per device
 *   (`deviceRecords`).
 * - Uplinks: the listing is diffed against the previous per-device snapshot; interfaces whose status
 *   or public IP changed land every cycle (so detections see failovers and IP changes as they
 *   happen), every interface lands on the baseline and at least every `uplinkFullSnapshotMinutes`
 *   (so "distinct public IPs in 30 min" still sees the address a device left).
 *   Rows are stamped with the cycle's time, so a retried run lands the same EventIds.
 * - Events: forward time paging from the network's cursor; the cursor moves to the newest landed
 *   `occurredAt` (`startingAfter` is exclusive and a page never splits one instant).
 * - State moves only after every row is uploaded and observed: cursors, snapshot, then the org's
 *   planner state (ETag-guarded, so a racing run loses with a retriable conflict).
 * A failed events call only delays that network (its cursor stays); any other failure is rethrown.
 */
import type { InvocationContext } from '@azure/functions';

import { MerakiClient } from '../collectors/meraki/client';
import { deviceRecords } from '../collectors/meraki/devices';
import { planMerakiCycle, type MerakiNetworkRef, type MerakiPlanState } from '../collectors/meraki/plan';
import { diffUplinks, uplinkKey, uplinkSnapshot, type UplinkStatusLike } from '../collectors/meraki/uplinks';
import { type Config, getConfig, redactSecrets } from '../config';
import { parseActivityInput } from '../contracts';
import type { ObserverContext, RowObserver } from '../detections/observer';
import { createRowObserver } from '../evaluation/row-observer';
import { AppError, ErrorCode, ensureError } from '../errors';
import { ingestionClient } from '../ingestion/client';
import type { IngestionClientLike } from '../ingestion/uploader';
import { CheckpointStore } from '../state/checkpoints';
import { MerakiNetworkStore, MerakiOrgStates, type NetworkRecord, UplinkSnapshotStore } from '../state/meraki-state';
import {
  MerakiUplinkStatusSchema,
  toMerakiDeviceRow,
  toMerakiNetworkEventRow,
  toMerakiUplinkRows,
} from '../transforms/meraki';
import { logAndRethrow } from './collect-slack-audit';
import { RowSink, totalRows } from './row-sink';

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
  createObserver(ctx: ObserverContext): RowObserver;
  clock?: () => number;
  log?: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

function networkRef(item: unknown): MerakiNetworkRef | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const { id, productTypes } = item as { id?: unknown; productTypes?: unknown };
  if (typeof id !== 'string' || id === '') return undefined;
  const types = Array.isArray(productTypes) ? productTypes.filter((t): t is string => typeof t === 'string') : [];
  return { id, productTypes: types };
}

/** Device statuses about every 3 minutes, whatever the poll interval (at most every cycle). */
const DEVICE_STATUSES_SECONDS = 180;

/** Cycles between two device-status reads for a poll interval. */
export function deviceStatusesEveryCycles(pollIntervalSeconds: number): number {
  return Math.max(1, Math.round(DEVICE_STATUSES_SECONDS / pollIntervalSeconds));
}

function newer(a: string | undefined, b: string): string {
  if (a === undefined) return b;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (tb > ta) return b;
  if (tb < ta) return a;
  // Same millisecond: Meraki sends microseconds, which Date.parse drops; equal formats compare as text.
  return b > a ? b : a;
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
  const at = new Date(input.now === undefined ? clock() : Date.parse(input.now)).toISOString();
  const callsBefore = deps.client.callsUsed(org);

  const { state, etag } = await deps.orgStates.load(org);
  const known = await deps.networks.list(org);
  const webhookNetworks = settings.webhookNetworks.includes('all') ? ('all' as const) : settings.webhookNetworks;
  const plan = planMerakiCycle(state.cycle, known, state.plan, {
    maxCallsPerCycle: settings.maxCallsPerCycle,
    networksEveryCycles: settings.inventoryEveryCycles,
    devicesEveryCycles: settings.inventoryEveryCycles,
    deviceStatusesEveryCycles: deviceStatusesEveryCycles(deps.config.pollIntervalSeconds),
    webhookNetworks,
  });

  const sink = new RowSink({
    ingestion: deps.ingestion,
    dcrImmutableId: deps.config.ingestion.dcrImmutableId,
    concurrency: deps.config.ingestion.concurrency,
    observer: deps.createObserver({ source: 'meraki', org, cycleId }),
    sourceOrg: org,
    now: () => new Date(clock()),
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
  });
  const result: CollectMerakiResult = {
    source: 'meraki',
    org,
    cycleId,
    orgCycle: state.cycle + 1,
    calls: plan.calls.map((c) => (c.kind === 'networkEvents' ? `networkEvents:${c.networkId}` : c.kind)),
    apiCalls: 0,
    rows: 0,
    uplinkRows: 0,
    deviceRows: 0,
    eventRows: 0,
    quarantined: 0,
    rejected: 0,
    bytes: 0,
    uploadRequests: 0,
    uplinkChanges: 0,
    publicIpChanges: 0,
    failovers: 0,
    failoverSerials: [],
    eventNetworks: [],
    eventErrors: 0,
    baseline: false,
    fullSnapshot: false,
  };

  let nextPlan: MerakiPlanState = plan.state;
  let uplinksFullAt = state.uplinksFullAt;
  let snapshotWrite: (() => Promise<unknown>) | undefined;
  let fetchedNetworks: MerakiNetworkRef[] | undefined;
  let inventory: unknown[] | undefined;
  let deviceStatuses: unknown[] | undefined;
  const cursors: { network: NetworkRecord; eventsAfter: string }[] = [];

  try {
    for (const call of plan.calls) {
      if (call.kind === 'uplinkStatuses') {
        const listing = await deps.client.getUplinkStatuses(org, { maxPages: call.maxPages });
        nextPlan = { ...nextPlan, uplinkPages: listing.complete ? listing.pages : listing.pages + 1 };
        const valid: { raw: unknown; item: UplinkStatusLike }[] = [];
        for (const item of listing.items) {
          const parsed = MerakiUplinkStatusSchema.safeParse(item);
          if (parsed.success)
            valid.push({
              raw: item,
              item: {
                ...parsed.data,
                uplinks: parsed.data.uplinks.map((u) => ({ ...u, status: u.status ?? 'unknown' })),
              },
            });
          else {
            const mapped = toMerakiUplinkRows(item, { sourceOrg: org, at });
            await sink.quarantine('merakiUplink', item, mapped.ok ? 'invalid Meraki uplink status' : mapped.reason);
          }
        }
        const previous = await deps.snapshots.load(org);
        const current = uplinkSnapshot(
          valid.map((v) => v.item),
          at,
          listing.complete,
        );
        const diff = diffUplinks(previous, current);
        const changed = new Set(
          diff.changes.filter((c) => c.kind !== 'removed').map((c) => uplinkKey(c.serial, c.interface)),
        );
        const full =
          diff.baseline ||
          state.uplinksFullAt === undefined ||
          Date.parse(at) - Date.parse(state.uplinksFullAt) >= settings.uplinkFullSnapshotMinutes * 60_000 ||
          Date.parse(at) < Date.parse(state.uplinksFullAt);
        if (full) uplinksFullAt = at;
        result.baseline = diff.baseline;
        result.fullSnapshot = full;
        result.uplinkChanges = diff.changes.length;
        result.publicIpChanges = diff.changes.filter((c) => c.kind === 'changed' && c.publicIpChanged).length;
        result.failovers = diff.failovers.length;
        result.failoverSerials = diff.failovers.slice(0, 20).map((f) => f.serial);
        for (const { raw: item, item: status } of valid) {
          const rows = toMerakiUplinkRows(item, { sourceOrg: org, at });
          if (!rows.ok) {
            await sink.quarantine('merakiUplink', item, rows.reason);
            continue;
          }
          for (const row of rows.row) {
            if (full || changed.has(uplinkKey(status.serial, row.Interface))) await sink.row('merakiUplink', row);
          }
        }
        snapshotWrite = () => deps.snapshots.save(org, previous, diff.next);
      } else if (call.kind === 'networks') {
        const listing = await deps.client.getNetworks(org);
        fetchedNetworks = listing.items.map(networkRef).filter((n): n is MerakiNetworkRef => n !== undefined);
      } else if (call.kind === 'devices') {
        const listing = await deps.client.getDevices(org, { maxPages: call.maxPages });
        nextPlan = { ...nextPlan, devicePages: listing.complete ? listing.pages : listing.pages + 1 };
        inventory = listing.items;
      } else if (call.kind === 'deviceStatuses') {
        const listing = await deps.client.getDeviceStatuses(org, {
          productTypes: ['appliance'],
          maxPages: call.maxPages,
        });
        nextPlan = { ...nextPlan, deviceStatusPages: listing.complete ? listing.pages : listing.pages + 1 };
        deviceStatuses = listing.items;
      } else {
        const network = known.find((n) => n.id === call.networkId);
        if (network === undefined) continue;
        const startingAfter =
          network.eventsAfter ?? new Date(Date.parse(at) - settings.eventsLookbackHours * 3_600_000).toISOString();
        result.eventNetworks.push(network.id);
        let page;
        try {
          page = await deps.client.getNetworkEvents(network.id, org, { startingAfter, productType: 'appliance' });
        } catch (error) {
          // The planner's rule: this network waits for its next turn; its cursor has not moved.
          result.eventErrors += 1;
          deps.log?.(
            `collectMeraki ${org}: events of ${network.id} failed, retried on its next turn: ${redactSecrets(ensureError(error).message)}`,
          );
          continue;
        }
        let newest: string | undefined;
        for (const event of page.events) {
          const landed = await sink.accept(
            'merakiEvent',
            toMerakiNetworkEventRow(event, { sourceOrg: org, networkId: network.id }),
            event,
          );
          const occurredAt = (event as { occurredAt?: unknown }).occurredAt;
          if (landed && typeof occurredAt === 'string') newest = newer(newest, occurredAt);
        }
        if (newest !== undefined) cursors.push({ network, eventsAfter: newest });
      }
    }

    for (const item of deviceRecords(inventory, deviceStatuses))
      await sink.accept('merakiDevice', toMerakiDeviceRow(item, { sourceOrg: org, at }), item);

    const landed = await sink.flush();
    result.rows = totalRows(landed);
    result.uplinkRows = landed.rows.merakiUplink ?? 0;
    result.deviceRows = landed.rows.merakiDevice ?? 0;
    result.eventRows = landed.rows.merakiEvent ?? 0;
    result.quarantined = landed.quarantined;
    result.rejected = landed.rejected;
    result.bytes = landed.bytes;
    result.uploadRequests = landed.requests;

    // Everything is landed and observed: state may move now, the planner state last (it is the guard).
    for (const { network, eventsAfter } of cursors) await deps.networks.saveCursor(org, network, eventsAfter);
    if (fetchedNetworks !== undefined) await deps.networks.replace(org, fetchedNetworks, await deps.networks.list(org));
    if (snapshotWrite !== undefined) await snapshotWrite();
    await deps.orgStates.save(
      org,
      { cycle: state.cycle + 1, plan: nextPlan, ...(uplinksFullAt === undefined ? {} : { uplinksFullAt }) },
      etag,
      new Date(clock()),
    );
  } finally {
    result.apiCalls = deps.client.callsUsed(org) - callsBefore;
  }
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
