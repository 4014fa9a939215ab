/**
 * Meraki collection state per organization, in three places sized so no entity nears Table
 * Storage's limits (64 KiB per string property, 1 MiB per entity):
 * - `checkpoints` meraki/<org>: the planner state and the org's own cycle counter (small, one JSON
 *   value), written last and guarded by the ETag read at the start of the run: a racing run of the
 *   same org loses with a retriable conflict instead of moving the state backwards;
 * - `snapshots` `meraki-networks|<org>` / <network id>: the network list the event round-robin
 *   walks, each with its own events cursor (`EventsAfter`, the newest `occurredAt` landed), written
 *   with the ETag it was read with;
 * - `snapshots` `meraki-appliances|<org>` / <MAC>: each appliance's network, serial and name from the
 *   device inventory, so a security event (which names only `deviceMac`) finds its network with a
 *   point read; rewritten when the inventory is read;
 * - `snapshots` `meraki-uplinks|<org>` / <serial>: the previous uplink status of every interface of
 *   one device, plus a `~meta` row (`TakenAt`, `Complete`). One row per device keeps a 10,000-appliance
 *   org far below the limits; only devices whose uplinks changed are rewritten.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { z } from 'zod';

import type { MerakiNetworkRef } from '../collectors/meraki/plan';
import type { UplinkSnapshot, UplinkState } from '../collectors/meraki/uplinks';
import type { Config } from '../config';
import { AppError, ErrorCode } from '../errors';
import type { CheckpointStore } from './checkpoints';
import { asStateError, type Entity, safeKey, stateTable, statusOf } from './tables';

export const MERAKI_SOURCE = 'meraki';

const PlanStateSchema = z.object({
  networksAt: z.number().int().optional(),
  devicesAt: z.number().int().optional(),
  deviceStatusesAt: z.number().int().optional(),
  eventsCursor: z.string().optional(),
  uplinkPages: z.number().int().positive().optional(),
  devicePages: z.number().int().positive().optional(),
  deviceStatusPages: z.number().int().positive().optional(),
  securityEventPages: z.number().int().positive().optional(),
});

export const MerakiOrgStateSchema = z.object({
  /** Cycles this org has completed; the planner's clock for slower cadences. */
  cycle: z.number().int().nonnegative(),
  plan: PlanStateSchema,
  /** When every interface last landed (ISO-8601); changed interfaces land in between. */
  uplinksFullAt: z.string().optional(),
  /**
   * The security events checkpoint: `ts` of the newest event read and landed (row or quarantine);
   * the next window starts the overlap before it. Absent until the first event.
   */
  securityEventsAfter: z.string().optional(),
  /** `<ts> <key>` of the security events landed in the overlap before the checkpoint (bounded). */
  securityLanded: z.array(z.string()).max(1000).optional(),
});
export type MerakiOrgState = z.infer<typeof MerakiOrgStateSchema>;

export interface StoredOrgState {
  state: MerakiOrgState;
  etag: string | undefined;
}

export class MerakiOrgStates {
  constructor(private readonly store: CheckpointStore) {}

  async load(org: string): Promise<StoredOrgState> {
    const record = await this.store.get<unknown>(MERAKI_SOURCE, org);
    if (record === undefined) return { state: { cycle: 0, plan: {} }, etag: undefined };
    const parsed = MerakiOrgStateSchema.safeParse(record.value);
    if (!parsed.success) {
      throw new AppError(
        ErrorCode.StateUnavailable,
        `The Meraki state of organization ${org} is invalid: ${z.prettifyError(parsed.error)}; fix or delete the checkpoints entity meraki/${org}`,
        { retriable: false },
      );
    }
    return { state: parsed.data, etag: record.etag };
  }

  async save(org: string, state: MerakiOrgState, etag: string | undefined, now: Date): Promise<string> {
    return this.store.save(MERAKI_SOURCE, org, state, etag, now);
  }
}

export interface NetworkRecord extends MerakiNetworkRef {
  /** ISO time of the newest event landed for this network (the next `startingAfter`). */
  eventsAfter: string | undefined;
  etag: string | undefined;
}

const BATCH = 100;

async function submitAll(table: TableClient, actions: TransactionAction[], doing: string): Promise<void> {
  for (let i = 0; i < actions.length; i += BATCH) {
    try {
      await table.submitTransaction(actions.slice(i, i + BATCH));
    } catch (error) {
      throw asStateError(error, doing);
    }
  }
}

