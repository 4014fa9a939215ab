/**
 * Pure diff of Meraki appliance uplink snapshots, so detections see what polling alone hides:
 * a public IP change on an interface, and failover (the set of `active` interfaces of a device
 * changing, e.g. wan1 → cellular). Snapshots come from the org-wide uplink statuses listing after
 * the transform validated it; statuses are kept verbatim (`active`, `ready`, `connecting`,
 * `not connected`, `failed`; the spelling of `not connected` is [UNVERIFIED]).
 *
 * Persisted state shape (one per org, stored by the state module):
 *   UplinkSnapshot = { takenAt: ISO string, complete: boolean,
 *                      uplinks: { "<serial>/<interface>": { serial, interface, networkId, status, publicIp, ip } } }
 * A listing cut short by the page cap is `complete: false`: devices missing from it are neither
 * reported as removed nor forgotten (`diffUplinks(...).next` carries them over).
 */

export interface UplinkState {
  readonly serial: string;
  readonly interface: string;
  readonly networkId: string | null;
  readonly status: string;
  readonly publicIp: string | null;
  readonly ip: string | null;
}

export interface UplinkSnapshot {
  readonly takenAt: string;
  /** False when the listing stopped at the page cap: absent devices are unknown, not gone. */
  readonly complete: boolean;
  /** Keyed by `uplinkKey(serial, interface)`. */
  readonly uplinks: Readonly<Record<string, UplinkState>>;
}

/** The validated subset of one `appliance/uplink/statuses` item the diff needs. */
export interface UplinkStatusLike {
  readonly serial: string;
  readonly networkId?: string | null;
  readonly uplinks: readonly {
    readonly interface: string;
    readonly status: string;
    readonly publicIp?: string | null;
    readonly ip?: string | null;
  }[];
}

export type UplinkChangeKind = 'added' | 'removed' | 'changed';

export interface UplinkChange {
  readonly kind: UplinkChangeKind;
  readonly serial: string;
  readonly interface: string;
  readonly networkId: string | null;
  readonly previousStatus: string | null;
  readonly status: string | null;
  readonly previousPublicIp: string | null;
  readonly publicIp: string | null;
  readonly statusChanged: boolean;
  readonly publicIpChanged: boolean;
}

export interface DeviceFailover {
  readonly serial: string;
  readonly networkId: string | null;
  /** Interfaces `active` before / now (sorted). */
  readonly from: readonly string[];
  readonly to: readonly string[];
  /** Cellular became active while it was not before. */
  readonly toCellular: boolean;
}

export interface UplinkDiff {
  /** True when there was no previous snapshot: nothing is reported, `next` is the baseline. */
  readonly baseline: boolean;
  readonly changes: readonly UplinkChange[];
  readonly failovers: readonly DeviceFailover[];
  /** The snapshot to persist next (current, plus carried-over devices when current is incomplete). */
  readonly next: UplinkSnapshot;
}

export function uplinkKey(serial: string, iface: string): string {
  return `${serial}/${iface}`;
}

/** Builds a snapshot from validated uplink status items. */
export function uplinkSnapshot(
  statuses: readonly UplinkStatusLike[],
  takenAt: string,
  complete = true,
): UplinkSnapshot {
  const uplinks: Record<string, UplinkState> = {};
  for (const device of statuses) {
    for (const uplink of device.uplinks) {
      uplinks[uplinkKey(device.serial, uplink.interface)] = {
        serial: device.serial,
        interface: uplink.interface,
        networkId: device.networkId ?? null,
        status: uplink.status,
        publicIp: uplink.publicIp ?? null,
        ip: uplink.ip ?? null,
      };
    }
  }
  return { takenAt, complete, uplinks };
}

/** Per (serial, interface) status/public-IP changes and per-device failovers between two snapshots. */
export function diffUplinks(previous: UplinkSnapshot | undefined, current: UplinkSnapshot): UplinkDiff {
  if (previous === undefined) return { baseline: true, changes: [], failovers: [], next: current };

  const currentSerials = bySerial(current);
  const previousSerials = bySerial(previous);
  const carried: Record<string, UplinkState> = {};
  const changes: UplinkChange[] = [];

  for (const key of [...new Set([...Object.keys(previous.uplinks), ...Object.keys(current.uplinks)])].sort()) {
    const before = previous.uplinks[key];
    const now = current.uplinks[key];
    if (before !== undefined && now === undefined) {
      if (!current.complete && !currentSerials.has(before.serial)) {
        carried[key] = before;
        continue;
      }
      changes.push(change('removed', before, before, undefined));
    } else if (before === undefined && now !== undefined) {
      changes.push(change('added', now, undefined, now));
    } else if (before !== undefined && now !== undefined) {
      if (before.status !== now.status || before.publicIp !== now.publicIp)
        changes.push(change('changed', now, before, now));
    }
  }

  const failovers: DeviceFailover[] = [];
  for (const [serial, uplinks] of [...currentSerials].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const earlier = previousSerials.get(serial);
    if (earlier === undefined) continue;
    const from = activeInterfaces(earlier);
    const to = activeInterfaces(uplinks);
    if (from.join(',') !== to.join(',')) {
      failovers.push({
        serial,
        networkId: uplinks[0]?.networkId ?? null,
        from,
        to,
        toCellular: to.includes('cellular') && !from.includes('cellular'),
      });
    }
  }

  const next: UplinkSnapshot = { ...current, uplinks: { ...carried, ...current.uplinks } };
  return { baseline: false, changes, failovers, next };
}

function change(
  kind: UplinkChangeKind,
  subject: UplinkState,
  before: UplinkState | undefined,
  now: UplinkState | undefined,
): UplinkChange {
  const previousStatus = before?.status ?? null;
  const status = now?.status ?? null;
  const previousPublicIp = before?.publicIp ?? null;
  const publicIp = now?.publicIp ?? null;
  return {
    kind,
    serial: subject.serial,
    interface: subject.interface,
    networkId: subject.networkId,
    previousStatus,
    status,
    previousPublicIp,
    publicIp,
    statusChanged: previousStatus !== status,
    publicIpChanged: previousPublicIp !== publicIp,
  };
}

function bySerial(snapshot: UplinkSnapshot): Map<string, UplinkState[]> {
  const map = new Map<string, UplinkState[]>();
  for (const uplink of Object.values(snapshot.uplinks)) {
    const list = map.get(uplink.serial);
    if (list === undefined) map.set(uplink.serial, [uplink]);
    else list.push(uplink);
  }
  return map;
}

function activeInterfaces(uplinks: readonly UplinkState[]): string[] {
  return uplinks
    .filter((uplink) => uplink.status === 'active')
    .map((uplink) => uplink.interface)
    .sort();
}
