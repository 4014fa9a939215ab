/**
 * Device records as they land in SentryMerakiDevice_CL. Meraki splits a device over two listings:
 * `GET /organizations/{id}/devices` (inventory: name, model, network, firmware, address…) and
 * `GET /organizations/{id}/devices/statuses` (status, lastReportedAt, publicIp, lanIp, gateway…), and
 * the inventory carries no status at all (docs/reference/meraki-api.md). A cycle that read both lands
 * one record per device, the inventory overlaid with its status (so a device never lands twice with
 * the same snapshot time, which is its row's EventId); a cycle that read one lands that one.
 * Records stay unvalidated here: the transform validates them.
 */

/** Fields only the statuses listing reports; they win over an inventory item's (its `lanIp` is the LAN side). */
export const DEVICE_STATUS_FIELDS = [
  'status',
  'lastReportedAt',
  'publicIp',
  'lanIp',
  'gateway',
  'ipType',
  'primaryDns',
  'secondaryDns',
  'components',
] as const;

function serialOf(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const serial = (item as { serial?: unknown }).serial;
  return typeof serial === 'string' && serial !== '' ? serial : undefined;
}

/** One record per device from this cycle's inventory and/or status listings (inventory order first). */
export function deviceRecords(
  inventory: readonly unknown[] | undefined,
  statuses: readonly unknown[] | undefined,
): unknown[] {
  if (inventory === undefined) return [...(statuses ?? [])];
  if (statuses === undefined) return [...inventory];
  const bySerial = new Map<string, Record<string, unknown>>();
  for (const status of statuses) {
    const serial = serialOf(status);
    if (serial !== undefined && !bySerial.has(serial)) bySerial.set(serial, status as Record<string, unknown>);
  }
  const merged = new Set<string>();
  const records = inventory.map((item) => {
    const serial = serialOf(item);
    const status = serial === undefined ? undefined : bySerial.get(serial);
    if (serial === undefined || status === undefined || merged.has(serial)) return item;
    merged.add(serial);
    const record: Record<string, unknown> = { ...(item as Record<string, unknown>) };
    for (const field of DEVICE_STATUS_FIELDS) if (field in status) record[field] = status[field];
    return record;
  });
  // Statuses of devices the inventory did not list (added since, or past its page cap) still land.
  for (const status of statuses) {
    const serial = serialOf(status);
    if (serial === undefined || !merged.has(serial)) records.push(status);
  }
  return records;
}
