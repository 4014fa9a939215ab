/**
 * One Meraki organization's poll cycle as a connector: one window per run (the planner's calls for
 * this cycle, within `maxCallsPerCycle` requests), one page per call, and a final page of device
 * records (inventory merged with statuses). Each call is a handler that fetches, yields its page and
 * stages the state it moves; `commit` writes the staged state once every row is uploaded and
 * observed: event cursors, the network list, the uplink snapshot, then the org's planner state last
 * (ETag-guarded, so a racing run loses with a retriable conflict and nothing else moved twice).
 * - Uplinks: the listing is diffed against the previous per-device snapshot; interfaces whose status
 *   or public IP changed land every cycle, every interface lands on the baseline and at least every
 *   `uplinkFullSnapshotMinutes` (so "distinct public IPs in 30 min" still sees the address a device
 *   left). Rows carry the cycle's time, so a retried run lands the same EventIds.
 * - Events: forward time paging from the network's cursor; the cursor moves to the newest landed
 *   `occurredAt` (`startingAfter` is exclusive and a page never splits one instant). A failed events
 *   call only delays that network (its cursor stays); any other failure is rethrown.
 * - Security events: one org-wide window from `t0` = the org's `securityEventsAfter` (else now minus
 *   the events lookback; never beyond Meraki's 365 days) to `t1` = now, oldest first, 1000 a page, as
 *   many pages as the planner gave. Meraki sends no network: an IDS alert's `deviceMac` is mapped to
 *   its appliance's network through the device inventory (docs/reference/meraki-api.md, "Appliance
 *   security events"). The checkpoint moves in `commit` to the newest `ts` read (landed as a row or in
 *   quarantine). Each window re-reads `SECURITY_OVERLAP_SECONDS` before the checkpoint, so an event
 *   Meraki shows after a newer one (or an instant the page cap split) still lands; the EventIds
 *   landed in that overlap are kept with the checkpoint, so a re-read lands only what is new (past
 *   the cap, a repeat lands again and the parser dedupes it on EventId: duplicates, never gaps).
 * A new endpoint is a planned call kind, a handler here and a record kind (its stream and transform).
 */
import { redactSecrets } from '../../config';
import { ensureError } from '../../errors';
import {
  MerakiUplinkStatusSchema,
  toMerakiDeviceRow,
  toMerakiNetworkEventRow,
  toMerakiUplinkRows,
} from '../../transforms/meraki';
import { type MerakiAppliance, toMerakiSecurityEventRow } from '../../transforms/meraki-security';
import { stableHash } from '../../transforms/safe-json';
import type { MerakiUplinkRow } from '../../transforms/streams';
import { type Connector, page, type Page, type RecordKind, type RecordRead, recordsOf } from '../runner';
import type { MerakiClient } from './client';
import { deviceRecords } from './devices';
import {
  type MerakiCyclePlan,
  type MerakiNetworkRef,
  type MerakiPlanState,
  planMerakiCycle,
  type PlannedCall,
} from './plan';
import { diffUplinks, uplinkKey, uplinkSnapshot, type UplinkSnapshot, type UplinkStatusLike } from './uplinks';

/** A network Sentry knows, with its events cursor. */
export interface KnownNetwork extends MerakiNetworkRef {
  eventsAfter?: string;
}

/** Where the org's Meraki state lives (state/meraki-state.ts in production). */
export interface MerakiStatePorts {
  orgStates: {
    load(org: string): Promise<{ state: MerakiOrgPosition; etag: string | undefined }>;
    save(org: string, state: MerakiOrgPosition, etag: string | undefined, now: Date): Promise<string>;
  };
  networks: {
    list(org: string): Promise<KnownNetwork[]>;
    replace(org: string, networks: readonly MerakiNetworkRef[], existing: readonly KnownNetwork[]): Promise<void>;
    saveCursor(org: string, network: KnownNetwork, eventsAfter: string): Promise<void>;
  };
  snapshots: {
    load(org: string): Promise<UplinkSnapshot | undefined>;
    save(org: string, previous: UplinkSnapshot | undefined, next: UplinkSnapshot): Promise<unknown>;
  };
  appliances: {
    lookup(org: string, macs: readonly string[]): Promise<Map<string, ApplianceRef>>;
    /** `complete`: the listing had every page, so appliances missing from it are gone. */
    replace(org: string, appliances: readonly ApplianceRef[], complete: boolean): Promise<void>;
  };
}

