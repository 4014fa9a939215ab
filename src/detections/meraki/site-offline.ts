/**
 * Every uplink of an appliance down (site offline): consecutive polled snapshots in which no uplink
 * is active, or the appliance's device status is `offline`, spanning more than the configured time.
 * Items are one per snapshot time and state (`<t>:a` some uplink active, `<t>:x` one not), so a
 * snapshot's rows collapse into at most two items.
 */
import { defineDetection, fields, type ItemState } from '../define';
import { deviceFacts, deviceSubject, durationText, seconds, snapshots } from './common';

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
    let up: boolean;
    if (input.stream === 'merakiUplink') up = input.row.Status === 'active';
    else if (input.row.ProductType === 'appliance' && input.row.Status !== undefined)
      up = input.row.Status !== 'offline';
    else return null;
    const t = seconds(row.TimeGenerated);
    // A device status of offline outranks uplink rows of the same time (it is the stronger signal).
    const item = input.stream === 'merakiDevice' ? `${t}:${up ? 'd' : 'o'}` : `${t}:${up ? 'a' : 'x'}`;
    return { dedupeKey: subject.id, subject, item, t, facts: deviceFacts(row) };
  },
  window: {
    kind: 'custom',
    windowSeconds: (c) => Math.max(3_600, c.minutes * 120),
    // At the fastest poll (15 s) an hour holds 240 snapshots of at most two items each, within the budget.
    bucketSeconds: 3_600,
    evaluate(window, config, env) {
      let run: ItemState[] = [];
      let best: ItemState[] | undefined;
      for (const snap of snapshots(window.items)) {
        const kinds = new Set(snap.items.map((i) => i.item.slice(i.item.lastIndexOf(':') + 1)));
        const offline = kinds.has('o') || (!kinds.has('d') && !kinds.has('a') && kinds.has('x'));
        if (offline) run.push(...snap.items);
        else run = [];
        const first = run[0];
        const last = run[run.length - 1];
        if (first !== undefined && last !== undefined && last.t - first.t >= config.minutes * 60) best = [...run];
      }
      const since = env.since ?? -Infinity;
      if (best === undefined) return null;
      const fresh = best.filter((i) => i.t > since);
      if (fresh.length === 0) return null;
      const times = [...new Set(best.map((i) => i.t))];
      return {
        count: times.length,
        newItems: new Set(fresh.map((i) => i.t)).size,
        firstSeen: best[0]?.t ?? env.now,
        lastSeen: best[best.length - 1]?.t ?? env.now,
        items: best,
      };
    },
  },
  present(crossing, window) {
    return {
      title: `${window.subject.name ?? window.subject.id} offline (no uplink active) for ${durationText(crossing.lastSeen - crossing.firstSeen)}`,
      evidence: { snapshots: crossing.count, since: new Date(crossing.firstSeen * 1000).toISOString() },
    };
  },
});
