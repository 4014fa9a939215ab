/**
 * An appliance failed over: the uplink carrying its traffic went down and another took over, which
 * moves the site off its office circuit (and the allowlists keyed on its address) onto another one,
 * often a carrier address. Seen two ways:
 * - polled uplink statuses (one item per row, `<t>:<interface>:<code>`, common.ts): an interface
 *   goes from `active` to a down status (`failed`, `not connected`, `connecting`) and, within the
 *   window, another becomes `active`. Each interface keeps its last known status across the partial
 *   snapshots the collector lands between full ones (docs/reference/meraki-api.md).
 * - webhook alerts (`failover_event`, `cellular_up`), which reach us before the next poll.
 * A public IP change on an interface that stays active is an ISP renewing a DHCP lease, not a
 * failover; a backup going back to `ready` (healthy standby) while the primary returns is the
 * failback, which belongs to the failover it ends. While the device stays failed over, every poll of
 * the two interfaces keeps the finding open, so a late failback (and its alert) grows it rather than
 * raising another. Meraki publishes no network-event type names for failover
 * (docs/reference/meraki-api.md, "Network events and webhooks"), so none match by default.
 */
import { defineDetection, fields, type ItemState } from '../define';
import {
  deviceFacts,
  deviceSubject,
  durationText,
  seconds,
  type StatusRow,
  statusItem,
  statusTimeline,
  uplinkStatusCode,
} from './common';

/** One failover seen in the polls: `from` went down, `to` took over, until one of them changed back. */
export interface FailoverEpisode {
  /** When the takeover was complete (the later of the two transitions). */
  start: number;
  /** The last poll of the episode: its end (failback, or `to` lost too) or the newest poll. */
  end: number;
  from: string;
  to: string;
  /** Public IP of `from` while it was active, and of `to` once active, when the rows carry them. */
  fromIp: string | undefined;
  toIp: string | undefined;
  /** The two transitions and every later row of `from` and `to` up to `end`. */
  items: ItemState[];
}

interface Transition {
  t: number;
  row: StatusRow;
  ip: string | undefined;
}

/** Failover episodes in a window's status items (alert items are ignored), oldest first. */
export function failoverEpisodes(items: readonly ItemState[], pairSeconds: number): FailoverEpisode[] {
  const episodes: FailoverEpisode[] = [];
  const downs = new Map<string, Transition>();
  const ups = new Map<string, Transition>();
  const lastIp = new Map<string, string>();
  let open: FailoverEpisode | undefined;
  for (const step of statusTimeline(items)) {
    for (const r of step.rows) {
      const before = step.before.get(r.iface)?.code;
      if (before === 'a' && r.code === 'd') downs.set(r.iface, { t: step.t, row: r, ip: lastIp.get(r.iface) });
      // An interface first seen active is no transition: nothing says it was not active before.
      if (before !== undefined && before !== 'a' && r.code === 'a')
        ups.set(r.iface, { t: step.t, row: r, ip: r.state.label });
      if (r.code === 'a') {
        downs.delete(r.iface);
        if (r.state.label !== undefined) lastIp.set(r.iface, r.state.label);
      } else ups.delete(r.iface);
    }
    if (open !== undefined) {
      const episode = open;
      episode.items.push(
        ...step.rows.filter((r) => r.iface === episode.from || r.iface === episode.to).map((r) => r.state),
      );
      episode.end = step.t;
      if (step.status.get(episode.from)?.code === 'a' || step.status.get(episode.to)?.code !== 'a') {
        episodes.push(episode);
        open = undefined;
      }
    }
    if (open !== undefined) continue;
    // `downs` holds interfaces that went down while carrying traffic (until active again), `ups` those
    // that became active (until they stop). Newest first: the pair that just completed.
    const byTime = (a: [string, Transition], b: [string, Transition]) => b[1].t - a[1].t || (a[0] < b[0] ? -1 : 1);
    for (const [to, up] of [...ups].sort(byTime)) {
      const pair = [...downs].sort(byTime).find(([, down]) => Math.abs(down.t - up.t) <= pairSeconds);
      if (pair === undefined) continue;
      const [from, down] = pair;
      downs.delete(from);
      ups.delete(to);
      open = {
        start: Math.max(down.t, up.t),
        end: step.t,
        from,
        to,
        fromIp: down.ip,
        toIp: up.ip ?? lastIp.get(to),
        items: [down.row.state, up.row.state],
      };
      break;
    }
  }
  if (open !== undefined) episodes.push(open);
  return episodes;
}