/** An appliance of the device inventory, keyed by its lowercase MAC. */
export interface ApplianceRef {
  mac: string;
  networkId: string;
  serial?: string | undefined;
  name?: string | undefined;
}

/** Meraki's security events lookback: `t0` at most 365 days back; an hour's margin for clock skew. */
const SECURITY_LOOKBACK_MAX_MS = 365 * 86_400_000 - 3_600_000;
/** Seconds before the security checkpoint each window re-reads for events shown late. */
export const SECURITY_OVERLAP_SECONDS = 120;
/** EventIds of the overlap a checkpoint keeps (bounded: the org state is one Table entity). */
export const SECURITY_LANDED_MAX = 400;

/** The org's persisted planner position. */
export interface MerakiOrgPosition {
  cycle: number;
  plan: MerakiPlanState;
  uplinksFullAt?: string;
  securityEventsAfter?: string;
  /** `<ts> <key>` of the events landed in the overlap before `securityEventsAfter`. */
  securityLanded?: string[];
}

export interface MerakiSettings {
  maxCallsPerCycle: number;
  inventoryEveryCycles: number;
  deviceStatusesEveryCycles: number;
  eventsLookbackHours: number;
  uplinkFullSnapshotMinutes: number;
  webhookNetworks: readonly string[];
}

export const MERAKI_COUNTERS = ['eventErrors'] as const;
export type MerakiCounter = (typeof MERAKI_COUNTERS)[number];

/** What the cycle saw, beyond row counts (for the activity's summary and the incident path). */
export interface MerakiCycleFacts {
  orgCycle: number;
  calls: string[];
  uplinkChanges: number;
  publicIpChanges: number;
  failovers: number;
  /** Up to 20 serials that failed over this cycle. */
  failoverSerials: string[];
  eventNetworks: string[];
  /** Security events read this cycle (rows or quarantined). */
  securityEvents: number;
  /** Of those, re-read in the overlap and already landed: not landed again. */
  securityRepeats: number;
  baseline: boolean;
  fullSnapshot: boolean;
}

export interface MerakiConnectorOptions {
  org: string;
  client: MerakiClient;
  state: MerakiStatePorts;
  settings: MerakiSettings;
  /** The cycle's time (ISO): rows of snapshots carry it. */
  at: string;
  clock: () => number;
  log?: (message: string) => void;
}

interface CycleWindow {
  plan: MerakiCyclePlan;
  known: KnownNetwork[];
  state: MerakiOrgPosition;
  etag: string | undefined;
}

/** What the calls staged for `commit`. */
interface Staged {
  plan: MerakiPlanState;
  uplinksFullAt: string | undefined;
  snapshot?: () => Promise<unknown>;
  networks?: MerakiNetworkRef[];
  inventory?: unknown[];
  inventoryComplete?: boolean;
  deviceStatuses?: unknown[];
  /** Per network id, in the order the networks were read. */
  cursors: Map<string, { network: KnownNetwork; eventsAfter: string }>;
  /** The security events checkpoint to write (undefined: unchanged). */
  securityEventsAfter?: string;
  /** `<ts> <key>` of the security events this cycle landed (rows or quarantine). */
  securityLanded?: string[];
}

function networkRef(item: unknown): MerakiNetworkRef | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const { id, productTypes } = item as { id?: unknown; productTypes?: unknown };
  if (typeof id !== 'string' || id === '') return undefined;
  const types = Array.isArray(productTypes) ? productTypes.filter((t): t is string => typeof t === 'string') : [];
  const name = (item as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? { id, productTypes: types, name } : { id, productTypes: types };
}

