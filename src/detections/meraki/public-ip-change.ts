/**
 * Seed: an appliance's public IP changed (LTE failover), gopuff's `dcount(publicIp) > 1` in 30 min,
 * from polled snapshots (the active uplink's public IP, and the appliance's device-status public IP)
 * and from webhook alerts (`failover_event`, `cellular_up`), which reach us before the next poll.
 * Network-event type names for failover are [UNVERIFIED] (api-facts §4.6), so none match by default.
 */
import { defineDetection, fields, type ItemState } from '../define';
import { distinctCrossing } from '../window-math';
import { deviceFacts, deviceSubject, durationText, seconds } from './common';

export const publicIpChange = defineDetection({
  id: 'meraki.uplink.public-ip-change',
  title: 'Meraki appliance public IP changed',
  description:
    'An MX appliance egressed from more than one public IP within the window, or Meraki reported a failover: usually WAN loss and LTE failover, which moves traffic off the office circuit (and its allowlists) onto a carrier address.',
  severity: 'medium',
  mitre: [],
  entities: { device: 'context' },
  streams: ['merakiUplink', 'merakiDevice', 'merakiEvent'],
  config: {
    /** Distinct public IPs tolerated in the window. */
    threshold: fields.threshold(1),
    windowMinutes: fields.minutes(30),
    failoverAlertTypes: fields.list(['failover_event', 'cellular_up']),
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
    if (input.stream === 'merakiUplink' || input.stream === 'merakiDevice') {
      const row = input.row;
      const active =
        input.stream === 'merakiUplink' ? input.row.Status === 'active' : input.row.ProductType === 'appliance';
      const subject = deviceSubject(row);
      if (!active || row.PublicIp === undefined || subject === undefined || config.ignoreSerials.includes(subject.id))
        return null;
      return {
        dedupeKey: subject.id,
        subject,
        item: `ip:${row.PublicIp}`,
        t: seconds(row.TimeGenerated),
        label: input.stream === 'merakiUplink' ? input.row.Interface : 'device status',
        facts: deviceFacts(row),
      };
    }
    return null;
  },
  window: {
    kind: 'custom',
    windowSeconds: (c) => c.windowMinutes * 60,
    // Values keep first/last sighting per bucket: a change inside a bucket still shows as two values.
    bucketSeconds: 6 * 3_600,
    evaluate(window, config, env) {
      const windowSeconds = config.windowMinutes * 60;
      const ips = distinctCrossing(
        { ...window, items: window.items.filter((i) => i.item.startsWith('ip:')) },
        windowSeconds,
        config.threshold,
        env.since,
      );
      const since = env.since ?? -Infinity;
      const alerts = window.items.filter((i) => i.item.startsWith('alert:') && i.t > since);
      if (ips === null && alerts.length === 0) return null;
      const items: ItemState[] = [...(ips?.items ?? []), ...alerts].sort((a, b) => a.t - b.t);
      return {
        count: (ips?.count ?? 0) + alerts.length,
        newItems: (ips?.newItems ?? 0) + alerts.length,
        firstSeen: items[0]?.t ?? env.now,
        lastSeen: Math.max(...items.map((i) => i.tMax)),
        items,
      };
    },
  },
  present(crossing, window) {
    const ips = crossing.items.filter((i) => i.item.startsWith('ip:')).map((i) => i.item.slice(3));
    const alerts = crossing.items.filter((i) => i.item.startsWith('alert:')).map((i) => i.label ?? i.item);
    const who = window.subject.name ?? window.subject.id;
    return {
      title:
        ips.length > 1
          ? `${who} public IP changed: ${ips.join(' → ')} within ${durationText(crossing.lastSeen - crossing.firstSeen)}`
          : `${who} reported an uplink failover`,
      evidence: { publicIps: ips, alerts },
    };
  },
});
