/**
 * The live feed: continues a scenario after `now`. `next(fromMs, toMs)` returns everything that
 * happens in the half-open interval [fromMs, toMs): background audit entries (the same per-day
 * buckets as the history, seeded by the scenario seed, so history and live join without gap or
 * overlap and the background caps hold across the boundary), background Meraki events, and whatever
 * `inject` has scheduled there. Same interval → same background; injected incidents are driven by the
 * feed's own `seed` and an injection counter, so a replayed sequence of calls is identical.
 */
import { byTime } from './audit';
import { backgroundBetween, filePools, type DayActivity, type FilePools } from './background';
import { buildIncident, type Incident, type IncidentBuild, type IncidentKind } from './incidents';
import { backgroundMerakiBetween, deviceStatusesAt, uplinkStatusesAt, type MerakiModel } from './meraki';
import type { OrgModel } from './org';
import { IdSpace } from './prng';
import { applyPersonUpdates, personAllocator, type Scenario } from './scenario';
import type {
  AuditEntry,
  MerakiDeviceStatus,
  MerakiNetworkEvent,
  MerakiUplinkChange,
  MerakiUplinkStatus,
  MerakiWebhookPayload,
  SlackFile,
} from './wire-types';

export interface LiveBatch {
  fromMs: number;
  toMs: number;
  /** Ascending by date_create, then id. */
  auditEntries: AuditEntry[];
  /** Files uploaded in the interval (for files.info). */
  files: SlackFile[];
  /** Ascending by occurredAt. */
  merakiEvents: MerakiNetworkEvent[];
  uplinkChanges: MerakiUplinkChange[];
  /** Webhook bodies whose `sentAt` falls in the interval. */
  webhooks: MerakiWebhookPayload[];
  /** Injected incidents whose first event falls in the interval. */
  incidents: Incident[];
}

export interface LiveFeedOptions {
  /** Drives injected incidents (default: the scenario seed). */
  seed?: number;
}

export interface InjectOptions {
  variant?: number;
  /** For spread-out kinds: epoch ms of the last event (default at + 20 min). */
  until?: number;
}

export interface LiveFeed {
  next(fromMs: number, toMs: number): LiveBatch;
  /** Schedules a fresh incident whose first event is at `atMs`; returns it at once. */
  inject(kind: IncidentKind, atMs: number, options?: InjectOptions): Incident;
  /** Every incident injected so far. */
  injected(): Incident[];
  /** Uplink statuses of an organization at a time, history and injected failovers included. */
  uplinkStatusesAt(organizationId: string, atMs: number): MerakiUplinkStatus[];
  deviceStatusesAt(organizationId: string, atMs: number): MerakiDeviceStatus[];
}

/** Creates a live feed continuing `scenario`. The scenario itself is not modified. */
export function createLiveFeed(scenario: Scenario, options: LiveFeedOptions = {}): LiveFeed {
  const bgSeed = scenario.meta.seed;
  const injectSeed = (options.seed ?? scenario.meta.seed) >>> 0;
  // The feed mutates people (deactivations by injected incidents), so it works on its own copy.
  const org: OrgModel = structuredClone(scenario.model.org);
  const meraki: MerakiModel = scenario.model.meraki;
  const pools: FilePools = filePools(org);
  const usedPeople = new Set(scenario.model.incidentPeople);
  const usedIps = new Set(scenario.model.usedIps);
  const takePeople = personAllocator(injectSeed, org.people, usedPeople);
  const cache = new Map<string, DayActivity>();
  const builds: IncidentBuild[] = [];
  const uplinkChanges: MerakiUplinkChange[] = [...scenario.meraki.uplinkChanges];
  const failoverCount = scenario.incidents.filter((i) => i.kind === 'uplink-failover').length;
  let injectedFailovers = 0;

  return {
    next(fromMs, toMs) {
      if (!(Number.isFinite(fromMs) && Number.isFinite(toMs)) || toMs < fromMs) {
        throw new Error(`LiveFeed.next: invalid interval [${fromMs}, ${toMs})`);
      }
      // date_create is whole seconds: second s belongs to [fromMs, toMs) when s*1000 does.
      const fromSec = Math.ceil(fromMs / 1000);
      const toSec = Math.ceil(toMs / 1000);
      const bg =
        toSec > fromSec ? backgroundBetween(bgSeed, org, pools, fromSec, toSec, cache) : { entries: [], files: [] };
      const inSec = (s: number): boolean => s >= fromSec && s < toSec;
      const inMs = (ms: number): boolean => ms >= fromMs && ms < toMs;
      const auditEntries = [
        ...bg.entries,
        ...builds.flatMap((b) => b.entries.filter((e) => inSec(e.date_create))),
      ].sort(byTime);
      const files = [...bg.files, ...builds.flatMap((b) => b.files.filter((f) => inSec(f.created)))];
      const merakiEvents = [
        ...backgroundMerakiBetween(bgSeed, meraki, fromMs, toMs),
        ...builds.flatMap((b) => b.merakiEvents.filter((e) => inMs(Date.parse(e.occurredAt)))),
      ].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
      return {
        fromMs,
        toMs,
        auditEntries,
        files,
        merakiEvents,
        uplinkChanges: builds.flatMap((b) => b.uplinkChanges.filter((c) => inMs(c.at))).sort((a, b) => a.at - b.at),
        webhooks: builds
          .flatMap((b) => b.webhooks.filter((w) => inMs(Date.parse(w.sentAt))))
          .sort((a, b) => a.sentAt.localeCompare(b.sentAt)),
        incidents: builds.map((b) => b.incident).filter((i) => inMs(i.startAt)),
      };
    },

    inject(kind, atMs, injectOptions = {}) {
      if (!Number.isFinite(atMs)) throw new Error(`LiveFeed.inject: invalid time ${atMs}`);
      const atSec = Math.ceil(atMs / 1000);
      const variant =
        injectOptions.variant ?? (kind === 'uplink-failover' ? failoverCount + injectedFailovers : builds.length);
      if (kind === 'uplink-failover') injectedFailovers++;
      const until = injectOptions.until === undefined ? atSec + 20 * 60 : Math.floor(injectOptions.until / 1000);
      const build = buildIncident(
        kind,
        {
          seed: injectSeed,
          org,
          meraki,
          pools,
          space: IdSpace.liveIncident,
          seq: builds.length,
          variant,
          takePeople,
          usedIps,
        },
        atSec,
        until,
      );
      builds.push(build);
      // Only a deactivation changes what the person does next; role changes are left out so the
      // admin housekeeping buckets (and so every interval already served) stay as they were.
      if (build.personUpdates.some((u) => u.deactivatedAt !== undefined)) {
        applyPersonUpdates(org, build, 'deactivation');
        cache.clear();
      }
      uplinkChanges.push(...build.uplinkChanges);
      uplinkChanges.sort((a, b) => a.at - b.at);
      return build.incident;
    },

    injected() {
      return builds.map((b) => b.incident);
    },

    uplinkStatusesAt(organizationId, atMs) {
      return uplinkStatusesAt(meraki, uplinkChanges, organizationId, atMs);
    },

    deviceStatusesAt(organizationId, atMs) {
      return deviceStatusesAt(meraki, uplinkChanges, organizationId, atMs);
    },
  };
}
