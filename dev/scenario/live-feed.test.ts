import { describe, expect, it } from 'vitest';
import { INCIDENT_KINDS } from './incidents';
import { createLiveFeed, type LiveBatch } from './live-feed';
import { generateScenario } from './scenario';
import { runOracle } from './test-oracle';
import { AuditEntrySchema, MerakiNetworkEventSchema, MerakiWebhookSchema, SlackFileSchema } from './wire-schemas';

const NOW = Date.parse('2026-06-15T12:00:00Z');
const scenario = generateScenario({ seed: 42, now: NOW });
const HOUR = 3_600_000;

function ids(b: LiveBatch): string[] {
  return b.auditEntries.map((e) => e.id);
}

describe('createLiveFeed: background', () => {
  it('returns the same batch for the same interval, from one feed or two', () => {
    const a = createLiveFeed(scenario, { seed: 1 });
    const b = createLiveFeed(scenario, { seed: 1 });
    const first = a.next(NOW + 2 * HOUR, NOW + 3 * HOUR);
    a.next(NOW, NOW + HOUR);
    expect(a.next(NOW + 2 * HOUR, NOW + 3 * HOUR)).toEqual(first);
    expect(b.next(NOW + 2 * HOUR, NOW + 3 * HOUR)).toEqual(first);
  });

  it('splits cleanly: consecutive intervals add up to the whole, in ascending time', () => {
    const feed = createLiveFeed(scenario, { seed: 1 });
    const whole = feed.next(NOW, NOW + 24 * HOUR);
    const parts: LiveBatch[] = [];
    for (let t = NOW; t < NOW + 24 * HOUR; t += 7 * 60_000 + 333)
      parts.push(feed.next(t, Math.min(t + 7 * 60_000 + 333, NOW + 24 * HOUR)));
    expect(parts.flatMap(ids)).toEqual(ids(whole));
    expect(parts.flatMap((p) => p.merakiEvents)).toEqual(whole.merakiEvents);
    let last = 0;
    for (const p of parts) {
      for (const e of p.auditEntries) {
        expect(e.date_create * 1000).toBeGreaterThanOrEqual(p.fromMs);
        expect(e.date_create * 1000).toBeLessThan(p.toMs);
        expect(e.date_create).toBeGreaterThanOrEqual(last);
        last = e.date_create;
      }
    }
    expect(whole.auditEntries.length).toBeGreaterThan(200);
    expect(whole.merakiEvents.length).toBeGreaterThan(20);
  });

  it('continues the history stream: over the history window it reproduces the background exactly', () => {
    const feed = createLiveFeed(scenario, { seed: 1 });
    const incidentIds = new Set(scenario.incidents.flatMap((i) => i.eventIds));
    // The incident deactivation cuts one person's background; compare everyone else.
    const deactivated = new Set(
      scenario.incidents.filter((i) => i.kind === 'login-after-deactivation').map((i) => i.subject),
    );
    const from = NOW - 3 * 24 * HOUR;
    const history = scenario.slack.auditEntries.filter(
      (e) => e.date_create * 1000 >= from && !incidentIds.has(e.id) && !deactivated.has(e.actor.user.id),
    );
    const live = feed.next(from, NOW).auditEntries.filter((e) => !deactivated.has(e.actor.user.id));
    expect(live.map((e) => e.id)).toEqual(history.map((e) => e.id));
  });

  it('emits valid wire shapes and uploaded files', () => {
    const b = createLiveFeed(scenario).next(NOW, NOW + 8 * HOUR);
    for (const e of b.auditEntries) AuditEntrySchema.parse(e);
    for (const e of b.merakiEvents) MerakiNetworkEventSchema.parse(e);
    for (const f of b.files) SlackFileSchema.parse(f);
    const uploaded = new Set(
      b.auditEntries
        .filter((e) => e.action === 'file_uploaded' && e.entity.type === 'file')
        .map((e) => (e.entity.type === 'file' ? e.entity.file.id : '')),
    );
    expect(b.files.map((f) => f.id).sort()).toEqual([...uploaded].sort());
  });

  it('stays silent for a live week of background', () => {
    const feed = createLiveFeed(scenario);
    const week = feed.next(NOW, NOW + 7 * 24 * HOUR);
    const { findings } = runOracle({
      entries: [
        ...scenario.slack.auditEntries.filter((e) => !new Set(scenario.incidents.flatMap((i) => i.eventIds)).has(e.id)),
        ...week.auditEntries,
      ],
      files: [...scenario.slack.files, ...week.files],
      sensitiveChannelIds: scenario.meta.sensitiveChannelIds,
      knownEgressIps: scenario.meta.knownEgressIps,
      uplinkChanges: [],
      baselineUplinks: Object.values(scenario.meraki.uplinkStatuses).flat(),
    });
    expect([...findings]).toEqual([]);
  });

  it('rejects a reversed interval', () => {
    expect(() => createLiveFeed(scenario).next(NOW + 10, NOW)).toThrow(/invalid interval/);
  });
});

