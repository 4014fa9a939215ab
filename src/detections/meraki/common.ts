/** Shared pieces of the Meraki detections: subjects, times, snapshot items and uplink status timelines. */
import type { MerakiDeviceRow, MerakiEventRow, MerakiUplinkRow } from '../../transforms/streams';
import type { ItemState, Subject } from '../define';

export function seconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

export function deviceSubject(row: MerakiUplinkRow | MerakiDeviceRow | MerakiEventRow): Subject | undefined {
  const serial = 'Serial' in row ? row.Serial : row.DeviceSerial;
  if (serial === undefined || serial === '') return undefined;
  const name = 'Name' in row ? row.Name : 'DeviceName' in row ? row.DeviceName : undefined;
  return name === undefined ? { type: 'device', id: serial } : { type: 'device', id: serial, name };
}

export function deviceFacts(row: MerakiUplinkRow | MerakiDeviceRow | MerakiEventRow): Record<string, string> {
  const facts: Record<string, string> = {};
  if (row.NetworkId !== undefined) facts.networkId = row.NetworkId;
  if ('Model' in row && row.Model !== undefined) facts.model = row.Model;
  if ('DeviceModel' in row && row.DeviceModel !== undefined) facts.model = row.DeviceModel;
  if ('NetworkName' in row && row.NetworkName !== undefined) facts.networkName = row.NetworkName;
  return facts;
}

/** One snapshot's items grouped by time, ascending. */
export function snapshots(items: readonly ItemState[]): { t: number; items: ItemState[] }[] {
  const byT = new Map<number, ItemState[]>();
  for (const i of items) byT.set(i.t, [...(byT.get(i.t) ?? []), i]);
  return [...byT.entries()].sort(([a], [b]) => a - b).map(([t, list]) => ({ t, items: list }));
}

export function durationText(secondsTotal: number): string {
  const minutes = Math.round(secondsTotal / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 6) / 10} h`;
}

/**
 * An uplink's status in one letter: `a` active (carries traffic), `r` ready (healthy standby), `d`
 * down (`failed`, `not connected`, `connecting`: not usable), `u` anything else or absent. The
 * device-status pseudo interface uses `o` (offline) and `a` (online, alerting, dormant).
 */
export type StatusCode = 'a' | 'r' | 'd' | 'u' | 'o';

const DOWN_STATUSES = new Set(['failed', 'not connected', 'connecting']);

export function uplinkStatusCode(status: string | undefined): StatusCode {
  if (status === 'active') return 'a';
  if (status === 'ready') return 'r';
  if (status !== undefined && DOWN_STATUSES.has(status)) return 'd';
  return 'u';
}

/** Interface name of a device-status row in a status timeline (no Meraki uplink is named so). */
export const DEVICE_STATUS = '#status';

/**
 * The item of one polled row: `<t>:<interface>:<code>`. Rows of one snapshot share `t`; a window keeps
 * one item per (snapshot, interface), at most a few per poll.
 */
export function statusItem(t: number, iface: string, code: StatusCode): string {
  return `${String(t)}:${iface}:${code}`;
}

export interface StatusRow {
  t: number;
  iface: string;
  code: StatusCode;
  /** The stored item (its label holds the row's public IP, when it has one). */
  state: ItemState;
}

export function parseStatusItem(state: ItemState): StatusRow | undefined {
  const first = state.item.indexOf(':');
  const last = state.item.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  const t = Number(state.item.slice(0, first));
  const code = state.item.slice(last + 1);
  if (!Number.isFinite(t) || !['a', 'r', 'd', 'u', 'o'].includes(code)) return undefined;
  return { t, iface: state.item.slice(first + 1, last), code: code as StatusCode, state };
}

/** One polled time of a device: the rows that landed then, and every interface's status after them. */
export interface TimelineStep {
  t: number;
  rows: StatusRow[];
  /** Latest known status of every interface seen so far (carried over from earlier snapshots). */
  status: ReadonlyMap<string, StatusRow>;
  /** Status of each interface before this step (absent: not seen yet). */
  before: ReadonlyMap<string, StatusRow>;
}

/**
 * The status items of a window as a timeline. Between full snapshots the collector lands only the
 * interfaces that changed (docs/reference/meraki-api.md, "Uplink statuses"), so an interface absent
 * from a step keeps the status it last had: a step's `status` is what the device looked like then.
 */
export function statusTimeline(items: readonly ItemState[]): TimelineStep[] {
  const rows = items.map(parseStatusItem).filter((r): r is StatusRow => r !== undefined);
  rows.sort((a, b) => a.t - b.t || (a.state.item < b.state.item ? -1 : a.state.item > b.state.item ? 1 : 0));
  const steps: TimelineStep[] = [];
  let current = new Map<string, StatusRow>();
  for (let i = 0; i < rows.length;) {
    const t = rows[i]?.t ?? 0;
    const at: StatusRow[] = [];
    while (i < rows.length && rows[i]?.t === t) {
      const row = rows[i];
      if (row !== undefined) at.push(row);
      i += 1;
    }
    const before = current;
    current = new Map(before);
    for (const row of at) current.set(row.iface, row);
    steps.push({ t, rows: at, status: current, before });
  }
  return steps;
}