async function listPartition(table: TableClient, partition: string, doing: string): Promise<Entity[]> {
  const out: Entity[] = [];
  const filter = `PartitionKey eq '${partition.replace(/'/g, "''")}'`;
  try {
    for await (const entity of table.listEntities({ queryOptions: { filter } })) out.push(entity);
  } catch (error) {
    throw asStateError(error, doing);
  }
  return out;
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

export class MerakiNetworkStore {
  constructor(private readonly config: Config) {}

  private partition(org: string): string {
    return safeKey(`meraki-networks|${org}`);
  }

  async list(org: string): Promise<NetworkRecord[]> {
    const table = await stateTable(this.config, 'snapshots');
    const entities = await listPartition(table, this.partition(org), `listing the networks of ${org}`);
    return entities
      .map((entity) => {
        const types = parseJson(entity.ProductTypes);
        return {
          id: typeof entity.NetworkId === 'string' ? entity.NetworkId : (entity.rowKey ?? ''),
          productTypes: Array.isArray(types) ? types.filter((t): t is string => typeof t === 'string') : [],
          ...(typeof entity.Name === 'string' && entity.Name !== '' ? { name: entity.Name } : {}),
          eventsAfter:
            typeof entity.EventsAfter === 'string' && entity.EventsAfter !== '' ? entity.EventsAfter : undefined,
          etag: entity.etag,
        };
      })
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Replaces the network list (cursors of networks that remain are kept; removed ones are deleted). */
  async replace(org: string, networks: readonly MerakiNetworkRef[], existing: readonly NetworkRecord[]): Promise<void> {
    const table = await stateTable(this.config, 'snapshots');
    const partitionKey = this.partition(org);
    const keep = new Map(existing.map((n) => [n.id, n]));
    const wanted = new Set(networks.map((n) => n.id));
    const actions: TransactionAction[] = [];
    for (const network of networks) {
      const types = JSON.stringify([...network.productTypes].sort());
      const before = keep.get(network.id);
      const name = network.name ?? '';
      if (
        before !== undefined &&
        JSON.stringify([...before.productTypes].sort()) === types &&
        (before.name ?? '') === name
      )
        continue;
      actions.push([
        'upsert',
        { partitionKey, rowKey: safeKey(network.id), NetworkId: network.id, ProductTypes: types, Name: name },
        'Merge',
      ]);
    }
    for (const old of existing) {
      if (!wanted.has(old.id)) actions.push(['delete', { partitionKey, rowKey: safeKey(old.id) }]);
    }
    await submitAll(table, actions, `saving the networks of ${org}`);
  }

  /** Moves one network's events cursor, guarded by the ETag it was read with. */
  async saveCursor(org: string, network: NetworkRecord, eventsAfter: string): Promise<void> {
    const table = await stateTable(this.config, 'snapshots');
    const entity = {
      partitionKey: this.partition(org),
      rowKey: safeKey(network.id),
      NetworkId: network.id,
      ProductTypes: JSON.stringify(network.productTypes),
      EventsAfter: eventsAfter,
    };
    try {
      if (network.etag === undefined) await table.upsertEntity(entity, 'Merge');
      else await table.updateEntity(entity, 'Merge', { etag: network.etag });
    } catch (error) {
      throw asStateError(error, `saving the events cursor of network ${network.id}`);
    }
  }
}

/** An appliance as the device inventory lists it: what a security event's `deviceMac` resolves to. */
export interface ApplianceRef {
  /** Lowercase MAC. */
  mac: string;
  networkId: string;
  serial?: string | undefined;
  name?: string | undefined;
}

export class MerakiApplianceStore {
  constructor(private readonly config: Config) {}

  private partition(org: string): string {
    return safeKey(`meraki-appliances|${org}`);
  }

  /** The appliances of these MACs that the last inventory listed (point reads; unknown MACs are absent). */
  async lookup(org: string, macs: readonly string[]): Promise<Map<string, ApplianceRef>> {
    const out = new Map<string, ApplianceRef>();
    const wanted = [...new Set(macs.map((mac) => mac.toLowerCase()).filter((mac) => mac !== ''))];
    if (wanted.length === 0) return out;
    const table = await stateTable(this.config, 'snapshots');
    for (const mac of wanted) {
      try {
        const entity = await table.getEntity<Entity>(this.partition(org), safeKey(mac));
        if (typeof entity.NetworkId !== 'string' || entity.NetworkId === '') continue;
        out.set(mac, {
          mac,
          networkId: entity.NetworkId,
          ...(typeof entity.Serial === 'string' && entity.Serial !== '' ? { serial: entity.Serial } : {}),
          ...(typeof entity.Name === 'string' && entity.Name !== '' ? { name: entity.Name } : {}),
        });
      } catch (error) {
        if (statusOf(error) === 404) continue;
        throw asStateError(error, `reading appliance ${mac} of ${org}`);
      }
    }
    return out;
  }

  /**
   * Writes the inventory's appliances (unchanged rows are not rewritten); when the listing was
   * `complete`, appliances it no longer lists are deleted (a page-capped listing deletes nothing).
   */
  async replace(org: string, appliances: readonly ApplianceRef[], complete: boolean): Promise<void> {
    const table = await stateTable(this.config, 'snapshots');
    const partitionKey = this.partition(org);
    const existing = new Map(
      (await listPartition(table, partitionKey, `listing the appliances of ${org}`)).map((e) => [e.rowKey ?? '', e]),
    );
    const actions: TransactionAction[] = [];
    const kept = new Set<string>();
    for (const appliance of appliances) {
      const rowKey = safeKey(appliance.mac.toLowerCase());
      if (kept.has(rowKey)) continue;
      kept.add(rowKey);
      const row = { NetworkId: appliance.networkId, Serial: appliance.serial ?? '', Name: appliance.name ?? '' };
      const before = existing.get(rowKey);
      if (before?.NetworkId === row.NetworkId && before.Serial === row.Serial && before.Name === row.Name) continue;
      actions.push(['upsert', { partitionKey, rowKey, ...row }, 'Replace']);
    }
    if (complete) {
      for (const rowKey of existing.keys()) if (!kept.has(rowKey)) actions.push(['delete', { partitionKey, rowKey }]);
    }
    await submitAll(table, actions, `saving the appliances of ${org}`);
  }
}

const META_ROW = '~meta';

const UplinkStateSchema = z.object({
  serial: z.string(),
  interface: z.string(),
  networkId: z.string().nullable(),
  status: z.string(),
  publicIp: z.string().nullable(),
  ip: z.string().nullable(),
});
const DeviceUplinksSchema = z.record(z.string(), UplinkStateSchema);

export class UplinkSnapshotStore {
  constructor(private readonly config: Config) {}

  private partition(org: string): string {
    return safeKey(`meraki-uplinks|${org}`);
  }

  /** The previous snapshot, or undefined before the first one (the first diff is a baseline). */
  async load(org: string): Promise<UplinkSnapshot | undefined> {
    const table = await stateTable(this.config, 'snapshots');
    const entities = await listPartition(table, this.partition(org), `reading the uplink snapshot of ${org}`);
    const meta = entities.find((e) => e.rowKey === META_ROW);
    if (meta === undefined) return undefined;
    const uplinks: Record<string, UplinkState> = {};
    for (const entity of entities) {
      if (entity.rowKey === META_ROW) continue;
      const parsed = DeviceUplinksSchema.safeParse(parseJson(entity.Uplinks));
      // A damaged device row only loses that device's history: it reappears as "added" next time.
      if (!parsed.success) continue;
      for (const state of Object.values(parsed.data)) uplinks[`${state.serial}/${state.interface}`] = state;
    }
    return {
      takenAt: typeof meta.TakenAt === 'string' ? meta.TakenAt : '',
      complete: meta.Complete !== false,
      uplinks,
    };
  }

  /** Writes `next`, rewriting only devices whose interfaces differ from `previous`. */
  async save(
    org: string,
    previous: UplinkSnapshot | undefined,
    next: UplinkSnapshot,
  ): Promise<{ written: number; deleted: number }> {
    const table = await stateTable(this.config, 'snapshots');
    const partitionKey = this.partition(org);
    const before = bySerial(previous);
    const after = bySerial(next);
    const actions: TransactionAction[] = [];
    let written = 0;
    let deleted = 0;
    for (const [serial, uplinks] of after) {
      const text = JSON.stringify(uplinks);
      if (before.get(serial) !== undefined && JSON.stringify(before.get(serial)) === text) continue;
      actions.push(['upsert', { partitionKey, rowKey: safeKey(serial), Uplinks: text }, 'Replace']);
      written += 1;
    }
    for (const serial of before.keys()) {
      if (!after.has(serial)) {
        actions.push(['delete', { partitionKey, rowKey: safeKey(serial) }]);
        deleted += 1;
      }
    }
    await submitAll(table, actions, `saving the uplink snapshot of ${org}`);
    try {
      await table.upsertEntity(
        { partitionKey, rowKey: META_ROW, TakenAt: next.takenAt, Complete: next.complete },
        'Replace',
      );
    } catch (error) {
      throw asStateError(error, `saving the uplink snapshot of ${org}`);
    }
    return { written, deleted };
  }
}

/** serial → { interface → state }, interfaces in sorted order so equal devices serialize equally. */
function bySerial(snapshot: UplinkSnapshot | undefined): Map<string, Record<string, UplinkState>> {
  const map = new Map<string, Record<string, UplinkState>>();
  if (snapshot === undefined) return map;
  const keys = Object.keys(snapshot.uplinks).sort();
  for (const key of keys) {
    const state = snapshot.uplinks[key];
    if (state === undefined) continue;
    let device = map.get(state.serial);
    if (device === undefined) {
      device = {};
      map.set(state.serial, device);
    }
    device[state.interface] = state;
  }
  return map;
}
