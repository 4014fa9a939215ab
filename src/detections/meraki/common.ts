/** Shared pieces of the Meraki detections: subjects, times and snapshot items. */
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
