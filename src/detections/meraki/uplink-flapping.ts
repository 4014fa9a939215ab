/** An uplink whose status keeps changing: more than 4 status changes of one interface within an hour of polls. */
import { defineDetection, fields, type ItemState } from '../define';
import { deviceFacts, deviceSubject, seconds } from './common';

export const uplinkFlapping = defineDetection({
  id: 'meraki.uplink.flapping',
  title: 'Meraki uplink flapping',
  description:
    'An appliance uplink changed status again and again within the window: a failing circuit or modem, or interference with the line.',
  severity: 'medium',
  mitre: [],
  entities: { device: 'context' },
  streams: ['merakiUplink'],
  config: {
    threshold: fields.threshold(4),
    windowMinutes: fields.minutes(60),
    ignoreSerials: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'merakiUplink') return null;
    const row = input.row;
    const subject = deviceSubject(row);
    if (subject === undefined || config.ignoreSerials.includes(subject.id)) return null;
    const t = seconds(row.TimeGenerated);
    return {
      dedupeKey: subject.id,
      subject,
      item: `${t}:${row.Interface}`,
      t,
      label: row.Status ?? 'unknown',
      facts: deviceFacts(row),
    };
  },
  window: {
    kind: 'custom',
    windowSeconds: (c) => c.windowMinutes * 60,
    // Half-hour buckets: at the fastest poll (15 s) one holds 120 snapshots × 4 uplinks, within its item budget.
    bucketSeconds: 1_800,
    evaluate(window, config, env) {
      const windowSeconds = config.windowMinutes * 60;
      const since = env.since ?? -Infinity;
      const byInterface = new Map<string, ItemState[]>();
      for (const i of window.items) {
        const iface = i.item.slice(i.item.indexOf(':') + 1);
        byInterface.set(iface, [...(byInterface.get(iface) ?? []), i]);
      }
      let best: ItemState[] | undefined;
      for (const list of byInterface.values()) {
        const changes = list.filter((i, n) => n > 0 && i.label !== list[n - 1]?.label);
        for (let hi = 0, lo = 0; hi < changes.length; hi++) {
          const edge = changes[hi];
          if (edge === undefined || edge.t <= since) continue;
          while ((changes[lo]?.t ?? Infinity) <= edge.t - windowSeconds) lo++;
          const span = changes.slice(lo, hi + 1);
          if (span.length > config.threshold && (best === undefined || span.length >= best.length)) best = span;
        }
      }
      if (best === undefined) return null;
      return {
        count: best.length,
        newItems: best.filter((i) => i.t > since).length,
        firstSeen: best[0]?.t ?? env.now,
        lastSeen: best[best.length - 1]?.t ?? env.now,
        items: best,
      };
    },
  },
  present(crossing, window) {
    const iface = crossing.items[0]?.item.split(':')[1] ?? 'uplink';
    return {
      title: `${window.subject.name ?? window.subject.id} ${iface} changed status ${crossing.count} times`,
      evidence: { changes: crossing.items.map((i) => `${new Date(i.t * 1000).toISOString()} ${i.label ?? ''}`) },
    };
  },
});