/** An appliance of the inventory listing, or undefined for other devices and unreadable items. */
function applianceRef(item: unknown): ApplianceRef | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const { mac, networkId, serial, name, productType } = item as Record<string, unknown>;
  if (productType !== 'appliance' || typeof mac !== 'string' || mac === '') return undefined;
  if (typeof networkId !== 'string' || networkId === '') return undefined;
  return {
    mac: mac.toLowerCase(),
    networkId,
    ...(typeof serial === 'string' && serial !== '' ? { serial } : {}),
    ...(typeof name === 'string' && name !== '' ? { name } : {}),
  };
}

/** A security event's `ts` when it is one (the transform says why a record is not). */
function securityTs(item: unknown): string | undefined {
  const ts = (item as { ts?: unknown } | null)?.ts;
  return typeof ts === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(ts) ? ts : undefined;
}

function landedKeyOf(entry: string): string {
  return entry.slice(entry.indexOf(' ') + 1);
}

/**
 * The landed entries a checkpoint keeps: those in the overlap before it, newest first, at most
 * SECURITY_LANDED_MAX (older ones past the cap may land again: the parser dedupes them).
 */
export function overlapKeys(checkpoint: string | undefined, entries: readonly string[]): string[] {
  if (checkpoint === undefined) return [];
  const cut = Date.parse(checkpoint) - SECURITY_OVERLAP_SECONDS * 1000;
  const byKey = new Map<string, string>();
  for (const entry of entries) {
    const ts = entry.slice(0, entry.indexOf(' '));
    if (Date.parse(ts) >= cut) byKey.set(landedKeyOf(entry), entry);
  }
  return [...byKey.values()].sort((x, y) => (x < y ? 1 : x > y ? -1 : 0)).slice(0, SECURITY_LANDED_MAX);
}

/** The later of two Meraki times. */
export function newerTime(a: string | undefined, b: string): string {
  if (a === undefined) return b;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (tb > ta) return b;
  if (tb < ta) return a;
  // Same millisecond: Meraki sends microseconds, which Date.parse drops; equal formats compare as text.
  return b > a ? b : a;
}

/** A device uplink status: the rows of its interfaces this cycle lands (changed ones, or all). */
interface UplinkRecord {
  raw: unknown;
  status: UplinkStatusLike;
}

export class MerakiConnector implements Connector<CycleWindow, MerakiCounter> {
  readonly counters = MERAKI_COUNTERS;
  readonly facts: MerakiCycleFacts = {
    orgCycle: 0,
    calls: [],
    uplinkChanges: 0,
    publicIpChanges: 0,
    failovers: 0,
    failoverSerials: [],
    eventNetworks: [],
    securityEvents: 0,
    securityRepeats: 0,
    baseline: false,
    fullSnapshot: false,
  };
  private planned = false;
  private staged: Staged = { plan: {}, uplinksFullAt: undefined, cursors: new Map() };

  constructor(private readonly options: MerakiConnectorOptions) {}

  async next(): Promise<CycleWindow | null> {
    if (this.planned) return null;
    this.planned = true;
    const { org, settings, state: ports } = this.options;
    const { state, etag } = await ports.orgStates.load(org);
    const known = await ports.networks.list(org);
    const webhookNetworks = settings.webhookNetworks.includes('all') ? ('all' as const) : settings.webhookNetworks;
    const plan = planMerakiCycle(state.cycle, known, state.plan, {
      maxCallsPerCycle: settings.maxCallsPerCycle,
      networksEveryCycles: settings.inventoryEveryCycles,
      devicesEveryCycles: settings.inventoryEveryCycles,
      deviceStatusesEveryCycles: settings.deviceStatusesEveryCycles,
      webhookNetworks,
    });
    this.facts.orgCycle = state.cycle + 1;
    this.facts.calls = plan.calls.map((c) => (c.kind === 'networkEvents' ? `networkEvents:${c.networkId}` : c.kind));
    this.facts.securityEvents = 0;
    this.facts.securityRepeats = 0;
    this.staged = { plan: plan.state, uplinksFullAt: state.uplinksFullAt, cursors: new Map() };
    return { plan, known, state, etag };
  }