describe('createLiveFeed: injection', () => {
  it('injects every kind on demand; each fires exactly its own finding from its own events', () => {
    const feed = createLiveFeed(scenario, { seed: 9 });
    let at = NOW + 10 * 60_000;
    for (const kind of INCIDENT_KINDS) {
      const inc = feed.inject(kind, at);
      expect(inc.kind).toBe(kind);
      expect(inc.startAt).toBeGreaterThanOrEqual(at);
      expect(inc.id.startsWith('live-')).toBe(true);
      at += 30 * 60_000;
    }
    const batch = feed.next(NOW, at + 30 * HOUR);
    const injected = feed.injected();
    expect(batch.incidents.map((i) => i.id)).toEqual(injected.map((i) => i.id));
    const entryIds = new Set(batch.auditEntries.map((e) => e.id));
    for (const inc of injected) {
      if (inc.subjectType === 'device') continue;
      for (const id of inc.eventIds) expect(entryIds.has(id), inc.id).toBe(true);
    }
    const historyBg = scenario.slack.auditEntries.filter(
      (e) => !new Set(scenario.incidents.flatMap((i) => i.eventIds)).has(e.id),
    );
    const { findings } = runOracle({
      entries: [...historyBg, ...batch.auditEntries],
      files: [...scenario.slack.files, ...batch.files],
      sensitiveChannelIds: scenario.meta.sensitiveChannelIds,
      knownEgressIps: scenario.meta.knownEgressIps,
      uplinkChanges: batch.uplinkChanges,
      baselineUplinks: Object.values(scenario.meraki.uplinkStatuses).flat(),
    });
    const want = injected.flatMap((i) => i.detectionIds.map((d) => `${d}|${i.subject}`));
    expect([...findings].sort()).toEqual([...new Set(want)].sort());
  });

  it('injects a failover that changes the live uplink statuses and sends webhooks', () => {
    const feed = createLiveFeed(scenario, { seed: 9 });
    const at = NOW + 30 * 60_000;
    const inc = feed.inject('uplink-failover', at);
    const org = scenario.model.meraki.sites.find((s) => s.mx.serial === inc.subject)?.organizationId ?? '';
    const ipAt = (t: number): string | null =>
      feed
        .uplinkStatusesAt(org, t)
        .find((s) => s.serial === inc.subject)
        ?.uplinks.find((u) => u.status === 'active')?.publicIp ?? null;
    const before = ipAt(at - 1_000);
    const during = ipAt(at + 5 * 60_000);
    expect(before).not.toBeNull();
    expect(during).not.toBeNull();
    expect(during).not.toBe(before);
    // A different MX than the history failover (Chicago), so the rotation covers more sites.
    expect(inc.subject).not.toBe(scenario.incidents.find((i) => i.kind === 'uplink-failover')?.subject);
    const b = feed.next(at, at + 2 * HOUR);
    expect(b.uplinkChanges.length).toBe(3);
    expect(b.webhooks.map((w) => w.alertTypeId)).toContain('failover_event');
    for (const w of b.webhooks) MerakiWebhookSchema.parse(w);
    const device = feed.deviceStatusesAt(org, at + 5 * 60_000).find((d) => d.serial === inc.subject);
    expect(device?.publicIp).toBe(during);
  });

  it('is deterministic for the same feed seed and differs for another', () => {
    const run = (seed: number): unknown => {
      const feed = createLiveFeed(scenario, { seed });
      feed.inject('mass-download', NOW + 60_000);
      feed.inject('many-users-one-ip', NOW + 120_000);
      return feed.next(NOW, NOW + HOUR);
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('stops a person injected as deactivated, without touching the scenario', () => {
    const feed = createLiveFeed(scenario, { seed: 3 });
    const at = NOW + HOUR;
    const inc = feed.inject('login-after-deactivation', at);
    const b = feed.next(at, at + 3 * 24 * HOUR);
    const own = new Set(inc.eventIds);
    expect(b.auditEntries.filter((e) => e.actor.user.id === inc.subject && !own.has(e.id))).toEqual([]);
    const person = scenario.model.org.people.find((p) => p.id === inc.subject);
    expect(person?.deactivatedAt).toBeNull();
  });
});
