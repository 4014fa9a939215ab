/**
 * Every uplink of an appliance down (site offline) for longer than the configured time, judged on a
 * status timeline: one item per polled row (`<t>:<interface>:<code>`, common.ts) and per appliance
 * device status (`<t>:#status:o|a`, from `GET /organizations/{id}/devices/statuses`).
 *
 * Between full snapshots only the interfaces that changed land (docs/reference/meraki-api.md), so a
 * poll time holding just a failed backup interface says nothing about the primary: each interface
 * keeps its last known status, and the device is offline at a time only when every interface it has
 * in the window is known and none is active, or when its device status says `offline`. A device status
 * is the stronger signal at its own time; an `offline` one holds until a device status says otherwise
 * or an interface is seen becoming active (an unchanged `active` in a full snapshot may be the stale
 * report of a device that cannot reach the cloud).
 */
import { defineDetection, fields, type ItemState } from '../define';
import {
  DEVICE_STATUS,
  deviceFacts,
  deviceSubject,
  durationText,
  seconds,
  statusItem,
  statusTimeline,
  type TimelineStep,
  uplinkStatusCode,
} from './common';

/** Whether the device is offline after `step`, or undefined when the step says nothing about it. */
function offlineAt(step: TimelineStep, interfaces: ReadonlySet<string>): boolean {
  const device = step.rows.find((r) => r.iface === DEVICE_STATUS);
  if (device !== undefined) return device.code === 'o';
  const cameUp = step.rows.some((r) => r.code === 'a' && (step.before.get(r.iface)?.code ?? 'a') !== 'a');
  if (step.before.get(DEVICE_STATUS)?.code === 'o' && !cameUp) return true;
  if (interfaces.size === 0) return false;
  for (const iface of interfaces) {
    const known = step.status.get(iface);
    // Not seen yet in the window: its status is unknown, so the device may well be online.
    if (known === undefined || known.code === 'a') return false;
  }
  return true;
}

export const siteOffline = defineDetection({
  id: 'meraki.appliance.site-offline',
  title: 'Meraki site offline',
  description:
    'Every uplink of a site’s appliance (all WANs and cellular) stayed down, or the appliance reported offline, for longer than the configured time.',
  severity: 'high',
  mitre: [],
  entities: { device: 'context' },
  streams: ['merakiUplink', 'merakiDevice'],
  config: {
    /** Offline longer than this raises a finding. */
    minutes: fields.minutes(5),
    ignoreSerials: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'merakiUplink' && input.stream !== 'merakiDevice') return null;
    const row = input.row;
    const subject = deviceSubject(row);
    if (subject === undefined || config.ignoreSerials.includes(subject.id)) return null;
    const t = seconds(row.TimeGenerated);
    let item: string;
    if (input.stream === 'merakiUplink') item = statusItem(t, input.row.Interface, uplinkStatusCode(input.row.Status));
    else if (input.row.ProductType === 'appliance' && input.row.Status !== undefined)
      item = statusItem(t, DEVICE_STATUS, input.row.Status === 'offline' ? 'o' : 'a');
    else return null;
    return { dedupeKey: subject.id, subject, item, t, facts: deviceFacts(row) };
  },
  window: {
    kind: 'custom',
    // The window reaches back past the last full snapshot (every 15 min by default) before an outage.
    windowSeconds: (c) => Math.max(3_600, c.minutes * 120),
    // Full snapshots every minute at most (its setting's floor) plus changed rows: a half hour holds a
    // few hundred items at worst, within a bucket's budget.
    bucketSeconds: 1_800,
    evaluate(window, config, env) {
      const steps = statusTimeline(window.items);
      const interfaces = new Set<string>();
      for (const step of steps) for (const r of step.rows) if (r.iface !== DEVICE_STATUS) interfaces.add(r.iface);
      let run: TimelineStep[] = [];
      let best: TimelineStep[] | undefined;
      for (const step of steps) {
        if (offlineAt(step, interfaces)) run.push(step);
        else run = [];
        const first = run[0];
        const last = run[run.length - 1];
        if (first !== undefined && last !== undefined && last.t - first.t >= config.minutes * 60) best = [...run];
      }
      if (best === undefined) return null;
      const since = env.since ?? -Infinity;
      const fresh = best.filter((s) => s.t > since);
      if (fresh.length === 0) return null;
      const items: ItemState[] = best.flatMap((s) => s.rows.map((r) => r.state));
      return {
        count: best.length,
        newItems: fresh.length,
        firstSeen: best[0]?.t ?? env.now,
        lastSeen: best[best.length - 1]?.t ?? env.now,
        items,
      };
    },
  },
  present(crossing, window) {
    const byDevice = crossing.items.some((i) => i.item.endsWith(`:${DEVICE_STATUS}:o`));
    return {
      title: `${window.subject.name ?? window.subject.id} offline for ${durationText(crossing.lastSeen - crossing.firstSeen)}`,
      why: byDevice
        ? `The appliance reported offline (or no uplink active) across ${String(crossing.count)} polls spanning ${durationText(crossing.lastSeen - crossing.firstSeen)}.`
        : `No uplink of the appliance was active across ${String(crossing.count)} polls spanning ${durationText(crossing.lastSeen - crossing.firstSeen)}.`,
      evidence: {
        snapshots: crossing.count,
        since: new Date(crossing.firstSeen * 1000).toISOString(),
        reason: byDevice ? 'device status offline' : 'no uplink active',
      },
    };
  },
});