  async *pages(window: CycleWindow): AsyncGenerator<Page<MerakiCounter>> {
    for (const call of window.plan.calls) {
      const fetched = await this.call(call, window);
      if (fetched !== undefined) yield fetched;
    }
    const devices = deviceRecords(this.staged.inventory, this.staged.deviceStatuses);
    yield page(this.deviceKind(), recordsOf(devices));
  }

  private async call(call: PlannedCall, window: CycleWindow): Promise<Page<MerakiCounter> | undefined> {
    const { client, org } = this.options;
    switch (call.kind) {
      case 'uplinkStatuses':
        return this.uplinks(call.maxPages, window);
      case 'networks': {
        const listing = await client.getNetworks(org);
        this.staged.networks = listing.items.map(networkRef).filter((n): n is MerakiNetworkRef => n !== undefined);
        return undefined;
      }
      case 'devices': {
        const listing = await client.getDevices(org, { maxPages: call.maxPages });
        this.staged.plan = { ...this.staged.plan, devicePages: listing.complete ? listing.pages : listing.pages + 1 };
        this.staged.inventory = listing.items;
        this.staged.inventoryComplete = listing.complete;
        return undefined;
      }
      case 'deviceStatuses': {
        const listing = await client.getDeviceStatuses(org, { productTypes: ['appliance'], maxPages: call.maxPages });
        this.staged.plan = {
          ...this.staged.plan,
          deviceStatusPages: listing.complete ? listing.pages : listing.pages + 1,
        };
        this.staged.deviceStatuses = listing.items;
        return undefined;
      }
      case 'networkEvents':
        return this.events(call.networkId, window);
      case 'securityEvents':
        return this.security(call.maxPages, window);
    }
  }

  private async security(maxPages: number, window: CycleWindow): Promise<Page<MerakiCounter>> {
    const { client, org, at, settings, state: ports } = this.options;
    const now = Date.parse(at);
    const floor = now - SECURITY_LOOKBACK_MAX_MS;
    const after = window.state.securityEventsAfter;
    const t0 = new Date(
      after !== undefined && Date.parse(after) >= floor
        ? Math.max(floor, Date.parse(after) - SECURITY_OVERLAP_SECONDS * 1000)
        : Math.max(floor, now - settings.eventsLookbackHours * 3_600_000),
    ).toISOString();
    const listing = await client.getApplianceSecurityEvents(org, { t0, t1: at, perPage: 1000, maxPages });
    this.staged.plan = {
      ...this.staged.plan,
      securityEventPages: listing.complete ? listing.pages : listing.pages + 1,
    };
    this.facts.securityEvents = listing.items.length;
    let newest: string | undefined;
    for (const item of listing.items) {
      const ts = securityTs(item);
      if (ts !== undefined) newest = newerTime(newest, ts);
    }
    if (newest !== undefined) this.staged.securityEventsAfter = newest;
    const landedBefore = new Set((window.state.securityLanded ?? []).map(landedKeyOf));
    const landedNow: string[] = [];
    this.staged.securityLanded = landedNow;

    const macs = listing.items.flatMap((item) => {
      const mac = (item as { deviceMac?: unknown } | null)?.deviceMac;
      return typeof mac === 'string' && mac !== '' ? [mac.toLowerCase()] : [];
    });
    // An inventory read this cycle is newer than the stored one (all of it only when complete).
    const fresh = this.staged.inventory?.map(applianceRef).filter((a): a is ApplianceRef => a !== undefined);
    const appliances =
      fresh === undefined || this.staged.inventoryComplete !== true
        ? await ports.appliances.lookup(org, macs)
        : new Map(fresh.map((a) => [a.mac, a]));
    const names = new Map<string, string>();
    for (const n of [...window.known, ...(this.staged.networks ?? [])])
      if (n.name !== undefined) names.set(n.id, n.name);
    const applianceOf = (item: unknown): MerakiAppliance | undefined => {
      const mac = (item as { deviceMac?: unknown } | null)?.deviceMac;
      const ref = typeof mac === 'string' ? appliances.get(mac.toLowerCase()) : undefined;
      if (ref === undefined) return undefined;
      return { networkId: ref.networkId, networkName: names.get(ref.networkId), serial: ref.serial, name: ref.name };
    };
    const kind: RecordKind<unknown, 'merakiSecurity'> = {
      stream: 'merakiSecurity',
      toRows: (item) => {
        const result = toMerakiSecurityEventRow(item, { sourceOrg: org, appliance: applianceOf(item) });
        // A refused record has no EventId: its key is its content, so a re-read does not quarantine it twice.
        const key = result.ok ? result.row.EventId : `q${stableHash(['refused', item])}`;
        if (landedBefore.has(key)) {
          this.facts.securityRepeats += 1;
          return { ok: true, rows: [] };
        }
        const ts = securityTs(item);
        if (ts !== undefined) landedNow.push(`${ts} ${key}`);
        return result;
      },
    };
    return page(kind, recordsOf(listing.items));
  }