interface Unit {
  first: number;
  last: number;
  items: ItemState[];
}

/** Episodes and alerts as units of evidence, by time. */
function evidenceUnits(items: readonly ItemState[], windowSeconds: number): Unit[] {
  const units: Unit[] = failoverEpisodes(
    items.filter((i) => !i.item.startsWith('alert:')),
    windowSeconds,
  ).map((episode) => ({
    first: Math.min(...episode.items.map((i) => i.t)),
    last: Math.max(episode.end, ...episode.items.map((i) => i.tMax)),
    items: episode.items,
  }));
  for (const alert of items)
    if (alert.item.startsWith('alert:')) units.push({ first: alert.t, last: alert.tMax, items: [alert] });
  return units.sort((a, b) => a.first - b.first || a.last - b.last);
}

export const publicIpChange = defineDetection({
  id: 'meraki.uplink.public-ip-change',
  title: 'Meraki appliance failed over',
  description:
    'An MX appliance failed over: its active uplink went down and another took over (polled uplink statuses), or Meraki sent a failover alert. Traffic then leaves from another public IP, often a carrier’s, off the office circuit and its allowlists. A DHCP lease renewal that changes the WAN address is not a failover.',
  severity: 'medium',
  mitre: [],
  entities: { device: 'context' },
  streams: ['merakiUplink', 'merakiEvent'],
  assumes:
    'Meraki publishes no network-event type names for a failover, so failoverEventTypes is empty and only uplink polls and webhook alerts raise; once you know the names your appliances report in their event log, list them there.',
  config: {
    /** The takeover must follow the loss (or precede it) by at most this; failovers this close are one finding. */
    windowMinutes: fields.minutes(30),
    failoverAlertTypes: fields.list(['failover_event', 'cellular_up']),
    /**
     * A failover alert this soon after the device's previous failover evidence belongs to the same
     * incident: the alert of the failback that ends it (Meraki sends `failover_event` both ways).
     */
    failbackMinutes: fields.minutes(240),
    failoverEventTypes: fields.list(),
    ignoreSerials: fields.list(),
  },
  match(input, config) {
    if (input.stream === 'merakiEvent') {
      const row = input.row;
      const types = row.EventSource === 'webhook' ? config.failoverAlertTypes : config.failoverEventTypes;
      const subject = deviceSubject(row);
      if (row.EventType === undefined || !types.includes(row.EventType) || subject === undefined) return null;
      if (config.ignoreSerials.includes(subject.id)) return null;
      return {
        dedupeKey: subject.id,
        subject,
        item: `alert:${row.EventId}`,
        t: seconds(row.TimeGenerated),
        label: `${row.Description ?? row.EventType} (${row.EventSource})`,
        facts: deviceFacts(row),
      };
    }
    if (input.stream !== 'merakiUplink') return null;
    const row = input.row;
    const subject = deviceSubject(row);
    if (subject === undefined || config.ignoreSerials.includes(subject.id)) return null;
    const t = seconds(row.TimeGenerated);
    const observation = {
      dedupeKey: subject.id,
      subject,
      item: statusItem(t, row.Interface, uplinkStatusCode(row.Status)),
      t,
      facts: deviceFacts(row),
    };
    return row.PublicIp === undefined ? observation : { ...observation, label: row.PublicIp };
  },
  window: {
    kind: 'custom',
    windowSeconds: (c) => c.windowMinutes * 60,
    // Statuses stay visible long enough to recognize an outage of half a day as one failover (its
    // start must be in view for its later polls to keep the finding open).
    retentionSeconds: (c) => c.windowMinutes * 60 + 12 * 3_600,
    // Hour buckets: full snapshots every minute at most (the setting's floor) of a few interfaces,
    // plus changed rows, stay within a bucket's item budget.
    bucketSeconds: 3_600,
    evaluate(window, config, env) {
      const windowSeconds = config.windowMinutes * 60;
      const since = env.since ?? -Infinity;
      const units = evidenceUnits(window.items, windowSeconds);
      // How far after the evidence before it a unit still joins it: an alert alone may be a failback.
      const reachOf = (unit: (typeof units)[number]): number =>
        unit.items.every((i) => i.item.startsWith('alert:'))
          ? Math.max(windowSeconds, config.failbackMinutes * 60)
          : windowSeconds;
      let start = units.findIndex((u) => u.items.some((i) => i.t > since));
      if (start < 0) return null;
      // The evidence the news continues (a failback alert's failover) is its context, so the finding
      // of that failover grows instead of a second one opening.
      while (start > 0) {
        const previous = units[start - 1];
        const unit = units[start];
        if (previous === undefined || unit === undefined || unit.first > previous.last + reachOf(unit)) break;
        start -= 1;
      }
      const first = units[start];
      if (first === undefined) return null;
      // One incident: that unit, and what follows it within reach of the last one.
      const cluster = [first];
      let reach = first.last;
      for (const unit of units.slice(start + 1)) {
        if (unit.first > reach + reachOf(unit)) break;
        cluster.push(unit);
        reach = Math.max(reach, unit.last);
      }
      const items = cluster.flatMap((u) => u.items).sort((a, b) => a.t - b.t || (a.item < b.item ? -1 : 1));
      return {
        count: items.length,
        newItems: items.filter((i) => i.t > since).length,
        firstSeen: items[0]?.t ?? env.now,
        lastSeen: Math.max(...items.map((i) => i.tMax)),
        items,
      };
    },
  },
  present(crossing, window, config) {
    const inCrossing = new Set(crossing.items.map((i) => i.item));
    const failovers = failoverEpisodes(
      window.items.filter((i) => !i.item.startsWith('alert:')),
      config.windowMinutes * 60,
    ).filter((e) => e.items.some((i) => inCrossing.has(i.item)));
    const alerts = crossing.items.filter((i) => i.item.startsWith('alert:')).map((i) => i.label ?? i.item);
    const who = window.subject.name ?? window.subject.id;
    const publicIps = [
      ...new Set(failovers.flatMap((e) => [e.fromIp, e.toIp]).filter((ip): ip is string => ip !== undefined)),
    ];
    const first = failovers[0];
    const ips = first?.fromIp !== undefined && first.toIp !== undefined && first.fromIp !== first.toIp;
    return {
      title:
        first === undefined
          ? `${who} reported an uplink failover`
          : `${who} failed over ${first.from} → ${first.to}${ips ? `: public IP ${String(first.fromIp)} → ${String(first.toIp)}` : ''}`,
      why:
        first === undefined
          ? `Meraki sent a failover alert (${alerts.join(', ')}).`
          : `${first.from} went down while carrying traffic and ${first.to} became active within ${durationText(config.windowMinutes * 60)} (polled uplink statuses); polls saw it on ${first.to} for ${durationText(first.end - first.start)}.`,
      evidence: {
        failovers: failovers.map(
          (e) => `${new Date(e.start * 1000).toISOString()} ${e.from} → ${e.to} (${durationText(e.end - e.start)})`,
        ),
        publicIps,
        alerts,
      },
    };
  },
});
