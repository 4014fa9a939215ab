/**
 * The cellular uplink carried traffic (status `active`) continuously for longer than the configured
 * time: a WAN outage nobody fixed, or someone keeping the site on metered LTE (and off the office
 * circuit's controls). One item per polled cellular snapshot.
 */
import { defineDetection, fields, type ItemState } from '../define';
import { deviceFacts, deviceSubject, durationText, seconds } from './common';

export const cellularActiveLong = defineDetection({
  id: 'meraki.uplink.cellular-active-long',
  title: 'Meraki cellular uplink active for a long time',
  description: 'An appliance has been running on its cellular uplink for longer than the configured time.',
  severity: 'medium',
  mitre: [],
  entities: { device: 'context' },
  streams: ['merakiUplink'],
  config: {
    minutes: fields.minutes(240),
    cellularInterfaces: fields.list(['cellular']),
    ignoreSerials: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'merakiUplink') return null;
    const row = input.row;
    const subject = deviceSubject(row);
    if (
      !config.cellularInterfaces.includes(row.Interface) ||
      subject === undefined ||
      config.ignoreSerials.includes(subject.id)
    )
      return null;
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
    windowSeconds: (c) => c.minutes * 60 + 3_600,
    // At the fastest poll (15 s) an hour holds 240 snapshots of at most two items each, within the budget.
    bucketSeconds: 3_600,
    evaluate(window, config, env) {
      let run: ItemState[] = [];
      for (const i of window.items) {
        if (i.label === 'active') run.push(i);
        else run = [];
      }
      const first = run[0];
      const last = run[run.length - 1];
      if (first === undefined || last === undefined || last.t - first.t < config.minutes * 60) return null;
      const since = env.since ?? -Infinity;
      const fresh = run.filter((i) => i.t > since).length;
      if (fresh === 0) return null;
      return { count: run.length, newItems: fresh, firstSeen: first.t, lastSeen: last.t, items: run };
    },
  },
  present(crossing, window) {
    return {
      title: `${window.subject.name ?? window.subject.id} on cellular for ${durationText(crossing.lastSeen - crossing.firstSeen)}`,
      evidence: { since: new Date(crossing.firstSeen * 1000).toISOString(), snapshots: crossing.count },
    };
  },
});