  private async uplinks(maxPages: number, window: CycleWindow): Promise<Page<MerakiCounter>> {
    const { client, org, at, settings, state: ports } = this.options;
    const listing = await client.getUplinkStatuses(org, { maxPages });
    this.staged.plan = { ...this.staged.plan, uplinkPages: listing.complete ? listing.pages : listing.pages + 1 };
    const reads: RecordRead<UplinkRecord>[] = listing.items.map((raw) => {
      const parsed = MerakiUplinkStatusSchema.safeParse(raw);
      if (parsed.success) {
        const uplinks = parsed.data.uplinks.map((u) => ({ ...u, status: u.status ?? 'unknown' }));
        return { ok: true, value: { raw, status: { ...parsed.data, uplinks } } };
      }
      const mapped = toMerakiUplinkRows(raw, { sourceOrg: org, at });
      return { ok: false, raw, reason: mapped.ok ? 'invalid Meraki uplink status' : mapped.reason };
    });
    const previous = await ports.snapshots.load(org);
    const valid = reads.flatMap((r) => (r.ok ? [r.value.status] : []));
    const diff = diffUplinks(previous, uplinkSnapshot(valid, at, listing.complete));
    const changed = new Set(
      diff.changes.filter((c) => c.kind !== 'removed').map((c) => uplinkKey(c.serial, c.interface)),
    );
    const fullAt = window.state.uplinksFullAt;
    const full =
      diff.baseline ||
      fullAt === undefined ||
      Date.parse(at) - Date.parse(fullAt) >= settings.uplinkFullSnapshotMinutes * 60_000 ||
      Date.parse(at) < Date.parse(fullAt);
    if (full) this.staged.uplinksFullAt = at;
    Object.assign(this.facts, {
      baseline: diff.baseline,
      fullSnapshot: full,
      uplinkChanges: diff.changes.length,
      publicIpChanges: diff.changes.filter((c) => c.kind === 'changed' && c.publicIpChanged).length,
      failovers: diff.failovers.length,
      failoverSerials: diff.failovers.slice(0, 20).map((f) => f.serial),
    });
    this.staged.snapshot = () => ports.snapshots.save(org, previous, diff.next);
    const kind: RecordKind<UplinkRecord, 'merakiUplink'> = {
      stream: 'merakiUplink',
      toRows: ({ raw, status }) => {
        const rows = toMerakiUplinkRows(raw, { sourceOrg: org, at });
        if (!rows.ok) return rows;
        const landing = (row: MerakiUplinkRow) => full || changed.has(uplinkKey(status.serial, row.Interface));
        return { ok: true, rows: rows.row.filter(landing) };
      },
      original: (record) => record.raw,
    };
    return page(kind, {
      length: reads.length,
      read: (i) => reads[i] ?? { ok: false, raw: undefined, reason: `no uplink status at ${i}` },
    });
  }

  private async events(networkId: string, window: CycleWindow): Promise<Page<MerakiCounter> | undefined> {
    const { client, org, at, settings, log } = this.options;
    const network = window.known.find((n) => n.id === networkId);
    if (network === undefined) return undefined;
    const startingAfter =
      network.eventsAfter ?? new Date(Date.parse(at) - settings.eventsLookbackHours * 3_600_000).toISOString();
    this.facts.eventNetworks.push(network.id);
    let fetched;
    try {
      fetched = await client.getNetworkEvents(network.id, org, { startingAfter, productType: 'appliance' });
    } catch (error) {
      // The planner's rule: this network waits for its next turn; its cursor has not moved.
      log?.(
        `collectMeraki ${org}: events of ${network.id} failed, retried on its next turn: ${redactSecrets(ensureError(error).message)}`,
      );
      return page(this.eventKind(network), recordsOf([]), { eventErrors: 1 });
    }
    return page(this.eventKind(network), recordsOf(fetched.events));
  }

  /** A network event: one row; the network's cursor follows the newest landed `occurredAt`. */
  private eventKind(network: KnownNetwork): RecordKind<unknown, 'merakiEvent'> {
    const { org } = this.options;
    const { cursors } = this.staged;
    return {
      stream: 'merakiEvent',
      toRows: (event) => toMerakiNetworkEventRow(event, { sourceOrg: org, networkId: network.id }),
      landed: (event) => {
        const occurredAt = (event as { occurredAt?: unknown }).occurredAt;
        if (typeof occurredAt !== 'string') return;
        cursors.set(network.id, { network, eventsAfter: newerTime(cursors.get(network.id)?.eventsAfter, occurredAt) });
      },
    };
  }

  /** A device (inventory and/or status): one row stamped with the cycle's time. */
  private deviceKind(): RecordKind<unknown, 'merakiDevice'> {
    const { org, at } = this.options;
    return { stream: 'merakiDevice', toRows: (item) => toMerakiDeviceRow(item, { sourceOrg: org, at }) };
  }

  async commit(window: CycleWindow): Promise<boolean> {
    const { org, state: ports, clock } = this.options;
    const staged = this.staged;
    for (const { network, eventsAfter } of staged.cursors.values())
      await ports.networks.saveCursor(org, network, eventsAfter);
    if (staged.networks !== undefined)
      await ports.networks.replace(org, staged.networks, await ports.networks.list(org));
    if (staged.snapshot !== undefined) await staged.snapshot();
    if (staged.inventory !== undefined) {
      const appliances = staged.inventory.map(applianceRef).filter((a): a is ApplianceRef => a !== undefined);
      await ports.appliances.replace(org, appliances, staged.inventoryComplete === true);
    }
    const securityEventsAfter = staged.securityEventsAfter ?? window.state.securityEventsAfter;
    const securityLanded = overlapKeys(securityEventsAfter, [
      ...(window.state.securityLanded ?? []),
      ...(staged.securityLanded ?? []),
    ]);
    // The planner state is the guard: written last.
    await ports.orgStates.save(
      org,
      {
        cycle: window.state.cycle + 1,
        plan: staged.plan,
        ...(staged.uplinksFullAt === undefined ? {} : { uplinksFullAt: staged.uplinksFullAt }),
        ...(securityEventsAfter === undefined ? {} : { securityEventsAfter }),
        ...(securityLanded.length === 0 ? {} : { securityLanded }),
      },
      window.etag,
      new Date(clock()),
    );
    return false;
  }
}
